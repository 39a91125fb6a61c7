"""Train y = W·x + b every way fitways knows, on every device asked for, and print one table.

Exit status: 0 when every run converged, 1 when any did not (or diverged, or a file could not be
written), 2 on bad arguments, 130 when interrupted.
"""

import sys
import time

from fitways.checks import closed_form_fit
from fitways.frameworks import load as load_frameworks
from fitways.cli import (
    HelpFormatter,
    Parser,
    UsageError,
    check_replicas,
    choose_trainers,
    number,
    plan_runs,
    trainers_epilog,
)
from fitways.output import OutputError, path_problem, prepare_terminal, warn
from fitways.registry import BASELINE, TRAINERS
from impls.problem import LOSSES, Config, make_data, textbook_log

DEFAULTS = Config()
DEFAULT_REPEAT = 10


def build_parser():
    parser = Parser(
        description=(
            "Fit y = W·x + b (the textbook's first TensorFlow 2 example) with every trainer in impls/ "
            "on the same data and the same batches, then print one table: the fit each trainer reached, "
            "whether it converged, and what each update cost. Defaults are the textbook's setup."
        ),
        epilog=trainers_epilog()
        + "\nexample: python compare.py --impl gradient_tape --impl numpy_manual --log-every 15",
        formatter_class=HelpFormatter,
    )
    add = parser.add_argument
    add("--impl", "--trainer", dest="trainers", action="append", choices=list(TRAINERS), metavar="NAME",
        help="trainer to run (listed below); repeat for several (default: every installed one)")  # fmt: skip
    add("--device", choices=["cpu", "gpu", "all"], default="all",
        help="where to run; each framework looks for its own GPU, and 'all' skips it where there is none")  # fmt: skip
    add("--updates", "--steps", type=number(int), default=None,
        help="parameter updates (default: one pass over the data, samples // batch-size); --steps is its old name")  # fmt: skip
    add("--batch-size", type=number(int), default=DEFAULTS.batch_size, help="samples per update")
    add("--lr", type=number(float), default=DEFAULTS.lr, help="learning rate")
    add("--samples", type=number(int), default=DEFAULTS.samples, help="x = 10·u − 5, u uniform")
    add("--noise", type=number(float), default=DEFAULTS.noise, help="y gets noise·u, u uniform on [0, 1)")
    add("--seed", type=number(int), default=DEFAULTS.seed, help="same seed, same data and result")
    add("--loss", choices=LOSSES, default=DEFAULTS.loss, help="'huber' is the variant numpy_manual needs derived anew")
    add("--repeat", type=number(int), default=None,
        help=f"timed steady-state runs per trainer, after the first (compiling) one (default: {DEFAULT_REPEAT})")  # fmt: skip
    add("--replicas", type=number(int), default=None, metavar="N",
        help="devices the data-parallel trainers mirror over (default: every GPU; on the CPU, 2 logical CPUs)")  # fmt: skip
    add("--baseline", choices=list(TRAINERS), metavar="NAME", default=None,
        help=f"the trainer speed-ups are quoted against (default: {BASELINE})")  # fmt: skip
    add("--log-every", type=number(int), metavar="N",
        help="print the textbook's log line every N updates (N=15: the textbook's ten lines)")  # fmt: skip
    add("--json", metavar="PATH", help="also write the config, the closed-form fit and the results as JSON")
    add("--plot", metavar="PATH", help="also draw loss curves, fitted lines and µs per update to a PNG")
    add("--check-gradients", action="store_true",
        help="instead of training, check every trainer's gradient against float64 finite differences")  # fmt: skip
    return parser


def parse(argv):
    """Arguments and a validated Config; every bad value ends here with one line and exit 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = Config(
            samples=args.samples,
            batch_size=args.batch_size,
            updates=args.updates,
            lr=args.lr,
            noise=args.noise,
            seed=args.seed,
            loss=args.loss,
        )
        check_combinations(args, config)
    except (ValueError, UsageError) as error:
        parser.error(str(error))
    return parser, args, config


def check_combinations(args, config):
    if args.check_gradients:
        for option in ("plot", "log_every", "repeat", "baseline", "replicas"):
            if getattr(args, option) is not None:
                flag = "--" + option.replace("_", "-")
                raise UsageError(f"{flag} has no effect with --check-gradients, which trains nothing")
    if args.repeat is not None and not 1 <= args.repeat <= 1000:
        raise UsageError(f"--repeat must be between 1 and 1000, got {args.repeat}")
    if args.log_every is not None and not 1 <= args.log_every <= config.updates:
        raise UsageError(f"--log-every must be between 1 and --updates ({config.updates}), got {args.log_every}")
    for option, suffix in (("json", ".json"), ("plot", ".png")):
        path = getattr(args, option)
        problem = path is not None and path_problem(path, suffix)
        if problem:
            raise UsageError(f"--{option} {problem}")
    if args.json is not None and args.plot is not None and args.json == args.plot:
        raise UsageError("--json and --plot name the same file")
    if args.plot is not None:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise UsageError("--plot needs matplotlib, which is not installed (pip install -r requirements.txt)")


def run_all(config, data, closed_form, runs, repeat, log_every=None, replicas=None):
    """Measure each (trainer, device); returns (rows, trajectories by (trainer, device))."""
    from fitways import multiworker
    from fitways.report import result_row
    from fitways.runner import Runner
    from fitways.timing import measure

    rows, trajectories = [], {}
    for index, (name, device) in enumerate(runs, 1):
        warn(f"[{index}/{len(runs)}] {name} on {device} ...", end="")
        started = time.perf_counter()
        if TRAINERS[name].scale == "workers":  # trains in worker processes, and is timed there
            measurement, placed_on = multiworker.measure(config, repeat), multiworker.PLACED_ON
        else:
            runner = Runner(name, config, data, device, replicas)
            measurement, placed_on = measure(runner, repeat), runner.placed_on()
        warn(f" {time.perf_counter() - started:.1f} s")
        trajectories[name, device] = measurement.trajectory
        rows.append(result_row(config, data, closed_form, (name, device), placed_on, measurement))
        if log_every:
            print_log(f"{name} on {placed_on}", config, measurement.trajectory, log_every)
    return rows, trajectories


def print_log(title, config, trajectory, every):
    """The textbook's log line every `every` updates, replayed from the recorded trajectory."""
    print(f"{title}:")
    if not trajectory.every_update:
        print(f"  Python saw the model only after updates {', '.join(map(str, trajectory.updates))}, never a batch loss:")
    log = textbook_log(config, every, out=lambda line: print("  " + line))
    loss = trajectory.loss if trajectory.loss is not None else [None] * len(trajectory.W)
    for update, batch_loss, W, b in zip(trajectory.updates, loss, trajectory.W, trajectory.b):
        log(int(update) - 1, batch_loss, W, b)
    if trajectory.divergence:
        print(f"  {trajectory.divergence}")


def finite(value, spec=".7f"):
    """A number as the tables show it; never "nan" or "inf" (the check fails such a value anyway)."""
    import math

    return format(value, spec) if math.isfinite(value) else "not finite"


def check_gradients(config, data, runs, json_path):
    from fitways.gradcheck import MAX_RELATIVE_ERROR, STEP, check, passes, random_points
    from fitways.report import write_json
    from fitways.runner import Runner

    points = random_points(config, data)
    print(
        f"gradient check, loss {config.loss}: each trainer's (dL/dW, dL/db) vs float64 central "
        f"differences (h = {STEP:g}) at {len(points)} random points on batches of {config.batch_size}"
    )
    print(
        f"{'trainer':<17} {'device':<11} {'W':>7} {'b':>7}  {'trainer dL/dW':>14} {'numeric':>14}  "
        f"{'trainer dL/db':>14} {'numeric':>14}  {'rel. error':>10}"
    )
    results, failures = [], 0
    for name, device in runs:
        if TRAINERS[name].scale == "workers":
            print(f"{name:<17} skipped: it trains in worker processes; its gradient code is tf_mirrored's")
            continue
        runner = Runner(name, config, data, device)
        for row in check(runner, points):
            ok = passes(row["error"])
            failures += not ok
            (dW, db), (nW, nb) = (map(finite, pair) for pair in (row["gradient"], row["finite_difference"]))
            print(
                f"{name:<17} {runner.placed_on():<11} {row['W']:7.3f} {row['b']:7.3f}  {dW:>14} {nW:>14}  "
                f"{db:>14} {nb:>14}  {finite(row['error'], '.1e'):>10}{'' if ok else '  FAIL'}"
            )
            results.append({"trainer": name, "device": device, "placed_on": runner.placed_on(), **row, "passed": ok})
    total = len(results)
    if failures:
        print(f"FAIL: {failures} of {total} gradients differ from finite differences by more than {MAX_RELATIVE_ERROR:g}")
    else:
        print(f"PASS: all {total} gradients agree with finite differences to within {MAX_RELATIVE_ERROR:g} (relative)")
    if json_path:
        from fitways.checks import finite_or_none

        for result in results:  # a non-finite gradient is reported as null, its check as failed
            result["gradient"] = [finite_or_none(v) for v in result["gradient"]]
            result["finite_difference"] = [finite_or_none(v) for v in result["finite_difference"]]
            result["error"] = finite_or_none(result["error"])
        write_json(json_path, {"config": config.asdict(), "max_relative_error": MAX_RELATIVE_ERROR, "results": results})
        warn(f"wrote {json_path}")
    return 1 if failures or not results else 0


def main(argv=None):
    prepare_terminal()
    parser, args, config = parse(argv)
    try:
        names, notes = choose_trainers(args.trainers)
        load_frameworks(TRAINERS[name].framework for name in names)
        runs, device_notes = plan_runs(names, args.device)
        check_replicas(config, runs, args.replicas)
    except UsageError as error:
        parser.error(str(error))
    for note in notes if args.check_gradients else []:
        warn(f"note: {note}")
    data = make_data(config)
    try:
        if args.check_gradients:
            return check_gradients(config, data, runs, args.json)
        return train_and_report(args, config, data, runs, notes + device_notes)
    except OutputError as error:
        warn(f"error: {error}")
        return 1


def train_and_report(args, config, data, runs, notes):
    from fitways.frameworks import machine_description
    from fitways.registry import TRAINERS as REGISTRY
    from fitways.report import add_speedups, print_table, run_document, write_json

    closed_form = closed_form_fit(data)
    baseline = args.baseline or BASELINE
    repeat = args.repeat or DEFAULT_REPEAT
    rows, trajectories = run_all(config, data, closed_form, runs, repeat, args.log_every, args.replicas)
    add_speedups(rows, baseline)
    print_table(config, closed_form, rows, notes, baseline)
    sys.stdout.flush()
    if args.json:
        machine = machine_description(sorted({REGISTRY[name].framework for name, _ in runs}))
        write_json(args.json, run_document(config, closed_form, rows, machine))
        warn(f"wrote {args.json}")
    if args.plot:
        from fitways.plots import plot_comparison

        plot_comparison(args.plot, config, data, closed_form, rows, trajectories)
        warn(f"wrote {args.plot}")
    return 0 if rows and all(r["converged"] for r in rows) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        warn("\ninterrupted")
        sys.exit(130)
