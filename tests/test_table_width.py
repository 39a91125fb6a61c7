"""compare.py's table fits a 100-column terminal by default; --wide prints every column (the JSON
always holds them)."""

import json
import os
import subprocess
import sys

import pytest

from fitways.problems import PROBLEMS
from fitways.report import WIDTH, print_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fixture_report(name="compare.json"):
    """A committed compare run (docs/compare.json: every trainer of the line) and its problem."""
    with open(os.path.join(ROOT, "docs", name)) as file:
        document = json.load(file)
    problem = PROBLEMS[document["problem"]]
    config = problem.Config(**document["config"])
    return problem, config, problem.reference(config, problem.make_data(config)), document


@pytest.mark.parametrize("name", ["compare.json", "mlp.json"])
def test_the_default_table_fits_100_columns(capsys, name):
    problem, config, reference, document = fixture_report(name)
    print_table(problem, config, reference, document["results"], document["notes"], document["baseline"])
    out = capsys.readouterr().out
    too_wide = [line for line in out.splitlines() if len(line) > WIDTH]
    assert not too_wide, too_wide[:3]
    assert "µs/update" in out and "speed-up" in out and "verdict:" in out


def test_wide_prints_every_column(capsys):
    problem, config, reference, document = fixture_report()
    print_table(problem, config, reference, document["results"], document["notes"], document["baseline"], wide=True)
    out = capsys.readouterr().out
    assert "|Δ true|" in out and "µs/update (range)" in out and "log µs" in out
    assert max(len(line) for line in out.splitlines()) > WIDTH


@pytest.mark.slow
def test_compare_prints_no_line_over_100_columns():
    done = subprocess.run(
        [sys.executable, "compare.py", "--impl", "numpy_manual", "--repeat", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.stdout.splitlines() if len(line) > WIDTH]


def test_the_benchmark_summary_fits_100_columns_and_wide_has_the_floor(capsys):
    from benchmarks.summarize import main

    path = os.path.join(ROOT, "docs", "benchmarks.json")
    assert main([path]) == 0
    out = capsys.readouterr().out
    assert "× floor" not in out and max(len(line) for line in out.splitlines()) <= WIDTH
    assert main(["--wide", path]) == 0
    assert "× floor" in capsys.readouterr().out


def test_a_long_list_of_failures_is_wrapped(capsys):
    from benchmarks import finish

    assert finish(None, {}, [f"numpy_manual on cpu at batch {2**k}" for k in range(20)]) == 1
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) <= WIDTH
