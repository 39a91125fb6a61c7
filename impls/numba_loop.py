"""numba_loop: numpy_manual's hand-derived gradient, with the whole loop compiled by numba — the floor.

numba compiles the Python functions below, loops and all, through LLVM (the compiler back end that
clang uses) into machine code for the CPU it runs on: no interpreter, no op dispatch, no call per
update. Each update is one pass over its batch that computes both sums of the gradient at once,

    dL/dW = (c/n) Σ l′(r_i) · x_i        dL/db = (c/n) Σ l′(r_i)

(the derivation is numpy_manual's: l′(r) = r and c = 2 for mse; l′(r) = clip(r, −δ, δ) and c = 1
for huber), where numpy_manual makes one pass per array call. Nothing is left but the arithmetic and
one read of each sample: the least an update can cost on this machine, the floor every other way is
measured against.

The sums accumulate in float64, the samples and parameters stay float32 as everywhere else: a loop
adding 4096 float32 products one by one into a float32 sum loses digits as the sum grows (numpy
sums pairwise, BLAS in several partial sums), so a float32 accumulator would drift from the other
lessons' trajectory; a float64 one does not, and costs one conversion per sample.
"""

import numba
import numpy as np

from impls.problem import Config, make_data, textbook_log

# reassoc lets LLVM split each sum into several running ones and vectorise the pass (the order of
# additions changes, within float64 rounding); unlike fastmath=True it does not assume values are
# finite, so a diverging run still ends in inf or nan, which the harness must see.
FAST = {"reassoc", "contract"}


@numba.njit(fastmath=FAST)
def loss_and_gradient(W, b, x, y, huber, delta, with_loss):
    """(L, dL/dW, dL/db) on the batch (x, y) in one pass; L only when with_loss, else 0."""
    loss = sum_slope_x = sum_slope = 0.0  # float64 accumulators
    for i in range(len(x)):
        r = W * x[i] + b - y[i]  # r = ŷ − y, in float32
        if huber:
            slope = min(max(r, -delta), delta)  # h′(r) = clip(r, −δ, δ)
            if with_loss:
                loss += 0.5 * r * r if abs(r) <= delta else delta * (abs(r) - 0.5 * delta)
        else:
            slope = r  # the 2 of d(r²)/dr is applied once, below
            if with_loss:
                loss += r * r
        sum_slope_x += slope * np.float64(x[i])
        sum_slope += slope
    c = 1.0 if huber else 2.0
    n = len(x)
    return np.float32(loss / n), np.float32(c * sum_slope_x / n), np.float32(c * sum_slope / n)


@numba.njit(fastmath=FAST)
def train_loop(W, b, x, y, lr, updates, size, huber, delta, rows):
    """`updates` updates from (W, b), batches in order; with len(rows) == updates it also fills
    rows[k] = (loss, W, b) of update k, for the log. Returns (W, b)."""
    keep_log = len(rows) > 0
    for update in range(updates):
        start = (update % (len(x) // size)) * size  # epoch after epoch, in order
        loss, dW, db = loss_and_gradient(W, b, x[start : start + size], y[start : start + size], huber, delta, keep_log)
        W = W - lr * dW
        b = b - lr * db
        if keep_log:
            rows[update, 0], rows[update, 1], rows[update, 2] = loss, W, b
    return W, b


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = np.float32(config.lr)  # float32 throughout, like numpy_manual
        self.delta = np.float32(config.huber_delta)
        self.W, self.b = np.float32(config.W0), np.float32(config.b0)  # the model: ŷ = W·x + b
        self.x, self.y = data.x[: config.used_samples], data.y[: config.used_samples]

    def reset(self, W, b):
        self.W, self.b = np.float32(W), np.float32(b)

    def loss_and_gradient(self, x, y):
        return loss_and_gradient(self.W, self.b, x, y, self.config.loss == "huber", self.delta, True)

    def train(self, log=None):
        config = self.config
        rows = np.zeros((config.updates if log else 0, 3), np.float32)  # (loss, W, b) per update, when logged
        huber = config.loss == "huber"
        self.W, self.b = train_loop(
            self.W, self.b, self.x, self.y, self.lr, config.updates, config.batch_size, huber, self.delta, rows
        )
        if log:
            for update, (loss, W, b) in enumerate(rows):
                log(update, loss, W, b)
        return float(self.W), float(self.b)


if __name__ == "__main__":  # python -m impls.numba_loop: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
