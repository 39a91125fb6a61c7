"""Gradient check: each lesson's gradient next to a float64 central finite difference, for every
number of every parameter.

    dL/dθ_k ≈ (L(θ + h·e_k) − L(θ − h·e_k)) / 2h,   h = 1e-6 · max(1, rms residual at θ)

Why float64 and h = 1e-6: docs/04-reverse-mode.md, "How accurate finite differences can be" (measured
by benchmarks/gradient_cost.py): in float64 the difference is within ~1e-10 of the gradient, a
reference the float32 lessons (≈1e-7 relative) can be judged against; in float32 it is ~1e-2 off.
L grows as the residuals squared, so h grows with their root mean square (a fixed h is 2 % off at
--noise 1e8). A value that is not finite is judged against nothing: it fails.
"""

import math

import numpy as np

STEP = 1e-6
MAX_RELATIVE_ERROR = 1e-4  # float32 arithmetic over a batch, with room to spare


def step(problem, config, params, x, y):
    """h for this point: the problem's own (problem.finite_difference_step, chosen from its loss's
    curvature), else STEP scaled up with the residuals' root mean square (right for a quadratic loss)."""
    own = getattr(problem, "finite_difference_step", None)
    if own is not None:
        return own(config, params, x, y)
    residual = problem.predict(config, params, x) - y
    return STEP * max(1.0, float(np.sqrt(np.mean(residual**2))))


def step_description(problem):
    """How h is chosen, for the check's header line."""
    if getattr(problem, "finite_difference_step", None) is not None:
        return f"h = {STEP:g}, the problem's own step"
    return f"h = {STEP:g} × max(1, rms residual)"


def finite_difference(problem, config, params, x, y, h=None):
    """The float64 central difference of the loss for every number of every parameter, by name."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    params = {name: np.array(value, np.float64) for name, value in params.items()}
    h = step(problem, config, params, x, y) if h is None else h
    gradient = {}
    for name, value in params.items():
        slope = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            moved = value.copy()
            moved[index] = value[index] + h
            up = problem.loss(config, {**params, name: moved}, x, y)
            moved[index] = value[index] - h
            down = problem.loss(config, {**params, name: moved}, x, y)
            slope[index] = (up - down) / (2 * h)
        gradient[name] = slope
    return gradient


def relative_error(value, expected):
    """max |value − expected| over one parameter's numbers, relative to the larger of the two's largest
    magnitude; inf when anything is not finite."""
    value, expected = np.asarray(value, np.float64), np.asarray(expected, np.float64)
    if not (np.all(np.isfinite(value)) and np.all(np.isfinite(expected))):
        return math.inf
    scale = max(float(np.max(np.abs(value), initial=0)), float(np.max(np.abs(expected), initial=0)), 1e-12)
    return float(np.max(np.abs(value - expected), initial=0)) / scale


def passes(error):
    return error <= MAX_RELATIVE_ERROR  # False for NaN


def random_points(problem, config, data, count=3, seed=1234):
    """(parameters by name, x, y) at random parameters near the start, on random batches of the configured size."""
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(count):
        start = rng.integers(config.batches_per_epoch) * config.batch_size
        batch = slice(start, start + config.batch_size)
        params = {  # float32 values, so that the lesson and the reference differentiate at the same point
            name: (value + rng.uniform(-2, 2, np.shape(value))).astype(np.float32).astype(np.float64)
            for name, value in problem.start(config).items()
        }
        points.append((params, data.x[batch], data.y[batch]))
    return points


def check(runner, points):
    """Rows of {parameters, gradient, finite_difference, error} for one runner; error is the worst over
    the parameters, each judged relative to its own largest number."""
    rows = []
    for params, x, y in points:
        ours = runner.gradient(params, x, y)
        expected = finite_difference(runner.problem, runner.config, params, x, y)
        error = max(relative_error(ours[name], expected[name]) for name in expected)
        rows.append({"parameters": params, "gradient": ours, "finite_difference": expected, "error": error})
    return rows
