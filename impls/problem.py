"""The one problem every trainer solves: config, data, batch schedule, loss and the exact answer.

Nothing here imports TensorFlow, so bad input is rejected before the slow import.
"""

import dataclasses
import math

import numpy as np

LOSSES = ("mse", "huber")
TOLERANCE = 0.01  # a trainer has converged when |W − 2| and |b − (−1)| are both below this
MAX_SAMPLES = 50_000_000  # x and y are float32: 400 MB, far below this machine's memory
MAX_STEPS = 1_000_000  # every trainer keeps a record per update


def flag(field):
    """The command-line flag for a config field: batch_size -> --batch-size."""
    return "--" + field.replace("_", "-")


@dataclasses.dataclass(frozen=True)
class Config:
    """The textbook's setup (Figure 1-7) as defaults. Invalid values raise ValueError with the message
    compare.py prints, naming the flag: samples, batch_size, steps, lr, noise, seed and loss are flags."""

    true_W: float = 2.0  # the line the data comes from: y = 2x − 1 (+ noise)
    true_b: float = -1.0
    samples: int = 3000  # x = 10·u − 5, u ~ U[0, 1)
    noise: float = 0.01  # y += noise·u′, u′ ~ U[0, 1): mean +noise/2, so the best b is −0.995
    batch_size: int = 20
    lr: float = 0.1
    steps: int | None = None  # parameter updates; None means one pass over the data (3000/20 = 150)
    seed: int = 0
    W0: float = 1.0  # the textbook's tf.Variable(1.0) and tf.Variable(0.0)
    b0: float = 0.0
    loss: str = "mse"  # "huber" is the variant whose gradient takes work to derive by hand
    huber_delta: float = 1.0

    def __post_init__(self):
        for name in ("samples", "batch_size", "seed"):
            _require_int(name, getattr(self, name))
        _require_range("samples", self.samples, 1, MAX_SAMPLES)
        _require_range("batch_size", self.batch_size, 1, self.samples, high_name=f"--samples ({self.samples})")
        _require_range("seed", self.seed, 0, 2**32 - 1)
        if self.steps is None:
            object.__setattr__(self, "steps", self.batches_per_epoch)
            _require_range("steps", self.steps, 1, MAX_STEPS, why=" (one pass: --samples // --batch-size)")
        _require_int("steps", self.steps)
        _require_range("steps", self.steps, 1, MAX_STEPS)
        for name in ("lr", "huber_delta", "noise", "true_W", "true_b", "W0", "b0"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ValueError(f"{flag(name)} must be a number, got {value!r}")
        for name in ("lr", "huber_delta"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{flag(name)} must be a finite number > 0, got {value}")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"{flag('noise')} must be a finite number >= 0, got {self.noise}")
        for name in ("true_W", "true_b", "W0", "b0"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{flag(name)} must be finite, got {getattr(self, name)}")
        if self.loss not in LOSSES:
            raise ValueError(f"{flag('loss')} must be one of {', '.join(LOSSES)}, got {self.loss!r}")

    @property
    def batches_per_epoch(self):
        return self.samples // self.batch_size

    @property
    def used_samples(self):
        """The samples that fill whole batches: what every pass over the data sees."""
        return self.batches_per_epoch * self.batch_size

    @property
    def unused_samples(self):
        """Samples past the last full batch: no trainer sees them (Keras would make a short batch)."""
        return self.samples % self.batch_size

    def asdict(self):
        return dataclasses.asdict(self)


def _require_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{flag(name)} must be an integer, got {value!r}")


def _require_range(name, value, low, high, high_name=None, why=""):
    if not low <= value <= high:
        raise ValueError(f"{flag(name)} must be between {low} and {high_name or high}, got {value}{why}")


@dataclasses.dataclass(frozen=True)
class Data:
    x: np.ndarray  # (samples,) float32
    y: np.ndarray  # (samples,) float32


def make_data(config):
    """The textbook's data, seeded: x = 10·u − 5 and y = W·x + b + noise·u′, as float32."""
    rng = np.random.default_rng(config.seed)
    x = 10.0 * rng.random(config.samples) - 5.0
    y = config.true_W * x + config.true_b + config.noise * rng.random(config.samples)
    return Data(x.astype(np.float32), y.astype(np.float32))


def batch_starts(config):
    """Where each update's batch starts: epochs over the data in order, as Keras fit(shuffle=False) sees it."""
    return (np.arange(config.steps) % config.batches_per_epoch) * config.batch_size


def loss_value(config, W, b, x, y, dtype=np.float64):
    """The configured loss of W·x + b on (x, y); in float64 it is the reference trainers are judged by."""
    W, b, x, y = dtype(W), dtype(b), np.asarray(x, dtype), np.asarray(y, dtype)
    residual = W * x + b - y
    if config.loss == "mse":
        return float(np.mean(residual**2))
    delta = config.huber_delta
    small = np.abs(residual) <= delta
    return float(np.mean(np.where(small, 0.5 * residual**2, delta * (np.abs(residual) - 0.5 * delta))))


def closed_form_fit(data):
    """Least squares in float64: the (W, b) no trainer can beat on the mean squared error.

    With this little noise every residual at the optimum is far below huber_delta, where Huber is
    half the squared error, so it is the Huber optimum too.
    """
    design = np.stack([data.x.astype(np.float64), np.ones(len(data.x))], axis=1)
    (W, b), *_ = np.linalg.lstsq(design, data.y.astype(np.float64), rcond=None)
    return float(W), float(b)


def converged(config, W, b):
    return abs(W - config.true_W) < TOLERANCE and abs(b - config.true_b) < TOLERANCE


def log_line(sample_offset, loss, W, b):
    """The textbook's log line; its "step" counts samples (update index × batch size)."""
    return f"At step {sample_offset}, loss = {loss:.4f}, W = {W:.4f}, b = {b:.4f}"
