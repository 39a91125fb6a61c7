"""All trainers follow one trajectory: W and b after every update agree to float32 tolerance.

Each trainer is an independent computation — numpy's hand-derived gradient, TensorFlow's eager
autodiff, a compiled graph, XLA, Keras's own loss and optimiser — so agreement update by update (not
just at the end) shows they run the same algorithm on the same batches in the same order. The batch
losses compared are each framework's own: Keras's come from its loss tracker, not recomputed.
"""

import numpy as np
import pytest

from impls.numpy_manual import Trainer as NumpyTrainer
from impls.problem import Config, Data, make_data
from tests.helpers import INSTALLED, LINE, final, logged

RTOL, ATOL = LINE.equivalence  # float32 has ~7 digits; 150 updates of rounding stay well inside this
CONFIGS = {
    "textbook": Config(),
    "two epochs, uneven pass": Config(samples=1000, batch_size=36, updates=60, seed=3),  # 28 samples unused
    "huber": Config(loss="huber", seed=4),
}


def assert_same_trajectory(ours, numpy_run):
    """`ours` may be sparse (keras_fit_tuned): compare it at the updates it logged."""
    index = ours.updates - 1
    np.testing.assert_allclose(ours["W"], numpy_run["W"][index], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours["b"], numpy_run["b"][index], rtol=RTOL, atol=ATOL)
    if ours.loss is not None:
        # the batch loss shrinks to ~1e-5, where float32 rounding of the residuals dominates
        np.testing.assert_allclose(ours.loss, numpy_run.loss[index], rtol=1e-4, atol=1e-8)


@pytest.mark.slow
@pytest.mark.parametrize("config", list(CONFIGS.values())[1:], ids=list(CONFIGS)[1:])  # the textbook's: test_every_problem
@pytest.mark.parametrize("name", [n for n in INSTALLED if n != "numpy_manual"])
def test_same_trajectory_as_numpy(name, config):
    ours, numpy_run = logged(name, config), logged("numpy_manual", config)
    assert numpy_run.updates.tolist() == list(range(1, config.updates + 1))
    assert ours.updates[-1] == config.updates and ours.diverged_at is None
    assert_same_trajectory(ours, numpy_run)


@pytest.mark.slow
@pytest.mark.parametrize("name", INSTALLED)
def test_the_timed_run_ends_where_the_recorded_run_ends(name):
    """The timed path (no log) and the logged path (log) are the same training, bit for bit or,
    where they are two compiled programs, to float32 rounding."""
    config = Config(seed=5)
    logged_run = logged(name, config)
    timed = final(name, config)
    for parameter in LINE.parameters:
        np.testing.assert_allclose(timed[parameter], logged_run.final[parameter], rtol=1e-6, atol=1e-7)


def test_trajectories_would_differ_with_another_batch_order():
    """The comparison above can fail: the same samples in another order end in the same place by
    another path."""
    config = Config()
    data = make_data(config)
    reordered = NumpyTrainer(config, Data(data.x[::-1].copy(), data.y[::-1].copy()))
    Ws = []
    reordered.train(log=lambda update, loss, W, b: Ws.append(float(W)))
    numpy_run = logged("numpy_manual", config)
    assert abs(Ws[-1] - numpy_run["W"][-1]) < 0.01
    assert not np.allclose(Ws, numpy_run["W"], rtol=RTOL, atol=ATOL)


FLOOR_ATOL = 5e-7  # measured: at most 3.6e-7 (two float32 steps at W ≈ 2, where one is 2.4e-7)
FLOOR_CONFIGS = {**CONFIGS, "batch 4096": Config(samples=2**16, batch_size=4096, updates=64)}


@pytest.mark.slow
@pytest.mark.skipif("numba_loop" not in INSTALLED, reason="numba is not installed")
@pytest.mark.parametrize("config", FLOOR_CONFIGS.values(), ids=FLOOR_CONFIGS.keys())
def test_the_floor_follows_numpy_to_two_float32_steps(config):
    """numba_loop sums in float64 in one pass, numpy_manual in float32 array calls: after every update
    their W and b differ by rounding only, far inside the tolerance every other trainer is held to."""
    floor, numpy_run = logged("numba_loop", config), logged("numpy_manual", config)
    for parameter in LINE.parameters:
        np.testing.assert_allclose(floor[parameter], numpy_run[parameter], rtol=0, atol=FLOOR_ATOL)
