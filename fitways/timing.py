"""Timing a lesson honestly: the first call (tracing, compilation) apart from the steady state, the
way its users run it — without the suite's per-update recording, whose cost is reported apart.

Every timed call returns the parameters on the host (Python floats or numpy arrays), so the device
has finished before the clock stops.
"""

import dataclasses
import statistics
import time

from impls.problem import MAX_UPDATES

RECORDED_RUNS = 2  # timed recorded runs, after an untimed first one, to price the recording itself
PROBE_UPDATES = 100  # updates in the probe run that sizes a benchmark round


@dataclasses.dataclass(frozen=True)
class Measurement:
    final: tuple  # the parameters after the first timed run, in the problem's order (repeats reproduce it: tested)
    trajectory: object  # Trajectory of a recorded run from the same start
    updates: int  # updates per run
    first_seconds: float  # the first train(): tracing + compilation + one run
    run_seconds: list  # each steady-state train(), in order
    record_seconds: list  # each recorded run, in order

    @property
    def median_run_seconds(self):
        return statistics.median(self.run_seconds)

    @property
    def first_call_extra_seconds(self):
        """What the first call cost beyond a steady-state one: tracing and compiling where there is
        any, and for every trainer the first-time costs (allocations, caches, lazy imports)."""
        return max(self.first_seconds - self.median_run_seconds, 0.0)

    @property
    def seconds_per_update(self):
        return self.median_run_seconds / self.updates

    @property
    def recording_seconds_per_update(self):
        """What the suite's per-update record adds (host reads, the log call); None for a run that
        diverged, whose recording stopped early."""
        if self.trajectory.diverged_at is not None:
            return None
        return (statistics.median(self.record_seconds) - self.median_run_seconds) / self.updates


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def measure(runner, repeat):
    """The first call, `repeat` steady-state runs, then a recorded run (untimed: a compiled loop traces
    its recording variant now) and up to RECORDED_RUNS timed recorded runs (no more than `repeat`),
    each from the start."""
    runner.reset()
    final, first_seconds = timed(runner.train)
    run_seconds = []
    for _ in range(repeat):
        runner.reset()
        run_seconds.append(timed(runner.train)[1])
    runner.reset()
    trajectory = runner.record()
    recorded = []
    for _ in range(min(repeat, RECORDED_RUNS)):
        runner.reset()
        recorded.append(timed(runner.record))
    return Measurement(
        final=final,
        trajectory=trajectory,
        updates=runner.config.updates,
        first_seconds=first_seconds,
        run_seconds=run_seconds,
        record_seconds=[seconds for _, seconds in recorded],
    )


def updates_for(seconds, problem, name, device, replicas=None, **setup):
    """How many updates fill about `seconds` for this trainer, from a timed probe run (after its first
    call) with the problem's setup (samples, batch_size, hidden, ...): the benchmarks need no
    per-trainer table, so registering a lesson is all it takes."""
    from fitways.runner import Runner

    config = problem.Config(**setup, updates=PROBE_UPDATES)
    probe = Runner(problem, name, config, problem.make_data(config), device, replicas)
    probe.train()  # tracing and compilation
    probe.reset()
    probe_seconds = timed(probe.train)[1]
    return int(min(max(PROBE_UPDATES, seconds / probe_seconds * PROBE_UPDATES), MAX_UPDATES))
