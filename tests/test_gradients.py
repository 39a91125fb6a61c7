"""Hand-derived gradients, autodiff and central finite differences agree — for the line and the
network — and the checker fails a gradient that is wrong or that it cannot measure.

In float64 all three must match to ~1e-7: any slip in a derivation (a lost 2, a dropped 1 − h²) is
off by tens of percent.
"""

import math

import numpy as np
import pytest

from fitways.frameworks import FRAMEWORKS
from fitways.gradcheck import MAX_RELATIVE_ERROR, check, finite_difference, passes, random_points, relative_error
from fitways.runner import Runner
from impls.mlp import numpy_manual as mlp_numpy
from impls.numpy_manual import Trainer as NumpyTrainer
from impls.problem import Config, make_data
from tests.helpers import INSTALLED, LINE, MLP, needs_tensorflow, runner

CONFIGS = {"mse": Config(), "huber": Config(loss="huber")}
MLP_CONFIG = MLP.Config(hidden=5)


def hand_gradient(problem, config, params, x, y):
    """The numpy lesson's gradient in float64: its arithmetic, on float64 inputs."""
    trainer = (NumpyTrainer if problem is LINE else mlp_numpy.Trainer)(config, problem.make_data(config))
    for name, value in params.items():
        setattr(trainer, name, np.float64(value) if np.ndim(value) == 0 else np.array(value, np.float64))
    return dict(zip(problem.parameters, trainer.loss_and_gradient(x, y)[1:]))


def tape_gradient(problem, config, params, x, y):
    """GradientTape in float64, on the problem's float64 forward pass written in TensorFlow here."""
    from impls.losses import tensorflow_loss

    tf = FRAMEWORKS["tensorflow"].load()  # through the harness: in the suite's order

    variables = {name: tf.Variable(value, dtype=tf.float64) for name, value in params.items()}
    x, y = tf.constant(x, tf.float64), tf.constant(y, tf.float64)
    with tf.GradientTape() as tape:
        if problem is LINE:
            prediction = variables["W"] * x + variables["b"]
        else:
            hidden = tf.tanh(x[:, None] * variables["W1"] + variables["b1"])
            prediction = tf.linalg.matvec(hidden, variables["w2"]) + variables["b2"]
        loss = tensorflow_loss(config)(prediction - y)
    return dict(zip(variables, (g.numpy() for g in tape.gradient(loss, list(variables.values())))))


def points(problem, config, count=5):
    return [
        (params, x.astype(np.float64), y.astype(np.float64))
        for params, x, y in random_points(problem, config, problem.make_data(config), count=count)
    ]


@pytest.mark.slow
@needs_tensorflow
@pytest.mark.parametrize("problem, config", [(LINE, c) for c in CONFIGS.values()] + [(MLP, MLP_CONFIG)],
                         ids=[*CONFIGS, "mlp"])  # fmt: skip
def test_hand_gradient_equals_autodiff_and_finite_differences(problem, config):
    for params, x, y in points(problem, config):
        hand = hand_gradient(problem, config, params, x, y)
        tape, numeric = tape_gradient(problem, config, params, x, y), finite_difference(problem, config, params, x, y)
        for name in problem.parameters:
            np.testing.assert_allclose(hand[name], tape[name], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(hand[name], numeric[name], rtol=1e-6, atol=1e-8)


class DroppedTheTwo(NumpyTrainer):
    """numpy_manual with a slip in the derivation: dL/dW = (1/n) Σ r·x, as if the loss had a ½."""

    def loss_and_gradient(self, x, y):
        loss, dW, db = super().loss_and_gradient(x, y)
        return loss, dW / 2, db / 2


RIGHT_BACKPROP = mlp_numpy.mse


def dropped_the_tanh_slope(residual, x, hidden, w2):
    """The network's backprop with one factor dropped: dL/dz = g·w2, as if tanh′ were 1 (h = 0 there)."""
    return RIGHT_BACKPROP(residual, x, np.zeros_like(hidden), w2)[:3] + RIGHT_BACKPROP(residual, x, hidden, w2)[3:]


def test_the_checker_catches_a_slip_in_the_derivation(monkeypatch):
    config = Config()
    monkeypatch.setattr("impls.numpy_manual.Trainer", DroppedTheTwo)
    rows = check(Runner(LINE, "numpy_manual", config, make_data(config)), random_points(LINE, config, make_data(config)))
    assert all(not passes(row["error"]) for row in rows)
    assert all(0.3 < row["error"] < 0.7 for row in rows)  # off by a factor of two: relative error ½


def test_the_checker_catches_a_dropped_factor_in_backpropagation(monkeypatch):
    """The control for the network: without 1 − h², dL/dW1 and dL/db1 are wrong and the check says so."""
    data = MLP.make_data(MLP_CONFIG)
    right = check(Runner(MLP, "numpy_manual", MLP_CONFIG, data), random_points(MLP, MLP_CONFIG, data))
    monkeypatch.setattr(mlp_numpy, "mse", dropped_the_tanh_slope)
    wrong = check(Runner(MLP, "numpy_manual", MLP_CONFIG, data), random_points(MLP, MLP_CONFIG, data))
    assert all(passes(row["error"]) for row in right)
    assert all(not passes(row["error"]) and row["error"] > 0.05 for row in wrong), [row["error"] for row in wrong]
    assert all(passes(relative_error(row["gradient"]["w2"], row["finite_difference"]["w2"])) for row in wrong)


def test_a_value_the_checker_cannot_measure_fails():
    assert relative_error(math.nan, 1.0) == math.inf and not passes(relative_error(math.nan, 1.0))
    assert not passes(relative_error(1.0, math.inf)) and not passes(math.nan)
    assert passes(relative_error(1.0, 1.0 + 1e-7))


@pytest.mark.slow
@pytest.mark.parametrize("name", INSTALLED)
def test_every_trainers_gradient_passes_the_check_on_huber(name):
    """mse, and every problem's default: test_every_problem."""
    config = CONFIGS["huber"]
    rows = check(runner(name, config), random_points(LINE, config, make_data(config)))
    assert all(passes(row["error"]) for row in rows), [row["error"] for row in rows]
    assert max(row["error"] for row in rows) < MAX_RELATIVE_ERROR


def test_the_step_grows_with_the_residuals_so_huge_noise_is_measured_right():
    """--noise 1e8: a fixed h = 1e-6 leaves the float64 difference ~1 % off; the scaled h does not."""
    config = Config(noise=1e8)
    params, x, y = points(LINE, config, count=1)[0]
    exact = hand_gradient(LINE, config, params, x, y)
    scaled = finite_difference(LINE, config, params, x, y)
    fixed = finite_difference(LINE, config, params, x, y, h=1e-6)
    assert all(relative_error(scaled[n], exact[n]) < 1e-7 for n in "Wb")
    assert max(relative_error(fixed[n], exact[n]) for n in "Wb") > 1e-4
