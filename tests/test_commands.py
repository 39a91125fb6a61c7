"""Every command has one entry point (fitways.signals.run_command): --help answers without measuring,
a broken environment variable is one line and exit 2, bad input is one line and exit 2."""

import glob
import os
import subprocess
import sys

import pytest

from fitways import command
from fitways.output import OutputError
from fitways.signals import run_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_command(path):
    with open(path, encoding="utf-8") as file:
        return '__name__ == "__main__"' in file.read()


SCRIPTS = sorted(  # every command in benchmarks/, run as python -m benchmarks.NAME
    os.path.basename(path)[:-3] for path in glob.glob(os.path.join(ROOT, "benchmarks", "*.py")) if is_command(path)
)
COMMANDS = [["compare.py"], *(["-m", f"benchmarks.{script}"] for script in SCRIPTS)]
IDS = ["compare", *SCRIPTS]


def run(argv, **env):
    return subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env}, stdin=subprocess.DEVNULL)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("argv", COMMANDS, ids=IDS)
def test_help_answers_without_measuring(argv):
    """Before, benchmarks/xla_loop_hlo.py had no parser: --help ran the whole measurement (and broke
    on `| head` with a traceback)."""
    done = run([*argv, "--help"])
    assert done.returncode == 0 and "usage:" in done.stdout.lower() and done.stderr == "", done.stderr
    assert "==" not in done.stdout  # xla_loop_hlo's measurement prints "== tf_xla, batch 256: ..."


@pytest.mark.slow
@pytest.mark.parametrize("argv", COMMANDS, ids=IDS)
def test_an_unknown_option_is_one_line_and_exit_2(argv):
    """Before, depth printed argparse's usage line before its error, and summarize took --bogus for a file."""
    done = run([*argv, "--bogus"])
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("argv", COMMANDS, ids=IDS)
def test_a_broken_environment_variable_is_one_line_and_exit_2(argv):
    """Before, every script but compare.py and one sweep ran on (or printed a traceback) under it."""
    done = run(argv, JAX_PLATFORMS="bogus")
    assert done.returncode == 2 and done.stderr == "error: JAX_PLATFORMS=bogus: JAX has no platform 'bogus' (it knows cpu, gpu, tpu)\n"


@pytest.mark.slow
def test_flags_a_framework_refuses_at_start_up_are_one_line_and_exit_2_in_a_script():
    done = run(["-m", "benchmarks.summarize", "docs/benchmarks.json"], TF_XLA_FLAGS="--bogus")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("error: TF_XLA_FLAGS=--bogus")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--problem", "mlp", "--noise", "1e30"], "error: --noise 1e+30 makes |y| up to 1.0e+30, whose square overflows"),
        (["--problem", "mlp", "--baseline", "tf_multiworker"], "error: --baseline tf_multiworker: --problem mlp has no lesson"),
    ],
    ids=["mlp noise", "baseline of another problem"],
)
def test_the_network_is_checked_like_the_line(capsys, argv, message):
    """Before, --noise 1e30 ran (overflowing float32) and the other problem's baseline was 'not run'."""
    with pytest.raises(SystemExit) as exit_info:
        command.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.startswith(message) and err.count("\n") == 1


def test_a_file_that_cannot_be_written_after_the_work_is_one_line_and_exit_1(capsys):
    """Every command ends through run_command, which reports a failed write (OutputError) once for all:
    what the command printed stays, and the one error line says which file and why."""

    def study(argv):
        print("| the table |")
        raise OutputError("cannot write docs/x.json: No space left on device")

    assert run_command(study, []) == 1
    captured = capsys.readouterr()
    assert captured.out == "| the table |\n"
    assert captured.err == "error: cannot write docs/x.json: No space left on device\n"
