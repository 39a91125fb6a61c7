"""compare.py's command line: parse the arguments, call the suite (fitways.suite), return the exit status.

    python compare.py                      # the default problem (impls/problem.py's), every lesson
    python compare.py --problem NAME       # another problem folder's (--help lists them)

Exit status: 0 when every run converged, 1 when any did not (or diverged, or failed, or a file or
stdout could not be written), 2 on bad arguments or environment, 130 when interrupted, 143 or 129 on
SIGTERM or SIGHUP.
"""

import importlib.util
from types import SimpleNamespace

from fitways.cli import (
    HelpFormatter,
    Parser,
    UsageError,
    add_problem_options,
    check_replicas_apply,
    check_scale,
    choose_trainers,
    number,
    plan_runs,
    problem_setup,
    trainers_epilog,
)
from fitways.environment import check as check_environment
from fitways.frameworks import load as load_frameworks
from fitways.output import directory_problem, path_problem, warn
from fitways.problem import LOSSES, flag
from fitways.problems import DEFAULT, PROBLEMS
from fitways.registry import BASELINE
from fitways.signals import run_command

DEFAULTS = PROBLEMS[DEFAULT].Config()
DEFAULT_REPEAT = 7  # runs at each of two lengths
EVERY_NAME = list(dict.fromkeys(name for problem in PROBLEMS.values() for name in problem.trainers))


def build_parser():
    parser = Parser(
        description=(
            f"Fit {PROBLEMS[DEFAULT].summary} — or another problem, with --problem — with every lesson of "
            "that problem on the same data and the same batches, then print one table: the fit each trainer "
            "reached, whether it converged, and what each update cost. Defaults are the textbook's setup."
        ),
        epilog=trainers_epilog(PROBLEMS)
        + "\nexample: python compare.py --impl gradient_tape --impl numpy_manual --log-every 15",
        formatter_class=HelpFormatter,
    )
    add = parser.add_argument
    add("--problem", choices=list(PROBLEMS), default=DEFAULT,
        help="; ".join(f"{problem.name}: {problem.summary}" for problem in PROBLEMS.values()))  # fmt: skip
    add_problem_options(parser, PROBLEMS)
    add("--impl", "--trainer", dest="trainers", action="append", metavar="NAME",
        help="trainer to run (listed below, per problem); repeat for several (default: every installed one)")  # fmt: skip
    add("--device", choices=["cpu", "gpu", "all"], default="all",
        help="where to run; each framework looks for its own GPU, and 'all' skips it where there is none")  # fmt: skip
    add("--updates", "--steps", type=number(int), default=None,
        help="parameter updates (default: one pass over the data, samples // batch-size); --steps is its old name")  # fmt: skip
    # None: the problem's own default (the same for every problem but where its Config says otherwise)
    for name, kind, text in (("batch_size", int, "samples per update"), ("lr", float, "learning rate"),
                             ("samples", int, "x = 10·u − 5, u uniform"),
                             ("noise", float, "y gets noise·u, u uniform on [0, 1)"),
                             ("seed", int, "same seed, same data and result")):  # fmt: skip
        add(flag(name), type=number(kind), default=None, help=f"{text} (default: {getattr(DEFAULTS, name)})")
    add("--loss", choices=LOSSES, default=None,
        help=f"'huber' is the variant numpy_manual needs derived anew (default: {DEFAULTS.loss})")  # fmt: skip
    add("--repeat", type=number(int), default=None,
        help=f"timed steady-state runs per trainer at each of two lengths, after the first (tracing or compiling) one; "
             f"the table shows their median and range (default: {DEFAULT_REPEAT})")  # fmt: skip
    add("--replicas", type=number(int), default=None, metavar="N",
        help="devices the data-parallel trainers mirror over (default: every GPU; on the CPU, 2 logical CPUs)")  # fmt: skip
    add("--baseline", choices=EVERY_NAME, metavar="NAME", default=None,
        help=f"the trainer speed-ups are quoted against (default: {BASELINE})")  # fmt: skip
    add("--log-every", type=number(int), metavar="N",
        help="print the textbook's log line every N updates (N=15: the textbook's ten lines)")  # fmt: skip
    add("--json", metavar="PATH", help="also write the config, the closed-form fit and the results as JSON")
    add("--plot", metavar="PATH", help="also draw loss curves, fitted lines and µs per update to a PNG")
    add("--profile", metavar="DIR",
        help="also write TensorFlow's profiler trace of the runs into DIR, for TensorBoard's Profile tab")  # fmt: skip
    add("--wide", action="store_true",
        help="print every column (each parameter, distances, ranges, the log's cost); the JSON always has them")  # fmt: skip
    add("--check-gradients", action="store_true",
        help="instead of training, check every trainer's gradient against float64 finite differences")  # fmt: skip
    return parser


def parse(argv):
    """Arguments, the problem and its validated config; every bad value ends here with one line and exit 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = PROBLEMS[args.problem]
    setup = {name: getattr(args, name) for name in ("samples", "batch_size", "lr", "noise", "seed", "loss")}
    setup = {name: value for name, value in setup.items() if value is not None} | {"updates": args.updates}
    if args.baseline is not None and args.baseline not in problem.trainers:
        parser.error(
            f"--baseline {args.baseline}: --problem {problem.name} has no lesson of that name "
            f"(it has {', '.join(problem.trainers)})"
        )
    try:
        setup |= problem_setup(args, problem, PROBLEMS)
        config = problem.Config(**setup)
        check_combinations(args, config)
    except (ValueError, UsageError) as error:
        parser.error(str(error))
    return parser, args, problem, config


def check_combinations(args, config):
    if args.check_gradients:
        for option in ("plot", "log_every", "repeat", "baseline", "replicas", "profile"):
            if getattr(args, option) is not None:
                raise UsageError(f"{flag(option)} has no effect with --check-gradients, which trains nothing")
    if args.repeat is not None and not 1 <= args.repeat <= 1000:
        raise UsageError(f"--repeat must be between 1 and 1000, got {args.repeat}")
    if args.log_every is not None and not 1 <= args.log_every <= config.updates:
        raise UsageError(f"--log-every must be between 1 and --updates ({config.updates}), got {args.log_every}")
    for option, why in (
        ("json", lambda path: path_problem(path, ".json")),
        ("plot", lambda path: path_problem(path, ".png")),
        ("profile", directory_problem),
    ):
        problem = getattr(args, option) is not None and why(getattr(args, option))
        if problem:
            raise UsageError(f"--{option} {problem}")
    if args.json is not None and args.json == args.plot:
        raise UsageError("--json and --plot name the same file")
    if args.plot is not None:
        if importlib.util.find_spec("matplotlib") is None:
            raise UsageError("--plot needs matplotlib, which is not installed (pip install -r requirements.txt)")


def main(argv=None):
    parser, args, problem, config = parse(argv)
    try:
        names, notes = choose_trainers(problem, args.trainers)
        check_replicas_apply(problem, names, args.replicas)
        check_environment(problem, names, args.device, config)
        load_frameworks(problem.trainers[name].framework for name in names)
        runs, device_notes = plan_runs(problem, names, args.device)
        runs, scale_notes = check_scale(problem, config, runs, args.replicas, named=bool(args.trainers))
    except UsageError as error:
        parser.error(str(error))
    from fitways import suite

    data = problem.make_data(config)
    if args.check_gradients:
        for note in notes:
            warn(f"note: {note}")
        return suite.check_gradients(problem, config, data, runs, args.json)
    options = SimpleNamespace(
        repeat=args.repeat or DEFAULT_REPEAT, baseline=args.baseline, log_every=args.log_every,
        replicas=args.replicas, json=args.json, plot=args.plot, profile=args.profile, wide=args.wide,
    )  # fmt: skip
    return suite.train_and_report(problem, config, data, runs, notes + device_notes + scale_notes, options)


def run(argv=None):
    """main() as a process (fitways.signals.run_command): the `fitways` command and compare.py."""
    return run_command(main, argv)
