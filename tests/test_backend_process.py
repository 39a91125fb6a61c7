"""The Keras backend processes (fitways.remote) and the gradient check cannot lose or corrupt a
result: a hung or stopped child is ended after a limit sized from the work, the child's stderr lives in
a file with no name (the data travels through the pipe), a full temporary directory is one line, and a
failing trainer in --check-gradients loses its own check only."""

import errno
import json
import signal
import sys
import tempfile

import pytest

from fitways import gradcheck, processes, remote, suite
from impls.problem import Config
from tests.helpers import LINE


def silent_child():
    """A stand-in for a backend process that never answers (hung)."""
    return remote.Children([{"KERAS_BACKEND": "jax"}], "Keras on jax", argv=[sys.executable, "-c", "import time; time.sleep(120)"])


@pytest.mark.slow  # starts a process
@pytest.mark.parametrize("stopped", [False, True], ids=["hung", "stopped"])
def test_a_child_that_does_not_answer_is_ended_after_its_limit(stopped):
    """Before, call() read the child's stdout with no limit: the parent waited forever, no JSON."""
    child = silent_child()
    try:
        if stopped:
            child.processes[0].send_signal(signal.SIGSTOP)  # what Ctrl-Z or a debugger does to it
        with pytest.raises(remote.RemoteError, match=r"did not answer 'ping' within 1 s \(hung or stopped\)"):
            child.call(seconds=1, op="ping")
        assert child.processes[0].poll() is not None  # ended, not left behind
    finally:
        child.close()


@pytest.mark.slow  # starts a process
def test_a_call_interrupted_by_ctrl_c_ends_its_child():
    """A reply still on its way would have answered the next request."""

    def ctrl_c(signum, frame):
        raise KeyboardInterrupt

    child, previous = silent_child(), signal.signal(signal.SIGALRM, ctrl_c)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            child.call(seconds=30, op="ping")
        assert child.processes[0].poll() is not None
        with pytest.raises(remote.RemoteError, match="ended after an earlier failure"):
            child.call(op="ping")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        child.close()


def test_the_train_limit_grows_with_the_work():
    short, long = Config(updates=10), Config(updates=100_000)
    assert remote.REPLY_SECONDS < remote.train_seconds(short) < remote.train_seconds(long)


def test_the_temporary_files_have_no_name(tmp_path, monkeypatch):
    """Before, a child's stderr lay in a directory that a killed parent left behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with processes.private_file() as file:
        file.write(b"what the child said")
        file.flush()
        assert list(tmp_path.iterdir()) == []
        file.seek(0)
        assert file.read() == b"what the child said"


def test_a_full_temporary_directory_is_one_clear_line(monkeypatch):
    """Before, it read as a zipfile error from numpy's savez."""

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    with pytest.raises(processes.ChildError) as error:
        processes.private_file()
    message = str(error.value)
    assert "No space left on device" in message and "set TMPDIR" in message and "\n" not in message


def test_a_failing_trainer_loses_only_its_own_gradient_check(monkeypatch, capsys, tmp_path):
    """Before, the first exception ended --check-gradients: every other trainer's check and the JSON lost."""
    real, calls = gradcheck.check, []

    def fails_once(runner, points):
        calls.append(runner.name)
        if len(calls) == 1:
            raise RuntimeError("the backend process ended")
        return real(runner, points)

    monkeypatch.setattr(gradcheck, "check", fails_once)
    config = Config(updates=5)
    path = tmp_path / "g.json"
    status = suite.check_gradients(LINE, config, LINE.make_data(config), [("numpy_manual", "cpu")] * 2, str(path))
    out = capsys.readouterr().out
    assert status == 1 and "FAILED: RuntimeError: the backend process ended" in out
    results = json.loads(path.read_text())["results"]
    assert results[0]["passed"] is False and "failed" in results[0]
    assert len(results) > 1 and all(result["passed"] for result in results[1:])


def test_made_once_makes_its_class_once_and_isinstance_still_holds():
    """What a worker does to MultiWorkerMirroredStrategy: TensorFlow allows one in a process."""

    class Meta(type):  # a metaclass of its own, as a framework's class may have
        pass

    class Strategy(metaclass=Meta):
        made = 0

        def __init__(self):
            Strategy.made += 1

    Once = remote.made_once(Strategy)
    first, second = Once(), Once()
    assert first is second and Strategy.made == 1
    assert isinstance(first, Strategy) and isinstance(first, Once) and Once.__name__ == "Strategy"
