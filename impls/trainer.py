"""What every trainer shares: the interface, and the history of one training run."""

import abc
import dataclasses
import math

import numpy as np

from impls.problem import batch_starts


@dataclasses.dataclass(frozen=True)
class History:
    """One run: W and b after each recorded update, and the batch loss just before it.

    steps holds 1-based update numbers. Most trainers record every update; one that runs many
    updates per call (Keras with steps_per_execution) records only where Python gets control back,
    and may not see the batch loss (loss is None then). A run that met a non-finite loss or
    parameter stops there: diverged_at is that update, and only the finite records before it stay.
    """

    steps: np.ndarray
    W: np.ndarray
    b: np.ndarray
    loss: np.ndarray | None
    diverged_at: int | None = None
    every_update: bool = True  # False when records are sparse: divergence is then known to the record

    @classmethod
    def build(cls, steps, W, b, loss=None):
        steps, W, b = np.asarray(steps, np.int64), np.asarray(W, np.float64), np.asarray(b, np.float64)
        every_update = np.array_equal(steps, np.arange(1, len(steps) + 1))
        columns = [W, b] if loss is None else [W, b, np.asarray(loss, np.float64)]
        finite = np.all(np.isfinite(np.stack(columns)), axis=0)
        if finite.all():
            return cls(steps, W, b, None if loss is None else columns[2], None, every_update)
        bad = int(np.argmin(finite))
        kept_loss = None if loss is None else columns[2][:bad]
        return cls(steps[:bad], W[:bad], b[:bad], kept_loss, int(steps[bad]), every_update)

    @property
    def divergence(self):
        """ "diverged at step 16", or "diverged by step 64" when updates between records went unseen."""
        if self.diverged_at is None:
            return None
        return f"diverged {'at' if self.every_update else 'by'} step {self.diverged_at}"

    @property
    def final(self):
        """(W, b) after the last finite update."""
        return float(self.W[-1]), float(self.b[-1])

    @property
    def steps_run(self):
        return self.diverged_at or int(self.steps[-1])  # a run that did not diverge recorded its last update


class Recorder:
    """Collects (loss, W, b) update by update for the Python-driven loops and tells them when to stop."""

    def __init__(self):
        self.rows = []

    def add(self, loss, W, b):
        """Record one update; False once something is no longer finite, so the loop can stop."""
        self.rows.append((loss, W, b))
        return math.isfinite(loss) and math.isfinite(W) and math.isfinite(b)

    def history(self):
        loss, W, b = np.array(self.rows, np.float64).reshape(-1, 3).T
        return History.build(np.arange(1, len(W) + 1), W, b, loss)


class Trainer(abc.ABC):
    """One way to train y = W·x + b. Construct once, then reset() and train() as often as you like.

    The first train() after construction pays for tracing and compilation; later ones are the
    steady state. train() returns only once the result is on the host, so a clock around it is honest.
    """

    name: str  # the registry name, e.g. "gradient_tape"
    devices = ("cpu", "gpu")  # the numpy trainer overrides this: it only runs on the CPU

    def __init__(self, config, data):
        """Subclasses take (config, data, device="cpu"): "cpu", "gpu" or a TensorFlow device name."""
        self.config = config
        self.data = data
        self.starts = batch_starts(config)

    @abc.abstractmethod
    def reset(self):
        """Put W and b back to their initial values (config.W0, config.b0)."""

    @abc.abstractmethod
    def train(self) -> History:
        """Run config.steps updates from the current parameters, following batch_starts(config)."""

    @abc.abstractmethod
    def gradient(self, W, b, x, y):
        """(dL/dW, dL/db) at (W, b) on the batch (x, y), computed the way this trainer computes it."""

    @abc.abstractmethod
    def placed_on(self):
        """The device the parameters actually live on, e.g. "CPU:0" — the label results carry."""
