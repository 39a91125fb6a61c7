"""What a result is judged by: the closed-form fit, the reference loss, converged and diverged.

Every comparison is written so that NaN fails it: `distance < TOLERANCE` is False for NaN, and a
check that fails on `not (error <= limit)` cannot pass a value it could not measure.
"""

import math

import numpy as np

TOLERANCE = 0.01  # converged: |W − W*| and |b − b*| below this, (W*, b*) the closed-form fit
DIVERGENCE_FACTOR = 1e6  # diverged: |W| or |b| a million times the problem's scale, or non-finite


def closed_form_fit(data):
    """Least squares in float64: the (W, b) no trainer can beat on the mean squared error — the best
    fit this data supports. With residuals below huber_delta, it is the Huber optimum too."""
    design = np.stack([data.x.astype(np.float64), np.ones(len(data.x))], axis=1)
    (W, b), *_ = np.linalg.lstsq(design, data.y.astype(np.float64), rcond=None)
    return float(W), float(b)


def loss_value(config, W, b, x, y):
    """The configured loss of W·x + b on (x, y), in float64."""
    residual = np.float64(W) * np.asarray(x, np.float64) + np.float64(b) - np.asarray(y, np.float64)
    if config.loss == "mse":
        return float(np.mean(residual**2))
    delta, size = config.huber_delta, np.abs(residual)
    return float(np.mean(np.where(size <= delta, 0.5 * size**2, delta * (size - 0.5 * delta))))


def distance(W, b, to):
    """max(|W − W′|, |b − b′|): how far (W, b) is from the point `to`."""
    return max(abs(W - to[0]), abs(b - to[1]))


def converged(closed_form, W, b):
    """Within TOLERANCE of the closed-form fit; False for anything non-finite."""
    return distance(W, b, closed_form) < TOLERANCE


def divergence_bound(config):
    """|W| or |b| beyond this is no fit of this data: a million times the largest scale in the problem."""
    scale = 1 + 5 * abs(config.true_W) + abs(config.true_b) + config.noise + abs(config.W0) + abs(config.b0)
    return DIVERGENCE_FACTOR * scale


def diverging(config, loss, W, b):
    """The one divergence rule every trainer is judged by: a non-finite value, or W, b or the loss
    beyond any sane fit. loss may be None (a trainer that never sees a batch loss)."""
    bound = divergence_bound(config)
    values_ok = abs(W) <= bound and abs(b) <= bound and (loss is None or abs(loss) <= bound**2)
    return not values_ok  # NaN makes every comparison False, so NaN is diverging


def finite_or_none(value):
    """JSON and tables never carry NaN or infinity: such a value is reported as missing."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None
