"""Gradient check: each lesson's gradient next to a float64 central finite difference.

    dL/dW ≈ (L(W + h, b) − L(W − h, b)) / 2h,   h = 1e-6

Why float64 and h = 1e-6, as measured by benchmarks/gradient_cost.py (docs/gradient_accuracy.png):
the line's loss is quadratic in (W, b), so a central difference has no truncation error and only
rounding is left, ≈ ε·|L|/h: at h = 1e-6 below 1e-10 relative in float64, but about 1e-2 in float32
(ε = 1.2e-7), too coarse to judge anything. For a loss that is not quadratic (the MLP) truncation
adds O(h²), and float64's best step is a few times 1e-6: h = 1e-6 stays within a small factor of
the best error (≈1e-10). So it is a reference the float32 lessons (≈1e-7 relative) can be judged
against. A value that is not finite can be judged against nothing: it fails.
"""

import math

import numpy as np

from fitways.checks import loss_value

STEP = 1e-6
MAX_RELATIVE_ERROR = 1e-4  # float32 arithmetic over a batch, with room to spare


def finite_difference(config, W, b, x, y, h=STEP):
    dW = (loss_value(config, W + h, b, x, y) - loss_value(config, W - h, b, x, y)) / (2 * h)
    db = (loss_value(config, W, b + h, x, y) - loss_value(config, W, b - h, x, y)) / (2 * h)
    return dW, db


def relative_error(value, expected):
    """|value − expected| relative to the larger of the two; inf when either is not finite."""
    if not (math.isfinite(value) and math.isfinite(expected)):
        return math.inf
    return abs(value - expected) / max(abs(value), abs(expected), 1e-12)


def passes(error):
    return error <= MAX_RELATIVE_ERROR  # False for NaN


def random_points(config, data, count=3, seed=1234):
    """(W, b, x, y) at random parameters on random batches of the configured size."""
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(count):
        start = rng.integers(config.batches_per_epoch) * config.batch_size
        batch = slice(start, start + config.batch_size)
        points.append((rng.uniform(-1, 4), rng.uniform(-3, 2), data.x[batch], data.y[batch]))
    return points


def check(runner, points):
    """Rows of {W, b, gradient, finite_difference, error} for one runner, error the worse of the two."""
    rows = []
    for W, b, x, y in points:
        ours = runner.gradient(W, b, x, y)
        expected = finite_difference(runner.config, W, b, x, y)
        error = max(relative_error(o, e) for o, e in zip(ours, expected))
        rows.append({"W": W, "b": b, "gradient": ours, "finite_difference": expected, "error": error})
    return rows
