"""Gradient check: each trainer's gradient next to a float64 central finite difference.

    dL/dW ≈ (L(W + h, b) − L(W − h, b)) / 2h,   h = 1e-6

The central difference is exact up to O(h²) (≈1e-12 here) plus float64 rounding (≈1e-10), so
it is a reference the float32 trainers (≈1e-7 relative) can be judged against.
"""

import numpy as np

from impls.problem import loss_value

STEP = 1e-6
MAX_RELATIVE_ERROR = 1e-4  # float32 arithmetic over a batch, with room to spare


def finite_difference(config, W, b, x, y, h=STEP):
    dW = (loss_value(config, W + h, b, x, y) - loss_value(config, W - h, b, x, y)) / (2 * h)
    db = (loss_value(config, W, b + h, x, y) - loss_value(config, W, b - h, x, y)) / (2 * h)
    return dW, db


def relative_error(value, reference):
    return abs(value - reference) / max(abs(value), abs(reference), 1e-12)


def random_points(config, data, count=3, seed=1234):
    """(W, b, x, y) at random parameters on random batches of the configured size."""
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(count):
        start = rng.integers(config.batches_per_epoch) * config.batch_size
        batch = slice(start, start + config.batch_size)
        points.append((rng.uniform(-1, 4), rng.uniform(-3, 2), data.x[batch], data.y[batch]))
    return points


def check(trainer, points):
    """Rows of (W, b, trainer's gradient, finite difference, worst relative error)."""
    rows = []
    for W, b, x, y in points:
        ours = trainer.gradient(W, b, x, y)
        reference = finite_difference(trainer.config, W, b, x, y)
        error = max(relative_error(o, r) for o, r in zip(ours, reference))
        rows.append((W, b, ours, reference, error))
    return rows


def print_report(config, data, names):
    """compare.py --check-gradients: one line per trainer and point, then PASS or FAIL. Returns the exit code."""
    from impls import trainer_class

    points = random_points(config, data)
    print(
        f"gradient check, loss {config.loss}: each trainer's (dL/dW, dL/db) vs float64 central "
        f"differences (h = {STEP:g}) at {len(points)} random points on batches of {config.batch_size}"
    )
    print(
        f"{'trainer':<16} {'W':>7} {'b':>7}  {'trainer dL/dW':>14} {'numeric':>14}  "
        f"{'trainer dL/db':>14} {'numeric':>14}  {'rel. error':>10}"
    )
    failures = 0
    for name in names:
        for W, b, ours, reference, error in check(trainer_class(name)(config, data), points):
            failed = error > MAX_RELATIVE_ERROR
            failures += failed
            print(
                f"{name:<16} {W:7.3f} {b:7.3f}  {ours[0]:14.7f} {reference[0]:14.7f}  "
                f"{ours[1]:14.7f} {reference[1]:14.7f}  {error:10.1e}{'  FAIL' if failed else ''}"
            )
    total = len(names) * len(points)
    if failures:
        print(f"FAIL: {failures} of {total} gradients differ from finite differences by > {MAX_RELATIVE_ERROR:g}")
        return 1
    print(f"PASS: all {total} gradients agree with finite differences to within {MAX_RELATIVE_ERROR:g} (relative)")
    return 0
