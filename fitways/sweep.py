"""Sweeps: µs per update along one axis of a problem's setup (the batch size, the hidden width), every
point checked against the problem's reference, and where one trainer's line crosses another's.

The scripts in benchmarks/ (sweep_batch_size.py, sweep_width.py) parse and print; these functions
measure and compute, and the tests call them directly.
"""

import dataclasses

from fitways.checks import verdict
from fitways.runner import Runner
from fitways.timing import measure, updates_for


def point(problem, name, device, setup, repeat, seconds):
    """(seconds per update, checked) for one trainer at one setup: measured_point's, per update."""
    measurement, checked = measured_point(problem, name, device, setup, repeat, seconds)
    return measurement.seconds_per_update, checked


def measured_point(problem, name, device, setup, repeat, seconds):
    """(Measurement, checked) for one trainer at one setup, a run sized to about `seconds` and timed
    at a second length too (per call and per update apart: fitways.timing). checked: the run ended at
    the problem's reference — for the network, the float64 replay of the same updates (a short run
    has not finished learning, so the loss ceiling is not asked for)."""
    updates = updates_for(seconds, problem, name, device, **setup)
    config = problem.Config(**setup, updates=updates)
    data = problem.make_data(config)

    def runner_for(updates):
        return Runner(problem, name, dataclasses.replace(config, updates=updates), data, device)

    measurement = measure(Runner(problem, name, config, data, device), repeat, runner_for)
    params = problem.named(config, measurement.final)
    reference = dataclasses.replace(problem.reference(config, data), ceiling=None)
    return measurement, verdict(reference, params, problem.loss(config, params, *problem.trained(config, data)))[0]


def crossover(points, challenger, incumbent):
    """The first axis value from which `challenger` is faster than `incumbent` at every larger value
    measured, or None; points: {name: [(value, seconds_per_update, checked), ...]} on one axis."""
    theirs = {value: seconds for value, seconds, _ in points[incumbent]}
    wins = [(value, seconds < theirs[value]) for value, seconds, _ in points[challenger] if value in theirs]
    for index, (value, _) in enumerate(wins):
        if all(won for _, won in wins[index:]):
            return value
    return None
