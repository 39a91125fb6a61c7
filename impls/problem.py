"""The line every lesson in impls/ solves: the textbook's setup, its data and its log line.

The textbook example: fit y = W·x + b (W from 1, b from 0) to 3000 samples around y = 2x − 1 with
x in [−5, 5], mean squared error, one pass of mini-batch gradient descent with batch 20 and lr 0.1
in a tf.GradientTape loop, logging every 300 samples. The grown problem, impls/mlp/, shares the schedule,
the data's recipe and the log's rhythm. Nothing here imports a framework, so bad input is rejected
before any slow import.
"""

import dataclasses
import math

import numpy as np

from fitways.problem import (
    LOSS_TOLERANCE,
    LOSSES,
    MAX_UPDATES,
    MIRRORED,
    TOLERANCE,
    TWO_WORKERS,
    Entry,
    InBackendProcess,
    Problem,
    Reference,
    distance,
    flag,
    lessons,
    loss_of_residual,
    tolerance,
)

MAX_SAMPLES = 50_000_000  # x and y are float32 (400 MB), made in float64: a run peaks near 3 GB (fitways/environment.py)
FLOAT32_MAX = float(np.finfo(np.float32).max)  # ≈ 3.4e38: the data and every trainer are float32
MAX_ABS_Y = math.sqrt(FLOAT32_MAX)  # ≈ 1.8e19: a larger |y| would overflow the squared error


@dataclasses.dataclass(frozen=True)
class Schedule:
    """What every problem shares: the data's size and noise, and the schedule of mini-batch gradient
    descent. Invalid values raise ValueError naming the command-line flag."""

    samples: int = 3000  # x = 10·u − 5, u ~ U[0, 1)
    noise: float = 0.01  # y += noise·u′, u′ ~ U[0, 1): mean +noise/2
    batch_size: int = 20
    lr: float = 0.1
    updates: int | None = None  # parameter updates; None means one pass over the data (3000/20 = 150)
    seed: int = 0
    loss: str = "mse"  # "huber" is the variant whose gradient takes work to derive by hand
    huber_delta: float = 1.0

    def __post_init__(self):  # checking input: skip on a first read
        for name in ("samples", "batch_size", "seed"):
            require_int(name, getattr(self, name))
        require_range("samples", self.samples, 1, MAX_SAMPLES)
        require_range("batch_size", self.batch_size, 1, self.samples, high_name=f"--samples ({self.samples})")
        require_range("seed", self.seed, 0, 2**32 - 1)
        if self.updates is None:
            object.__setattr__(self, "updates", self.batches_per_epoch)
            require_range("updates", self.updates, 1, MAX_UPDATES, why=" (one pass: --samples // --batch-size)")
        require_int("updates", self.updates)
        require_range("updates", self.updates, 1, MAX_UPDATES)
        for name in ("lr", "huber_delta", "noise"):
            object.__setattr__(self, name, float32_number(name, getattr(self, name)))
        for name in ("lr", "huber_delta"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{flag(name)} must be a finite number > 0, got {getattr(self, name)}")
        if not self.noise >= 0:
            raise ValueError(f"{flag('noise')} must be a finite number >= 0, got {self.noise}")
        if self.loss not in LOSSES:
            raise ValueError(f"{flag('loss')} must be one of {', '.join(LOSSES)}, got {self.loss!r}")

    @property
    def batches_per_epoch(self):
        return self.samples // self.batch_size

    @property
    def batches_used(self):
        """The batches one run visits: every whole batch of the data, or fewer for a run under one pass."""
        return min(self.updates, self.batches_per_epoch)

    @property
    def used_samples(self):
        """The samples that fill whole batches: what every pass over the data sees."""
        return self.batches_per_epoch * self.batch_size

    @property
    def trained_samples(self):
        """The samples a run of config.updates updates actually trains on (fewer than used_samples
        for a run under one pass)."""
        return self.batches_used * self.batch_size

    @property
    def unused_samples(self):
        """Samples past the last full batch: no trainer sees them (Keras would make a short batch)."""
        return self.samples % self.batch_size

    def asdict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Config(Schedule):
    """The textbook's setup as defaults: the schedule above, and the line."""

    true_W: float = 2.0  # the line the data comes from: y = 2x − 1 (+ noise), so the best b is −0.995
    true_b: float = -1.0
    W0: float = 1.0  # the textbook's tf.Variable(1.0) and tf.Variable(0.0)
    b0: float = 0.0

    def __post_init__(self):
        super().__post_init__()
        for name in ("true_W", "true_b", "W0", "b0"):
            object.__setattr__(self, name, float32_number(name, getattr(self, name)))
        require_y_fits(self.noise, 5 * abs(self.true_W) + abs(self.true_b))


def require_y_fits(noise, largest_clean_y):
    """Every problem's y = curve(x) + noise·u′ must keep its square inside float32: `largest_clean_y`
    bounds |curve(x)| over x in [−5, 5]."""
    largest_y = largest_clean_y + noise
    if largest_y > MAX_ABS_Y:
        raise ValueError(
            f"--noise {noise:g} makes |y| up to {largest_y:.1e}, whose square overflows float32 "
            f"(|y| must stay below {MAX_ABS_Y:.1e})"
        )


def require_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{flag(name)} must be an integer, got {value!r}")


def require_range(name, value, low, high, high_name=None, why=""):
    if not low <= value <= high:
        raise ValueError(f"{flag(name)} must be between {low} and {high_name or high}, got {value}{why}")


def float32_number(name, value):
    """value as a float that float32 can hold (and -0 as 0), or ValueError naming the flag."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{flag(name)} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float64, e.g. 10**400
        number = math.inf if value > 0 else -math.inf
    if not abs(number) <= FLOAT32_MAX:  # also catches nan
        raise ValueError(f"{flag(name)} must be a finite float32 number (|x| <= {FLOAT32_MAX:.3g}), got {number}")
    return number + 0.0  # -0.0 + 0.0 is 0.0


@dataclasses.dataclass(frozen=True)
class Data:
    x: np.ndarray  # (samples,) float32
    y: np.ndarray  # (samples,) float32


def sample(config, curve):
    """Seeded data around a curve: x = 10·u − 5 and y = curve(x) + noise·u′, as float32."""
    rng = np.random.default_rng(config.seed)
    x = 10.0 * rng.random(config.samples) - 5.0
    y = curve(x) + config.noise * rng.random(config.samples)
    return Data(x.astype(np.float32), y.astype(np.float32))


def noise_variance(config):
    """The variance of the noise `sample` adds, noise·u′ with u′ ~ U[0, 1): noise²/12. No model can fit it."""
    return config.noise**2 / 12


def make_data(config):
    """The textbook's data: y = W·x + b + noise·u′ around the true line."""
    return sample(config, lambda x: config.true_W * x + config.true_b)


def log_line(sample_offset, loss, W, b):
    """The textbook's log line. Its "step" counts samples (update × batch size), and it shows the batch
    loss before the update next to W and b after it."""
    shown = "n/a" if loss is None else f"{loss:.4f}"
    return f"At step {sample_offset}, loss = {shown}, W = {float(W):.4f}, b = {float(b):.4f}"


def textbook_log(config, every=15, out=print, format_line=log_line):
    """A log(update, loss, *parameters) for train() that prints the textbook's line once every `every`
    updates (15 × 20 samples: every 300 samples, ten lines in one pass). Updates count from 0."""
    last_window = -1

    def log(update, loss, *parameters):
        nonlocal last_window
        if update // every > last_window:  # the first update seen in each window of `every`
            last_window = update // every
            out(format_line(update * config.batch_size, None if loss is None else float(loss), *parameters))

    return log


# What the harness reads (fitways.problems finds this file): the line as a Problem, and its trainers.

TRAINERS = lessons(__package__, {
    "gradient_tape": ("tensorflow", "the textbook's eager loop: GradientTape, assign_sub"),
    "tf_function": ("tensorflow", "the same update traced into a graph by tf.function"),
    "tf_function_tuned": ("tensorflow", "that update compiled by XLA, its ConcreteFunction called directly"),
    "keras_fit": ("tensorflow", "keras.Sequential + model.fit, defaults"),
    "numpy_manual": ("numpy", "plain numpy, gradient derived by hand"),
    "tf_graph_loop": ("tensorflow", "the whole loop in one tf.function"),
    "tf_xla": ("tensorflow", "the whole loop compiled by XLA"),
    "keras_fit_tuned": ("tensorflow", "model.fit, steps_per_execution, XLA, tf.data"),
    "jax_jit": ("jax", "JAX: the update under jax.jit, called from a Python loop"),
    "jax_loop": ("jax", "JAX: the whole loop in one jax.jit (lax.scan)"),
    "numba_loop": ("numba", "numpy_manual's gradient, the whole loop compiled by numba: the floor"),
    "torch_eager": ("torch", "PyTorch: autograd on two tensors, sub_ under no_grad"),
    "torch_compile": ("torch", "PyTorch: the update compiled by torch.compile"),
    "tf_mirrored": ("tensorflow", "tf.distribute.MirroredStrategy: the update on every replica", MIRRORED),
    "keras_fit_mirrored": ("tensorflow", "keras_fit under a MirroredStrategy's scope", MIRRORED),
    "tf_multiworker": ("tensorflow", "MultiWorkerMirroredStrategy across 2 worker processes", TWO_WORKERS),
})  # fmt: skip
TRAINERS.update({  # one lesson, impls/keras_fit_backend.py, on two more Keras backends: only KERAS_BACKEND differs
    f"keras_fit_{backend}": Entry(backend, f"keras_fit's model.fit on Keras 3's {label} backend, in a process of its own",
                                  f"{__package__}.keras_fit_backend", InBackendProcess(backend))
    for backend, label in [("jax", "JAX"), ("torch", "PyTorch")]
})  # fmt: skip


def best_fit(config, design: np.ndarray, y: np.ndarray, iterations: int = 200) -> np.ndarray:
    """The coefficients c of design @ c that minimise the configured loss in float64: least squares in
    closed form; Huber (δ = config.huber_delta) by iteratively reweighted least squares from there,
    each residual weighted min(1, δ/|r|) — the weights under which Huber's gradient is a weighted
    least-squares gradient. Huber is convex: the iteration stops when the fit stops moving."""
    coefficients = np.linalg.lstsq(design, y, rcond=None)[0]
    if config.loss != "huber":
        return coefficients
    for _ in range(iterations):
        size = np.abs(design @ coefficients - y)
        weights = np.sqrt(np.minimum(1.0, config.huber_delta / np.maximum(size, 1e-300)))
        moved = np.linalg.lstsq(design * weights[:, None], y * weights, rcond=None)[0]
        done = np.allclose(moved, coefficients, rtol=1e-14, atol=1e-14)
        coefficients = moved
        if done:
            break
    return coefficients


class Line(Problem):
    name = "line"
    summary = "y = W·x + b, the textbook's problem (3000 samples around y = 2x − 1)"
    Config = Config
    trainers = TRAINERS
    parameters = ("W", "b")
    shown = ("W", "b")

    def make_data(self, config):
        return make_data(config)

    def initial_parameters(self, config):
        return config.W0, config.b0

    def predict(self, config, params, x):
        return params["W"] * x + params["b"]

    def truth(self, config):
        return {"W": np.float64(config.true_W), "b": np.float64(config.true_b)}

    def truth_label(self, config):
        return f"true line y = {config.true_W:g}x − {-config.true_b:g}"

    def reference(self, config, data):
        """The (W, b) no trainer can beat on the configured loss over the samples trained on: the
        least-squares line in closed form, or under --loss huber Huber's own optimum (best_fit). With
        fewer than two distinct x every line through the best constant fits as well: no one answer."""
        x, y = self.trained(config, data)
        if np.ptp(x) == 0:
            (b,) = best_fit(config, np.ones((len(x), 1)), y)  # the best constant: the mean, or Huber's location
            return Reference(None, loss_of_residual(config, b - y), label="fit")
        W, b = best_fit(config, np.stack([x, np.ones(len(x))], axis=1), y)
        params = {"W": np.float64(W), "b": np.float64(b)}
        return Reference(params, self.loss(config, params, x, y), label="fit")

    def fit_name(self, config):
        return "Huber optimum" if config.loss == "huber" else "closed-form fit"

    def textbook_log(self, config, every=15, out=print):
        return textbook_log(config, every, out)

    def scale(self, config):
        return 1 + 5 * abs(config.true_W) + abs(config.true_b) + config.noise + abs(config.W0) + abs(config.b0)

    def describe(self, config, reference):
        sign = "−" if config.true_b < 0 else "+"
        lines = [("true line", f"y = {config.true_W:g}·x {sign} {abs(config.true_b):g} (+ noise, mean {config.noise / 2:g})")]
        if reference.parameters is None:
            lines.append(("closed-form fit", "none: the samples trained on have one distinct x, every line through "
                                             "their mean fits them"))  # fmt: skip
        else:
            W, b = reference.parameters["W"], reference.parameters["b"]
            how = "float64 Huber, by IRLS" if config.loss == "huber" else "float64 least squares"
            lines.append((self.fit_name(config), f"W = {W:.5f}, b = {b:.5f}  ({how}, same data)"))
        return lines

    def converged_means(self, config, reference):
        if reference.parameters is None:
            return f"a loss within {LOSS_TOLERANCE:g} of the best any line reaches on the samples trained on"
        widest = max(float(tolerance(value)) for value in reference.parameters.values())
        scaled = f" (here up to {widest:.2g}: 16 float32 steps at this size)" if widest > 2 * TOLERANCE else ""
        return (
            f"|W − W*| and |b − b*| both < {TOLERANCE}{scaled} for the {self.fit_name(config)} (W*, b*), "
            "the best this data supports" + (" under huber" if config.loss == "huber" else "")
        )

    def success(self, config, reference):
        if reference.parameters is None:
            return "each at the best loss any line reaches on the samples it trained on"
        if distance(reference.parameters, self.truth(config)) < TOLERANCE:
            return f"W ≈ {config.true_W:g}, b ≈ {config.true_b:g}, next to the {self.fit_name(config)}"
        W, b = reference.parameters["W"], reference.parameters["b"]
        return f"next to the {self.fit_name(config)} W* = {W:.6g}, b* = {b:.6g} (the noise moved it off the true line)"


PROBLEM = Line()
