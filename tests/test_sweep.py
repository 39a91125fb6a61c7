"""The batch-size sweep script, on a small grid: it measures, checks convergence and draws."""

import pytest

from benchmarks import sweep_batch_size


def test_sweep_writes_a_png_and_reports_every_point(tmp_path, capsys):
    path = tmp_path / "sweep.png"
    argv = [
        "--out",
        str(path),
        "--batch-sizes",
        "16,256",
        "--impl",
        "numpy_manual",
        "--impl",
        "tf_graph_loop",
        "--repeat",
        "1",
        "--device",
        "cpu",
    ]
    assert sweep_batch_size.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("µs/update") == 4
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("sizes", ["16,x", "0,16"])
def test_bad_batch_sizes_are_one_line_errors(capsys, sizes):
    with pytest.raises(SystemExit) as exit_info:
        sweep_batch_size.main(["--batch-sizes", sizes])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --batch-sizes") and err.count("\n") == 1
