"""Why autodiff helps, shown by the code: switching MSE for the Huber loss.

The autodiff trainers needed only the new loss (tf_setup.loss_fn, or Keras's Huber); numpy_manual
needed a newly derived gradient, and its old MSE gradient is simply wrong for the new loss.
"""

import numpy as np
import pytest

import compare
from impls import TRAINERS
from impls.gradcheck import MAX_RELATIVE_ERROR, finite_difference, random_points, relative_error
from impls.numpy_manual import huber, mse
from impls.problem import Config, converged, make_data

HUBER = Config(loss="huber")
AUTODIFF_TRAINERS = [name for name in TRAINERS if name != "numpy_manual"]


@pytest.mark.parametrize("name", AUTODIFF_TRAINERS)
def test_autodiff_trainers_train_the_variant_with_no_gradient_code_changed(train, name):
    with_huber, with_mse = train(name, HUBER), train(name, Config())
    assert converged(HUBER, *with_huber.final)
    # the loss really changed: updates where residuals exceed delta are clipped under Huber
    assert not np.allclose(with_huber.W, with_mse.W, rtol=1e-5, atol=1e-6)


def huber_points():
    """Random points whose residuals mostly exceed delta, where MSE's and Huber's gradients part ways."""
    return [(W, b, x.astype(np.float64), y.astype(np.float64)) for W, b, x, y in random_points(HUBER, make_data(HUBER))]


def test_the_old_hand_gradient_is_wrong_for_the_variant():
    for W, b, x, y in huber_points():
        old = mse(W * x + b - y, x)[1:]
        assert max(map(relative_error, old, finite_difference(HUBER, W, b, x, y))) > 0.1


def test_the_newly_derived_hand_gradient_is_right():
    for W, b, x, y in huber_points():
        new = huber(W * x + b - y, x, HUBER.huber_delta)[1:]
        assert max(map(relative_error, new, finite_difference(HUBER, W, b, x, y))) < 1e-6


def test_check_gradients_from_the_command_line(capsys):
    assert compare.main(["--check-gradients", "--loss", "huber"]) == 0
    out = capsys.readouterr().out
    assert (
        f"PASS: all {3 * len(TRAINERS)} gradients agree with finite differences to within {MAX_RELATIVE_ERROR:g}" in out
    )
    for name in TRAINERS:
        assert out.count(f"\n{name} ") == 3


def test_huber_runs_from_the_command_line(capsys):
    assert compare.main(["--loss", "huber", "--repeat", "1", "--impl", "numpy_manual", "--impl", "tf_xla"]) == 0
    assert "loss huber" in capsys.readouterr().out


def test_plot_writes_a_png(tmp_path):
    path = tmp_path / "compare.png"
    assert (
        compare.main(["--repeat", "1", "--impl", "numpy_manual", "--impl", "keras_fit_tuned", "--plot", str(path)]) == 0
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
