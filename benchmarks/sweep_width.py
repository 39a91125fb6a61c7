"""Width sweep: µs per update of every network lesson as the hidden layer grows, and where numpy's
hand-written backpropagation stops being the fastest.

    python -m benchmarks.sweep_width --out docs/width_sweep.png --json docs/width_sweep.json

For the network ŷ = w2·tanh(W1·x + b1) + b2 at a fixed batch, widths 1 … 4096 (4 … 12,289
parameters). At a handful of units an update is all per-call overhead, where numpy's few µs win;
as H grows the arithmetic grows with it, and fused, compiled code should overtake numpy's one
array per operation. lr is 0.1, and 1.6/H above 16 units: ŷ sums H terms, so a wider layer
overshoots at the same lr. Every point is checked against the float64 replay of the same updates.

    python -m benchmarks.sweep_width --depths 2,4,8,16 --widths 16 --repeat 5 --out docs/depth_sweep.png --json docs/depth_sweep.json

With --depths the axis is depth instead: the deep problem (impls/deep/), L tanh layers of one width,
and where numpy's hand-written backpropagation loop stops being the fastest as L grows. Past L = 16
at lr 0.1 the check cannot pass: depth amplifies rounding, and float32 and float64 runs of the same
updates part by more than the suite's 0.01 within a pass (at L = 32, by 0.16 after 150 updates).
"""

import sys

from benchmarks import docstring
from fitways.cli import Parser, UsageError, choose_trainers, number, plan_runs
from fitways.frameworks import load as load_frameworks
from fitways.output import path_problem, prepare_terminal, warn
from fitways.problems import PROBLEMS
from fitways.signals import run_command

MLP = PROBLEMS["mlp"]
DEFAULT_WIDTHS = "1,4,16,64,256,1024,4096"
BATCH_SIZE = 64
SAMPLES = 2**16
POINT_SECONDS = 0.06  # each timed run of a point holds about this much work
INCUMBENT = "numpy_manual"


def widths(text):
    try:
        sizes = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise UsageError(f"--widths must be comma-separated integers, got {text!r}") from None
    if sizes[0] < 1 or sizes[-1] > 65_536:
        raise UsageError(f"--widths must lie between 1 and 65536, got {text!r}")
    return sizes


def depths(text):
    try:
        sizes = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise UsageError(f"--depths must be comma-separated integers, got {text!r}") from None
    if sizes[0] < 2 or sizes[-1] > 1024:
        raise UsageError(f"--depths must lie between 2 and 1024, got {text!r}")
    return sizes


def lr_for(width):
    return min(0.1, 1.6 / width)


def main(argv=None):
    prepare_terminal()
    parser = Parser(description=docstring(__file__).split("\n\n")[0])
    parser.add_argument("--out", default="width_sweep.png", help="PNG to write")
    parser.add_argument("--json", metavar="PATH", help="also write every point and the crossovers as JSON")
    parser.add_argument("--widths", default=DEFAULT_WIDTHS, help="hidden units, comma-separated")
    parser.add_argument("--depths", help="tanh layers, comma-separated: sweep the deep problem's depth at one --widths")
    parser.add_argument("--batch-size", type=number(int), default=BATCH_SIZE, help="samples per update")
    parser.add_argument("--impl", "--trainer", dest="trainers", action="append", metavar="NAME",
                        help="repeatable (default: every installed network lesson)")  # fmt: skip
    parser.add_argument("--device", choices=["cpu", "gpu", "all"], default="cpu")
    parser.add_argument("--repeat", type=number(int), default=3, help="timed runs per point (median)")
    args = parser.parse_args(argv)
    try:
        sizes = widths(args.widths)
        problem, axis = (PROBLEMS["deep"], depths(args.depths)) if args.depths else (MLP, sizes)
        if args.depths and len(sizes) != 1:
            raise UsageError(f"--depths sweeps one width: give --widths a single number, got {args.widths!r}")
        for option, suffix in (("out", ".png"), ("json", ".json")):
            bad_path = getattr(args, option) is not None and path_problem(getattr(args, option), suffix)
            if bad_path:
                raise UsageError(f"--{option} {bad_path}")
        if not 1 <= args.repeat <= 100:
            raise UsageError(f"--repeat must be between 1 and 100, got {args.repeat}")
        for value in axis:  # every point must be valid
            problem.Config(**setup_for(args, sizes[-1], value if args.depths else None, lr=0.1))
        names, notes = choose_trainers(problem, args.trainers)
        load_frameworks(problem.trainers[name].framework for name in names)
        runs, device_notes = plan_runs(problem, names, args.device)
    except (UsageError, ValueError) as error:
        parser.error(str(error))
    for note in notes + device_notes:
        warn(f"note: {note}")
    return sweep(args, problem, axis, runs)


def setup_for(args, width, layers, lr):
    """A point's setup: the network's at one width, or the deep problem's at one depth too."""
    setup = {"samples": SAMPLES, "batch_size": args.batch_size, "hidden": width, "lr": lr}
    return setup if layers is None else {**setup, "layers": layers}


def sweep(args, problem, axis, runs):
    from benchmarks import finish
    from benchmarks.sweep import crossover, plot_sweep, point
    from fitways.frameworks import machine_description

    results, failures = {}, []
    by_depth = problem is not MLP
    label = "L" if by_depth else "H"
    for name, device in runs:
        for value in axis:
            width, layers = (int(args.widths), value) if by_depth else (value, None)
            warn(f"{name} on {device}, {label} = {value} ...")
            setup = setup_for(args, width, layers, lr_for(width))
            seconds, ok = point(problem, name, device, setup, args.repeat, POINT_SECONDS)
            if not ok:
                failures.append(f"{name} on {device} at {label} = {value}")
            results.setdefault((name, device), []).append((value, seconds, ok))
            print(f"{name:<15} {device:<4} {label} {value:>5}: {seconds * 1e6:10.2f} µs/update", flush=True)
    crossovers = {}
    for (name, device), points in results.items():
        if name != INCUMBENT and (INCUMBENT, device) in results:
            by_name = {name: points, INCUMBENT: results[INCUMBENT, device]}
            crossovers[f"{name} on {device}"] = crossover(by_name, name, INCUMBENT)
    for who, width in crossovers.items():
        verdict = f"faster than {INCUMBENT} from {label} = {width} on" if width else f"never faster than {INCUMBENT} from some point on"
        print(f"crossover: {who} {verdict}")
    machine = machine_description(sorted({problem.trainers[name].framework for name, _ in runs}))
    title = f"{machine['cpu']}; batch {args.batch_size}" + (f"; {args.widths} units per layer" if by_depth else "")
    plot_sweep(args.out, title, results, axis="tanh layers L" if by_depth else "hidden units H (3H + 1 parameters)")
    warn(f"wrote {args.out}")
    document = {
        "axis": "layers" if by_depth else "hidden",
        **({"hidden": int(args.widths)} if by_depth else {}),
        "batch_size": args.batch_size,
        "machine": machine,
        "points": {f"{name} on {device}": [list(p) for p in points] for (name, device), points in results.items()},
        "crossovers": crossovers,
    }
    return finish(args.json, document, failures, "did not match the float64 reference")


if __name__ == "__main__":
    sys.exit(run_command(main))
