"""What compare.py and the scripts share: argument types, one-line errors, which runs to make."""

import argparse
import re
import sys

from fitways.frameworks import FRAMEWORKS
from fitways.registry import TRAINERS, framework_of
from fitways.runner import replica_count


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


def trainers_epilog():
    lines = "".join(f"  {name:<17} {entry.summary} ({FRAMEWORKS[entry.framework].label})\n" for name, entry in TRAINERS.items())
    return "trainers:\n" + lines


def choose_trainers(asked):
    """The trainers to run: those asked for (each once, in order), or every one whose framework is
    installed. A trainer asked for by name whose framework is missing is a UsageError; one left out
    of the default set gets a note. Returns (names, notes)."""
    if asked:
        names = list(dict.fromkeys(asked))
        for name in names:
            if not framework_of(name).installed():
                raise UsageError(f"--impl {name}: {framework_of(name).missing_line()}")
        return names, []
    names, missing = [], {}
    for name in TRAINERS:
        (names if framework_of(name).installed() else missing.setdefault(framework_of(name), [])).append(name)
    notes = [f"{', '.join(skipped)}: skipped, {framework.missing_line()}" for framework, skipped in missing.items()]
    return names, notes


def plan_runs(names, requested):
    """(name, device) pairs to run for --device cpu|gpu|all, and a note for each kind of run skipped.
    Each framework looks for its own GPU. --device gpu where none of the trainers' frameworks sees
    one is a UsageError."""
    devices = ["cpu", "gpu"] if requested == "all" else [requested]
    runs, notes = [], []
    for device in devices:
        skipped = {}
        for name in names:
            framework = framework_of(name)
            if device == "gpu" and framework.name == "numpy":
                skipped.setdefault("numpy runs on the CPU only", []).append(name)
            elif device == "gpu" and TRAINERS[name].scale == "workers":
                skipped.setdefault("its worker processes train on their CPUs", []).append(name)
            elif device == "gpu" and not framework.gpus():
                skipped.setdefault(f"{framework.label} sees no GPU", []).append(name)
            else:
                runs.append((name, device))
        if requested == "gpu" and not runs:
            raise UsageError(f"--device gpu: {'; '.join(skipped)} (see README, 'GPU'); use --device cpu or all")
        notes += [f"{device}: skipped {', '.join(skipped_names)} — {why}" for why, skipped_names in skipped.items()]
    return runs, notes


def check_replicas(config, runs, asked):
    """UsageError for a replica count that cannot work. On the CPU this splits TensorFlow's CPU into
    that many logical devices, which must happen before TensorFlow starts its runtime."""
    if asked is not None and not 1 <= asked <= 64:
        raise UsageError(f"--replicas must be between 1 and 64, got {asked}")
    for name, device in runs:
        count, scale = replica_count(name, device, asked), TRAINERS[name].scale
        if scale != "device" and config.batch_size % count:
            what = "workers" if scale == "workers" else "replicas"
            raise UsageError(f"--batch-size {config.batch_size} does not split evenly across {count} {what} ({name})")
        if scale == "replicas":
            available = len(framework_of(name).gpus()) if device == "gpu" else framework_of(name).logical_cpus(count)
            if count > available:
                raise UsageError(f"--replicas {count}: {name} on {device} can have at most {available} here")
