"""Reliability, round 3 (issue 19): what the process around a run can do to it — a stdout that stops
reading, environment variables the frameworks read, the order of imports, signals, the interpreter's
flags, a deleted working directory, memory, a trainer that runs for hours. Subprocesses only where the
case lives in a process of its own (a pipe, a segfault, a signal, an interpreter flag)."""

import importlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time

import psutil
import pytest

from benchmarks import docstring
from fitways import command, environment, output, remote
from fitways.problems import PROBLEMS
from fitways.registry import framework_of
from impls.startup import TRITON_LIBRARY, TorchCompilerBeforeTensorFlow, TritonFirst, quiet_stderr
from tests.helpers import HAS_TENSORFLOW, needs_tensorflow, strict_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = ["--impl", "numpy_manual", "--repeat", "1"]
HAS_TORCH_COMPILER = importlib.util.find_spec("torch") is not None and importlib.util.find_spec("triton") is not None


def child_env(**changes):
    """os.environ as a user's shell would have it: without what this test process set for itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND")}
    return {**env, **changes}


def run(command, **kwargs):
    kwargs.setdefault("env", child_env())
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, **kwargs)


def refused(capsys, argv):
    """compare.py's one-line refusal (exit 2) of argv, as text."""
    with pytest.raises(SystemExit) as exit_info:
        command.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


# 3. stdout failures: the run goes on, the files asked for are written, the exit status means something


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize(
    "redirect, status",
    [("| head -1", 0), (">&-", 0), (">/dev/full", 1)],
    ids=["reader leaves", "stdout closed", "disk full"],
)
def test_a_failing_stdout_costs_neither_the_run_nor_its_files(tmp_path, redirect, status):
    path = tmp_path / "r.json"
    command = f"{sys.executable} compare.py {' '.join(QUICK)} --log-every 1 --updates 3000 --json {path} {redirect}"
    done = run(["bash", "-c", f"{command}; exit ${{PIPESTATUS[0]}}"])
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr and f"wrote {path}" in done.stderr
    assert strict_json(path.read_text())["results"][0]["converged"] is True
    assert ("could not write to stdout: No space left on device" in done.stderr) == (status == 1)


# 5. environment variables that would crash a run are named up front, exit 2


@pytest.mark.parametrize(
    "variable, value, argv, says",
    [
        ("JAX_PLATFORMS", "gpu", ["--impl", "jax_jit", "--device", "cpu"], "JAX_PLATFORMS=gpu leaves JAX no CPU"),
        ("TORCH_COMPILE_DISABLE", "1", ["--impl", "torch_compile"], "TORCH_COMPILE_DISABLE=1 turns torch.compile off"),
        ("TF_CONFIG", "not json", ["--impl", "tf_mirrored"], "TF_CONFIG is not JSON"),
        ("TF_CONFIG", "[1]", ["--impl", "keras_fit_mirrored"], "TF_CONFIG must be a JSON object"),
    ],
)
def test_an_environment_variable_that_breaks_a_trainer_is_named_before_training(
    capsys, monkeypatch, variable, value, argv, says
):
    if not framework_of(PROBLEMS["line"].trainers[argv[1]]).installed():
        pytest.skip(f"{argv[1]}'s framework is not installed")
    monkeypatch.setenv(variable, value)
    assert says in refused(capsys, [*argv, "--repeat", "1"])


def test_no_writable_temporary_directory_is_named_before_training(capsys, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", "/proc/no-such-directory")  # what gettempdir() answers
    assert "no writable temporary directory" in refused(capsys, ["--impl", "tf_multiworker", "--repeat", "1"])


def test_more_samples_than_memory_holds_are_refused(capsys, monkeypatch):
    monkeypatch.setattr(environment, "available_bytes", lambda: 10**8)  # 100 MB
    err = refused(capsys, [*QUICK, "--samples", "10000000", "--updates", "10"])
    assert "--samples 10000000 needs about 0.6 GB of memory, and 0.1 GB is available here" in err


@pytest.mark.slow  # starts a process
def test_a_keras_backend_keras_does_not_know_is_one_line_and_exit_2():
    """Before, with only keras_fit_jax or keras_fit_torch asked for, it was a failed row and exit 1."""
    done = run([sys.executable, "compare.py", "--impl", "keras_fit_jax", *QUICK[2:]], env=child_env(KERAS_BACKEND="garbage"))
    assert done.returncode == 2
    assert done.stderr == "error: KERAS_BACKEND=garbage: Keras has no such backend (it knows tensorflow, jax, torch, numpy, openvino)\n"


@pytest.mark.slow
@needs_tensorflow
def test_a_flag_tensorflow_refuses_at_start_up_is_shown_not_swallowed():
    """TensorFlow prints one F line and exits 1 at start-up; inside the quiet import that was silence."""
    argv = [sys.executable, "compare.py", "--impl", "tf_xla", "--repeat", "1"]
    done = run(argv, env=child_env(TF_XLA_FLAGS="--bogus"))
    assert done.returncode == 2
    assert done.stderr == (
        "error: TF_XLA_FLAGS=--bogus: tensorflow will not start with it (Unknown flag in TF_XLA_FLAGS: --bogus)\n"
    )


@pytest.mark.parametrize("stop", [RuntimeError("import failed"), SystemExit(143), KeyboardInterrupt()], ids=repr)
def test_what_the_quiet_import_silenced_is_replayed_when_it_fails(capfd, stop):
    """SystemExit and KeyboardInterrupt: a SIGTERM or Ctrl-C during TensorFlow's import said nothing."""
    with pytest.raises(type(stop)), quiet_stderr():
        os.write(2, b"F0000 the reason it stopped\n")
        raise stop
    with quiet_stderr():
        os.write(2, b"I0000 start-up noise\n")
    assert capfd.readouterr().err == "F0000 the reason it stopped\n"


# 7. import order: Triton's library comes before TensorFlow's, whatever the user imports first


@pytest.mark.slow
@pytest.mark.skipif(not (HAS_TENSORFLOW and HAS_TORCH_COMPILER), reason="needs TensorFlow, torch and Triton")
def test_a_tensorflow_lesson_then_torch_compile_does_not_crash():
    done = run([sys.executable, "-c", "import impls.tf_function, impls.torch_compile"])  # was a segfault (139)
    assert done.returncode == 0, done.stderr


def test_torch_compile_after_a_tensorflow_imported_first_is_one_clear_error(monkeypatch):
    """`import tensorflow, torch` before impls: too late to load Triton first; the compiler is refused."""
    monkeypatch.setitem(sys.modules, "tensorflow", sys.modules.get("tensorflow", object()))
    monkeypatch.delitem(sys.modules, TRITON_LIBRARY, raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: name == "triton" or None)
    with pytest.raises(TorchCompilerBeforeTensorFlow, match="import impls \\(or fitways\\) before tensorflow"):
        TritonFirst().find_spec("torch._inductor")
    assert TritonFirst().find_spec("torch._dynamo") is None  # what torch_eager needs is left alone


# 8. the log level does not depend on what was imported first; a lesson run alone prints its log first


@pytest.mark.slow
def test_the_log_level_is_set_before_jax_can_set_its_own():
    code = "import fitways.frameworks, jax, os; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    assert run([sys.executable, "-c", code]).stdout == "2\n"


@pytest.mark.slow
@needs_tensorflow
def test_a_lesson_run_alone_prints_the_textbooks_log_and_no_start_up_noise():
    done = run([sys.executable, "-m", "impls.gradient_tape"])
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("At step 0, loss = ") and done.stdout.count("\n") == 10


# 9. signals: Ctrl-Z stops the workers too, SIGTERM cleans up


def wait_for(condition, seconds=120):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
@needs_tensorflow
def test_ctrl_z_stops_the_workers_and_sigterm_cleans_up(tmp_path):
    argv = [sys.executable, "compare.py", "--impl", "tf_multiworker", "--updates", "5000", "--repeat", "3"]
    launcher = subprocess.Popen(argv, cwd=ROOT, env=child_env(TMPDIR=str(tmp_path)), stderr=subprocess.PIPE, text=True)
    try:
        def workers_of_launcher():  # its children that run fitways.remote
            children = psutil.Process(launcher.pid).children()
            return [child for child in children if remote.CHILD[-1] in child.cmdline()]

        wait_for(lambda: len(workers_of_launcher()) == 2)
        workers = workers_of_launcher()
        launcher.send_signal(signal.SIGTSTP)  # what Ctrl-Z sends to the terminal's foreground group
        # generous limits: on a loaded 2-core machine the launcher's handler can wait seconds for its turn
        wait_for(lambda: all(worker.status() == psutil.STATUS_STOPPED for worker in workers), 60)
        launcher.send_signal(signal.SIGCONT)
        wait_for(lambda: all(worker.status() != psutil.STATUS_STOPPED for worker in workers), 60)
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        launcher.kill()
        _, err = launcher.communicate()
    assert err.endswith("\nSIGTERM: stopping\n")
    assert not any(worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE for worker in workers)
    assert os.listdir(tmp_path) == []  # the workers' temporary directory is gone


# 10. the small ones


@pytest.mark.parametrize(
    "name, argv",
    [
        ("benchmarks.summarize", ["--help"]),
        ("benchmarks.sweep_batch_size", ["--help"]),
        ("benchmarks.anatomy", ["--help"]),  # it parses before it imports TensorFlow
    ],
    ids=["summarize", "sweep", "anatomy"],
)
def test_help_needs_no_docstring_at_run_time(monkeypatch, capsys, name, argv):
    """python -OO strips __doc__; --help reads the docstring from the source instead."""
    module = importlib.import_module(name)  # here, not at collection: no framework loads for the fast tier
    monkeypatch.setattr(module, "__doc__", None)
    main = module.main
    try:
        code = main(argv)
    except SystemExit as exit_info:
        code = exit_info.code
    assert code == 0
    assert docstring(module.__file__).split("\n")[0].split(":")[0] in capsys.readouterr().out


@pytest.mark.slow  # starts processes
def test_scripts_run_as_modules_from_elsewhere_and_compare_under_python_isolated(tmp_path):
    """The scripts in benchmarks/ are modules of the checkout (python -m benchmarks.NAME), found through
    PYTHONPATH from any directory: no script edits sys.path."""
    on_path = {**os.environ, "PYTHONPATH": ROOT}
    children = [
        subprocess.Popen([sys.executable, "-m", f"benchmarks.{script}", "--help"], cwd=tmp_path, env=on_path,
                         stdout=subprocess.DEVNULL)  # fmt: skip
        for script in ("summarize", "sweep_batch_size")
    ]
    isolated = run([sys.executable, "-I", "compare.py", *QUICK])
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    assert isolated.returncode == 0, isolated.stderr


@pytest.mark.parametrize("option, path", [("--json", "r.json"), ("--profile", "traces")])
def test_a_relative_path_in_a_deleted_working_directory_is_one_line(tmp_path, monkeypatch, capsys, option, path):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    err = refused(capsys, [*QUICK, option, path])
    assert err == f"error: {option} {path}: the working directory no longer exists (give an absolute path)\n"


@pytest.mark.slow
def test_a_long_trainer_says_it_is_still_training(monkeypatch, capsys):
    monkeypatch.setattr(output, "PROGRESS_SECONDS", 0.01)
    assert command.main([*QUICK, "--updates", "20000"]) == 0
    err = capsys.readouterr().err
    assert "\n  still training, " in err and err.rstrip().endswith(" s")
