"""Why reverse mode: what one gradient costs as the parameter count n grows, and how accurate a finite
difference can be.

    python -m benchmarks.gradient_cost --json docs/gradient_cost.json --plot docs

The model is ŷ = w2·tanh(W1·x + b1) + b2 with H hidden units (n = 3H + 1 parameters) on the
textbook's first batch of 20 samples, mean squared error. For n from --n-min to --n-max it times one
full gradient by central finite differences (numpy float64, 2n forward passes), forward mode with one
tangent per parameter (TensorFlow's ForwardAccumulator in a tf.function loop; JAX's jvp in lax.map
under jax.jit, and jax.jacfwd, all tangents at once), reverse mode (tf.GradientTape in a tf.function,
jax.grad under jax.jit, PyTorch autograd eager) and the hand-derived numpy backprop (float64), each
also as a multiple of one forward pass of the same framework run the same way. A method stops after
the first n at which one gradient takes more than --cap seconds (jacfwd also before its tangents
would pass 1 GiB). Then it measures the error of a central difference against the exact gradient
for h from 1e-1 to 1e-12, in float32 and float64, for the line and for the MLP with H = 3.
About a minute on a 2-core CPU with the defaults; progress goes to stderr, the table to stdout.
"""

import argparse
import math
import os
import sys

from benchmarks import docstring
from benchmarks.gradient_cost_study import MAX_N, METHODS
from fitways.cli import HelpFormatter, Parser, UsageError, number
from fitways.frameworks import FRAMEWORKS
from fitways.output import path_problem, prepare_terminal, warn
from fitways.signals import run_command

MAX_CAP_S = 600.0
FIGURES = ("gradient_cost.png", "gradient_accuracy.png")


def count(text):
    """A parameter count: an integer, also written as 1e5."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if not (math.isfinite(value) and value == int(value)):
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}")
    return int(value)


def methods_epilog():
    lines = "".join(f"  {name:<15} {method.mode}: {method.how}\n" for name, method in METHODS.items())
    return "methods:\n" + lines


def check(args):
    """UsageError for input that cannot make a sensible run; the methods to run and notes on those skipped."""
    if not 4 <= args.n_min <= MAX_N:
        raise UsageError(f"--n-min must be between 4 (one hidden unit: 3·1 + 1) and {MAX_N}, got {args.n_min}")
    if not args.n_min <= args.n_max <= MAX_N:
        raise UsageError(f"--n-max must be between --n-min ({args.n_min}) and {MAX_N}, got {args.n_max}")
    if not 1 <= args.per_decade <= 10:
        raise UsageError(f"--per-decade must be between 1 and 10, got {args.per_decade}")
    if not (math.isfinite(args.cap) and 0 < args.cap <= MAX_CAP_S):
        raise UsageError(f"--cap must be a number of seconds > 0 and <= {MAX_CAP_S:g}, got {args.cap:g}")
    for flag, path in (("--json", args.json),):
        problem = path and path_problem(path, ".json")
        if problem:
            raise UsageError(f"{flag} {problem}")
    if args.plot is not None:
        if not os.path.isdir(args.plot):
            raise UsageError(f"--plot must name an existing directory, got {args.plot!r}")
        for name in FIGURES:
            problem = path_problem(os.path.join(args.plot, name), ".png")
            if problem:
                raise UsageError(f"--plot {problem}")
    if args.methods:
        names = list(dict.fromkeys(args.methods))
        for name in names:
            framework = FRAMEWORKS[METHODS[name].framework]
            if not framework.installed():
                raise UsageError(f"--method {name}: {framework.missing_line()}")
        return names, []
    names = [name for name, method in METHODS.items() if FRAMEWORKS[method.framework].installed()]
    notes = [f"{name}: skipped, {FRAMEWORKS[method.framework].missing_line()}"
             for name, method in METHODS.items() if name not in names]  # fmt: skip
    return names, notes


def build_parser():
    parser = Parser(description=docstring(__file__), formatter_class=HelpFormatter, epilog=methods_epilog())
    parser.add_argument("--n-min", type=count, default=10, help="smallest parameter count (rounded to 3H + 1)")
    parser.add_argument("--n-max", type=count, default=100_000, help="largest parameter count")
    parser.add_argument("--per-decade", type=number(int), default=2, help="parameter counts per factor of ten")
    parser.add_argument("--cap", type=number(float), default=1.0,
                        help="seconds: a method stops after the first n where one gradient takes longer")  # fmt: skip
    parser.add_argument("--method", dest="methods", action="append", choices=list(METHODS), metavar="NAME",
                        help="repeatable (default: every method whose framework is installed)")  # fmt: skip
    parser.add_argument("--json", metavar="PATH", help="write every measurement as JSON")
    parser.add_argument("--plot", metavar="DIR", help=f"write {' and '.join(FIGURES)} into this directory")
    return parser


def main(argv=None):
    prepare_terminal()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        names, notes = check(args)
    except UsageError as error:
        parser.error(str(error))
    for note in notes:
        warn(f"note: {note}")
    return measure_and_report(args, names)


def measure_and_report(args, names):
    from benchmarks import gradient_cost_study as gradient_cost

    one_thread = gradient_cost.load_on_one_thread({METHODS[name].framework for name in names})
    from fitways.frameworks import machine_description
    from fitways.report import write_json

    counts = gradient_cost.sizes(args.n_min, args.n_max, args.per_decade)
    cost = gradient_cost.run(names, counts, args.cap, progress=warn)
    warn("finite-difference accuracy ...")
    accuracy = gradient_cost.accuracy()
    document = {
        "machine": machine_description(sorted({METHODS[name].framework for name in names} - {"numpy"})),
        "settings": {"batch_size": gradient_cost.BATCH, "cap_seconds": args.cap, "n": counts,
                     "textbook_step": gradient_cost.TEXTBOOK_STEP, "one_thread": one_thread},  # fmt: skip
        "methods": {name: {"framework": METHODS[name].framework, "mode": METHODS[name].mode, "how": METHODS[name].how}
                    for name in names},  # fmt: skip
        "cost": cost,
        "constants": gradient_cost.constants(cost),
        "accuracy": accuracy,
    }
    print_report(document)
    if args.json:
        write_json(args.json, document)
        warn(f"wrote {args.json}")
    if args.plot is not None:
        from benchmarks.gradient_cost_study import plot_gradient_accuracy, plot_gradient_cost

        cost_path, accuracy_path = (os.path.join(args.plot, name) for name in FIGURES)
        plot_gradient_cost(cost_path, document)
        plot_gradient_accuracy(accuracy_path, document)
        warn(f"wrote {cost_path} and {accuracy_path}")
    return 0


def print_report(document):
    print(f"One gradient of the MLP's loss on a batch of {document['settings']['batch_size']}, "
          f"n = 3H + 1 parameters; 'x forward' = seconds / one forward pass of the same framework")  # fmt: skip
    print(f"{'method':<15} {'n':>7} {'s/gradient':>11} {'s/forward':>11} {'x forward':>10}")
    for name, result in document["cost"].items():
        print(f"{name} — {document['methods'][name]['mode']}: {document['methods'][name]['how']}")
        for point in result["points"]:
            print(f"{'':<15} {point['n']:>7} {point['seconds']:>11.3g} {point['forward_seconds']:>11.3g} "
                  f"{point['ratio']:>10.3g}")  # fmt: skip
        if result["stopped"]:
            print(f"{'':<15} stopped: {result['stopped']}")
    print("Reverse mode, in forward passes (at the largest n reached; range over all n):")
    for name, constant in document["constants"].items():
        print(f"  {name:<15} {constant['ratio']:.3g} at n = {constant['n']} "
              f"({constant['min_ratio']:.3g}–{constant['max_ratio']:.3g})")  # fmt: skip
    print("Central difference vs the exact gradient (relative error), best h and the textbook's h = 1e-6:")
    for problem, by_dtype in document["accuracy"].items():
        for dtype, found in by_dtype.items():
            best, textbook = found["best"], found["textbook"]
            print(f"  {problem:<4} {dtype}: best h = {best['h']:.1e} (error {best['error']:.1e}); "
                  f"h = 1e-6: error {textbook['error']:.1e}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(run_command(main))
