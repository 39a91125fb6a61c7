"""The batch-size sweep script, on a small grid: it measures, checks convergence and draws."""

import os

import pytest

from benchmarks import sweep_batch_size
from tests.helpers import interrupted, strict_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_sweep_writes_a_png_and_reports_every_point(tmp_path, capsys):
    path = tmp_path / "sweep.png"
    argv = ["--out", str(path), "--batch-sizes", "16,256", "--impl", "numpy_manual", "--impl", "tf_graph_loop"]
    assert sweep_batch_size.main([*argv, "--repeat", "1", "--device", "cpu"]) == 0
    assert capsys.readouterr().out.count("µs/update") == 4
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv", [["--batch-sizes", "16,x"], ["--batch-sizes", "0,16"], ["--repeat", "-1"], ["--out", "x.svg"]])
def test_bad_input_is_one_line_and_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        sweep_batch_size.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.slow  # loads TensorFlow
@pytest.mark.parametrize("name", ["tf_mirrored", "tf_multiworker"])
def test_a_batch_size_a_named_trainer_cannot_split_is_one_line_and_exit_2(capsys, tmp_path, name):
    """Before, the sweep ran up to that point and ended in numpy's traceback."""
    with pytest.raises(SystemExit) as exit_info:
        sweep_batch_size.main(["--impl", name, "--batch-sizes", "16,15", "--out", str(tmp_path / "s.png")])
    assert exit_info.value.code == 2 and not (tmp_path / "s.png").exists()
    err = capsys.readouterr().err
    assert err.startswith("error: --batch-size 15 does not split evenly across 2 ") and err.count("\n") == 1


@pytest.mark.slow
def test_ctrl_c_says_interrupted_and_exits_130(tmp_path):
    """Also from a background job (tests.helpers.interrupted restores the SIGINT it would ignore)."""
    argv = ["-m", "benchmarks.sweep_batch_size", "--out", str(tmp_path / "s.png"), "--impl", "numpy_manual", "--repeat", "50"]
    status, err = interrupted(argv, once="numpy_manual on cpu", cwd=ROOT)
    assert status == 130 and err.strip().endswith("interrupted") and "Traceback" not in err


@pytest.mark.slow
def test_width_sweep_measures_checks_and_finds_the_crossover(tmp_path, capsys):
    from benchmarks import sweep_width

    path, report = tmp_path / "width.png", tmp_path / "width.json"
    argv = ["--out", str(path), "--json", str(report), "--widths", "1,8", "--impl", "numpy_manual", "--impl", "jax_loop"]
    assert sweep_width.main([*argv, "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("µs/update") == 4 and "crossover: jax_loop on cpu" in out
    document = strict_json(report.read_text())
    assert [width for width, _, ok in document["points"]["jax_loop on cpu"] if ok] == [1, 8]
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_crossover_is_where_the_challenger_stays_faster():
    from benchmarks.sweep import crossover

    points = {
        "numpy": [(1, 1.0, True), (4, 2.0, True), (16, 4.0, True), (64, 8.0, True)],
        "xla": [(1, 3.0, True), (4, 1.0, True), (16, 5.0, True), (64, 2.0, True)],  # wins at 4, loses at 16
        "slow": [(1, 9.0, True), (4, 9.0, True), (16, 9.0, True), (64, 9.0, True)],
    }
    assert crossover(points, "xla", "numpy") == 64
    assert crossover(points, "slow", "numpy") is None
    assert crossover(points, "numpy", "slow") == 1


@pytest.mark.parametrize("argv", [["--widths", "0,4"], ["--widths", "4,x"], ["--batch-size", "0"], ["--impl", "tf_graph_loop"]])
def test_width_sweep_bad_input_is_one_line_and_exit_2(capsys, argv):
    from benchmarks import sweep_width

    with pytest.raises(SystemExit) as exit_info:
        sweep_width.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.slow
def test_keras_fit_changes_prices_each_change_and_checks_its_answer(tmp_path, capsys):
    from benchmarks import keras_fit_changes

    path = tmp_path / "changes.json"
    assert keras_fit_changes.main(["--repeat", "1", "--json", str(path)]) == 0
    variants = strict_json(path.read_text())["variants"]
    assert list(variants) == list(keras_fit_changes.VARIANTS) and all(v["converged"] for v in variants.values())
    assert capsys.readouterr().out.count("µs/update") == len(variants)


@pytest.mark.parametrize("argv", [["--repeat", "0"], ["--json", "x.txt"]])
def test_keras_fit_changes_bad_input_is_one_line_and_exit_2(capsys, argv):
    from benchmarks import keras_fit_changes

    with pytest.raises(SystemExit) as exit_info:
        keras_fit_changes.main(argv)
    assert exit_info.value.code == 2 and capsys.readouterr().err.count("\n") == 1
