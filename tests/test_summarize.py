"""The README's benchmark table is computed from pytest-benchmark's JSON, not typed in — and a file
that is not such a report is one line and exit 2."""

import json

import pytest

from benchmarks.summarize import main, summarize


def bench(trainer, device, batch_size, median, **fitted):
    info = {"trainer": trainer, "device": device, "batch_size": batch_size, "cpu": "test cpu", "python": "3", **fitted}
    return {"extra_info": info, "stats": {"median": median}}


def test_table_gives_microseconds_and_speedup_over_gradient_tape():
    report = {
        "datetime": "2026-11-27T00:00:00",
        "benchmarks": [
            bench("gradient_tape", "cpu", 16, 800e-6),
            bench("tf_xla", "cpu", 16, 0.08e-6),
            bench("gradient_tape", "cpu", 4096, 1300e-6),
            bench("numpy_manual", "cpu", 16, 4e-6),
        ],
    }
    lines = summarize(report).splitlines()
    assert lines[0] == "| trainer | cpu · batch 16 | × floor | cpu · batch 4096 | × floor | per call |"
    assert "| gradient_tape | 800 µs (1.0×) | — | 1,300 µs (1.0×) | — | — |" in lines  # not 1.3e+03
    assert "| numpy_manual | 4 µs (200×) | — | — | — | — |" in lines
    assert "| tf_xla | 0.08 µs (10,000×) | — | — | — | — |" in lines


def test_the_fitted_costs_and_the_floor_column():
    """With extra_info's fitted line, the per-update cost is its slope (not the round's median, which
    holds a share of the call), × floor divides by numba_loop's in the same column, and the last
    column gives the per-call range over the batch sizes (~0 for a fitted cost at or below zero)."""
    report = {
        "benchmarks": [
            bench("numba_loop", "cpu", 16, 0.03e-6, seconds_per_update=0.01e-6, seconds_per_call=5e-6),
            bench("numba_loop", "cpu", 4096, 0.5e-6, seconds_per_update=0.5e-6, seconds_per_call=6e-6),
            bench("tf_xla", "cpu", 16, 0.09e-6, seconds_per_update=0.04e-6, seconds_per_call=400e-6),
            bench("tf_xla", "cpu", 4096, 4e-6, seconds_per_update=4e-6, seconds_per_call=450e-6),
            bench("numpy_manual", "cpu", 16, 15e-6, seconds_per_update=15e-6, seconds_per_call=-1e-6),
        ]
    }
    lines = summarize(report).splitlines()
    assert "| numba_loop | 0.01 µs | 1.0× | 0.5 µs | 1.0× | 5–6 µs |" in lines
    assert "| tf_xla | 0.04 µs | 4.0× | 4 µs | 8.0× | 400–450 µs |" in lines
    assert "| numpy_manual | 15 µs | 1,500× | — | — | ~0 µs |" in lines


BAD_REPORTS = {
    "no benchmarks": ({"benchmarks": []}, "holds no benchmarks"),
    "a list": ([], "not a pytest-benchmark report"),
    "null": (None, "not a pytest-benchmark report"),
    "zero median": ({"benchmarks": [bench("numpy_manual", "cpu", 16, 0)]}, "has median 0"),
    "text median": ({"benchmarks": [bench("numpy_manual", "cpu", 16, "fast")]}, "has median 'fast'"),
    "NaN median": ('{"benchmarks": [{"extra_info": {"trainer": "t", "device": "cpu", "batch_size": 1}, '
                   '"stats": {"median": NaN}}]}', "has median nan"),
    "no stats": ({"benchmarks": [{"extra_info": {}}]}, "lacks extra_info"),
}  # fmt: skip


@pytest.mark.parametrize("report, message", BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_what_is_not_a_report_is_one_line_and_exit_2(tmp_path, capsys, report, message):
    path = tmp_path / "bench.json"
    path.write_text(report if isinstance(report, str) else json.dumps(report))
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: cannot summarize") and message in err, err


def exit_status(argv):
    try:
        return main(argv)
    except SystemExit as exit_info:  # argparse's --help and refusals
        return exit_info.code


@pytest.mark.parametrize("argv", [[], ["--bogus", "docs/benchmarks.json"], ["a.json", "b.json", "c.json"]])
def test_a_bad_command_line_is_one_line_and_exit_2(capsys, argv):
    assert exit_status(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err


def test_help_is_help_not_a_file_name(capsys):
    assert exit_status(["--help"]) == 0
    assert "usage:" in capsys.readouterr().out
    assert exit_status(["missing.json"]) == 2
