"""Every check, on every problem found (fitways.problems) × each of its trainers: a new problem folder
gets these with no edit here.

    equivalence   each trainer against its problem's numpy_manual, update by update, at problem.equivalence
    convergence   the timed run converges by the problem's own rule (its reference, its ceiling)
    gradients     each trainer's gradient against float64 central differences (fitways.gradcheck)

The line's and the network's own files (test_equivalence, test_convergence, test_gradients, test_mlp)
add what only they can say: other configs, the closed form, the controls that prove a check can fail.
"""

import numpy as np
import pytest

from fitways.checks import verdict
from fitways.gradcheck import check, passes, random_points
from fitways.problems import PROBLEMS
from tests.helpers import final, installed, logged, runner

CASES = [pytest.param(problem, name, id=f"{problem.name}-{name}") for problem in PROBLEMS.values()
         for name in installed(problem)]  # fmt: skip
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("problem, name", [case for case in CASES if case.values[1] != "numpy_manual"])
def test_follows_numpy_manual_update_by_update(problem, name):
    """`ours` may be sparse (keras_fit_tuned sees every steps_per_execution-th update): compared where it logged."""
    config = problem.Config()
    ours, numpy_run = logged(name, config), logged("numpy_manual", config)
    assert numpy_run.updates.tolist() == list(range(1, config.updates + 1))
    assert ours.updates[-1] == config.updates and ours.diverged_at is None
    index, (rtol, atol) = ours.updates - 1, problem.equivalence
    for parameter in problem.parameters:
        np.testing.assert_allclose(ours[parameter], numpy_run[parameter][index], rtol=rtol, atol=atol, err_msg=parameter)
    if ours.loss is not None:  # each framework's own batch loss; near zero, float32 rounding of residuals dominates
        np.testing.assert_allclose(ours.loss, numpy_run.loss[index], rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("problem, name", CASES)
def test_the_timed_run_converges(problem, name):
    config = problem.Config()
    data = problem.make_data(config)
    reference, ours = problem.reference(config, data), final(name, config)
    converged, why_not = verdict(reference, ours, problem.loss(config, ours, *problem.trained(config, data)))
    assert converged, why_not


@pytest.mark.parametrize("problem, name", CASES)
def test_the_gradient_matches_finite_differences(problem, name):
    config = problem.Config()
    rows = check(runner(name, config), random_points(problem, config, problem.make_data(config)))
    assert rows and all(passes(row["error"]) for row in rows), [row["error"] for row in rows]
