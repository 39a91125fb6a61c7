"""Steady-state speed of every trainer, per device and batch size: `pytest --benchmark-only`.

Each table is one group, "cpu · batch 16" and so on, and compares all trainers in it. A round is a
whole train() of a fixed number of updates (steps_per_round), so the clock stops only after the
result is on the host; the tables report that round's time divided by its updates: time per update.
Tracing and compilation happen in the first call, before any timed round; setup() resets W and b.
Plain `pytest` runs each benchmark once, untimed (see conftest.py) — and every run, timed or not,
must converge: a fast trainer with a wrong answer fails.
"""

import time

import pytest

from impls import TRAINERS, trainer_class
from impls.problem import MAX_STEPS, Config, converged, make_data
from impls.tf_setup import gpus_visible, machine_description
from impls.timing import timed

BATCH_SIZES = [16, 256, 4096]
# 2**20 samples: 256 batches of the largest size. Keras pays a fixed cost per epoch (a new iterator,
# epoch callbacks), so an epoch of a handful of batches would measure that, not the update.
SAMPLES = 2**20
ROUNDS = 7
# Updates per round, so that a round takes roughly 0.1–1 s on the 2-core CPU at every batch size.
STEPS_PER_ROUND = {
    "gradient_tape": 300,
    "tf_function": 600,
    "keras_fit": 300,
    "numpy_manual": 30_000,
    "tf_graph_loop": 10_000,
    "keras_fit_tuned": 4_000,
}
XLA_SAMPLES_PER_ROUND = 400_000_000


def steps_per_round(name, batch_size):
    """The other trainers cost about the same per update at any batch size (it is overhead); XLA's
    cost is the arithmetic itself, so its rounds hold a fixed number of samples instead."""
    if name == "tf_xla":
        return min(XLA_SAMPLES_PER_ROUND // batch_size, MAX_STEPS)
    return STEPS_PER_ROUND[name]


NO_GPU = pytest.mark.skipif(not gpus_visible(), reason="TensorFlow sees no GPU on this machine")


def cases():
    for device in ["cpu", "gpu"]:
        for batch_size in BATCH_SIZES:
            for name in TRAINERS:
                if device in trainer_class(name).devices:
                    marks = [NO_GPU] if device == "gpu" else []
                    yield pytest.param(name, device, batch_size, marks=marks, id=f"{device}-{batch_size}-{name}")


@pytest.mark.parametrize("name, device, batch_size", list(cases()))
def test_train(benchmark, name, device, batch_size):
    steps = steps_per_round(name, batch_size)
    config = Config(samples=SAMPLES, batch_size=batch_size, steps=steps)
    trainer = trainer_class(name)(config, make_data(config), device)
    first_history, first_seconds = timed(trainer.train)  # tracing + compilation + one run
    assert converged(config, *first_history.final), first_history.final

    benchmark.group = f"{device} · batch {batch_size}"
    # pytest-benchmark divides a round's time by nothing; dividing the clock by the round's updates
    # makes every column of the table read as time per update, comparable across trainers.
    benchmark._timer = lambda: time.perf_counter() / steps
    history = benchmark.pedantic(trainer.train, setup=trainer.reset, rounds=ROUNDS, warmup_rounds=1)
    assert history.steps_run == steps and converged(config, *history.final), history.final

    benchmark.extra_info.update(
        impl=name,
        device=device,
        placed_on=trainer.placed_on(),
        batch_size=batch_size,
        steps_per_round=steps,
        first_call_seconds=first_seconds,
        **machine_description(),
    )
    if benchmark.stats:  # only when timing is enabled
        per_step = benchmark.stats.stats.median
        trainer.reset()
        round_seconds = timed(trainer.train)[1]
        # the per-update clock above relies on pytest-benchmark's private _timer: check it took effect
        assert 0.33 < per_step * steps / round_seconds < 3, (per_step, steps, round_seconds)
        benchmark.extra_info.update(
            us_per_step=per_step * 1e6, compile_seconds=max(first_seconds - per_step * steps, 0.0)
        )
