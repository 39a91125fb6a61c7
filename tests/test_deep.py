"""The deep problem's own checks, beside the ones every problem gets: its hand-written backpropagation
loop against finite differences and against an independent float64 replay, the control that drops one
layer's tanh′, its setup's limits, and the two studies that measure it (lines by hand, vanishing
gradients).
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import depth, lines_by_hand, vanishing_gradients
from impls.deep import numpy_manual as deep_numpy
from impls.deep import problem as deep

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ("W1", "b1", "Wh", "bh", "w2", "b2")
RIGHT_BACKPROP = deep_numpy.mse


def float64_lesson(config, data, params):
    """numpy_manual with float64 parameters, lr and batches: its arithmetic, without float32's rounding."""
    lesson = deep_numpy.Trainer(config, data)
    for name, value in params.items():
        setattr(lesson, name, np.array(value, np.float64))
    lesson.lr = np.float64(config.lr)
    lesson.batches = [(bx.astype(np.float64), by.astype(np.float64)) for bx, by in lesson.batches]
    return lesson


def start(config):
    return deep.PROBLEM.start(config)


def loss_of(params, x, y):
    return np.mean((deep.forward(params, x) - y) ** 2)


def dropped_the_last_tanh_slope(residual, outputs, weights, w2):
    """The backprop loop with one factor dropped: layer L's dL/dz = dL/dh, as if tanh′ were 1 there
    (its output read as 0 for the slope only; the output layer's own gradient from the true h)."""
    broken = RIGHT_BACKPROP(residual, [*outputs[:-1], np.zeros_like(outputs[-1])], weights, w2)
    return broken[:5] + RIGHT_BACKPROP(residual, outputs, weights, w2)[5:]


@pytest.mark.parametrize("layers", [2, 3, 5])
def test_the_backpropagation_loop_equals_central_differences(layers):
    config = deep.Config(layers=layers, hidden=4)
    data = deep.make_data(config)
    rng = np.random.default_rng(layers)
    params = {name: value + rng.uniform(-0.5, 0.5, np.shape(value)) for name, value in start(config).items()}
    x, y = data.x[:20].astype(np.float64), data.y[:20].astype(np.float64)
    gradient = dict(zip(NAMES, float64_lesson(config, data, params).loss_and_gradient(x, y)[1:]))
    h = 1e-6
    for name in NAMES:
        numeric = np.zeros(np.shape(params[name]))
        for index in np.ndindex(numeric.shape):
            moved = np.array(params[name], np.float64)
            moved[index] += h
            up = loss_of({**params, name: moved}, x, y)
            moved[index] -= 2 * h
            numeric[index] = (up - loss_of({**params, name: moved}, x, y)) / (2 * h)
        np.testing.assert_allclose(gradient[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_the_gradient_check_fails_a_backpropagation_with_one_layers_tanh_slope_dropped(monkeypatch):
    """The control through the harness (--check-gradients' code): right, every gradient passes; without
    layer L's tanh′, the gradients through it fail, and the output layer's, computed before it, pass."""
    from fitways.gradcheck import check, passes, random_points, relative_error
    from fitways.problems import PROBLEMS
    from fitways.runner import Runner

    problem, config = PROBLEMS["deep"], deep.Config(hidden=5, layers=3)
    data = problem.make_data(config)
    right = check(Runner(problem, "numpy_manual", config, data), random_points(problem, config, data))
    monkeypatch.setattr(deep_numpy, "mse", dropped_the_last_tanh_slope)
    wrong = check(Runner(problem, "numpy_manual", config, data), random_points(problem, config, data))
    assert all(passes(row["error"]) for row in right), [row["error"] for row in right]
    assert all(not passes(row["error"]) and row["error"] > 0.05 for row in wrong), [row["error"] for row in wrong]
    assert all(passes(relative_error(row["gradient"]["w2"], row["finite_difference"]["w2"])) for row in wrong)


@pytest.mark.parametrize("layers", [2, 4])
def test_the_float64_reference_is_an_independent_replay_of_the_same_updates(layers):
    """sgd_float64 (one matrix rule for every layer) and numpy_manual's loop, both in float64, agree to 1e-12."""
    config = deep.Config(layers=layers, hidden=5, updates=40)
    data = deep.make_data(config)
    n = config.trained_samples
    replay = deep.sgd_float64(config, start(config), data.x[:n].astype(np.float64), data.y[:n].astype(np.float64))
    ours = dict(zip(NAMES, float64_lesson(config, data, start(config)).train()))
    for name in NAMES:
        np.testing.assert_allclose(ours[name], replay[name], rtol=1e-12, atol=1e-12, err_msg=name)


def test_the_comparison_fails_for_a_backpropagation_with_one_layers_tanh_slope_dropped(monkeypatch):
    """The control: numpy's loop without layer L's tanh′ runs, but leaves the right path by far more than
    the tolerance every lesson is held to."""
    config = deep.Config()
    data = deep.make_data(config)

    def final(trainer):
        rows = []
        trainer.train(log=lambda update, loss, *params: rows.append([np.array(p, np.float64) for p in params]))
        return dict(zip(NAMES, rows[-1]))

    right = final(deep_numpy.Trainer(config, data))
    monkeypatch.setattr(deep_numpy, "mse", dropped_the_last_tanh_slope)
    wrong = final(deep_numpy.Trainer(config, data))
    rtol, atol = deep.PROBLEM.equivalence
    for name in ("W1", "Wh"):
        with pytest.raises(AssertionError):
            np.testing.assert_allclose(wrong[name], right[name], rtol=rtol, atol=atol)
    assert max(float(np.max(np.abs(wrong[name] - right[name]))) for name in NAMES) > 1000 * atol


def test_one_pass_at_the_defaults_trains_well_below_the_best_straight_line():
    config = deep.Config()
    data = deep.make_data(config)
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    trained = deep.sgd_float64(config, start(config), x, y)
    line = np.polyfit(x, y, 1)
    assert loss_of(trained, x, y) < np.mean((np.polyval(line, x) - y) ** 2) / 50
    assert loss_of(start(config), x, y) > 0.3


@pytest.mark.parametrize(
    "setup, message",
    [
        ({"layers": 0}, "--layers must be between 2 and 1024, got 0 (one layer: --problem mlp)"),
        ({"layers": 1}, "--layers must be between 2 and 1024, got 1"),
        ({"hidden": 0}, "--hidden must be between 1 and 65536, got 0"),
        ({"hidden": 65536, "layers": 2}, "parameters, more than this suite allows"),
        ({"hidden": 8192, "layers": 1000, "batch_size": 20}, "parameters, more than this suite allows"),
        ({"hidden": 64, "layers": 1000, "batch_size": 3000}, "activations kept for the backward pass"),
        ({"init": "zeros"}, "--init must be one of glorot, naive, got 'zeros'"),
        ({"loss": "huber"}, "--loss huber: the deep lessons minimise mse only"),
    ],
)
def test_a_setup_the_machine_or_the_lessons_cannot_run_is_one_clear_error(setup, message):
    with pytest.raises(ValueError) as error:
        deep.Config(**setup)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--layers", "0"], "--layers must be between 2 and 1024, got 0 (one layer: --problem mlp)"),
        (["--layers", "30", "--hidden", "60000"], "parameters, more than this suite allows"),
        (["--init", "zeros"], "--init must be one of glorot, naive, got 'zeros'"),
    ],
)
def test_bad_deep_input_is_one_line_and_exit_2_before_any_framework_loads(argv, message):
    command = [sys.executable, "-X", "importtime", "compare.py", "--problem", "deep", *argv]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    errors = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert done.returncode == 2 and len(errors) == 1 and errors[0].startswith("error: ") and message in errors[0]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert not {"tensorflow", "jax", "torch"} & set(imported)


@pytest.mark.slow
def test_an_lr_that_diverges_is_reported_and_fails_the_run():
    command = [
        sys.executable,
        "compare.py",
        "--problem",
        "deep",
        "--impl",
        "numpy_manual",
        "--lr",
        "5",
        "--repeat",
        "1",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "numpy_manual on CPU (numpy): diverged at update" in done.stdout, done.stdout + done.stderr


# lines by hand

SMALL = '''
def mse(residual, x):
    """A docstring: not code."""
    n = len(x)  # a comment

    # a comment line
    return (residual @ residual / n,
            2 * residual @ x / n)
'''


def test_a_code_line_is_a_line_of_the_body_with_code_once_comments_are_removed():
    assert lines_by_hand.code_lines(SMALL, "mse") == [
        "n = len(x)",
        "return (residual @ residual / n,",
        "2 * residual @ x / n)",
    ]


def test_changed_lines_are_the_newer_lines_with_no_equal_in_the_older():
    assert lines_by_hand.changed_lines(["a", "b", "c"], ["a", "x", "c", "d"]) == ["x", "d"]
    assert lines_by_hand.changed_lines(["a", "b"], ["a"]) == []


def test_the_committed_counts_are_the_lessons_counts():
    """Fails when a lesson changes and docs/lines_by_hand.json was not written again."""
    with open(os.path.join(ROOT, "docs", "lines_by_hand.json"), encoding="utf-8") as file:
        committed = json.load(file)
    assert committed == lines_by_hand.measure()


def test_the_autodiff_lessons_change_only_their_forward_pass_for_depth():
    counts = lines_by_hand.measure()
    assert counts["hand_written"]["deep"] > 2 * counts["hand_written"]["mlp"]
    for lesson in ("gradient_tape", "jax_loop", "torch_eager"):
        assert counts["lessons"][lesson]["deep"]["differentiation_calls_changed"] == 0
    table = lines_by_hand.markdown_table(counts)
    assert table.count("\n") == 2 + 1 + len(lines_by_hand.LESSONS)


# vanishing gradients

TINY = {"hidden": 3, "samples": 60, "batch_size": 20}


def test_the_growth_factor_is_the_geometric_mean_ratio_between_consecutive_layers():
    assert vanishing_gradients.growth_factor([8.0, 4.0, 2.0, 1.0]) == pytest.approx(2.0)
    assert vanishing_gradients.growth_factor([1.0, 3.0]) == pytest.approx(1 / 3)


def test_the_layer_norms_are_the_backpropagated_gradients_norms():
    config = deep.Config(layers=3, **TINY)
    data = deep.make_data(config)
    norms = vanishing_gradients.layer_gradient_norms(config, data)
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    _, dW1, _, dWh, *_ = float64_lesson(config, data, start(config)).loss_and_gradient(x, y)
    assert norms == pytest.approx([np.linalg.norm(dW1), *(np.linalg.norm(dW) for dW in dWh)])


def test_the_studys_tables_and_paragraph_come_from_its_data():
    data = vanishing_gradients.measure(depths=(2, 3), **TINY)
    assert [(run["init"], run["layers"]) for run in data["runs"]] == [
        ("naive", 2),
        ("naive", 3),
        ("glorot", 2),
        ("glorot", 3),
    ]
    factors = vanishing_gradients.markdown_factors(data)
    assert factors.count("\n") == 2 + 2 and f"×{data['runs'][0]['factor']:.2f}" in factors
    ends = vanishing_gradients.markdown_ends(data)
    assert ends.startswith("At L = 3,") and f"{data['runs'][1]['norms'][0]:.3g}" in ends
    assert vanishing_gradients.markdown_norms(data, "glorot").count("\n") == 2 + 2
    assert (
        vanishing_gradients.loss_text(None) == "diverged" and vanishing_gradients.loss_text(2e9) == "diverged (2e+09)"
    )


@pytest.mark.slow
def test_the_study_command_writes_its_json_and_plot(tmp_path):
    json_path, png_path = tmp_path / "v.json", tmp_path / "v.png"
    done = subprocess.run([sys.executable, "-m", "benchmarks.vanishing_gradients", "--json", str(json_path), "--plot", str(png_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(json_path.read_text())
    assert [run["layers"] for run in data["runs"]] == [2, 4, 8, 16, 2, 4, 8, 16]
    assert png_path.read_bytes().startswith(b"\x89PNG")
    with open(os.path.join(ROOT, "docs", "vanishing_gradients.json"), encoding="utf-8") as file:
        committed = json.load(file)  # the committed figures are this command's, to float64 rounding
    assert committed["settings"] == data["settings"] and len(committed["runs"]) == len(data["runs"])
    for ours, theirs in zip(data["runs"], committed["runs"]):
        assert ours["norms"] == pytest.approx(theirs["norms"], rel=1e-9)
        assert ours["loss_after_one_pass"] == pytest.approx(theirs["loss_after_one_pass"], rel=1e-6)


@pytest.mark.slow  # starts processes
def test_the_study_commands_reject_a_bad_path_in_one_line():
    for module, flag in (("benchmarks.vanishing_gradients", "--plot"), ("benchmarks.lines_by_hand", "--json")):
        done = subprocess.run(
            [sys.executable, "-m", module, flag, "out.txt"], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr


# timing, as chapter 3 renders it


def test_the_speed_table_has_a_row_per_lesson_with_its_median_and_range():
    row = {"spread": {"seconds_per_update": [1e-5, 3e-5]}, "run_seconds": [{"seconds": [0.1, 0.2, 0.3]}]}
    document = {
        "results": [
            {"trainer": "numpy_manual", "seconds_per_update": 2e-5, **row},
            {"trainer": "jax_loop", "seconds_per_update": 4e-3, **row},
        ],
        "machine": {"cpu": "a CPU", "python": "3", "numpy": "2", "tensorflow": "2", "jax": "0", "torch": "2"},
        "config": {"layers": 4, "hidden": 16, "batch_size": 20},
    }
    table = depth.markdown_speed(document)
    assert "| numpy_manual | 20 | 10–30 | 1.0× |" in table and "| jax_loop | 4,000 | 10–30 | 200× |" in table
    assert "3 repeats" in table and "a CPU" in table


@pytest.mark.slow  # starts processes
def test_the_depth_command_without_a_task_is_one_line_and_exit_2():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.depth"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
