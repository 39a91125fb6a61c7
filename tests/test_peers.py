"""The peers: JAX and PyTorch lessons run where their framework is installed, and compare.py needs
only the frameworks of the trainers it runs."""

import os
import site
import subprocess
import sys

import pytest

from fitways import command
from fitways.cli import choose_trainers
from fitways.registry import framework_of
from tests.helpers import INSTALLED, LINE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TENSORFLOW_PARTS = ("tensorflow", "keras", "tf_keras", "tensorboard")


@pytest.fixture(scope="module")
def site_without_tensorflow(tmp_path_factory):
    """A site-packages that holds everything installed here but TensorFlow and Keras: a machine
    without TensorFlow, as far as Python can tell."""
    folder = tmp_path_factory.mktemp("site")
    for packages in site.getsitepackages():
        for entry in os.listdir(packages):
            if not entry.lower().startswith(TENSORFLOW_PARTS) and not (folder / entry).exists():
                os.symlink(os.path.join(packages, entry), folder / entry)
    return folder


def run_without_tensorflow(folder, *argv):
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{folder}", "PYTHONNOUSERSITE": "1"}
    return subprocess.run(
        [sys.executable, "-S", "compare.py", *argv], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.slow
@pytest.mark.skipif("jax_loop" not in INSTALLED, reason="JAX is not installed")
def test_numpy_and_jax_run_on_a_machine_without_tensorflow(site_without_tensorflow):
    done = run_without_tensorflow(site_without_tensorflow, "--impl", "numpy_manual", "--impl", "jax_loop", "--repeat", "1")
    assert done.returncode == 0, done.stderr
    assert "all 2 runs converged" in done.stdout and "Traceback" not in done.stderr


def test_the_default_run_skips_a_missing_framework_with_one_line(monkeypatch, capsys):
    from fitways.frameworks import TensorFlow

    monkeypatch.setattr(TensorFlow, "installed", lambda self: False)
    assert command.main(["--check-gradients", "--device", "cpu", "--impl", "numpy_manual"]) == 0  # asked by name
    names, notes = choose_trainers(LINE, None)
    missing = [name for name, entry in LINE.trainers.items() if entry.framework == "tensorflow"]
    assert set(names).isdisjoint(missing) and "numpy_manual" in names
    assert notes == [f"{', '.join(missing)}: skipped, TensorFlow is not installed (pip install -r requirements.txt)"]


@pytest.mark.slow
def test_naming_a_trainer_whose_framework_is_missing_is_exit_2(site_without_tensorflow):
    done = run_without_tensorflow(site_without_tensorflow, "--impl", "tf_xla")
    assert done.returncode == 2
    assert done.stderr == "error: --impl tf_xla: TensorFlow is not installed (pip install -r requirements.txt)\n"


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in LINE.trainers if n.startswith(("jax_", "torch_", "keras_fit_jax", "keras_fit_torch"))])
def test_a_peer_is_run_or_skipped_with_the_package_to_install(name, capsys):
    if framework_of(LINE.trainers[name]).installed():
        assert command.main(["--impl", name, "--repeat", "1"]) == 0
        assert " yes " in capsys.readouterr().out
    else:
        with pytest.raises(SystemExit) as exit_info:
            command.main(["--impl", name])
        assert exit_info.value.code == 2
        assert "pip install -r requirements" in capsys.readouterr().err
