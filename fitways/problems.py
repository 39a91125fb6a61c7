"""Each problem the suite knows, as one definition: its parameters, data, forward pass, loss, reference
and log line, and the lessons that solve it. The rest of the harness speaks only this interface.

    line    y = W·x + b, the textbook's problem (impls/)
    mlp     ŷ = w2·tanh(W1·x + b1) + b2, H tanh units fit to sin(x) (impls/mlp/)

A third problem is a Problem with these members (tests/test_problem_api.py defines one in the test).
Everything here is float64 numpy, independent of every lesson: the yardstick they are measured by.
"""

import dataclasses

import numpy as np

from fitways.checks import LOSS_TOLERANCE, TOLERANCE, distance, tolerance
from fitways.registry import LINE_TRAINERS, MLP_TRAINERS
from impls import problem as line
from impls.mlp import problem as mlp


@dataclasses.dataclass(frozen=True)
class Reference:
    """What a run is judged against. parameters: the float64 answer by name, or None where the data
    supports no single answer (one distinct x: every line through its mean fits); loss: that answer's
    loss on the trained samples; ceiling: a loss a converged run must also be under (None: no such rule)."""

    parameters: dict | None
    loss: float
    ceiling: float | None = None
    label: str = "fit"  # the table's "|Δ fit|" header (the JSON says distance_to_reference)


class Problem:
    """The interface the harness uses. Subclasses fill in the members; `parameters` names them in the
    order every lesson's reset, loss_and_gradient, log and train use."""

    name = ""
    summary = ""
    Config = line.Schedule  # the frozen dataclass of the problem's setup (validates itself)
    trainers = {}  # trainer name -> fitways.registry.Entry (where its lesson lives)
    parameters = ()  # names, in the lessons' order
    shown = ()  # parameters the table shows as columns

    def make_data(self, config):
        raise NotImplementedError

    def initial_parameters(self, config):
        """The seeded start, in `parameters` order, as the lessons take it."""
        raise NotImplementedError

    def predict(self, config, params, x):
        """ŷ for float64 params (a dict by name) on float64 x."""
        raise NotImplementedError

    def reference(self, config, data):
        raise NotImplementedError

    def textbook_log(self, config, every=15, out=print):
        raise NotImplementedError

    def truth(self, config):
        """The parameters the data came from, by name, where there are some (a "|Δ true|" column); None."""
        return None

    def describe(self, config, reference):
        """(label, text) lines for the table's footer: what was fit, against what."""
        return []

    def converged_means(self, config, reference):
        return f"every parameter within {TOLERANCE} of the {reference.label}"

    def success(self, config, reference):
        """What the verdict line says when every run converged."""
        return "every trainer next to the reference"

    def setup_line(self, config):
        return (
            f"{config.samples} samples, batch {config.batch_size}, lr {config.lr:g}, {config.updates} updates, "
            f"loss {config.loss}, seed {config.seed}"
        )

    # what follows is the same for every problem

    def shapes(self, config):
        return {name: np.shape(value) for name, value in zip(self.parameters, self.initial_parameters(config))}

    def named(self, config, values):
        """values in `parameters` order (tensors, arrays, floats) as float64 arrays by name."""
        shapes = self.shapes(config)
        return {name: np.asarray(value, np.float64).reshape(shapes[name]) for name, value in zip(self.parameters, values)}

    def start(self, config):
        return self.named(config, self.initial_parameters(config))

    def trained(self, config, data):
        """The samples a run of config.updates updates trains on: (x, y) as float64."""
        n = config.trained_samples
        return data.x[:n].astype(np.float64), data.y[:n].astype(np.float64)

    def loss(self, config, params, x, y):
        """The configured loss of params on (x, y), in float64."""
        return loss_of_residual(config, self.predict(config, params, x) - y)

    def scale(self, config):
        """How large a sane parameter or |y| can be: divergence is a million times this."""
        return 1 + 5 + config.noise


def loss_of_residual(config, residual):
    """Mean squared error, or Huber with δ = config.huber_delta, of float64 residuals."""
    if config.loss == "mse":
        return float(np.mean(residual**2))
    delta, size = config.huber_delta, np.abs(residual)
    return float(np.mean(np.where(size <= delta, 0.5 * size**2, delta * (size - 0.5 * delta))))


class Line(Problem):
    name = "line"
    summary = "y = W·x + b, the textbook's problem (3000 samples around y = 2x − 1)"
    Config = line.Config
    trainers = LINE_TRAINERS
    parameters = ("W", "b")
    shown = ("W", "b")

    def make_data(self, config):
        return line.make_data(config)

    def initial_parameters(self, config):
        return config.W0, config.b0

    def predict(self, config, params, x):
        return params["W"] * x + params["b"]

    def truth(self, config):
        return {"W": np.float64(config.true_W), "b": np.float64(config.true_b)}

    def reference(self, config, data):
        """The least-squares line through the samples trained on, in closed form: the (W, b) no trainer
        can beat on the mean squared error. With residuals below huber_delta it is the Huber optimum
        too. With fewer than two distinct x every line through the mean of y fits as well: no one answer."""
        x, y = self.trained(config, data)
        if np.ptp(x) == 0:
            return Reference(None, loss_of_residual(config, y - y.mean()), label="fit")
        design = np.stack([x, np.ones(len(x))], axis=1)
        (W, b), *_ = np.linalg.lstsq(design, y, rcond=None)
        params = {"W": np.float64(W), "b": np.float64(b)}
        return Reference(params, self.loss(config, params, x, y), label="fit")

    def textbook_log(self, config, every=15, out=print):
        return line.textbook_log(config, every, out)

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
            lines.append(("closed-form fit", f"W = {W:.5f}, b = {b:.5f}  (float64 least squares, same data)"))
        return lines

    def converged_means(self, config, reference):
        if reference.parameters is None:
            return f"a loss within {LOSS_TOLERANCE:g} of the best any line reaches on the samples trained on"
        widest = max(float(tolerance(value)) for value in reference.parameters.values())
        scaled = f" (here up to {widest:.2g}: 16 float32 steps at this size)" if widest > 2 * TOLERANCE else ""
        return (
            f"|W − W*| and |b − b*| both < {TOLERANCE}{scaled} for the closed-form fit (W*, b*), "
            "the best this data supports"
        )

    def success(self, config, reference):
        if reference.parameters is None:
            return "each at the best loss any line reaches on the samples it trained on"
        if distance(reference.parameters, self.truth(config)) < TOLERANCE:
            return f"W ≈ {config.true_W:g}, b ≈ {config.true_b:g}, next to the closed-form fit"
        W, b = reference.parameters["W"], reference.parameters["b"]
        return f"next to the closed-form fit W* = {W:.6g}, b* = {b:.6g} (the noise moved it off the true line)"


class Mlp(Problem):
    name = "mlp"
    summary = "ŷ = w2·tanh(W1·x + b1) + b2, --hidden tanh units fit to y = sin(x)"
    Config = mlp.Config
    trainers = MLP_TRAINERS
    parameters = ("W1", "b1", "w2", "b2")
    LEARNED = 10  # converged also means a loss ten times below the best straight line's

    def make_data(self, config):
        return mlp.make_data(config)

    def initial_parameters(self, config):
        return mlp.initial_parameters(config)

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
        design = np.stack([x, np.ones(len(x))], axis=1)
        best_line = np.linalg.lstsq(design, y, rcond=None)[0]
        line_loss = loss_of_residual(config, design @ best_line - y)
        return Reference(params, self.loss(config, params, x, y), ceiling=line_loss / self.LEARNED, label="ref")

    def textbook_log(self, config, every=15, out=print):
        return mlp.textbook_log(config, every, out)

    def describe(self, config, reference):
        return [
            ("model", f"ŷ = w2·tanh(W1·x + b1) + b2, {config.hidden} tanh units, {3 * config.hidden + 1} parameters, "
                      f"fit to y = sin(x) (+ noise, mean {config.noise / 2:g})"),
            ("reference", f"the same {config.updates} updates replayed in float64 numpy: loss "
                          f"{reference.loss:.3e}; the best straight line's: {reference.ceiling * self.LEARNED:.3e}"),
        ]  # fmt: skip

    def converged_means(self, config, reference):
        return (
            f"every parameter within {TOLERANCE} of the float64 reference, and a loss below {reference.ceiling:.3e} "
            f"({self.LEARNED}× below the best straight line's)"
        )

    def success(self, config, reference):
        return f"each on the float64 reference's path, its loss {self.LEARNED}× below the best straight line's"

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


PROBLEMS = {problem.name: problem for problem in (Line(), Mlp())}
DEFAULT = "line"

