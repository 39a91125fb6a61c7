"""Vanishing and exploding gradients, measured: how the loss's gradient changes size from layer to layer
of the deep problem at its seeded start, for a naive start and a width-scaled (Glorot/Xavier) one.

    python -m benchmarks.vanishing_gradients --json docs/vanishing_gradients.json --plot docs/vanishing_gradients.png

For L = 2, 4, 8, 16 tanh layers of width 16 (impls/deep/problem.py, --init naive and --init glorot) it
takes the gradient of the mean squared error over one pass's samples (3000) at the seeded start, by
the numpy lesson's backpropagation run in float64, and reports the norm of dL/dW for each layer's
weights, first layer to last. The growth factor per layer is the geometric mean of the ratio between
consecutive layers, (|dL/dW(1)| / |dL/dW(L)|)^(1/(L−1)): above 1 the gradient grows on its way back
to the first layer (exploding), below 1 it shrinks (vanishing). Then the loss after one pass of
training (150 updates, lr 0.1) from each start, by the problem's float64 replay. No framework; a few
seconds.
"""

import math
import sys

import numpy as np

from impls.deep import numpy_manual
from impls.deep import problem as deep

DEPTHS = (2, 4, 8, 16)
DIVERGED = 1e6  # a mean squared error beyond this, on targets within ±1, is parameters that ran off, not a fit
INITS = {"naive": "N(0, 1) whatever the width", "glorot": "Glorot/Xavier: U(±√(6 / (fan_in + fan_out)))"}


def float64_trainer(config, data):
    """The numpy lesson, its parameters at the seeded start made float64 (its arithmetic follows them)."""
    trainer = numpy_manual.Trainer(config, data)
    for name, value in deep.PROBLEM.start(config).items():
        setattr(trainer, name, value)
    return trainer


def layer_gradient_norms(config, data):
    """|dL/dW| for the weights of each tanh layer, first to last (W1, then each W in Wh), at the seeded
    start, on the samples one run trains on."""
    x, y = deep.PROBLEM.trained(config, data)
    _, dW1, _, dWh, *_ = float64_trainer(config, data).loss_and_gradient(x, y)
    return [float(np.linalg.norm(dW1)), *(float(np.linalg.norm(dW)) for dW in dWh)]


def growth_factor(norms):
    """The geometric mean of |dL/dW(l)| / |dL/dW(l+1)| over consecutive layers: the factor the
    gradient is multiplied by per layer on its way back from the last layer to the first."""
    return (norms[0] / norms[-1]) ** (1 / (len(norms) - 1))


def loss_after_one_pass(config, data):
    """The mean squared error on the samples trained on after config.updates updates of the problem's
    float64 replay; None where it is not finite."""
    x, y = deep.PROBLEM.trained(config, data)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = deep.PROBLEM.loss(config, deep.sgd_float64(config, deep.PROBLEM.start(config), x, y), x, y)
    return loss if math.isfinite(loss) else None


def measure(depths=DEPTHS, inits=tuple(INITS), **setup):
    """{"settings", "runs": [{init, layers, norms, factor, start_loss, loss_after_one_pass}]}."""
    runs = []
    for init in inits:
        for layers in depths:
            config = deep.Config(layers=layers, init=init, **setup)
            data = deep.make_data(config)
            norms = layer_gradient_norms(config, data)
            runs.append({
                "init": init, "layers": layers, "norms": norms,
                "factor": growth_factor(norms) if layers > 1 else None,
                "loss_after_one_pass": loss_after_one_pass(config, data),
            })  # fmt: skip
    config = deep.Config(**setup)
    settings = {name: getattr(config, name) for name in ("hidden", "samples", "batch_size", "lr", "updates", "seed")}
    return {"settings": settings, "inits": {name: INITS[name] for name in inits}, "runs": runs}


def run_of(data, init, layers):
    return next(run for run in data["runs"] if run["init"] == init and run["layers"] == layers)


def depths_of(data):
    return sorted({run["layers"] for run in data["runs"]})


def markdown_factors(data):
    """A table: the growth factor per layer of the gradient, per depth and start, and the loss after one pass."""
    inits = list(data["inits"])
    header = "| layers L | " + " | ".join(f"{init}: factor per layer | {init}: loss after one pass" for init in inits)
    lines = [header + " |", "|---:|" + "---:|---:|" * len(inits)]
    for layers in depths_of(data):
        cells = []
        for init in inits:
            run = run_of(data, init, layers)
            cells += [f"×{run['factor']:.2f}", loss_text(run["loss_after_one_pass"])]
        lines.append(f"| {layers} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def diverged(loss):
    return loss is None or loss > DIVERGED


def loss_text(loss):
    if diverged(loss):
        return "diverged" if loss is None else f"diverged ({loss:.0e})"
    return f"{loss:.2g}"


def markdown_ends(data, layers=None):
    """A paragraph: the first and last layer's gradient norms at the largest depth, under both starts."""
    layers = layers or depths_of(data)[-1]
    naive, glorot = run_of(data, "naive", layers), run_of(data, "glorot", layers)
    return (
        f"At L = {layers}, the naive start's first-layer gradient has norm {naive['norms'][0]:.3g} against "
        f"{naive['norms'][-1]:.3g} for its last layer ({naive['norms'][0] / naive['norms'][-1]:.0f}× larger: "
        f"×{naive['factor']:.2f} per layer on the way back), and one pass of training "
        f"{ending(naive)}. The Glorot start's first-layer gradient has norm {glorot['norms'][0]:.3g} against "
        f"{glorot['norms'][-1]:.3g} for its last layer (×{glorot['factor']:.2f} per layer), and one pass "
        f"{ending(glorot)}.\n"
    )


def ending(run):
    loss = run["loss_after_one_pass"]
    if diverged(loss):
        return "diverges" if loss is None else f"diverges (its mean squared error ends at {loss:.0e})"
    return f"ends at a mean squared error of {loss:.2g}"


def markdown_norms(data, init):
    """A table: |dL/dW| per layer (columns) for each depth (rows), under one start."""
    depths = depths_of(data)
    width = max(depths)
    lines = ["| L | " + " | ".join(f"layer {k}" for k in range(1, width + 1)) + " |", "|---:|" + "---:|" * width]
    for layers in depths:
        cells = [f"{norm:.2g}" for norm in run_of(data, init, layers)["norms"]] + [""] * (width - layers)
        lines.append(f"| {layers} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(data, path):
    from fitways.plots import plt, save  # matplotlib on Agg: no display needed

    inits = list(data["inits"])
    figure, panels = plt.subplots(1, len(inits), figsize=(5.5 * len(inits), 4), sharey=True)
    for panel, init in zip(np.atleast_1d(panels), inits):
        for layers in depths_of(data):
            norms = run_of(data, init, layers)["norms"]
            panel.plot(range(1, layers + 1), norms, marker="o", markersize=3, label=f"L = {layers}")
        panel.set_yscale("log")
        panel.set_title(f"{init} start: {data['inits'][init]}", fontsize=9)
        panel.set_xlabel("layer (1 = first, next to x)")
        panel.grid(True, which="both", alpha=0.3)
        panel.legend(fontsize=8)
    np.atleast_1d(panels)[0].set_ylabel("|dL/dW| at the seeded start")
    figure.suptitle(f"Gradient norm per layer, {data['settings']['hidden']} tanh units per layer", fontsize=10)
    figure.tight_layout()
    save(figure, path)  # atomically, like every picture the suite draws


def main(argv=None):
    from benchmarks import docstring
    from fitways.cli import Parser, UsageError
    from fitways.output import path_problem
    from fitways.report import write_json

    parser = Parser(description=docstring(__file__).split("\n\n")[0])
    parser.add_argument("--json", metavar="PATH", help="write the measurements as JSON")
    parser.add_argument("--plot", metavar="PATH", help="draw gradient norm against layer to a PNG")
    args = parser.parse_args(argv)
    for flag, path, suffix in (("--json", args.json, ".json"), ("--plot", args.plot, ".png")):
        bad_path = path is not None and path_problem(path, suffix)
        if bad_path:
            raise UsageError(f"{flag} {bad_path}")
    data = measure()
    sys.stdout.write(markdown_factors(data) + "\n" + markdown_ends(data))
    if args.json:
        write_json(args.json, data)
    if args.plot:
        plot(data, args.plot)
    return 0


if __name__ == "__main__":
    from fitways.signals import run_command

    sys.exit(run_command(main))
