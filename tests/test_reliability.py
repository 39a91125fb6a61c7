"""Divergence, determinism, retracing and memory: the suite under the conditions users create."""

import numpy as np
import psutil
import pytest

import compare
from fitways.checks import closed_form_fit, divergence_bound
from impls.problem import Config, make_data
from tests.helpers import INSTALLED, record, runner, strict_json

TOO_LARGE_LR = Config(lr=1.0)  # |1 − 2·lr·E[x²]| = |1 − 2·8.3| > 1: every update overshoots further


@pytest.mark.parametrize("name", INSTALLED)
def test_divergence_is_noticed_by_one_rule_for_every_trainer(name):
    trajectory = record(name, TOO_LARGE_LR)
    numpy_run = record("numpy_manual", TOO_LARGE_LR)
    assert trajectory.diverged_at is not None and trajectory.diverged_at < TOO_LARGE_LR.updates
    bound = divergence_bound(TOO_LARGE_LR)
    assert (np.abs(trajectory.W) <= bound).all() and (np.abs(trajectory.b) <= bound).all()  # only sane records stay
    if trajectory.every_update:  # the same update for everyone who sees every update
        assert trajectory.diverged_at == numpy_run.diverged_at
        assert trajectory.divergence == f"diverged at update {numpy_run.diverged_at}"
    else:  # keras_fit_tuned: the first record at or after it
        assert trajectory.divergence == f"diverged by update {trajectory.diverged_at}"
        assert 0 <= trajectory.diverged_at - numpy_run.diverged_at < 64


@pytest.mark.parametrize("name", ["numpy_manual", "tf_xla", "keras_fit_tuned"])
def test_a_huge_but_finite_w_is_divergence_too(name):
    """Batch 1 blows W up to ~1e36 long before it overflows: the bound catches it, the same way for all."""
    if name not in INSTALLED:
        pytest.skip(f"{name} is not installed")
    config = Config(batch_size=1, samples=3000)
    trajectory, numpy_run = record(name, config), record("numpy_manual", config)
    assert numpy_run.diverged_at is not None
    assert 0 <= trajectory.diverged_at - numpy_run.diverged_at < (1 if trajectory.every_update else 64)


def test_divergence_is_reported_not_crashed_on(capsys, tmp_path):
    path = tmp_path / "out.json"
    code = compare.main(
        ["--lr", "1", "--repeat", "1", "--json", str(path), "--impl", "tf_function", "--impl", "numpy_manual"]
    )
    assert code == 1
    out = capsys.readouterr().out
    first = record("numpy_manual", TOO_LARGE_LR).diverged_at
    assert f"no: diverged at update {first}" in out and "nan" not in out.lower() and "inf" not in out.lower()
    for result in strict_json(path.read_text())["results"]:
        assert result["converged"] is False and result["diverged_at"] == first
        assert result["W"] is None and result["b"] is None and result["loss"] is None


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = make_data(Config(seed=5)), make_data(Config(seed=5)), make_data(Config(seed=6))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("name", INSTALLED)
def test_repeated_runs_give_identical_bits(name):
    config = Config(seed=9, updates=40)
    first, second = record(name, config), record(name, config)
    np.testing.assert_array_equal(first.W, second.W)
    np.testing.assert_array_equal(first.b, second.b)
    assert runner(name, config).train() == runner(name, config).train()


def resident_mb():
    return psutil.Process().memory_info().rss / 2**20


def test_five_rounds_neither_retrace_nor_grow():
    """What a benchmark does: the same trainers, reset and trained again and again."""
    config = Config(seed=13, updates=5)
    runners = [runner(name, config) for name in INSTALLED]
    for built in runners:  # warm-up: tracing, compilation, allocator pools
        for _ in range(3):
            built.reset()
            built.train()
    traces = {built.name: built.tracing_counts() for built in runners}
    before = resident_mb()
    for _ in range(5):
        for built in runners:
            built.reset()
            built.train()
    assert {built.name: built.tracing_counts() for built in runners} == traces
    assert resident_mb() - before < 20, "resident memory grew by 20 MB or more over 5 rounds"


def test_repeated_compare_runs_stay_within_a_bound():
    """Each compare run builds fresh trainers, whose compiled graphs TensorFlow keeps in its caches:
    measured here at 2-5 MB a run for each of these four, the largest, and under 1 MB for the rest.
    25 MB a run of the four, on average, is the stated bound."""
    config = Config(updates=10)
    data = make_data(config)
    runs = [(name, "cpu") for name in ("tf_graph_loop", "tf_xla", "keras_fit", "keras_fit_tuned") if name in INSTALLED]
    compare.run_all(config, data, closed_form_fit(data), runs, repeat=1)
    before = resident_mb()
    for _ in range(2):
        rows, _ = compare.run_all(config, data, closed_form_fit(data), runs, repeat=1)
        assert len(rows) == len(runs)
    assert (resident_mb() - before) / 2 < 25
