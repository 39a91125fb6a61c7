"""Timing a lesson honestly: the first call (tracing, compilation) apart from the steady state, the
way its users run it — without the suite's per-update log, whose cost is reported apart — and
the steady state split in two by timing runs of two lengths: time = per call + n × per update. A
loop compiled whole pays its call once per run and then very little per update; a Python loop pays
next to nothing per call and everything per update; one run's time over its updates mixes the two.

Every timed call returns the parameters on the host (Python floats or numpy arrays), so the device
has finished before the clock stops.
"""

import dataclasses
import math
import statistics
import time

from fitways.checks import MAX_UPDATES
from fitways.runner import Runner
from fitways.trajectory import Trajectory
from impls.startup import quiet_stderr

LOGGED_RUNS = 2  # timed logged runs, after an untimed first one, to price the log itself
LONG_RUN_SECONDS = 0.02  # a quick run is timed again this long, so that its updates outweigh its call


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One trainer's runs at two or more lengths, and what they cost: time = per call + n × per update."""

    final: tuple  # the parameters after the first timed run, in the problem's order (repeats reproduce it: tested)
    trajectory: Trajectory  # of a logged run from the same start
    updates: int  # updates per run as asked (the first call and the logged runs have this many)
    first_seconds: float  # the first train(): tracing + compilation + one run
    run_seconds: dict  # {updates: [each steady-state train() of that many updates, in order]}
    logged_seconds: list  # each logged run, in order
    placed_on: str = ""  # where the parameters lived, e.g. "CPU:0" (fitways.runner.Runner.placed_on)

    @property
    def median_run_seconds(self):
        """A steady-state run of the length asked for."""
        return statistics.median(self.run_seconds[self.updates])

    @property
    def first_call_extra_seconds(self):
        """What the first call cost beyond a steady-state one: tracing and compiling where there is
        any, and for every trainer the first-time costs (allocations, caches, lazy imports)."""
        return max(self.first_seconds - self.median_run_seconds, 0.0)

    @property
    def seconds_per_call(self):
        """What one train() costs whatever its length: the fitted line's intercept."""
        return fit_line({n: statistics.median(times) for n, times in self.run_seconds.items()})[0]

    @property
    def seconds_per_update(self):
        """What each update adds: the fitted line's slope."""
        return fit_line({n: statistics.median(times) for n, times in self.run_seconds.items()})[1]

    @property
    def spread(self):
        """{"seconds_per_call": (low, high), "seconds_per_update": (low, high)}: the line fitted to the
        k-th run of every length, for each k, gives one estimate of each; their range."""
        repeats = min(len(times) for times in self.run_seconds.values())
        lines = [fit_line({n: times[k] for n, times in self.run_seconds.items()}) for k in range(repeats)]
        calls, updates = zip(*lines)
        return {"seconds_per_call": (min(calls), max(calls)), "seconds_per_update": (min(updates), max(updates))}

    @property
    def logging_seconds_per_update(self):
        """What the suite's per-update log adds (host reads, the log call); None for a run that
        diverged, whose log stopped early."""
        if self.trajectory.diverged_at is not None:
            return None
        return (statistics.median(self.logged_seconds) - self.median_run_seconds) / self.updates


def fit_line(seconds_by_updates):
    """(per call, per update): the least-squares line time = per_call + n × per_update through
    {n: seconds}, two lengths or more."""
    ns = list(seconds_by_updates)
    if len(set(ns)) < 2:
        raise ValueError(f"a line needs runs of two different lengths, got {ns}")
    slope, intercept = statistics.linear_regression(ns, list(seconds_by_updates.values()))
    return intercept, slope


def second_length(updates, seconds):
    """A run length that, beside a run of `updates` taking `seconds`, tells the per-call cost from the
    per-update cost: long enough to last about LONG_RUN_SECONDS for a quick run, and a tenth as long
    for a run that already lasts that long (or has the most updates allowed). Far-apart lengths keep
    the slope's noise small, and a short partner measures the intercept with little noise of its own
    (halving would make the intercept 2·t(n/2) − t(n), three runs' worth of noise)."""
    if seconds >= LONG_RUN_SECONDS or updates * 2 > MAX_UPDATES:
        return max(updates // 10, 1) if updates > 1 else 2
    return min(MAX_UPDATES, updates * max(2, math.ceil(LONG_RUN_SECONDS / max(seconds, 1e-9))))


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def measure(problem, name, config, data, device, repeat, replicas=None):
    """One trainer measured the way it runs (its Entry.way): the first call, then `repeat` steady-state
    runs at each of two lengths, in turns (so that the machine's drift hits both alike): config.updates,
    and second_length's, each with a runner of its own on the same data. Then a logged run (untimed: a
    compiled loop traces its logging variant now) and up to LOGGED_RUNS timed logged runs (no more than
    `repeat`), each from the start."""
    runner = Runner(problem, name, config, data, device, replicas)
    runner.reset()
    final, first_seconds = timed(runner.train)
    runner.reset()
    seconds = timed(runner.train)[1]
    # The second length is the harness's, not the user's, and may be part of a pass (a tenth of one
    # epoch): TensorFlow's C++ log warns, from its own threads and at any moment, about the dataset
    # Keras's fit makes of it under a distribution strategy, so these runs are as quiet as TensorFlow's
    # import (FITWAYS_TF_VERBOSE=1 shows it all).
    with quiet_stderr():
        second = dataclasses.replace(config, updates=second_length(config.updates, seconds))
        other = Runner(problem, name, second, data, device, replicas)
        other.reset()
        other.train()  # its tracing and compilation, untimed
        run_seconds: dict[int, list[float]] = {config.updates: [], second.updates: []}
        for _ in range(repeat):
            for each in (runner, other):
                each.reset()
                run_seconds[each.config.updates].append(timed(each.train)[1])
    runner.reset()
    trajectory = runner.trajectory()
    logged = []
    for _ in range(min(repeat, LOGGED_RUNS)):
        runner.reset()
        logged.append(timed(runner.trajectory)[1])
    return Measurement(
        final=final,
        trajectory=trajectory,
        updates=config.updates,
        first_seconds=first_seconds,
        run_seconds=run_seconds,
        logged_seconds=logged,
        placed_on=runner.placed_on(),
    )
