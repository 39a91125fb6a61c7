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
from fitways.gradcheck import STEP
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
    label: str = "fit"
    baseline_loss: float | None = None  # the loss the ceiling is derived from (the network's: the best line's)  # the table's "|Δ fit|" header (the JSON says distance_to_reference)


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
        ceiling = self.ceiling(config, line_loss)
        return Reference(params, self.loss(config, params, x, y), ceiling, label="ref", baseline_loss=line_loss)

    def ceiling(self, config, line_loss):
        """The loss a run that learned must be under: the noise's own variance (no curve can fit noise·u′,
        u′ uniform: variance noise²/12) plus a tenth of what the best straight line leaves above it.
        None where the best line already fits every sample trained on (two distinct x, or fewer): then,
        like the line's degenerate case, there is nothing for the network to beat, only its path."""
        if line_loss <= LOSS_TOLERANCE:
            return None
        noise_variance = config.noise**2 / 12
        return noise_variance + max(line_loss - noise_variance, 0.0) / self.LEARNED

    def finite_difference_step(self, config, params, x, y):
        """The gradient check's h (fitways.gradcheck): tanh is curved, so truncation (h²·|L‴|) grows with a
        step scaled up by the residuals as the line's is (at --noise 1e4, h ≈ 6e-3 and most correct
        gradients failed); |L‴| grows with the residuals as |L| does, so a fixed h = 1e-6 keeps both
        truncation and rounding (ε·|L|/h) near 1e-10 of the gradient."""
        return STEP

    def textbook_log(self, config, every=15, out=print):
        return mlp.textbook_log(config, every, out)

    def describe(self, config, reference):
        return [
            ("model", f"ŷ = w2·tanh(W1·x + b1) + b2, {config.hidden} tanh units, {3 * config.hidden + 1} parameters, "
                      f"fit to y = sin(x) (+ noise, mean {config.noise / 2:g})"),
            ("reference", f"the same {config.updates} updates replayed in float64 numpy: loss "
                          f"{reference.loss:.3e}; the best straight line's: {reference.baseline_loss:.3e}"),
        ]  # fmt: skip

    def converged_means(self, config, reference):
        if reference.ceiling is None:
            return (
                f"every parameter within {TOLERANCE} of the float64 reference (the best straight line already fits "
                "every sample trained on, so there is no loss to beat)"
            )
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

    def noise_is_negligible(self, config, reference):
        """Whether the ceiling is, to 1 %, a tenth of the best line's loss (the default --noise 0.01: 1e-5 %)."""
        return config.noise**2 / 12 < 0.01 * reference.ceiling

    def setup_line(self, config):
        return f"{super().setup_line(config)}, {config.hidden} hidden units"


def best_fit(config, design, y, iterations=200):
    """The coefficients of design @ c that minimise the configured loss in float64: least squares in
    closed form; Huber (δ = config.huber_delta) by iteratively reweighted least squares from there,
    each residual weighted min(1, δ/|r|) — the weights under which Huber's gradient is a weighted
    least-squares gradient; Huber is convex, and the iteration stops when the fit stops moving."""
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

