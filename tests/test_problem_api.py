"""A third problem needs no edit to the harness: a Problem and one lesson, both defined in this file,
run through the same runner, suite, verdict, gradient check, table, JSON and plot as the line."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from fitways import suite
from fitways.gradcheck import check, passes, random_points
from fitways.problem import Entry, Problem, Reference, loss_of_residual
from fitways.problems import discover
from fitways.report import add_speedups, print_table, run_document, to_json
from fitways.runner import Runner
from impls import problem as line


class Trainer:
    """A lesson for y = a·sin(x) + c, in numpy, by hand: dL/da = (2/n) Σ r·sin(x), dL/dc = (2/n) Σ r."""

    def __init__(self, config, data):
        self.config, self.a, self.c = config, np.float32(0), np.float32(0)
        size = config.batch_size
        self.batches = [(data.x[s : s + size], data.y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    def reset(self, a, c):
        self.a, self.c = np.float32(a), np.float32(c)

    def loss_and_gradient(self, x, y):
        feature = np.sin(x)
        residual = self.a * feature + self.c - y
        return residual @ residual / len(x), 2 * residual @ feature / len(x), 2 * residual.sum() / len(x)

    def train(self, log=None):
        for update in range(self.config.updates):
            loss, da, dc = self.loss_and_gradient(*self.batches[update % len(self.batches)])
            self.a, self.c = self.a - np.float32(self.config.lr) * da, self.c - np.float32(self.config.lr) * dc
            if log:
                log(update, loss, self.a, self.c)
        return float(self.a), float(self.c)


class Wave(Problem):
    name = "wave"
    summary = "y = a·sin(x) + c"
    Config = line.Schedule
    trainers = {"numpy_by_hand": Entry("numpy", "by hand", __name__)}
    parameters = ("a", "c")
    shown = ("a", "c")

    def make_data(self, config):
        return line.sample(config, lambda x: 3 * np.sin(x) - 1)

    def initial_parameters(self, config):
        return 0.0, 0.0

    def predict(self, config, params, x):
        return params["a"] * np.sin(x) + params["c"]

    def reference(self, config, data):
        x, y = self.trained(config, data)
        design = np.stack([np.sin(x), np.ones(len(x))], axis=1)
        (a, c), *_ = np.linalg.lstsq(design, y, rcond=None)
        return Reference({"a": np.float64(a), "c": np.float64(c)}, loss_of_residual(config, design @ (a, c) - y))

    def textbook_log(self, config, every=15, out=print):
        return line.textbook_log(config, every, out, format_line=lambda step, loss, a, c: f"{step}: a = {a:.3f}")


WAVE = Wave()
CONFIG = Wave.Config(updates=600)


def test_a_problem_defined_in_a_test_trains_converges_and_reports(capsys, tmp_path):
    data = WAVE.make_data(CONFIG)
    reference = WAVE.reference(CONFIG, data)
    rows, trajectories = suite.run_all(WAVE, CONFIG, data, reference, [("numpy_by_hand", "cpu")], repeat=1, log_every=300)
    (row,) = rows
    assert row["converged"] is True, row
    assert row["parameters"]["a"] == pytest.approx(3.0, abs=0.01) and row["parameters"]["c"] == pytest.approx(-0.995, abs=0.01)
    assert len(trajectories["numpy_by_hand", "cpu"].updates) == CONFIG.updates
    add_speedups(rows, "numpy_by_hand")
    print_table(WAVE, CONFIG, reference, rows, [], "numpy_by_hand")
    out = capsys.readouterr().out
    assert "numpy_by_hand on CPU (numpy):\n  0: a = " in out and "verdict:          all 1 runs converged" in out
    document = json.loads(to_json(run_document(WAVE, CONFIG, reference, rows, {})))
    assert document["problem"] == "wave" and set(document["results"][0]["parameters"]) == {"a", "c"}
    from fitways.plots import plot_comparison

    plot_comparison(str(tmp_path / "wave.png"), WAVE, CONFIG, data, reference, rows, trajectories)
    assert (tmp_path / "wave.png").read_bytes()[:4] == b"\x89PNG"


def test_its_gradient_is_checked_like_any_lesson():
    data = WAVE.make_data(CONFIG)
    rows = check(Runner(WAVE, "numpy_by_hand", CONFIG, data), random_points(WAVE, CONFIG, data))
    assert all(passes(row["error"]) for row in rows)


# A third problem as a contributor adds one: a folder (tests/fixtures/plane: y = w·x + b, x in R², w a vector,
# two lessons) found by discovery, run through compare.py and through the checks and benchmarks that are
# parametrized over problems — with nothing under fitways/, tests/ or benchmarks/ naming it.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLANE_ENV = {**os.environ, "FITWAYS_PROBLEMS": "tests.fixtures", "PYTHONPATH": ROOT}


def test_a_problem_folder_is_discovered():
    found = discover(["tests.fixtures"])
    assert list(found) == ["plane"] and set(found["plane"].trainers) == {"numpy_manual", "numpy_einsum"}
    assert found["plane"].trainers["numpy_manual"].module == "tests.fixtures.plane.numpy_manual"
    found = list(discover())
    assert found[0] == "line" and "mlp" in found  # impls/problem.py first: the default; then impls/*/ by name


def compare(*arguments):
    return subprocess.run([sys.executable, "compare.py", "--problem", "plane", *arguments], cwd=ROOT, env=PLANE_ENV,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.mark.slow
def test_a_problem_folder_runs_through_compare(tmp_path):
    help_text = subprocess.run([sys.executable, "compare.py", "--help"], cwd=ROOT, env=PLANE_ENV, capture_output=True,
                               text=True, timeout=300).stdout  # fmt: skip
    assert "plane: y = w·x + b with x in R²" in " ".join(help_text.split())
    table = compare("--repeat", "1", "--log-every", "50", "--json", str(tmp_path / "p.json"), "--plot", str(tmp_path / "p.png"))
    assert table.returncode == 0, table.stderr
    assert "At step 1000, loss = " in table.stdout and "all 2 runs converged" in table.stdout
    assert "[2.0" in table.stdout  # the vector w as a column
    document = json.loads((tmp_path / "p.json").read_text())
    assert document["problem"] == "plane" and len(document["results"][0]["parameters"]["w"]) == 2
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    gradients = compare("--check-gradients")
    assert gradients.returncode == 0 and "PASS: all 6 gradients agree" in gradients.stdout, gradients.stdout
    bad = compare("--hidden", "3")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].startswith("error: --hidden is for --problem")


@pytest.mark.slow
def test_a_problem_folder_gets_the_checks_and_the_benchmarks():
    """The generic tests and benchmark cases, collected with the plane found: each plane case runs and passes."""
    suites = ["tests/test_every_problem.py", "tests/test_contract.py", "benchmarks/bench_trainers.py"]
    result = subprocess.run([sys.executable, "-m", "pytest", *suites, "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                             "-k", "plane", "-m", "slow or not slow"], cwd=ROOT, env=PLANE_ENV, capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    passed = int(result.stdout.strip().splitlines()[-1].split(" passed")[0].split()[-1])
    # equivalence 1 (numpy_einsum), convergence 2, gradients 2, benchmarks 2 × 3 batch sizes, contract ≥ 2
    assert passed >= 1 + 2 + 2 + 6 + 2, result.stdout[-1000:]


@pytest.mark.slow  # starts a process
def test_a_package_to_search_that_is_not_there_is_one_line_and_exit_2():
    done = subprocess.run([sys.executable, "compare.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                          env={**PLANE_ENV, "FITWAYS_PROBLEMS": "no_such_package"}, timeout=120)  # fmt: skip
    assert done.returncode == 2 and done.stderr == "error: $FITWAYS_PROBLEMS names 'no_such_package', which is no package on the path\n"
