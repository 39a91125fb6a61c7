"""compare.py as a user meets it: the table, --json, --log-every, exit codes, one-line errors."""

import os
import subprocess
import sys

import numpy as np
import pytest

from fitways import command
from impls.problem import Config, make_data
from tests.helpers import INSTALLED, LINE, MLP, final, interrupted, logged, strict_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_compare(*argv, env=None, **kwargs):
    return subprocess.run(
        [sys.executable, "compare.py", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        **kwargs,
    )


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`python compare.py --repeat 1 --json ...` in a fresh process: the main job, end to end."""
    path = tmp_path_factory.mktemp("run") / "results.json"
    done = run_compare("--repeat", "1", "--json", str(path))
    return done, strict_json(path.read_text()) if path.exists() else None


@pytest.mark.slow
def test_main_job_converges_and_prints_the_table(default_run):
    done, _ = default_run
    assert done.returncode == 0, done.stderr
    for name in INSTALLED:
        assert any(line.startswith(name + " ") and " yes " in line for line in done.stdout.splitlines()), name
    assert f"verdict:          all {len(INSTALLED)} runs converged: W ≈ 2, b ≈ -1" in done.stdout
    assert "sees no GPU" in done.stdout or "GPU" in done.stdout


@pytest.mark.slow
def test_no_tensorflow_noise_and_progress_on_stderr(default_run):
    done, _ = default_run
    assert "Traceback" not in done.stderr and "I0000" not in done.stderr and "E0000" not in done.stderr
    assert "Warning" not in done.stderr
    last = INSTALLED[-1]
    assert f"[{len(INSTALLED)}/{len(INSTALLED)}] {last} on cpu" in done.stderr


@pytest.mark.slow
def test_json_holds_config_closed_form_and_every_result(default_run):
    _, report = default_run
    assert report["config"] == Config().asdict()
    assert report["problem"] == "line" and report["reference"]["parameters"]["W"] == pytest.approx(2.0, abs=1e-3)
    assert [r["trainer"] for r in report["results"]] == INSTALLED
    for result in report["results"]:
        assert result["converged"] is True and result["updates"] == 150
        # one run of each length (--repeat 1) on a busy machine can tilt the fitted line either way,
        # but the run it describes took time, and its range holds its one estimate
        assert result["seconds_per_call"] + 150 * result["seconds_per_update"] > 0
        assert result["spread"]["seconds_per_update"] == [result["seconds_per_update"]] * 2
        assert result["distance_to_reference"] < 0.01 and result["placed_on"]
        parameters = {name: np.float64(value) for name, value in result["parameters"].items()}
        x, y = LINE.trained(Config(), make_data(Config()))
        assert np.mean((parameters["W"] * x + parameters["b"] - y) ** 2) == pytest.approx(result["loss"], rel=1e-12)


@pytest.mark.slow
def test_another_process_gets_the_same_bits(default_run):
    """Determinism across processes: the subprocess's final W, b equal this process's exactly."""
    _, report = default_run
    for result in report["results"]:
        assert result["parameters"] == final(result["trainer"], Config()), result["trainer"]


@pytest.mark.slow
def test_too_few_updates_exits_1(capsys):
    assert command.main(["--updates", "3", "--repeat", "1", "--impl", "numpy_manual", "--impl", "tf_function"]) == 1
    out = capsys.readouterr().out
    assert "NOT CONVERGED — numpy_manual on CPU (numpy), tf_function on CPU:0" in out


@pytest.mark.slow
def test_log_every_15_prints_the_textbooks_ten_lines(capsys):
    assert command.main(["--impl", "gradient_tape", "--repeat", "1", "--log-every", "15"]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("At step")]
    assert [line.split(",")[0] for line in lines] == [f"At step {300 * k}" for k in range(10)]
    trajectory = logged("gradient_tape", Config())
    W, b = trajectory["W"][0], trajectory["b"][0]
    assert lines[0] == f"At step 0, loss = {trajectory.loss[0]:.4f}, W = {W:.4f}, b = {b:.4f}"


@pytest.mark.slow
def test_keras_fit_tuned_log_says_what_python_saw(capsys):
    assert command.main(["--impl", "keras_fit_tuned", "--repeat", "1", "--log-every", "15"]) == 0
    out = capsys.readouterr().out
    assert "Python saw the model only after updates 64, 128, 150, never a batch loss:" in out
    assert "At step 1260, loss = n/a, W = " in out  # after update 64: sample offset 63 × 20


@pytest.mark.slow
def test_a_lesson_runs_alone_and_prints_the_textbooks_ten_lines():
    done = subprocess.run(
        [sys.executable, "-m", "impls.numpy_manual"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == 10 and lines[0].startswith("At step 0, loss = 11.0956")


BAD_ARGUMENTS = {
    "updates zero": (["--updates", "0"], "--updates must be between 1 and"),
    "steps, the old name": (["--steps", "-5"], "--updates must be between 1 and"),
    "batch zero": (["--batch-size", "0"], "--batch-size must be between 1 and --samples (3000), got 0"),
    "batch too big": (["--batch-size", "3001"], "--batch-size must be between 1 and --samples (3000), got 3001"),
    "lr zero": (["--lr", "0"], "--lr must be a finite number > 0, got 0.0"),
    "lr negative, scientific": (["--lr", "-1e-3"], "--lr must be a finite number > 0, got -0.001"),
    "lr nan": (["--lr", "nan"], "--lr must be a finite float32 number"),
    "lr beyond float32": (["--lr", "1e39"], "--lr must be a finite float32 number (|x| <= 3.4e+38), got 1e+39"),
    "noise beyond float32": (["--noise", "1e39"], "--noise must be a finite float32 number"),
    "noise the data cannot survive": (["--noise", "1e30"], "--noise 1e+30 makes |y| up to 1.0e+30"),
    "noise negative": (["--noise", "-1"], "--noise must be a finite number >= 0, got -1.0"),
    "noise minus infinity": (["--noise", "-inf"], "--noise must be a finite float32 number"),
    "samples zero": (["--samples", "0"], "--samples must be between 1 and"),
    "one pass too long": (
        ["--samples", "2000000", "--batch-size", "1"],
        "--updates must be between 1 and 1000000, got 2000000 (one pass: --samples // --batch-size)",
    ),
    "seed negative": (["--seed", "-1"], "--seed must be between 0 and"),
    "unknown impl": (["--impl", "pytorch"], "--impl pytorch: --problem line has no lesson of that name"),
    "non-numeric": (["--updates", "ten"], "argument --updates/--steps: must be an integer, got 'ten'"),
    "non-numeric lr": (["--lr", "fast"], "argument --lr: must be a number, got 'fast'"),
    "repeat zero": (["--repeat", "0"], "--repeat must be between 1 and 1000, got 0"),
    "log-every too big": (["--log-every", "151"], "--log-every must be between 1 and --updates (150), got 151"),
    "json dir missing": (["--json", "/no/such/dir/out.json"], "--json /no/such/dir/out.json: directory /no/such/dir"),
    "json is a directory": (["--json", "/tmp"], "--json must name a .json file, got /tmp"),
    "json not .json": (["--json", "out.txt"], "--json must name a .json file, got out.txt"),
    "json empty": (["--json", ""], "--json must name a file, got an empty path"),
    "plot not png": (["--plot", "out.svg"], "--plot must name a .png file, got out.svg"),
    "unknown flag": (["--speed", "11"], "unrecognized arguments: --speed 11"),
    "gradients with plot": (["--check-gradients", "--plot", "g.png"], "--plot has no effect with --check-gradients"),
    "gradients with log": (["--check-gradients", "--log-every", "5"], "--log-every has no effect with --check-gradients"),
}


@pytest.mark.parametrize("argv, message", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        command.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err


@pytest.mark.slow
def test_gpu_without_a_gpu_is_a_one_line_error(capsys):
    from fitways.registry import framework_of

    if any(framework_of(LINE.trainers[name]).gpus() for name in INSTALLED if name != "numpy_manual"):
        pytest.skip("this machine has a GPU, so --device gpu is valid")
    with pytest.raises(SystemExit) as exit_info:
        command.main(["--device", "gpu", "--impl", "tf_function"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error: --device gpu: TensorFlow sees no GPU")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("batch_size", 0, "--batch-size must be between 1 and --samples (3000), got 0"),
        ("lr", -0.1, "--lr must be a finite number > 0, got -0.1"),
        ("lr", 10**400, "--lr must be a finite float32 number (|x| <= 3.4e+38), got inf"),
        ("updates", 2.5, "--updates must be an integer, got 2.5"),
        ("loss", "l1", "--loss must be one of mse, huber, got 'l1'"),
        ("lr", "0.1", "--lr must be a number, got '0.1'"),
    ],
)
def test_config_raises_the_same_message_from_python(field, value, message):
    with pytest.raises(ValueError) as error:
        Config(**{field: value})
    assert str(error.value) == message


def test_minus_zero_noise_is_zero(capsys):
    assert Config(noise=-0.0).noise == 0.0 and str(Config(noise=-0.0).noise) == "0.0"
    command.main(["--noise=-0", "--impl", "numpy_manual", "--repeat", "1"])
    assert "mean 0)" in capsys.readouterr().out


def test_a_run_where_everything_was_skipped_says_so(capsys):
    """E.g. --device gpu --impl numpy_manual on a GPU machine: nothing may pass for 'all converged'."""
    from fitways.report import print_table

    reference = LINE.reference(Config(), make_data(Config()))
    print_table(LINE, Config(), reference, [], ["gpu: skipped numpy_manual — numpy runs on the CPU only"], "gradient_tape")
    out = capsys.readouterr().out
    assert "NOTHING RAN" in out and "skipped numpy_manual" in out and "all 0 runs" not in out


@pytest.mark.slow
def test_a_missing_baseline_is_explained_and_can_be_chosen(capsys):
    assert command.main(["--impl", "numpy_manual", "--impl", "tf_xla", "--repeat", "1"]) == 0
    said = " ".join(capsys.readouterr().out.split())  # the footer is wrapped to 100 columns
    assert "vs gradient_tape: blank, gradient_tape was not run (choose another with --baseline)" in said
    assert command.main(["--impl", "numpy_manual", "--impl", "tf_xla", "--repeat", "1", "--baseline", "numpy_manual"]) == 0
    out = capsys.readouterr().out
    header, _, numpy_row, _ = out.splitlines()[:4]
    assert header.endswith("speed-up") and numpy_row.endswith("1.0×")
    assert "speed-up:         numpy_manual's µs/update over this row's" in out


def test_ratios_keep_their_digits():
    from fitways.report import ratio

    assert [ratio(v) for v in (38841.2, 3.04, 0.9987, 0.0031, None)] == ["38,841×", "3.0×", "1.00×", "0.0031×", "—"]


@pytest.mark.slow
def test_ctrl_c_says_interrupted_and_exits_130():
    """Also when pytest runs as a background job (SIGINT ignored, inherited): tests.helpers.interrupted
    restores SIGINT in the child (before, the child ignored it, the test waited 60 s and failed)."""
    # numpy alone: no framework to import, a run long enough to interrupt
    argv = ["compare.py", "--impl", "numpy_manual", "--updates", "1000000"]
    status, err = interrupted(argv, once="numpy_manual on cpu", cwd=ROOT)
    assert status == 130 and err.strip().endswith("interrupted") and "Traceback" not in err


@pytest.mark.slow
def test_keras_backend_is_overridden_and_said_once_and_tf_verbose_shows_its_log(default_run):
    """Two environment variables in one run (each a TensorFlow start-up): KERAS_BACKEND=jax would make
    Keras load JAX; FITWAYS_TF_VERBOSE=1 lets TensorFlow's start-up log through (absent by default)."""
    argv = ["--impl", "keras_fit", "--impl", "numpy_manual", "--repeat", "1", "--updates", "20"]
    done = run_compare(*argv, env={"KERAS_BACKEND": "jax", "FITWAYS_TF_VERBOSE": "1"})
    assert done.returncode == 1, done.stderr  # 20 updates do not converge; the point is that it ran
    assert done.stderr.count("KERAS_BACKEND=jax ignored") == 1 and "Traceback" not in done.stderr
    assert "0000 " in done.stderr and "0000 " not in default_run[0].stderr


def test_every_trainer_is_registered_and_listed_in_help(capsys):
    with pytest.raises(SystemExit):
        command.main(["--help"])
    out = capsys.readouterr().out
    for problem in (LINE, MLP):
        assert f"trainers for --problem {problem.name}" in out
        for name in problem.trainers:
            assert f"  {name} " in out
