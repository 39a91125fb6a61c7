"""Sweeps: µs per update along one axis of a problem's setup (the batch size, the hidden width), every
point checked against the problem's reference, and where one trainer's line crosses another's.

The scripts in benchmarks/ (sweep_batch_size.py, sweep_width.py) parse and print; these functions
measure and compute, and the tests call them directly.
"""

import dataclasses

import numpy as np

from fitways.checks import MAX_UPDATES, verdict
from fitways.runner import Runner
from fitways.timing import measure, timed

PROBE_UPDATES = 100  # updates in the probe run that sizes a benchmark round


def updates_for(seconds, problem, name, device, replicas=None, **setup):
    """How many updates fill about `seconds` for this trainer, from a timed probe run (after its first
    call) with the problem's setup (samples, batch_size, hidden, ...): the benchmarks need no
    per-trainer table, so a row in a problem's trainer table is all it takes."""
    config = problem.Config(**setup, updates=PROBE_UPDATES)
    probe = Runner(problem, name, config, problem.make_data(config), device, replicas)
    probe.train()  # tracing and compilation
    probe.reset()
    probe_seconds = timed(probe.train)[1]
    return int(min(max(PROBE_UPDATES, seconds / probe_seconds * PROBE_UPDATES), MAX_UPDATES))


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
    # what compare.py measures, the way the trainer runs: the harness's one measuring loop
    measurement = measure(problem, name, config, data, device, repeat)
    params = problem.named(config, measurement.final)
    reference = dataclasses.replace(problem.reference(config, data), ceiling=None)
    return measurement, verdict(reference, params, problem.loss(config, params, *problem.trained(config, data)))[0]


def crossings(line_a, line_b):
    """The (smaller, larger) axis values between which line_a and line_b ({value: seconds}) change order."""
    values = sorted(set(line_a) & set(line_b))
    return [
        (low, high)
        for low, high in zip(values, values[1:])
        if (line_a[low] - line_b[low]) * (line_a[high] - line_b[high]) < 0
    ]


def crossover(points, challenger, incumbent):
    """The first axis value from which `challenger` is faster than `incumbent` at every larger value
    measured, or None; points: {name: [(value, seconds_per_update, checked), ...]} on one axis. The
    same rule as crossings(): past the last change of order, if the challenger is ahead there."""
    ours, theirs = ({value: seconds for value, seconds, _ in points[name]} for name in (challenger, incumbent))
    values = sorted(set(ours) & set(theirs))
    if not values or not ours[values[-1]] < theirs[values[-1]]:
        return None
    changes = crossings(ours, theirs)
    return changes[-1][1] if changes else values[0]


def plot_sweep(path, machine, results, axis="batch size"):
    """µs per update against the swept value (the batch size, by default), a line per (trainer, device).

    results: {(name, device): [(batch_size, seconds_per_update, converged), ...]}; a run that did not
    converge is drawn as a red cross, so a fast wrong answer cannot pass for a fast right one.
    """
    from fitways.plots import plt, save

    figure, axes = plt.subplots(figsize=(9, 6), layout="constrained")
    for index, ((name, device), points) in enumerate(results.items()):
        batch, seconds, ok = (np.array(column) for column in zip(*points))
        micros = seconds * 1e6
        colour, line = plt.cm.tab20(index % 20), ["-", "--"][index // 20 % 2]  # 20 tell-apart, then dashed
        axes.plot(batch, micros, marker="os^D"[index % 4], label=f"{name} ({device})", color=colour, linestyle=line)
        axes.plot(batch[~ok], micros[~ok], "rx", markersize=12)
    axes.set(
        xscale="log",
        yscale="log",
        xlabel=axis,
        ylabel="µs per update (median)",
        title=f"Where per-update overhead stops dominating\n{machine}",
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: the lines fill the box
    save(figure, path)
