"""Steady-state speed of every trainer, per device and batch size: `pytest --benchmark-only`.

Each table is one group, "cpu · batch 16" and so on, and compares all trainers in it. A round is a
whole train() of a fixed number of updates — without the log, the way each lesson's users run it — so the
clock stops only after the result is on the host; the tables report that round's time divided by
its updates: time per update. Tracing and compilation happen in the first call, before any timed
round; setup() resets W and b. After the rounds, the same trainer is timed at a short length too, and
the line through both (time = per call + n × per update) goes into extra_info as seconds_per_call
and seconds_per_update. Plain `pytest` runs each case once, untimed (see conftest.py), and every
run, timed or not, must converge: a fast trainer with a wrong answer fails.
"""

import dataclasses
import itertools
import statistics
import time

import pytest

from benchmarks.sweep import PROBE_UPDATES, updates_for
from fitways.checks import verdict
from fitways.frameworks import machine_description
from fitways.problems import DEFAULT, PROBLEMS
from fitways.registry import framework_of
from fitways.runner import Runner
from fitways.timing import fit_line, timed

BATCH_SIZES = [16, 256, 4096]
# 2**20 samples: 256 batches of the largest size. Keras pays a fixed cost per epoch (a new iterator,
# epoch callbacks), so an epoch of a handful of batches would measure that, not the update.
SAMPLES = 2**20
SMOKE_SAMPLES = 2**19  # plain pytest's untimed run checks the code path, not the speed: one pass at any batch
pytestmark = pytest.mark.slow
ROUNDS = 7
ROUND_SECONDS = 0.25  # each timed round holds as many updates as fill about this long


REPLICAS = [1, 2]  # for the data-parallel trainers: what mirroring itself costs, then one more replica


def cases():
    """Every problem's trainers on each device and batch size; the data-parallel ones at each
    REPLICAS. The default problem's cases keep their plain names; another's are prefixed with its name."""
    for problem in PROBLEMS.values():
        prefix = "" if problem.name == DEFAULT else f"{problem.name}-"
        for device, batch_size, (name, entry) in itertools.product(["cpu", "gpu"], BATCH_SIZES, problem.trainers.items()):
            framework = framework_of(entry)
            if device == "gpu" and framework.cpu_only:
                continue
            marks = [] if framework.installed() else [pytest.mark.skip(reason=framework.missing_line())]
            mirrored = [replicas for replicas in REPLICAS if not entry.way.replicas_problem(replicas)]
            for replicas in mirrored or [1]:
                suffix = f"-{replicas}" if mirrored else ""
                yield pytest.param(problem, name, device, batch_size, replicas, marks=marks,
                                   id=f"{prefix}{device}-{batch_size}-{name}{suffix}")  # fmt: skip


@pytest.mark.parametrize("problem, name, device, batch_size, replicas", list(cases()))
def test_train(benchmark, problem, name, device, batch_size, replicas):
    entry = problem.trainers[name]
    # asked here, not at collection (no framework loads then): "sees no GPU", or workers that train on their CPUs
    no_gpu = device == "gpu" and entry.way.gpu_problem(framework_of(entry))
    if no_gpu:
        pytest.skip(no_gpu)
    smoke = benchmark.disabled  # plain pytest: one untimed run of PROBE_UPDATES
    setup = {"samples": SMOKE_SAMPLES if smoke else SAMPLES, "batch_size": batch_size}
    updates = PROBE_UPDATES if smoke else updates_for(ROUND_SECONDS, problem, name, device, replicas, **setup)
    config = problem.Config(**setup, updates=updates)
    data = problem.make_data(config)
    reference = problem.reference(config, data)

    def converged(result):
        params = problem.named(config, result)
        return verdict(reference, params, problem.loss(config, params, *problem.trained(config, data)))[0]

    runner = Runner(problem, name, config, data, device, replicas)
    first_result, first_seconds = timed(runner.train)  # tracing + compilation + one run
    assert converged(first_result), first_result

    benchmark.group = f"{'' if problem.name == DEFAULT else problem.name + ' · '}{device} · batch {batch_size}"
    # pytest-benchmark divides a round's time by nothing; dividing the clock by the round's updates
    # makes every column of the table read as time per update, comparable across trainers.
    benchmark._timer = lambda: time.perf_counter() / updates
    result = benchmark.pedantic(runner.train, setup=runner.reset, rounds=ROUNDS, warmup_rounds=1)
    assert converged(result), result

    benchmark.extra_info.update(
        problem=problem.name,
        trainer=name,
        device=device,
        replicas=replicas,
        placed_on=runner.placed_on(),
        batch_size=batch_size,
        updates_per_round=updates,
        first_call_seconds=first_seconds,
        **machine_description([runner.framework.name]),
    )
    if benchmark.stats:  # only when timing is enabled
        per_update = benchmark.stats.stats.median
        runner.reset()
        round_seconds = timed(runner.train)[1]
        # the per-update clock above relies on pytest-benchmark's private _timer: check it took effect
        assert 0.33 < per_update * updates / round_seconds < 3, (per_update, updates, round_seconds)
        # A round's time over its updates still holds 1/updates of a call. Timed again at a short length
        # (a probe's, where the call is most of the time), the two lengths give each cost apart.
        short_updates = PROBE_UPDATES if updates >= 10 * PROBE_UPDATES else max(updates // 10, 1)
        short = Runner(problem, name, dataclasses.replace(config, updates=short_updates), data, device, replicas)
        short.train()  # its tracing and compilation
        short_seconds = []
        for _ in range(ROUNDS):
            short.reset()
            short_seconds.append(timed(short.train)[1])
        per_call, fitted_per_update = fit_line(
            {updates: per_update * updates, short_updates: statistics.median(short_seconds)}
        )
        benchmark.extra_info.update(
            us_per_update=per_update * 1e6,
            first_call_extra_seconds=max(first_seconds - per_update * updates, 0.0),
            short_updates=short_updates,
            seconds_per_call=per_call,
            seconds_per_update=fitted_per_update,
        )
