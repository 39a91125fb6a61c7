"""compare.py as a user meets it: the table, --json, --log-every, exit codes, one-line errors."""

import json
import os
import subprocess
import sys

import pytest

import compare
from impls import TRAINERS
from impls.problem import Config
from tests.conftest import build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`python compare.py --repeat 2 --json ...` in a fresh process: the main job, end to end."""
    path = tmp_path_factory.mktemp("run") / "results.json"
    done = subprocess.run(
        [sys.executable, "compare.py", "--repeat", "2", "--json", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, json.loads(path.read_text()) if path.exists() else None


def test_main_job_converges_and_prints_the_table(default_run):
    done, _ = default_run
    assert done.returncode == 0, done.stderr
    for name in TRAINERS:
        assert any(line.startswith(name + " ") and " yes " in line for line in done.stdout.splitlines()), name
    assert "verdict:          all 7 runs converged" in done.stdout
    assert "gpu: skipped" in done.stdout or "GPU" in done.stdout


def test_no_tensorflow_noise_and_progress_on_stderr(default_run):
    done, _ = default_run
    assert "Traceback" not in done.stderr and "I0000" not in done.stderr and "E0000" not in done.stderr
    assert f"[{len(TRAINERS)}/{len(TRAINERS)}] keras_fit_tuned on cpu" in done.stderr


def test_json_holds_config_reference_and_every_result(default_run):
    _, report = default_run
    assert report["config"] == Config().asdict()
    assert report["reference"]["W"] == pytest.approx(2.0, abs=1e-3)
    assert [r["impl"] for r in report["results"]] == list(TRAINERS)
    for result in report["results"]:
        assert {
            "impl",
            "device",
            "W",
            "b",
            "loss",
            "converged",
            "compile_seconds",
            "seconds_per_step",
            "steps",
        } <= result.keys()
        assert result["converged"] is True and result["steps"] == 150 and result["seconds_per_step"] > 0


def test_another_process_gets_the_same_bits(default_run):
    """Determinism across processes: the subprocess's final W, b equal this process's exactly."""
    _, report = default_run
    for result in report["results"]:
        assert (result["W"], result["b"]) == build(result["impl"], Config()).train().final, result["impl"]


def test_too_few_steps_exits_1(capsys):
    assert compare.main(["--steps", "3", "--repeat", "1", "--impl", "numpy_manual", "--impl", "tf_function"]) == 1
    out = capsys.readouterr().out
    assert "NOT CONVERGED — numpy_manual on CPU (numpy), tf_function on CPU:0" in out


def test_log_every_15_prints_the_textbooks_ten_lines(capsys):
    assert compare.main(["--impl", "gradient_tape", "--repeat", "1", "--log-every", "15"]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("At step")]
    assert [line.split(",")[0] for line in lines] == [f"At step {300 * k}" for k in range(10)]
    history = build("gradient_tape", Config()).train()
    W, b = history.W[0], history.b[0]
    assert lines[0] == f"At step 0, loss = {history.loss[0]:.4f}, W = {W:.4f}, b = {b:.4f}"


BAD_ARGUMENTS = {
    "steps zero": (["--steps", "0"], "--steps must be between 1 and"),
    "steps negative": (["--steps", "-5"], "--steps must be between 1 and"),
    "batch zero": (["--batch-size", "0"], "--batch-size must be between 1 and --samples (3000), got 0"),
    "batch too big": (["--batch-size", "3001"], "--batch-size must be between 1 and --samples (3000), got 3001"),
    "lr zero": (["--lr", "0"], "--lr must be a finite number > 0, got 0.0"),
    "lr nan": (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    "samples zero": (["--samples", "0"], "--samples must be between 1 and"),
    "one pass too long": (
        ["--samples", "2000000", "--batch-size", "1"],
        "--steps must be between 1 and 1000000, got 2000000 (one pass: --samples // --batch-size)",
    ),
    "noise negative": (["--noise", "-1"], "--noise must be a finite number >= 0, got -1.0"),
    "seed negative": (["--seed", "-1"], "--seed must be between 0 and"),
    "unknown impl": (["--impl", "pytorch"], "argument --impl: invalid choice: 'pytorch'"),
    "non-numeric": (["--steps", "ten"], "argument --steps: must be an integer, got 'ten'"),
    "non-numeric lr": (["--lr", "fast"], "argument --lr: must be a number, got 'fast'"),
    "repeat zero": (["--repeat", "0"], "--repeat must be between 1 and 1000, got 0"),
    "log-every too big": (["--log-every", "151"], "--log-every must be between 1 and --steps (150), got 151"),
    "json dir missing": (["--json", "/no/such/dir/out.json"], "--json /no/such/dir/out.json: directory /no/such/dir"),
    "json is a directory": (["--json", "/tmp"], "--json /tmp: cannot write a file there"),
    "plot not png": (["--plot", "out.svg"], "--plot must name a .png file, got out.svg"),
    "unknown flag": (["--speed", "11"], "unrecognized arguments: --speed 11"),
}


@pytest.mark.parametrize("argv, message", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        compare.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err


def test_gpu_without_a_gpu_is_a_one_line_error(capsys):
    from impls.tf_setup import gpus_visible

    if gpus_visible():
        pytest.skip("this machine has a GPU, so --device gpu is valid")
    with pytest.raises(SystemExit) as exit_info:
        compare.main(["--device", "gpu", "--impl", "numpy_manual"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error: --device gpu: TensorFlow sees no GPU")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("batch_size", 0, "--batch-size must be between 1 and --samples (3000), got 0"),
        ("lr", -0.1, "--lr must be a finite number > 0, got -0.1"),
        ("steps", 2.5, "--steps must be an integer, got 2.5"),
        ("loss", "l1", "--loss must be one of mse, huber, got 'l1'"),
        ("lr", "0.1", "--lr must be a number, got '0.1'"),
    ],
)
def test_config_raises_the_same_message_from_python(field, value, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        Config(**{field: value})


def test_a_run_where_everything_was_skipped_says_so(capsys):
    """E.g. --device gpu --impl numpy_manual on a GPU machine: nothing may pass for 'all converged'."""
    compare.print_table(Config(), (2.0, -0.995), [], ["numpy_manual on gpu: skipped, it runs on cpu only"])
    out = capsys.readouterr().out
    assert "NOTHING RAN" in out and "numpy_manual on gpu: skipped" in out and "all 0 runs" not in out
