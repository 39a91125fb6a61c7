"""Compiled trainers trace once: repeated runs reuse the graph instead of rebuilding it."""

import pytest

from impls.problem import Config
from tests.helpers import needs_tensorflow, runner, tracing_counts

pytestmark = needs_tensorflow


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tf_function", "tf_graph_loop", "tf_xla"])
def test_traces_once_over_many_runs(name):
    built = runner(name, Config(seed=11))
    built.train()
    built.reset()
    built.trajectory()
    first = tracing_counts(built)
    assert first and all(count <= 2 for count in first.values()), first  # keep_log=True/False: two at most
    for _ in range(10):
        built.reset()
        built.train()
        built.reset()
        built.trajectory()
    assert tracing_counts(built) == first


@pytest.mark.slow
def test_tf_function_traces_once_even_for_a_short_last_batch():
    """The input_signature takes any batch length, so batches of different sizes share one trace."""
    built = runner("tf_function", Config(samples=50, batch_size=20, updates=4))
    x, y = built.trainer.batches[0]
    for size in (20, 7):
        built.trainer.update(x[:size], y[:size])
    assert tracing_counts(built)["update"] == 1


@pytest.mark.slow
def test_keras_builds_its_train_function_once():
    built = runner("keras_fit", Config(seed=12))
    built.train()
    first = built.trainer.model.train_function
    for _ in range(5):
        built.reset()
        built.train()
    assert built.trainer.model.train_function is first


@pytest.mark.slow
def test_keras_fit_tuned_runs_64_updates_per_call_under_xla():
    """Python sees the model once per execution of 64 updates; and Keras, which silently drops
    jit_compile when it thinks XLA unsupported (e.g. with op determinism on), kept it."""
    built = runner("keras_fit_tuned", Config(seed=12))
    trajectory = built.trajectory()
    assert trajectory.updates.tolist() == [64, 128, 150]
    assert built.trainer.model.jit_compile is True
