"""What compare.py and the scripts share: argument types, one-line errors, which runs to make."""

import argparse
import dataclasses
import re
import sys

from fitways.frameworks import FRAMEWORKS
from fitways.problem import flag
from fitways.registry import framework_of


class UsageError(Exception):
    """Bad input: the message is the one line the user sees, exit status 2."""


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # argparse takes "-1e-3" for an option (it knows only "-1" and "-.5" as numbers), so --lr -1e-3
        # would say "expected one argument" instead of reaching the range check: teach it the rest.
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^-(inf|infinity|nan)$", re.I)

    def error(self, message):
        """One line, exit 2: bad input is the user's to fix, not a traceback to read."""
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults, but not the empty ones ("default: None" tells a reader nothing)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or action.default == argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def number(kind):
    """An argparse type that names the expected kind in its message, e.g. "must be an integer, got 'x'"."""
    expected = "an integer" if kind is int else "a number"

    def convert(text):
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None

    return convert


def problem_options(problems):
    """{field name: (field, [problems])}: each Config field that carries a help text in its metadata
    (dataclasses.field(metadata={"help": ...})) becomes a flag, for the problems whose Config has it."""
    options: dict[str, tuple[dataclasses.Field, list]] = {}
    for problem in problems.values():
        for field in dataclasses.fields(problem.Config):
            if "help" in field.metadata:
                options.setdefault(field.name, (field, []))[1].append(problem)
    return options


def add_problem_options(parser, problems):
    for name, (field, owners) in problem_options(problems).items():
        names = ", ".join(f"--problem {problem.name}" for problem in owners)
        parser.add_argument(flag(name), type=number(field.type), default=None, metavar=name.upper(),
                            help=f"{names}: {field.metadata['help']} (default: {field.default})")  # fmt: skip


def problem_setup(args, problem, problems):
    """{field: value} of the problem flags given; UsageError for one that is another problem's."""
    setup = {}
    for name, (_, owners) in problem_options(problems).items():
        if getattr(args, name) is not None:
            if problem not in owners:
                raise UsageError(f"{flag(name)} is for --problem {', '.join(p.name for p in owners)}; "
                                 f"--problem {problem.name} has no such setting")  # fmt: skip
            setup[name] = getattr(args, name)
    return setup


def trainers_epilog(problems):
    """The lessons of each problem, for --help."""
    lines = []
    for problem in problems.values():
        lines.append(f"trainers for --problem {problem.name} ({problem.summary}):")
        lines += [
            f"  {name:<17} {entry.summary} ({FRAMEWORKS[entry.framework].label})" for name, entry in problem.trainers.items()
        ]
    return "\n".join(lines) + "\n"


def choose_trainers(problem, asked, option="--impl"):
    """The trainers to run: those asked for (each once, in order), or every one whose framework is
    installed. A trainer asked for by name that the problem has no lesson for, or whose framework is
    missing, is a UsageError naming `option` (the flag that asked); one left out of the default set gets a
    note. Returns (names, notes)."""
    if asked:
        names = list(dict.fromkeys(asked))
        for name in names:
            if name not in problem.trainers:
                raise UsageError(
                    f"{option} {name}: --problem {problem.name} has no lesson of that name "
                    f"(it has {', '.join(problem.trainers)})"
                )
            if not framework_of(problem.trainers[name]).installed():
                raise UsageError(f"{option} {name}: {framework_of(problem.trainers[name]).missing_line()}")
        return names, []
    names = []
    missing: dict = {}  # framework -> the names it would have run
    for name, entry in problem.trainers.items():
        (names if framework_of(entry).installed() else missing.setdefault(framework_of(entry), [])).append(name)
    notes = [f"{', '.join(skipped)}: skipped, {framework.missing_line()}" for framework, skipped in missing.items()]
    return names, notes


def plan_runs(problem, names, requested):
    """(name, device) pairs to run for --device cpu|gpu|all, and a note for each kind of run skipped.
    Each framework looks for its own GPU. --device gpu where none of the trainers' frameworks sees
    one is a UsageError."""
    devices = ["cpu", "gpu"] if requested == "all" else [requested]
    runs, notes = [], []
    for device in devices:
        skipped: dict[str, list[str]] = {}
        for name in names:
            entry = problem.trainers[name]
            why = entry.way.gpu_problem(framework_of(entry)) if device == "gpu" else None
            if why:
                skipped.setdefault(why, []).append(name)
            else:
                runs.append((name, device))
        if requested == "gpu" and not runs:
            raise UsageError(f"--device gpu: {'; '.join(skipped)} (see README, 'GPU'); use --device cpu or all")
        notes += [f"{device}: skipped {', '.join(skipped_names)} — {why}" for why, skipped_names in skipped.items()]
    return runs, notes


def check_scale(problem, config, runs, asked, named):
    """The runs that can work with this batch size and replica count (--replicas `asked`), and a note
    for each one skipped. A trainer the user named (`named`) that cannot work is a UsageError; one
    from the default set is skipped."""
    if asked is not None and not 1 <= asked <= 64:
        raise UsageError(f"--replicas must be between 1 and 64, got {asked}")
    kept, notes = [], []
    for name, device in runs:
        entry = problem.trainers[name]
        framework = framework_of(entry)
        count = entry.way.replicas(framework, device, asked)
        why = entry.way.batch_problem(config, count) or entry.way.device_problem(framework, device, count)
        if why and named:
            raise UsageError(f"{why} ({name})")
        if why:
            notes.append(f"{name} on {device}: skipped, {why}")
        else:
            kept.append((name, device))
    return kept, notes


def check_replicas_apply(problem, names, asked):
    """--replicas where no data-parallel trainer runs is a UsageError: it would be ignored."""
    if asked is not None and all(problem.trainers[name].way.replicas_problem(asked) for name in names):
        data_parallel = [name for name, entry in problem.trainers.items() if not entry.way.replicas_problem(asked)]
        who = ", ".join(data_parallel) if data_parallel else f"no --problem {problem.name} lesson"
        raise UsageError(f"--replicas applies to the data-parallel trainers ({who}), and none of them runs")
