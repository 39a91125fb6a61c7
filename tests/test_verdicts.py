"""Every verdict from the problem's own optimum: Huber's reference is Huber's optimum, the network's
loss ceiling leaves room for the noise's own variance, degenerate network data is judged like the
line's, and the gradient check's step suits the network's curved loss (numpy only: the fast tier)."""

import numpy as np
import pytest

from fitways.checks import verdict
from fitways.gradcheck import check, finite_difference, passes, random_points
from fitways.problem import loss_of_residual
from fitways.runner import Runner
from impls.mlp import numpy_manual as mlp_numpy
from impls.problem import Config, best_fit
from tests.helpers import LINE, MLP
from tests.test_gradients import dropped_the_tanh_slope


def huber_gradient(config, params, x, y):
    residual = params["W"] * x + params["b"] - y
    slope = np.clip(residual, -config.huber_delta, config.huber_delta)  # Huber's ψ
    return np.array([np.mean(slope * x), np.mean(slope)])


def test_the_huber_reference_is_huber_optimum():
    """Before, it was the least-squares fit: at --noise 30 Huber's gradient there is far from zero,
    and the footer called it 'the best this data supports'."""
    config = Config(loss="huber", noise=30.0)
    data = LINE.make_data(config)
    x, y = LINE.trained(config, data)
    reference = LINE.reference(config, data)
    assert np.max(np.abs(huber_gradient(config, reference.parameters, x, y))) < 1e-9
    W, b = np.linalg.lstsq(np.stack([x, np.ones(len(x))], 1), y, rcond=None)[0]
    least_squares = {"W": W, "b": b}
    assert np.max(np.abs(huber_gradient(config, least_squares, x, y))) > 1e-3  # the old reference is not optimal
    assert reference.loss < LINE.loss(config, least_squares, x, y)
    assert "Huber optimum" in LINE.converged_means(config, reference) and "under huber" in LINE.converged_means(config, reference)
    assert LINE.describe(config, reference)[1][0] == "Huber optimum"


def test_least_squares_stays_in_closed_form():
    config = Config()
    design, y = np.stack([np.arange(5.0), np.ones(5)], 1), np.array([0.0, 1, 2, 3, 10])
    assert np.allclose(best_fit(config, design, y), np.linalg.lstsq(design, y, rcond=None)[0])
    assert loss_of_residual(config, y - y.mean()) == pytest.approx(np.var(y))


def test_a_network_run_at_the_noise_floor_can_converge():
    """Before, the ceiling was a tenth of the best line's loss, below the noise's own variance (1/12 at
    --noise 1): no run could converge; numpy_manual at |Δ ref| 1e-6 was NOT CONVERGED."""
    config = MLP.Config(noise=1.0)
    data = MLP.make_data(config)
    reference = MLP.reference(config, data)
    assert reference.ceiling > config.noise**2 / 12 > reference.baseline_loss / MLP.LEARNED
    ok, why = verdict(reference, reference.parameters, reference.loss)
    assert ok, why


def test_degenerate_network_data_is_judged_by_its_path_only():
    """Before, --samples 2 --batch-size 2 gave a ceiling of 6e-33 (the best line fits two points)."""
    config = MLP.Config(samples=2, batch_size=2)
    reference = MLP.reference(config, MLP.make_data(config))
    assert reference.ceiling is None and "no loss to beat" in MLP.converged_means(config, reference)


def test_the_network_gradient_check_passes_correct_gradients_at_high_noise(monkeypatch):
    """Before, h grew with the residuals (h ≈ 6e-3 at --noise 1e4) and most correct gradients FAILED;
    the broken-backprop control must still fail."""
    config = MLP.Config(noise=1e4)
    data = MLP.make_data(config)
    points = random_points(MLP, config, data)
    right = check(Runner(MLP, "numpy_manual", config, data), points)
    assert all(passes(row["error"]) for row in right), [row["error"] for row in right]
    monkeypatch.setattr(mlp_numpy, "mse", dropped_the_tanh_slope)
    wrong = check(Runner(MLP, "numpy_manual", config, data), points)
    assert all(not passes(row["error"]) for row in wrong), [row["error"] for row in wrong]


def test_the_line_keeps_its_residual_scaled_step():
    """The line's loss is quadratic: no truncation error, so h may grow with the residuals (at --noise
    1e8 a fixed h would lose the gradient to rounding)."""
    config = Config(noise=1e8)
    data = LINE.make_data(config)
    (params, x, y), *_ = random_points(LINE, config, data)
    assert not hasattr(LINE, "finite_difference_step")
    assert np.all(np.isfinite(finite_difference(LINE, config, params, x, y)["W"]))
