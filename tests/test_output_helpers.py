"""The output helpers leave nothing behind and claim nothing they did not do: --plot with every run
failed is one line, a failed write leaves no temporary file, --profile's check creates no directory and
a profile that vanished is a failure, `pip install .`'s build/ is ignored by git."""

import os
from types import SimpleNamespace

import pytest

from fitways import suite
from fitways.output import OutputError, directory_problem, write_atomically
from fitways.report import failed_row
from impls.problem import Config
from tests.helpers import LINE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_plot_with_every_run_failed_is_one_line(monkeypatch, capsys, tmp_path):
    """Before, plot_comparison got no rows and raised a traceback."""
    monkeypatch.setattr(suite, "run_all", lambda *args, **kwargs: ([failed_row(("numpy_manual", "cpu"), "boom")], {}))
    options = SimpleNamespace(repeat=1, baseline=None, log_every=None, replicas=None, json=None,
                              plot=str(tmp_path / "p.png"), profile=None)  # fmt: skip
    config = Config()
    status = suite.train_and_report(LINE, config, LINE.make_data(config), [("numpy_manual", "cpu")], [], options)
    err = capsys.readouterr().err
    assert status == 1 and f"error: --plot {tmp_path / 'p.png'}: nothing to draw, no run finished" in err
    assert "Traceback" not in err and os.listdir(tmp_path) == []


@pytest.mark.slow  # trains numpy_manual and draws
def test_a_json_that_cannot_be_written_does_not_stop_the_plot(monkeypatch, capsys, tmp_path):
    """Before, the first failed write ended the command: the plot asked for was never attempted."""
    gone = tmp_path / "gone"  # the folder vanished during the run
    options = SimpleNamespace(repeat=1, baseline=None, log_every=None, replicas=None, json=str(gone / "r.json"),
                              plot=str(tmp_path / "p.png"), profile=None)  # fmt: skip
    config = Config(updates=20)
    with pytest.raises(OutputError, match=f"^cannot write {gone / 'r.json'}: No such file or directory$"):
        suite.train_and_report(LINE, config, LINE.make_data(config), [("numpy_manual", "cpu")], [], options)
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    assert f"wrote {tmp_path / 'p.png'}" in capsys.readouterr().err


def test_a_write_that_fails_in_any_way_leaves_no_temporary_file(tmp_path):
    """Before, only an OSError removed it: a plotting error left .p.png.XXXXXXXX beside the target."""

    def fails(out):
        out.write(b"half")
        raise ValueError("the figure could not be drawn")

    with pytest.raises(ValueError):
        write_atomically(str(tmp_path / "p.png"), fails)
    assert os.listdir(tmp_path) == []


def test_the_profile_check_creates_no_directory(tmp_path):
    """Before, the check made the directory, and a run refused for another reason left it behind."""
    assert directory_problem(str(tmp_path / "a" / "b")) is None
    assert os.listdir(tmp_path) == []
    (tmp_path / "file").write_text("")
    assert "is not a directory" in directory_problem(str(tmp_path / "file" / "sub"))


def test_a_profile_that_vanished_is_not_reported_written(tmp_path):
    assert not suite.profile_written(str(tmp_path / "gone"))
    assert not suite.profile_written(str(tmp_path))  # empty: TensorFlow wrote nothing
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "trace.pb").write_bytes(b"x")
    assert suite.profile_written(str(tmp_path))


def test_pip_install_leaves_nothing_git_would_track():
    with open(os.path.join(ROOT, ".gitignore")) as file:
        ignored = file.read().split()
    assert "build/" in ignored and "*.egg-info/" in ignored


@pytest.mark.slow  # starts two worker processes
def test_profile_says_what_it_cannot_see_and_claims_no_trace(tmp_path, capsys):
    """Before, --profile with tf_multiworker said it wrote a trace: the launcher's, empty of training."""
    from fitways import command

    assert command.main(["--impl", "tf_multiworker", "--repeat", "1", "--updates", "5", "--profile", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    assert "note: --profile does not see tf_multiworker: it trains in worker processes" in err
    assert "wrote TensorFlow's profile" not in err
