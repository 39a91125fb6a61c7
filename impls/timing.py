"""Timing a trainer honestly: the first call (tracing, compilation) apart from the steady state.

train() returns numpy arrays, so the device has finished before the clock stops.
"""

import dataclasses
import statistics
import time


@dataclasses.dataclass(frozen=True)
class Measurement:
    history: object  # History of the first run (tests check that repeats reproduce it bit for bit)
    first_seconds: float  # the first train(): tracing + compilation + one run
    run_seconds: list  # each steady-state train(), in order

    @property
    def median_run_seconds(self):
        return statistics.median(self.run_seconds)

    @property
    def compile_seconds(self):
        """What the first call cost beyond a steady-state run."""
        return max(self.first_seconds - self.median_run_seconds, 0.0)

    @property
    def seconds_per_step(self):
        return self.median_run_seconds / max(self.history.steps_run, 1)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def measure(trainer, repeat):
    """Train once from the initial parameters (the first call), then `repeat` more times, timing each."""
    trainer.reset()
    history, first_seconds = timed(trainer.train)
    run_seconds = []
    for _ in range(repeat):
        trainer.reset()
        run_seconds.append(timed(trainer.train)[1])
    return Measurement(history, first_seconds, run_seconds)
