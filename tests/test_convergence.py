"""Every trainer reaches the fit the data supports — the closed-form least-squares fit — and on the
textbook's data that is the true line (2, −1) to within the noise's mean."""

import dataclasses

import numpy as np
import pytest

from fitways.checks import TOLERANCE, verdict
from impls.problem import Config, make_data
from tests.helpers import INSTALLED, LINE, final, logged

# One pass in, SGD sits within a few 1e-4 of the closed-form fit; 2e-3 leaves room for the last
# batch's jitter and is still five times tighter than the convergence rule.
CLOSED_FORM_TOLERANCE = 2e-3


def closed_form(config):
    return LINE.reference(config, make_data(config)).parameters


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])  # seed 0, the default, is the next test's
@pytest.mark.parametrize("name", INSTALLED)
def test_reaches_the_true_line(name, seed):
    config = Config(seed=seed)
    trajectory = logged(name, config)
    assert trajectory.diverged_at is None and trajectory.updates_run == config.updates
    W, b = trajectory.final["W"], trajectory.final["b"]
    assert abs(W - 2.0) < TOLERANCE and abs(b + 1.0) < TOLERANCE, (W, b)


@pytest.mark.slow
@pytest.mark.parametrize("name", INSTALLED)
def test_the_timed_run_ends_next_to_the_closed_form_fit(name):
    config = Config()
    ours, best = final(name, config), closed_form(config)
    assert all(abs(ours[n] - best[n]) < CLOSED_FORM_TOLERANCE for n in "Wb"), (ours, best)


@pytest.mark.slow
@pytest.mark.parametrize("name", INSTALLED)
def test_converged_means_the_fit_the_data_supports_not_the_true_line(name):
    """With noise 0.03 the best line is 0.015 from (2, −1): every trainer is judged against it."""
    config = Config(noise=0.03)
    reference = LINE.reference(config, make_data(config))
    ours = final(name, config)
    assert abs(reference.parameters["b"] - (-1 + 0.015)) < 1e-3  # the data's own offset: the noise's mean
    assert verdict(reference, ours, reference.loss)[0]
    true_line = dataclasses.replace(reference, parameters=LINE.truth(config))
    assert not verdict(true_line, ours, reference.loss)[0]


def test_closed_form_recovers_the_line_without_noise():
    best = closed_form(Config(noise=0.0))
    assert best["W"] == pytest.approx(2.0, abs=1e-6) and best["b"] == pytest.approx(-1.0, abs=1e-6)


def test_nan_never_counts_as_converged():
    reference = LINE.reference(Config(), make_data(Config()))
    assert not verdict(reference, {"W": np.nan, "b": -1.0}, 0.0)[0]
    assert not verdict(reference, {"W": 2.0, "b": np.inf}, 0.0)[0]
