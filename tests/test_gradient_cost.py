"""Why reverse mode: every way to the MLP's gradient agrees with every other, the check can fail, finite
differences behave as the README says, and benchmarks/gradient_cost.py runs end to end. No speed here."""

import contextlib
import functools
import io
import itertools
import json

import numpy as np
import pytest

from benchmarks import gradient_cost as command
from benchmarks import gradient_cost_study as gradient_cost
from benchmarks.gradient_cost_study import (
    METHODS,
    mlp_backprop,
    plot_gradient_cost,
    relative_error,
    split,
    textbook_batch,
)
from fitways.frameworks import FRAMEWORKS

INSTALLED = [name for name, method in METHODS.items() if FRAMEWORKS[method.framework].installed()]
FLOAT64 = {"numpy_fd", "numpy_backprop"}  # the rest compute in their framework's float32
# max |a − b| / max |b| between two gradients: float64 central differences are off by ~3e-10 (h = 1e-6),
# float32 arithmetic by ~1e-7 (see the README's "Why reverse mode")
TOLERANCE = {"float64": 1e-8, "float32": 1e-5}
WIDTHS = [3, 33]  # n = 10 and 100


@functools.cache
def gradient(name, H):
    """`name`'s gradient at the seeded parameters of width H, as float64."""
    x, y = textbook_batch()
    computed, _ = METHODS[name].build(gradient_cost.initial(H), x, y)
    return np.asarray(computed(), dtype=np.float64)


def exact(H):
    x, y = textbook_batch()
    return mlp_backprop(gradient_cost.initial(H), x.astype(np.float64), y.astype(np.float64))


def tolerance(*names):
    return TOLERANCE["float64" if set(names) <= FLOAT64 else "float32"]


@pytest.mark.slow
@pytest.mark.parametrize("H", WIDTHS)
@pytest.mark.parametrize("first, second", list(itertools.combinations(INSTALLED, 2)))
def test_every_method_agrees_with_every_other(first, second, H):
    assert relative_error(gradient(first, H), gradient(second, H)) <= tolerance(first, second)


@pytest.mark.slow
@pytest.mark.parametrize("H", WIDTHS)
@pytest.mark.parametrize("name", INSTALLED)
def test_every_method_agrees_with_the_hand_backprop_and_a_perturbed_gradient_does_not(name, H):
    ours, expected = gradient(name, H), exact(H)
    assert ours.shape == (3 * H + 1,)
    assert relative_error(ours, expected) <= tolerance(name, "numpy_backprop")
    perturbed = ours.copy()
    perturbed[np.argmax(np.abs(perturbed))] *= 1.001  # one partial derivative 0.1% off
    assert relative_error(perturbed, expected) > tolerance(name, "numpy_backprop")


def test_a_derivation_without_tanh_prime_fails_against_finite_differences():
    """The control for the hand derivation: drop the (1 − a²) factor and the comparison must fail."""
    x, y = (array.astype(np.float64) for array in textbook_batch())
    theta = gradient_cost.initial(3)
    W1, b1, w2, b2 = split(theta)
    a = np.tanh(np.outer(x, W1) + b1)
    g = 2 * (a @ w2 + b2 - y) / len(x)
    d = np.outer(g, w2)  # missing * (1 − a²)
    wrong = np.concatenate([x @ d, d.sum(axis=0), g @ a, [g.sum()]])
    assert relative_error(wrong, gradient("numpy_fd", 3)) > 1e-2
    assert relative_error(mlp_backprop(theta, x, y), gradient("numpy_fd", 3)) <= TOLERANCE["float64"]


@pytest.fixture(scope="module")
def accuracy():
    return gradient_cost.accuracy()


def test_the_textbook_step_is_good_in_float64_and_poor_in_float32(accuracy):
    mlp = accuracy["mlp"]
    assert mlp["float64"]["textbook"]["error"] < 1e-8
    assert mlp["float32"]["textbook"]["error"] > 1e-3  # float32's ε ≈ 1.2e-7 divided by h = 1e-6
    assert mlp["float32"]["best"]["h"] >= 1e-4 and mlp["float32"]["best"]["error"] < 1e-3
    assert mlp["float64"]["best"]["error"] < mlp["float32"]["best"]["error"]


def test_the_lines_loss_is_quadratic_so_only_rounding_limits_its_central_difference(accuracy):
    """(L(W + h) − L(W − h)) / 2h is exact for a quadratic, whatever h: only rounding is left."""
    line = accuracy["line"]["float64"]
    assert line["steps"][0]["h"] == pytest.approx(0.1) and line["steps"][0]["error"] < 1e-12
    assert line["best"]["h"] >= 1e-3


def test_sizes_are_3h_plus_1_from_the_smallest_to_the_largest():
    assert gradient_cost.sizes(10, 100_000, 1) == [10, 100, 1000, 10000, 100000]
    assert gradient_cost.sizes(4, 4, 2) == [4]


@pytest.fixture(scope="module")
def command_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gradient_cost")
    path = folder / "cost.json"
    argv = ["--n-min", "10", "--n-max", "100", "--per-decade", "1", "--cap", "30"]  # the widths tested above
    argv += ["--json", str(path), "--plot", str(folder)]
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setattr(gradient_cost, "POINT_S", 0.02)  # a rough time is enough here
        status = command.main(argv)
    return status, json.loads(path.read_text()), printed.getvalue(), folder


@pytest.mark.slow
def test_the_command_measures_every_installed_method_at_every_n(command_run):
    status, document, printed, _ = command_run
    assert status == 0
    assert list(document["cost"]) == INSTALLED and document["settings"]["n"] == [10, 100]
    for name, result in document["cost"].items():
        assert [point["n"] for point in result["points"]] == [10, 100] and result["stopped"] is None
        for point in result["points"]:
            assert point["ratio"] == pytest.approx(point["seconds"] / point["forward_seconds"])
        assert name in printed
    assert set(document["constants"]) == {name for name in INSTALLED if METHODS[name].mode in ("reverse", "by hand")}
    assert set(document["accuracy"]) == {"line", "mlp"}


@pytest.mark.slow
def test_the_command_writes_both_figures(command_run):
    folder = command_run[3]
    for name in command.FIGURES:
        assert (folder / name).read_bytes()[:4] == b"\x89PNG"


def test_a_method_stops_after_the_first_gradient_over_the_cap(tmp_path, capsys):
    path = tmp_path / "cost.json"
    argv = ["--n-min", "4", "--n-max", "4e1", "--cap", "1e-9", "--method", "numpy_backprop", "--json", str(path)]
    assert command.main(argv) == 0
    (result,) = json.loads(path.read_text())["cost"].values()
    assert len(result["points"]) == 1 and "over the 1e-09 s cap" in result["stopped"]
    assert "stopped:" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.skipif("jax_jacfwd" not in INSTALLED, reason="JAX is not installed")
def test_jacfwd_stops_before_its_tangents_would_pass_the_memory_limit(tmp_path):
    argv = ["--n-min", "1e4", "--n-max", "1e4", "--method", "jax_jacfwd", "--json", str(tmp_path / "c.json")]
    assert command.main(argv) == 0
    document = json.loads((tmp_path / "c.json").read_text())
    result = document["cost"]["jax_jacfwd"]
    assert result["points"] == [] and "GiB allowed" in result["stopped"]
    plot_gradient_cost(str(tmp_path / "c.png"), document)  # a method with no points is left out, not a crash


def test_a_missing_framework_is_skipped_with_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(type(FRAMEWORKS["torch"]), "installed", lambda self: False)
    argv = ["--n-min", "4", "--n-max", "4", "--cap", "1e-9", "--method", "numpy_fd", "--method", "torch_reverse"]
    with pytest.raises(SystemExit) as exit_info:
        command.main(argv)
    assert exit_info.value.code == 2 and "torch_reverse: PyTorch is not installed" in capsys.readouterr().err
    names, notes = command.check(command.build_parser().parse_args(["--json", str(tmp_path / "x.json")]))
    assert "torch_reverse" not in names and notes == [f"torch_reverse: skipped, {FRAMEWORKS['torch'].missing_line()}"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--n-min", "0"],
        ["--n-min", "-10"],
        ["--n-min", "1000", "--n-max", "10"],
        ["--n-max", "1e12"],
        ["--n-max", "1000000000000"],
        ["--n-max", "12.5"],
        ["--n-max", "inf"],
        ["--per-decade", "0"],
        ["--method", "numpy_magic"],
        ["--cap", "0"],
        ["--cap", "-1"],
        ["--cap", "nan"],
        ["--cap", "inf"],
        ["--json", "cost.txt"],
        ["--plot", "/no/such/folder"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        command.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
