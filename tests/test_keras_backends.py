"""Keras 3 on JAX and PyTorch: keras_fit_jax and keras_fit_torch train in a process of their own on the
backend they name (their trajectories are held to numpy's in test_equivalence.py, like every lesson's)."""

import statistics

import numpy as np
import pytest

from fitways.registry import framework_of
from fitways.remote import Children, RemoteError
from fitways.runner import Runner
from fitways.timing import timed
from impls.problem import Config
from tests.helpers import INSTALLED, LINE, logged, runner

pytestmark = pytest.mark.slow
KERAS_BACKENDS = [name for name in LINE.trainers if LINE.trainers[name].module == "impls.keras_fit_backend"]


def installed(name):
    if name not in INSTALLED:
        pytest.skip(framework_of(LINE.trainers[name]).missing_line())


@pytest.mark.parametrize("name", KERAS_BACKENDS)
def test_each_runs_on_its_own_backend_and_follows_keras_on_tensorflow(name):
    installed(name)
    config = Config(updates=40)
    backend = runner(name, config).trainer.children
    assert backend.call(op="ping") == LINE.trainers[name].way.backend  # the backend Keras there says it runs on
    ours, tensorflow = logged(name, config), logged("keras_fit", config)
    for parameter in ("W", "b"):
        np.testing.assert_allclose(ours[parameter], tensorflow[parameter], rtol=1e-5, atol=1e-6)
    # control: the same comparison against a run on other data must fail
    other = logged("keras_fit", Config(updates=40, seed=1))
    assert not np.allclose(ours["W"], other["W"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", KERAS_BACKENDS)
def test_a_round_trip_to_the_backend_process_is_small_next_to_a_call(name):
    installed(name)
    backend = runner(name, Config()).trainer.children
    round_trip = statistics.median(
        timed(lambda: backend.call(op="ping"))[1] for _ in range(20)
    )  # a call that does nothing
    assert round_trip < 2e-3  # tens of µs here; a train() call takes ms


def test_a_failure_in_the_backend_process_is_one_error_naming_it_and_it_ends_cleanly():
    installed("keras_fit_jax")
    process = Children([{"KERAS_BACKEND": "jax"}], "Keras on jax")  # one of its own, not the session's
    with pytest.raises(RemoteError, match=r"^Keras on jax: IndexError"):
        process.call(op="train", id=7, keep_log=False)  # no trainer 7 was built
    process.close()
    assert process.processes[0].poll() is not None


def test_trainers_no_longer_used_are_forgotten_by_their_process():
    """Every trainer built there was kept for the session: two per measurement, more in a sweep."""
    installed("keras_fit_jax")
    config = Config(updates=5)
    first, second = (Runner(LINE, "keras_fit_jax", config, LINE.make_data(config)) for _ in range(2))
    children, ids = first.trainer.children, [first.trainer.id, second.trainer.id]
    del first  # nothing else refers to it: collected now
    assert children.dropped == ids[:1]
    children.call(op="ping")  # carries the drop
    del second  # its finalizer holds the list the first one emptied
    assert children.dropped == ids[1:]
    for id in ids:
        with pytest.raises(RemoteError, match="TypeError"):  # gone there
            children.call(op="train", id=id, keep_log=False)
