"""What a result is judged by: its distance to the problem's reference, converged and diverged.

Every comparison is written so that NaN fails it: `distance <= limit` is False for NaN, and a
check that fails on `not (error <= limit)` cannot pass a value it could not measure.
"""

import math

import numpy as np

MAX_UPDATES = 1_000_000  # the most updates of one run: the suite keeps the parameters of every update
TOLERANCE = 0.01  # converged: every parameter within this of the reference ...
ULPS = 16  # ... or within 16 float32 steps of it, where that is more (float32 holds ~7 digits)
LOSS_TOLERANCE = TOLERANCE**2  # with no single reference answer: a loss within this of the best
DIVERGENCE_FACTOR = 1e6  # diverged: a parameter a million times the problem's scale, or non-finite


def tolerance(reference_value):
    """How close to a reference value counts as there: 0.01, or 16 float32 steps at that value
    (2^-23 relative each) where that is more — float32 cannot come closer than a step or two to 499839.72."""
    return TOLERANCE + ULPS * 2.0**-23 * np.abs(reference_value)


def distance(params, to):
    """The largest |θ − θ′| over every number of every parameter; inf for anything non-finite."""
    worst = max(float(np.max(np.abs(np.asarray(params[name]) - to[name]), initial=0.0)) for name in to)
    return worst if math.isfinite(worst) else math.inf


def near(params, to):
    """Every number within tolerance() of its reference; False for anything non-finite."""
    return all(bool(np.all(np.abs(np.asarray(params[name]) - to[name]) <= tolerance(to[name]))) for name in to)


def verdict(reference, params, loss):
    """(converged, why not): near the reference's parameters — or, where the data has no single answer,
    a loss within LOSS_TOLERANCE of the best — and under the reference's loss ceiling, if it has one."""
    if reference.parameters is not None:
        if not near(params, reference.parameters):
            return False, f"not within {TOLERANCE:g} of the {reference.label}"
    elif not loss <= reference.loss + LOSS_TOLERANCE:
        return False, f"loss more than {LOSS_TOLERANCE:g} above the best, {reference.loss:.3g}"
    if reference.ceiling is not None and not loss <= reference.ceiling:
        return False, f"loss above {reference.ceiling:.3g}"
    return True, None


def divergence_bound(problem, config):
    """|θ| beyond this is no fit of this data: a million times the largest scale in the problem."""
    return DIVERGENCE_FACTOR * problem.scale(config)


def diverging(problem, config, loss, params):
    """The one divergence rule every trainer is judged by: a non-finite value, or a parameter or the
    loss beyond any sane fit. loss may be None (a trainer that never sees a batch loss); params are
    in order."""
    return not within(divergence_bound(problem, config), loss, params)


def within(bound, loss, values):
    """Every value and the loss inside the divergence bound (the loss: its square); False for NaN,
    since NaN makes every comparison False."""
    largest = max((abs(v) if isinstance(v, float) else float(np.max(np.abs(v), initial=0.0)) for v in values), default=0.0)
    return largest <= bound and (loss is None or abs(loss) <= bound**2)


def finite_or_none(value):
    """JSON and tables never carry NaN or infinity: such a value is reported as missing."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None
