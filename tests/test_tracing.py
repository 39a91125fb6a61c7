"""Compiled trainers trace once: repeated runs reuse the graph instead of rebuilding it."""

import pytest

from impls.problem import Config
from tests.conftest import build


@pytest.mark.parametrize("name", ["tf_function", "tf_graph_loop", "tf_xla"])
def test_traces_once_over_many_runs(name):
    trainer = build(name, Config(seed=11))
    trainer.train()
    assert trainer.tracing_count() == 1
    for _ in range(20):
        trainer.reset()
        trainer.train()
    assert trainer.tracing_count() == 1


def test_tf_function_traces_once_even_for_a_short_last_batch():
    """The input_signature takes any batch length, so batches of different sizes share one trace."""
    trainer = build("tf_function", Config(samples=50, batch_size=20, steps=4))
    for size in (20, 7):
        trainer.train_step(trainer.x[:size], trainer.y[:size])
    assert trainer.tracing_count() == 1


def test_keras_builds_its_train_function_once():
    trainer = build("keras_fit", Config(seed=12))
    trainer.train()
    first = trainer.model.train_function
    for _ in range(5):
        trainer.reset()
        trainer.train()
    assert trainer.model.train_function is first


def test_keras_fit_tuned_really_runs_many_steps_per_call_under_xla():
    """Keras silently drops jit_compile when it thinks XLA unsupported (e.g. with op determinism on)."""
    trainer = build("keras_fit_tuned", Config(seed=12))
    assert trainer.model.jit_compile is True
    assert trainer.model.steps_per_execution == 64
