"""The deep problem: L tanh layers of width H, one after the other, fit to the network problem's curve.

    h1 = tanh(W1·x + b1)                       W1, b1: H numbers each (the one-layer network's first layer)
    h(l+1) = tanh(h(l) @ Wh[l−1] + bh[l−1])    Wh: (L−1, H, H), bh: (L−1, H), for l = 1 … L−1
    ŷ = h(L) @ w2 + b2                          w2: H numbers, b2: one (the output layer, named as before)

Depth is L, the number of tanh layers ("activations": the nonlinear function each layer applies to
its weighted sum). L is at least 2: one layer is the network problem, impls/mlp/, whose lessons these
grow from (and an empty stack Wh would leave the frameworks a parameter that no gradient reaches).

The data is the network problem's, y = sin(x) on x in [−5, 5], on purpose: one tanh layer already
fits it, so nothing here is about what depth can express. Keeping the curve fixed leaves one thing
changed between the two folders, depth, and what it does to backpropagation by hand (a loop, not a
formula) and to the gradients themselves (they grow or shrink from layer to layer).

The seeded start (a second generator, seed + 1, like the network's):

    W1 ~ U(−1, 1),   b1 = 5·|W1|·U(−1, 1)       the network's first layer: bends spread over [−5, 5]
    Wh, w2 ~ U(−a, a), a = √(6 / (fan_in + fan_out))   Glorot/Xavier: a scale that shrinks with width
    bh = 0,   b2 = 0

Glorot/Xavier initialisation (Glorot & Bengio, 2010) picks each weight's spread from the number of
inputs and outputs of its layer, so that a layer's outputs and its backward gradients keep about the
same size as its inputs'. Weights of a fixed scale whatever the width (--init naive: N(0, 1)) sum H
inputs of size ~1 each: the tanh saturates, and the gradient grows by a roughly constant factor per
layer on its way back to the first layer — the exploding gradient (its opposite, a factor below one,
is the vanishing gradient). benchmarks/vanishing_gradients.py measures both starts, layer by layer,
for L = 2 to 16 (docs/03-depth.md): the naive start's first-layer gradient is over a hundred times its
last layer's at L = 16 and one pass diverges at lr 0.1; the Glorot start's stay within a few times of
each other, and one pass trains.

Defaults: L = 4, H = 16 ((L − 1)·H·(H + 1) + 3H + 1 = 865 parameters). One pass of the textbook's data
(3000 samples, batch 20, lr 0.1, 150 updates) takes the mean squared error from 0.39 to about 0.005,
a hundred times below the best straight line's (0.5), in the float64 replay.

Equivalence, measured by `python -m benchmarks.depth --drift`: every lesson against numpy_manual, update
by update (the largest |Δ| over every number of every parameter and every update; the largest relative
difference of the batch loss):

    lesson          default run (150 updates, L = 4)   1000 samples, batch 36, 60 updates, L = 3, H = 7
    gradient_tape   7.2e-7, loss 1.8e-5                2.6e-6, loss 3.5e-5
    tf_function     5.4e-7, loss 3.0e-5                2.7e-6, loss 3.7e-5
    tf_xla          7.2e-7, loss 1.6e-5                3.6e-7, loss 3.3e-6
    keras_fit       5.4e-7, loss 1.6e-5                1.4e-6, loss 2.0e-5
    jax_loop        7.2e-7, loss 1.9e-5                1.1e-6, loss 1.7e-5
    torch_eager     4.8e-7, loss 1.3e-5                1.0e-6, loss 1.4e-5

(L = 8 at the defaults: at most 6.0e-7 and 1.3e-5.) Each framework computes tanh and sums the layers'
products in its own order, so every update differs by float32 rounding; SGD here shrinks those
differences rather than growing them, at this depth as at one layer. Deep.equivalence (rtol 1e-5,
atol 2e-5) is about 7× the largest drift in the parameters; a real mistake is far outside it (the last
layer's tanh′ dropped moves the parameters by 5e-2 in one pass).

Nothing here imports a framework, so bad input is rejected before any slow import.
"""

import dataclasses

import numpy as np

from fitways.problem import Problem, lessons
from impls import problem as line
from impls.mlp.problem import AgainstTheBestLine, textbook_log  # the network's log line: no parameters on it

INITS = ("glorot", "naive")
MIN_LAYERS = 2  # one tanh layer is the network problem, impls/mlp/
MAX_HIDDEN = 65_536
MAX_LAYERS = 1024  # each layer is a few ops in every trace and compiled program: beyond this, tracing is the run
MAX_PARAMETERS = 2**26  # (L − 1)·H² + …: 256 MB in float32, and a float64 replay, gradients and copies beside it
MAX_ACTIVATIONS = 2**27  # batch × H × L float32 numbers kept for the backward pass: 512 MB


@dataclasses.dataclass(frozen=True)
class Config(line.Schedule):
    """The line's schedule, the width and number of tanh layers, and how their weights start."""

    hidden: int = dataclasses.field(default=16, metadata={"help": "tanh units in each layer"})  # H
    layers: int = dataclasses.field(default=4, metadata={"help": "tanh layers, one after the other"})  # L
    init: str = dataclasses.field(
        default="glorot", metadata={"help": "glorot: weights scaled to the width; naive: N(0, 1) whatever the width"}
    )  # naive: every weight after the first layer

    def __post_init__(self):
        super().__post_init__()
        for name in ("hidden", "layers"):
            line.require_int(name, getattr(self, name))
        line.require_range("hidden", self.hidden, 1, MAX_HIDDEN)
        line.require_range("layers", self.layers, MIN_LAYERS, MAX_LAYERS, why=" (one layer: --problem mlp)")
        if self.init not in INITS:
            raise ValueError(f"{line.flag('init')} must be one of {', '.join(INITS)}, got {self.init!r}")
        if parameter_count(self.layers, self.hidden) > MAX_PARAMETERS:
            raise ValueError(
                f"--layers {self.layers} × --hidden {self.hidden} is {parameter_count(self.layers, self.hidden):,} "
                f"parameters, more than this suite allows ({MAX_PARAMETERS:,}: 256 MB in float32)"
            )
        if self.batch_size * self.hidden * self.layers > MAX_ACTIVATIONS:
            raise ValueError(
                f"--batch-size {self.batch_size} × --hidden {self.hidden} × --layers {self.layers} is "
                f"{self.batch_size * self.hidden * self.layers:,} activations kept for the backward pass, more than "
                f"this suite allows ({MAX_ACTIVATIONS:,}: 512 MB in float32)"
            )
        if self.loss != "mse":
            raise ValueError(f"--loss {self.loss}: the deep lessons minimise mse only")


def parameter_count(layers, hidden):
    """W1, b1, w2: H each; Wh: (L − 1)·H²; bh: (L − 1)·H; b2: 1."""
    return (layers - 1) * hidden * (hidden + 1) + 3 * hidden + 1


def make_data(config):
    """y = sin(x) + noise·u′, x from the line's recipe: the network problem's data."""
    return line.sample(config, np.sin)


def initial_parameters(config):
    """(W1, b1, Wh, bh, w2, b2) as float32, seeded: the same for every lesson."""
    rng = np.random.default_rng(config.seed + 1)
    H, deeper = config.hidden, config.layers - 1
    W1 = rng.uniform(-1, 1, H)
    b1 = 5 * np.abs(W1) * rng.uniform(-1, 1, H)
    if config.init == "glorot":
        Wh = rng.uniform(-1, 1, (deeper, H, H)) * np.sqrt(6 / (H + H))
        w2 = rng.uniform(-1, 1, H) * np.sqrt(6 / (H + 1))
    else:
        Wh, w2 = rng.normal(0, 1, (deeper, H, H)), rng.normal(0, 1, H)
    bh = np.zeros((deeper, H))
    return tuple(p.astype(np.float32) for p in (W1, b1, Wh, bh, w2)) + (np.float32(0),)


# What the harness reads (fitways.problems finds this file): the deep network as a Problem, its trainers,
# and its float64 reference: the same updates replayed by independent numpy code.

TRAINERS = lessons(__package__, {
    "numpy_manual": ("numpy", "plain numpy, backpropagation by hand as a loop over the layers"),
    "gradient_tape": ("tensorflow", "the eager loop: GradientTape, assign_sub"),
    "tf_function": ("tensorflow", "the same update traced into a graph by tf.function"),
    "tf_xla": ("tensorflow", "the whole loop compiled by XLA"),
    "keras_fit": ("tensorflow", "keras.Sequential (L + 1 Dense layers) + model.fit"),
    "jax_loop": ("jax", "JAX: the whole loop in one jax.jit (lax.scan)"),
    "torch_eager": ("torch", "PyTorch: autograd on six tensors, sub_ under no_grad"),
})  # fmt: skip


class Deep(AgainstTheBestLine, Problem):
    name = "deep"
    summary = "--layers L tanh layers of --hidden H units each, fit to y = sin(x)"
    Config = Config
    trainers = TRAINERS
    parameters = ("W1", "b1", "Wh", "bh", "w2", "b2")
    equivalence = (1e-5, 2e-5)  # rtol, atol: about 7× the largest drift measured (the docstring's table)

    def make_data(self, config):
        return make_data(config)

    def initial_parameters(self, config):
        return initial_parameters(config)

    def predict(self, config, params, x, chunk=2**16):
        """ŷ in chunks of samples, so that memory stays chunk × H whatever the data's size."""
        return np.concatenate([forward(params, x[s : s + chunk]) for s in range(0, max(len(x), 1), chunk)])

    def reference(self, config, data):
        """No closed form: the same updates on the same batches from the same start, replayed in float64
        by sgd_float64; and the best straight line, for the ceiling."""
        x, y = self.trained(config, data)
        params = sgd_float64(config, self.start(config), x, y)
        return self.verdict_reference(config, params, x, y)

    def textbook_log(self, config, every=15, out=print):
        return textbook_log(config, every, out)

    def describe(self, config, reference):
        count = parameter_count(config.layers, config.hidden)
        return [
            ("model", f"{config.layers} tanh layers of {config.hidden} units ({config.init} start), {count:,} parameters, "
                      f"fit to y = sin(x) (+ noise, mean {config.noise / 2:g})"),
            ("reference", f"the same {config.updates} updates replayed in float64 numpy: loss "
                          f"{reference.loss:.3e}; the best straight line's: {reference.baseline_loss:.3e}"),
        ]  # fmt: skip

    def setup_line(self, config):
        return f"{super().setup_line(config)}, {config.layers} layers of {config.hidden}, {config.init} start"


def forward(params, x):
    """ŷ for float64 params on float64 x: tanh layer after tanh layer, then the linear output."""
    h = np.tanh(np.outer(x, params["W1"]) + params["b1"])
    for W, b in zip(params["Wh"], params["bh"]):
        h = np.tanh(h @ W + b)
    return h @ params["w2"] + params["b2"]


def sgd_float64(config, params, x, y):
    """The reference: config.updates updates of mini-batch SGD on the mean squared error, batches in
    order, in float64, from params (a dict by name). Written apart from numpy_manual, another way: every
    layer, the first and the output included, is one matrix product, so one rule serves them all."""
    H, deeper = config.hidden, config.layers - 1
    weights = [params["W1"].reshape(1, H), *params["Wh"], params["w2"].reshape(H, 1)]  # layer k maps a(k) to z(k)
    biases = [params["b1"], *params["bh"], np.reshape(params["b2"], 1)]
    size, batches = config.batch_size, config.batches_used
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging replay ends non-finite, and is judged so
        for update in range(config.updates):
            start = (update % batches) * size
            inputs, target = [x[start : start + size, None]], y[start : start + size, None]
            for k, (W, b) in enumerate(zip(weights, biases)):
                z = inputs[k] @ W + b
                inputs.append(z if k == len(weights) - 1 else np.tanh(z))  # the output layer is linear
            delta = 2 * (inputs[-1] - target) / size  # dL/dz at the output
            for k in reversed(range(len(weights))):
                gradient_W, gradient_b = inputs[k].T @ delta, delta.sum(0)
                if k:  # dL/dz one layer down: through W, then tanh′ = 1 − a²
                    delta = (delta @ weights[k].T) * (1 - inputs[k] ** 2)
                weights[k] = weights[k] - config.lr * gradient_W
                biases[k] = biases[k] - config.lr * gradient_b
    return {
        "W1": weights[0][0], "b1": biases[0],
        "Wh": np.array(weights[1:-1]).reshape(deeper, H, H), "bh": np.array(biases[1:-1]).reshape(deeper, H),
        "w2": weights[-1][:, 0], "b2": biases[-1][0],
    }  # fmt: skip


PROBLEM = Deep()
