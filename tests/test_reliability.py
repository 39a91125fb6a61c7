"""Divergence, determinism, retracing and memory: the suite under the conditions users create."""

import json

import numpy as np
import psutil
import pytest

import compare
from impls import TRAINERS
from impls.problem import Config, closed_form_fit, make_data
from tests.conftest import build

TOO_LARGE_LR = Config(lr=1.0)  # |1 − 2·lr·E[x²]| = |1 − 2·8.3| > 1: every update overshoots further


@pytest.mark.parametrize("name", TRAINERS)
def test_divergence_is_noticed_and_stops_the_run(train, name):
    history = train(name, TOO_LARGE_LR)
    assert history.diverged_at is not None and history.diverged_at < TOO_LARGE_LR.steps
    assert np.isfinite(history.W).all() and np.isfinite(history.b).all()  # only finite records stay
    assert history.steps_run == history.diverged_at


def test_divergence_is_reported_not_crashed_on(capsys, tmp_path):
    path = tmp_path / "out.json"
    code = compare.main(
        ["--lr", "1", "--repeat", "1", "--json", str(path), "--impl", "tf_function", "--impl", "numpy_manual"]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "no: diverged at step 16" in out and "nan" not in out.lower() and "inf" not in out.lower()
    results = json.loads(path.read_text())["results"]  # strict JSON: no NaN would parse as a number here
    for result in results:
        assert result["converged"] is False and result["diverged_at"] == 16
        assert result["W"] is None and result["b"] is None and result["loss"] is None


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = make_data(Config(seed=5)), make_data(Config(seed=5)), make_data(Config(seed=6))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("name", TRAINERS)
def test_repeated_runs_give_identical_bits(train, name):
    config = Config(seed=9)
    first, second = train(name, config), train(name, config)
    np.testing.assert_array_equal(first.W, second.W)
    np.testing.assert_array_equal(first.b, second.b)


def resident_mb():
    return psutil.Process().memory_info().rss / 2**20


def test_twenty_rounds_neither_retrace_nor_grow():
    """What a benchmark does: the same trainers, reset and trained again and again."""
    config = Config(seed=13)
    trainers = [build(name, config) for name in TRAINERS]
    for trainer in trainers:  # warm-up: tracing, compilation, allocator pools
        for _ in range(3):
            trainer.reset()
            trainer.train()
    traces = {t.name: t.tracing_count() for t in trainers if hasattr(t, "tracing_count")}
    before = resident_mb()
    for _ in range(20):
        for trainer in trainers:
            trainer.reset()
            trainer.train()
    assert {t.name: t.tracing_count() for t in trainers if hasattr(t, "tracing_count")} == traces
    assert resident_mb() - before < 20, "resident memory grew by 20 MB or more over 20 rounds"


def test_repeated_compare_runs_stay_within_a_bound():
    """Each compare run builds fresh trainers, whose compiled graphs TensorFlow keeps in its caches:
    measured here at about 6 MB a run. 15 MB a run on average is the stated bound."""
    config = Config(steps=20)
    data = make_data(config)
    reference = closed_form_fit(data)
    compare.run_all(config, data, reference, list(TRAINERS), ["cpu"], repeat=1)
    before = resident_mb()
    runs = 8
    for _ in range(runs):
        rows, _, _ = compare.run_all(config, data, reference, list(TRAINERS), ["cpu"], repeat=1)
        assert len(rows) == len(TRAINERS)
    assert (resident_mb() - before) / runs < 15
