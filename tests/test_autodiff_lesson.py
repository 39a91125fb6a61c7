"""Why autodiff helps, shown by the code: switching MSE for the Huber loss.

The autodiff lessons needed only the new loss (impls/losses.py, or Keras's Huber); numpy_manual
needed a newly derived gradient, and its old MSE gradient is simply wrong for the new loss.
"""

import numpy as np
import pytest

from fitways import command
from fitways.checks import verdict
from fitways.gradcheck import MAX_RELATIVE_ERROR, check, random_points
from fitways.runner import Runner
from impls.problem import Config, make_data
from tests.helpers import INSTALLED, LINE, logged, strict_json

HUBER = Config(loss="huber")
AUTODIFF_TRAINERS = [name for name in INSTALLED if name != "numpy_manual"]


@pytest.mark.slow
@pytest.mark.parametrize("name", AUTODIFF_TRAINERS)
def test_autodiff_trainers_train_the_variant_with_no_gradient_code_changed(name):
    with_huber, with_mse = logged(name, HUBER), logged(name, Config())
    reference = LINE.reference(HUBER, make_data(HUBER))
    assert verdict(reference, with_huber.final, reference.loss)[0]
    # the loss really changed: updates where residuals exceed delta are clipped under Huber
    assert not np.allclose(with_huber["W"], with_mse["W"], rtol=1e-5, atol=1e-6)


def huber_data_mse_gradient():
    """numpy_manual as it was before the variant: the MSE gradient, run on the Huber problem."""
    data = make_data(HUBER)
    runner = Runner(LINE, "numpy_manual", HUBER, data)
    runner.trainer.config = Config()  # its loss_and_gradient picks the formula from the config
    return runner, data


def test_the_old_hand_gradient_is_wrong_for_the_variant():
    runner, data = huber_data_mse_gradient()
    rows = check(runner, random_points(LINE, HUBER, data))  # judged against Huber's finite differences
    assert all(row["error"] > 0.1 for row in rows), [row["error"] for row in rows]


def test_the_newly_derived_hand_gradient_is_right():
    rows = check(Runner(LINE, "numpy_manual", HUBER, make_data(HUBER)), random_points(LINE, HUBER, make_data(HUBER)))
    assert all(row["error"] < 1e-6 for row in rows)


@pytest.mark.slow
def test_check_gradients_from_the_command_line(capsys):
    assert command.main(["--check-gradients", "--loss", "huber", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert f"PASS: all {3 * len(INSTALLED)} gradients agree with finite differences to within {MAX_RELATIVE_ERROR:g}" in out
    for name in INSTALLED:
        assert out.count(f"\n{name} ") == 3


def test_check_gradients_fails_a_gradient_it_cannot_measure(capsys, monkeypatch):
    """A NaN gradient is a FAIL with exit 1, never 'nan' followed by PASS."""
    monkeypatch.setattr(Runner, "gradient", lambda self, params, x, y: {"W": float("nan"), "b": 0.0})
    assert command.main(["--check-gradients", "--impl", "numpy_manual"]) == 1
    out = capsys.readouterr().out
    assert "FAIL: 3 of 3 gradients differ" in out and "PASS" not in out


@pytest.mark.slow
def test_huber_runs_from_the_command_line(capsys):
    assert command.main(["--loss", "huber", "--repeat", "1", "--impl", "numpy_manual", "--impl", "tf_xla"]) == 0
    out = capsys.readouterr().out
    assert "loss huber" in out and "huber" in out.splitlines()[0].split()  # the loss column says which loss


@pytest.mark.slow
def test_check_gradients_honours_json(tmp_path):
    path = tmp_path / "gradients.json"
    assert command.main(["--check-gradients", "--impl", "numpy_manual", "--impl", "tf_xla", "--json", str(path)]) == 0
    report = strict_json(path.read_text())
    assert [r["trainer"] for r in report["results"]] == ["numpy_manual"] * 3 + ["tf_xla"] * 3
    assert all(r["passed"] and r["error"] < MAX_RELATIVE_ERROR for r in report["results"])
