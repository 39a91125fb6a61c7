"""The hand-derived gradient, TensorFlow's autodiff and central finite differences agree.

In float64 all three must match to ~1e-7: any slip in the derivation (a lost 2, a missing x) is
off by tens of percent.
"""

import numpy as np
import pytest

from impls import TRAINERS
from impls.gradcheck import MAX_RELATIVE_ERROR, check, finite_difference, random_points
from impls.numpy_manual import huber, mse
from impls.problem import Config, make_data
from impls.tf_setup import loss_fn, tf
from tests.conftest import build

CONFIGS = {"mse": Config(), "huber": Config(loss="huber")}


def hand_gradient(config, W, b, x, y):
    residual = W * x + b - y
    if config.loss == "mse":
        return mse(residual, x)[1:]
    return huber(residual, x, config.huber_delta)[1:]


def tape_gradient(config, W, b, x, y):
    """GradientTape in float64, on the same loss the TF trainers use."""
    W, b = tf.Variable(W, dtype=tf.float64), tf.Variable(b, dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = loss_fn(config)(W * tf.constant(x, tf.float64) + b, tf.constant(y, tf.float64))
    return [float(g) for g in tape.gradient(loss, [W, b])]


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_hand_gradient_equals_autodiff_and_finite_differences(config):
    for W, b, x, y in random_points(config, make_data(config), count=5):
        x, y = x.astype(np.float64), y.astype(np.float64)
        hand = hand_gradient(config, W, b, x, y)
        np.testing.assert_allclose(hand, tape_gradient(config, W, b, x, y), rtol=1e-10)
        np.testing.assert_allclose(hand, finite_difference(config, W, b, x, y), rtol=1e-6)


def test_a_slip_in_the_derivation_is_caught():
    """Dropping the 2 from d(r²)/dr — as if the loss had a ½ — is off by a factor of two."""
    config = Config()
    W, b, x, y = random_points(config, make_data(config), count=1)[0]
    halved = np.array(hand_gradient(config, W, b, x.astype(np.float64), y.astype(np.float64))) / 2
    assert not np.allclose(halved, finite_difference(config, W, b, x, y), rtol=1e-2)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("name", TRAINERS)
def test_every_trainers_gradient_passes_the_check(name, config):
    rows = check(build(name, config), random_points(config, make_data(config)))
    assert max(error for *_, error in rows) < MAX_RELATIVE_ERROR
