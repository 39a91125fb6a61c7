"""At accepted sizes a run neither runs out of memory midway nor stays silent: the memory check counts
the trajectory (updates × parameters) and the float64 replay (batch × parameters), and the float64
reference and the gradient check say they are still going when they take long."""

import time

import pytest

from fitways import command, environment, gradcheck, output, suite
from impls.problem import Config
from tests.helpers import LINE, MLP

WIDE = ["--problem", "mlp", "--hidden", "65536", "--batch-size", "2048", "--updates", "1000", "--impl", "numpy_manual"]


def test_a_run_whose_trajectory_and_replay_do_not_fit_is_one_line(monkeypatch, capsys):
    """Before, only --samples was counted (3000 samples: 0.2 MB), so this run started and needed ~8 GB."""
    monkeypatch.setattr(environment, "available_bytes", lambda: 2e9)
    with pytest.raises(SystemExit) as exit_info:
        command.main(WIDE)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert err.startswith("error: 1000 updates of 1 trainer(s) keep about 4.7 GB of trajectory") and "2.0 GB is available" in err


def test_what_a_run_keeps_grows_with_updates_parameters_and_batch():
    line, wide = Config(), MLP.Config(hidden=65536, batch_size=2048, updates=1000)
    small_trajectory, small_replay = environment.run_bytes(LINE, line, 1)
    trajectory, replay = environment.run_bytes(MLP, wide, 1)
    assert small_trajectory + small_replay < 1e5 and 4e9 < trajectory < 6e9 and 3e9 < replay < 6e9


def test_a_long_gradient_check_says_it_is_still_going(monkeypatch, capsys):
    """Before, the network's gradient check (growing as H²) printed nothing for minutes."""
    monkeypatch.setattr(output, "PROGRESS_SECONDS", 0.01)
    real = gradcheck.check

    def slow(runner, points):
        time.sleep(0.1)
        return real(runner, points)

    monkeypatch.setattr(gradcheck, "check", slow)
    config = Config(updates=5)
    suite.check_gradients(LINE, config, LINE.make_data(config), [("numpy_manual", "cpu")], None)
    err = capsys.readouterr().err
    assert "still checking numpy_manual's gradient, 0 s ...\n" in err


def test_progress_is_silent_when_the_work_is_short(capsys):
    with output.still_running(every=5, doing="replaying", own_line=True):
        pass
    assert capsys.readouterr().err == ""
