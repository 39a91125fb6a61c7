"""The grown problem: a network with one hidden layer of tanh units, fit to a curve no line follows.

    ŷ = w2 · tanh(W1·x + b1) + b2        W1, b1, w2: H numbers each (H hidden units), b2: one

The data follows the line's recipe (x = 10·u − 5, the same seed, the same noise) around y = sin(x)
instead of y = 2x − 1: the best straight line leaves a mean squared error of about 0.5, where 16 tanh
units get below 0.002 in one pass. The parameters start seeded (a second generator, seed + 1):

    W1 ~ U(−1, 1),   b1 = 5·|W1|·U(−1, 1)   (unit j bends at x = −b1_j / W1_j, somewhere in [−5, 5])
    w2 = 0,          b2 = 0                 (the network starts as ŷ = 0)

Nothing here imports a framework, so bad input is rejected before any slow import.
"""

import dataclasses

import numpy as np

from impls import problem as line

MAX_HIDDEN = 65_536
MAX_ACTIVATIONS = 2**27  # batch × H float32 numbers in one layer's output: 512 MB, and a few such live at once


@dataclasses.dataclass(frozen=True)
class Config(line.Schedule):
    """The line's schedule, and the width of the hidden layer."""

    hidden: int = 16  # H: 3H + 1 parameters

    def __post_init__(self):
        super().__post_init__()
        line.require_int("hidden", self.hidden)
        line.require_range("hidden", self.hidden, 1, MAX_HIDDEN)
        if self.batch_size * self.hidden > MAX_ACTIVATIONS:
            raise ValueError(
                f"--batch-size {self.batch_size} × --hidden {self.hidden} is {self.batch_size * self.hidden:,} "
                f"activations per layer, more than this suite allows ({MAX_ACTIVATIONS:,}: 512 MB in float32)"
            )
        if self.loss != "mse":
            raise ValueError(f"--loss {self.loss}: the mlp lessons minimise mse only")
        line.require_y_fits(self.noise, 1.0)  # |sin(x)| <= 1


def make_data(config):
    """y = sin(x) + noise·u′, x from the line's recipe."""
    return line.sample(config, np.sin)


def initial_parameters(config):
    """(W1, b1, w2, b2) as float32, seeded: the same for every lesson."""
    rng = np.random.default_rng(config.seed + 1)
    W1 = rng.uniform(-1, 1, config.hidden)
    b1 = 5 * np.abs(W1) * rng.uniform(-1, 1, config.hidden)
    return W1.astype(np.float32), b1.astype(np.float32), np.zeros(config.hidden, np.float32), np.float32(0)


def log_line(sample_offset, loss, *parameters):
    """The textbook's line without W and b: 3H + 1 numbers do not fit on it."""
    shown = "n/a" if loss is None else f"{loss:.4f}"
    return f"At step {sample_offset}, loss = {shown}"


def textbook_log(config, every=15, out=print):
    """The textbook's rhythm (a line every 300 samples) with the network's line."""
    return line.textbook_log(config, every, out, format_line=log_line)
