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

from fitways.problem import LOSS_TOLERANCE, TOLERANCE, Problem, Reference, lessons, loss_of_residual
from impls import problem as line

MAX_HIDDEN = 65_536
MAX_ACTIVATIONS = 2**27  # batch × H float32 numbers in one layer's output: 512 MB, and a few such live at once


@dataclasses.dataclass(frozen=True)
class Config(line.Schedule):
    """The line's schedule, and the width of the hidden layer."""

    hidden: int = dataclasses.field(default=16, metadata={"help": "tanh units in the hidden layer"})  # H: 3H + 1 parameters

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


# What the harness reads (fitways.problems finds this file): the network as a Problem, its trainers,
# and its float64 reference: the same updates replayed by independent numpy code.

TRAINERS = lessons(__package__, {
    "numpy_manual": ("numpy", "plain numpy, backpropagation derived by hand"),
    "gradient_tape": ("tensorflow", "the eager loop: GradientTape, assign_sub"),
    "tf_function": ("tensorflow", "the same update traced into a graph by tf.function"),
    "tf_xla": ("tensorflow", "the whole loop compiled by XLA"),
    "keras_fit": ("tensorflow", "keras.Sequential (two Dense layers) + model.fit"),
    "jax_loop": ("jax", "JAX: the whole loop in one jax.jit (lax.scan)"),
    "torch_eager": ("torch", "PyTorch: autograd on four tensors, sub_ under no_grad"),
})  # fmt: skip


class AgainstTheBestLine:
    """How a network fit to a curve is judged: on the float64 replay's path, and with a loss that beats the
    best straight line's — by ten times at the default noise, and above the noise's own variance
    (noise²/12: no curve can fit noise) always. The deep problem is judged the same way."""

    LEARNED = 10

    def verdict_reference(self, config, params, x, y):
        """The Reference of a replay that ended at `params`: its loss, the ceiling, the best line's loss."""
        design = np.stack([x, np.ones(len(x))], axis=1)
        line_loss = loss_of_residual(config, design @ np.linalg.lstsq(design, y, rcond=None)[0] - y)
        return Reference(params, self.loss(config, params, x, y), self.ceiling(config, line_loss), label="ref",
                         baseline_loss=line_loss)  # fmt: skip

    def ceiling(self, config, line_loss):
        """The noise's variance plus a tenth of what the best straight line leaves above it. None where the
        best line already fits every sample trained on (two distinct x, or fewer): then, as for the line's
        degenerate data, there is nothing to beat, and only the path is judged."""
        if line_loss <= LOSS_TOLERANCE:
            return None
        noise = line.noise_variance(config)
        return noise + max(line_loss - noise, 0.0) / self.LEARNED

    def noise_is_negligible(self, config, reference):
        """Whether the ceiling is, to 1 %, a tenth of the best line's loss (at the default --noise 0.01)."""
        return line.noise_variance(config) < 0.01 * reference.ceiling

    def finite_difference_step(self, config, params, x, y):
        """The gradient check's h: a fixed 1e-6. tanh is curved, so the line's step, scaled up with the
        residuals, lets truncation (h²·|L‴|) grow past the tolerance at large noise; |L‴| grows with the
        residuals as |L| does, so a fixed h keeps truncation and rounding (ε·|L|/h) both near 1e-10."""
        return 1e-6

    def converged_means(self, config, reference):
        if reference.ceiling is None:
            return (f"every parameter within {TOLERANCE} of the float64 reference (the best straight line already "
                    "fits every sample trained on: no loss to beat)")  # fmt: skip
        if self.noise_is_negligible(config, reference):
            why = f"{self.LEARNED}× below the best straight line's"
        else:
            why = f"the noise's variance, noise²/12, plus a {self.LEARNED}th of what the best straight line leaves above it"
        return f"every parameter within {TOLERANCE} of the float64 reference, and a loss below {reference.ceiling:.3e} ({why})"

    def success(self, config, reference):
        if reference.ceiling is None:
            return "each on the float64 reference's path"
        if self.noise_is_negligible(config, reference):
            return f"each on the float64 reference's path, its loss {self.LEARNED}× below the best straight line's"
        return f"each on the float64 reference's path, its loss {self.LEARNED}× closer to the noise than the best straight line's"


class Mlp(AgainstTheBestLine, Problem):
    name = "mlp"
    summary = "ŷ = w2·tanh(W1·x + b1) + b2, --hidden tanh units fit to y = sin(x)"
    Config = Config
    trainers = TRAINERS
    parameters = ("W1", "b1", "w2", "b2")
    equivalence = (1e-5, 1e-5)  # rtol, atol: tanh differs by a float32 step or two between libraries
    def make_data(self, config):
        return make_data(config)

    def initial_parameters(self, config):
        return initial_parameters(config)

    def predict(self, config, params, x, chunk=2**16):
        """ŷ in chunks of samples, so that memory stays chunk × H whatever the data's size."""
        return np.concatenate([
            np.tanh(np.outer(x[s : s + chunk], params["W1"]) + params["b1"]) @ params["w2"] + params["b2"]
            for s in range(0, max(len(x), 1), chunk)
        ])  # fmt: skip

    def reference(self, config, data):
        """No closed form: the same updates on the same batches from the same start, replayed in float64
        by this independent numpy code; and the best straight line, for the ceiling."""
        x, y = self.trained(config, data)
        params = sgd_float64(config, self.start(config), x, y)
        return self.verdict_reference(config, params, x, y)

    def textbook_log(self, config, every=15, out=print):
        return textbook_log(config, every, out)

    def describe(self, config, reference):
        return [
            ("model", f"ŷ = w2·tanh(W1·x + b1) + b2, {config.hidden} tanh units, {3 * config.hidden + 1} parameters, "
                      f"fit to y = sin(x) (+ noise, mean {config.noise / 2:g})"),
            ("reference", f"the same {config.updates} updates replayed in float64 numpy: loss "
                          f"{reference.loss:.3e}; the best straight line's: {reference.baseline_loss:.3e}"),
        ]  # fmt: skip

    def setup_line(self, config):
        return f"{super().setup_line(config)}, {config.hidden} hidden units"


def sgd_float64(config, params, x, y):
    """config.updates updates of mini-batch SGD on the mean squared error of the network, batches in
    order, in float64: h = tanh(x W1ᵀ + b1), ŷ = h w2 + b2, backpropagated layer by layer."""
    params = {name: value.copy() for name, value in params.items()}
    size, batches = config.batch_size, config.batches_used
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging replay ends non-finite, and is judged so
        for update in range(config.updates):
            start = (update % batches) * size
            xb, yb = x[start : start + size], y[start : start + size]
            h = np.tanh(xb[:, None] * params["W1"] + params["b1"])
            slope = 2 * (h @ params["w2"] + params["b2"] - yb) / size  # dL/dŷ
            through = slope[:, None] * params["w2"] * (1 - h**2)  # dL/d(pre-activation)
            gradient = {"W1": xb @ through, "b1": through.sum(0), "w2": slope @ h, "b2": slope.sum()}
            for name in params:
                params[name] = params[name] - config.lr * gradient[name]
    return params


PROBLEM = Mlp()
