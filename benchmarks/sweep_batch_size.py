"""Batch-size sweep: µs per update against batch size for each trainer and device, as a PNG and JSON.

    python -m benchmarks.sweep_batch_size --out docs/batch_sweep.png --json docs/batch_sweep.json

For a two-parameter model an update is a few dozen flops per sample: at small batches the cost is
fixed per-update overhead (Python, op dispatch, kernel launches); only at large batches does the
arithmetic — and so the device — start to matter. Each point is timed at two run lengths and split
into per call and per update (fitways.timing); the plot draws per update, the cost that grows with
the batch (a point's runs last about POINT_SECONDS, too long for its per-call figure to be more than
noise). For the line it sweeps, by default, the trainers whose lines may cross (numpy, a compiled
step called from Python, the XLA loops and the numba floor) from batch 16 to 2^20: a few minutes.
"""

import dataclasses
import sys

from benchmarks import docstring
from fitways.cli import (
    Parser,
    UsageError,
    add_problem_options,
    check_scale,
    choose_trainers,
    number,
    plan_runs,
    problem_setup,
)
from fitways.environment import check as check_environment
from fitways.frameworks import load as load_frameworks
from fitways.output import path_problem, prepare_terminal, warn
from fitways.problems import DEFAULT, PROBLEMS
from fitways.signals import run_command

DEFAULT_BATCH_SIZES = ",".join(str(4**k) for k in range(2, 11))  # 16 … 2^20; below ~16, lr 0.1 can diverge
DEFAULT_LINE_TRAINERS = ["numpy_manual", "tf_function", "tf_xla", "jax_loop", "numba_loop"]
SAMPLES = 2**20
MAX_BATCH_SIZE = 2**22  # the data holds two batches of the largest: 2^23 float32 samples, 64 MB for x and y
POINT_SECONDS = 0.06  # each timed run of a point holds about this much work


def batch_sizes(text):
    try:
        sizes = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise UsageError(f"--batch-sizes must be comma-separated integers, got {text!r}") from None
    if sizes[0] < 1 or sizes[-1] > MAX_BATCH_SIZE:
        raise UsageError(f"--batch-sizes must lie between 1 and {MAX_BATCH_SIZE}, got {text!r}")
    return sizes


def main(argv=None):
    prepare_terminal()
    parser = Parser(description=docstring(__file__).split("\n\n")[0])
    parser.add_argument("--out", default="batch_sweep.png", help="PNG to write")
    parser.add_argument("--json", metavar="PATH", help="also write every point (per call, per update, range) as JSON")
    parser.add_argument("--batch-sizes", default=DEFAULT_BATCH_SIZES, help="comma-separated")
    parser.add_argument("--problem", choices=list(PROBLEMS), default=DEFAULT,
                        help="; ".join(f"{problem.name}: {problem.summary}" for problem in PROBLEMS.values()))  # fmt: skip
    add_problem_options(parser, PROBLEMS)
    parser.add_argument("--impl", "--trainer", dest="trainers", action="append", metavar="NAME",
                        help=f"repeatable (default for the line: {', '.join(DEFAULT_LINE_TRAINERS)}; "
                             "for the network: every installed trainer)")  # fmt: skip
    parser.add_argument("--device", choices=["cpu", "gpu", "all"], default="all")
    parser.add_argument("--repeat", type=number(int), default=3, help="timed runs per point (median)")
    args = parser.parse_args(argv)
    try:
        sizes = batch_sizes(args.batch_sizes)
        for option, path, suffix in (("--out", args.out, ".png"), ("--json", args.json, ".json")):
            bad_path = path is not None and path_problem(path, suffix)
            if bad_path:
                raise UsageError(f"{option} {bad_path}")
        if not 1 <= args.repeat <= 100:
            raise UsageError(f"--repeat must be between 1 and 100, got {args.repeat}")
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise UsageError("the sweep draws with matplotlib, which is not installed (pip install -r requirements.txt)")
        problem = PROBLEMS[args.problem]
        extra = problem_setup(args, problem, PROBLEMS)
        largest = problem.Config(samples=max(SAMPLES, 2 * sizes[-1]), batch_size=sizes[-1], **extra)  # every point valid
        default = DEFAULT_LINE_TRAINERS if problem.name == "line" else None
        names, notes = choose_trainers(problem, args.trainers or default)
        check_environment(problem, names, args.device, largest)
        load_frameworks(problem.trainers[name].framework for name in names)
        runs, device_notes = plan_runs(problem, names, args.device)
        for size in sizes:  # a data-parallel trainer's batch must split evenly at every point
            point = dataclasses.replace(largest, batch_size=size)
            runs, scale_notes = check_scale(problem, point, runs, None, named=bool(args.trainers))
            notes += scale_notes
        if not runs:
            raise UsageError(f"nothing to sweep: {'; '.join(notes + device_notes)}")
    except (UsageError, ValueError) as error:
        parser.error(str(error))
    for note in notes + device_notes:
        warn(f"note: {note}")
    return sweep(args, problem, extra, sizes, runs)


def sweep(args, problem, extra, sizes, runs):
    from benchmarks import finish
    from benchmarks.sweep import measured_point, plot_sweep
    from fitways.frameworks import machine_description

    results, points, failures = {}, [], []
    samples = max(SAMPLES, 2 * sizes[-1])
    for name, device in runs:
        for size in sizes:
            warn(f"{name} on {device}, batch {size} ...")
            setup = {"samples": samples, "batch_size": size, **extra}
            measurement, ok = measured_point(problem, name, device, setup, args.repeat, POINT_SECONDS)
            if not ok:
                failures.append(f"{name} on {device} at batch {size}")
            per_call, per_update = measurement.seconds_per_call, measurement.seconds_per_update
            results.setdefault((name, device), []).append((size, per_update, ok))
            points.append({"trainer": name, "device": device, "batch_size": size, "converged": ok,
                           "seconds_per_call": per_call, "seconds_per_update": per_update,
                           "spread": {key: list(pair) for key, pair in measurement.spread.items()},
                           "run_seconds": [{"updates": n, "seconds": s} for n, s in measurement.run_seconds.items()],
                           })  # fmt: skip
            print(f"{name:<17} {device:<4} batch {size:>7}: {per_update * 1e6:10.3f} µs/update, "
                  f"{per_call * 1e6:10.1f} µs/call", flush=True)  # fmt: skip
    machine = machine_description(sorted({problem.trainers[name].framework for name, _ in runs}))
    plot_sweep(args.out, f"{machine['cpu']}; Python {machine['python']}", results)
    warn(f"wrote {args.out}")
    document = {"problem": problem.name, "samples": samples, "repeat": args.repeat, "machine": machine}
    return finish(args.json, {**document, "points": points}, failures)


if __name__ == "__main__":
    sys.exit(run_command(main))
