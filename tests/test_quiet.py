"""Quiet where the user did not ask: `pytest --benchmark-only` collects the benchmarks alone, and plain
`pytest` lists skip reasons only when asked (-rs)."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def collect(*argv):
    # without the xdist worker's variables: under them pytest-benchmark takes the child for a worker
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    return subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)  # fmt: skip


@pytest.mark.slow  # starts processes
def test_benchmark_only_deselects_every_other_test():
    done = collect(
        "--benchmark-only", "tests/test_layout.py", "benchmarks/bench_trainers.py", "-k", "layout or cpu-16-numpy"
    )
    assert done.returncode == 0, done.stderr
    items = [line for line in done.stdout.splitlines() if "::" in line]
    assert "benchmarks/bench_trainers.py::test_train[cpu-16-numpy_manual]" in items  # and other problems' numpy_manual
    assert all(item.startswith("benchmarks/bench_trainers.py::test_train[") for item in items)
    assert "deselected" in done.stdout and "Skipping" not in done.stdout
    # control: without --benchmark-only the layout tests are collected
    assert any("test_layout.py::" in line for line in collect("tests/test_layout.py").stdout.splitlines())


def test_skip_reasons_are_not_listed_by_default():
    """-r's letters choose the summary lines: f(ailed) and E(rror) only, not s(kipped) nor a(ll)."""
    with open(os.path.join(ROOT, "pyproject.toml")) as file:
        addopts = next(line for line in file if line.startswith("addopts"))
    letters = "".join(re.findall(r"-r(\w+)", addopts))
    assert letters and not set(letters) & set("asA")
