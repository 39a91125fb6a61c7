"""The batch-size sweep script, on a small grid: it measures, checks convergence and draws."""

import os
import signal
import subprocess
import sys
import time

import pytest

from benchmarks import sweep_batch_size

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def test_ctrl_c_says_interrupted_and_exits_130(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "benchmarks/sweep_batch_size.py", "--out", str(tmp_path / "s.png"), "--impl", "numpy_manual",
         "--repeat", "50"],  # fmt: skip
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line, deadline = "", time.time() + 60
    while "numpy_manual on cpu" not in line and time.time() < deadline:
        line += process.stderr.read(1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and err.strip().endswith("interrupted") and "Traceback" not in err
