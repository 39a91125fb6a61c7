"""The hand-derived gradient, TensorFlow's autodiff and central finite differences agree — and the
checker fails a gradient that is wrong or that it cannot measure.

In float64 all three must match to ~1e-7: any slip in the derivation (a lost 2, a missing x) is off
by tens of percent.
"""

import math

import numpy as np
import pytest

from fitways.gradcheck import MAX_RELATIVE_ERROR, check, finite_difference, passes, random_points, relative_error
from impls.numpy_manual import Trainer as NumpyTrainer
from impls.problem import Config, make_data
from tests.helpers import INSTALLED, needs_tensorflow, runner

CONFIGS = {"mse": Config(), "huber": Config(loss="huber")}


def hand_gradient(config, W, b, x, y):
    """numpy_manual's gradient in float64: its arithmetic, on float64 inputs."""
    trainer = NumpyTrainer(config, make_data(config))
    trainer.W, trainer.b = np.float64(W), np.float64(b)
    return trainer.loss_and_gradient(x, y)[1:]


def tape_gradient(config, W, b, x, y):
    """GradientTape in float64, on the same loss the TensorFlow lessons use."""
    import tensorflow as tf

    from impls.losses import tensorflow_loss

    W, b = tf.Variable(W, dtype=tf.float64), tf.Variable(b, dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = tensorflow_loss(config)(W * tf.constant(x, tf.float64) + b - tf.constant(y, tf.float64))
    return [float(g) for g in tape.gradient(loss, [W, b])]


@needs_tensorflow
@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_hand_gradient_equals_autodiff_and_finite_differences(config):
    for W, b, x, y in random_points(config, make_data(config), count=5):
        x, y = x.astype(np.float64), y.astype(np.float64)
        hand = hand_gradient(config, W, b, x, y)
        np.testing.assert_allclose(hand, tape_gradient(config, W, b, x, y), rtol=1e-10)
        np.testing.assert_allclose(hand, finite_difference(config, W, b, x, y), rtol=1e-6)


class DroppedTheTwo(NumpyTrainer):
    """numpy_manual with a slip in the derivation: dL/dW = (1/n) Σ r·x, as if the loss had a ½."""

    def loss_and_gradient(self, x, y):
        loss, dW, db = super().loss_and_gradient(x, y)
        return loss, dW / 2, db / 2


def test_the_checker_catches_a_slip_in_the_derivation(monkeypatch):
    config = Config()
    monkeypatch.setattr("impls.numpy_manual.Trainer", DroppedTheTwo)
    from fitways.runner import Runner

    rows = check(Runner("numpy_manual", config, make_data(config)), random_points(config, make_data(config)))
    assert all(not passes(row["error"]) for row in rows)
    assert all(0.3 < row["error"] < 0.7 for row in rows)  # off by a factor of two: relative error ½


def test_a_value_the_checker_cannot_measure_fails():
    assert relative_error(math.nan, 1.0) == math.inf and not passes(relative_error(math.nan, 1.0))
    assert not passes(relative_error(1.0, math.inf)) and not passes(math.nan)
    assert passes(relative_error(1.0, 1.0 + 1e-7))


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("name", INSTALLED)
def test_every_trainers_gradient_passes_the_check(name, config):
    rows = check(runner(name, config), random_points(config, make_data(config)))
    assert all(passes(row["error"]) for row in rows), [row["error"] for row in rows]
    assert max(row["error"] for row in rows) < MAX_RELATIVE_ERROR
