"""All trainers follow one trajectory: W and b after every update agree to float32 tolerance.

Each trainer is an independent computation — numpy's hand-derived gradient, TensorFlow's eager
autodiff, a compiled graph, XLA, Keras's own loss and optimiser — so agreement step by step (not
just at the end) shows they run the same algorithm on the same batches in the same order.
"""

import numpy as np
import pytest

from impls import TRAINERS
from impls.numpy_manual import NumpyManualTrainer
from impls.problem import TOLERANCE, Config, Data, make_data

REFERENCE = "numpy_manual"
RTOL, ATOL = 1e-5, 1e-6  # float32 has ~7 digits; 150 updates of rounding stay well inside this
CONFIGS = {
    "textbook": Config(),
    "two epochs, odd batch": Config(samples=1000, batch_size=37, steps=60, seed=3),
    "huber": Config(loss="huber", seed=4),
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("name", [n for n in TRAINERS if n != REFERENCE])
def test_same_trajectory_as_numpy(train, name, config):
    ours, reference = train(name, config), train(REFERENCE, config)
    assert reference.steps.tolist() == list(range(1, config.steps + 1))
    assert ours.steps[-1] == config.steps
    index = ours.steps - 1  # keras_fit_tuned records only every steps_per_execution updates
    np.testing.assert_allclose(ours.W, reference.W[index], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours.b, reference.b[index], rtol=RTOL, atol=ATOL)
    if ours.loss is not None:
        # the batch loss shrinks to ~1e-5, where float32 rounding of the residuals dominates
        np.testing.assert_allclose(ours.loss, reference.loss[index], rtol=1e-4, atol=1e-8)


def test_trajectories_would_differ_with_another_batch_order(train):
    """The check above can fail: the same samples in another order end in the same place by another path."""
    config = Config()
    data = make_data(config)
    reordered = NumpyManualTrainer(config, Data(data.x[::-1].copy(), data.y[::-1].copy())).train()
    reference = train(REFERENCE, config)
    assert np.allclose(reordered.final, reference.final, atol=TOLERANCE)
    assert not np.allclose(reordered.W, reference.W, rtol=RTOL, atol=ATOL)
