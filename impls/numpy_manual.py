"""numpy_manual: mini-batch gradient descent in plain numpy, with the gradient derived by hand.

No autodiff: every derivative below was worked out on paper first.

Mean squared error. With residuals r_i = ŷ_i − y_i = W·x_i + b − y_i over a batch of n samples,

    L = (1/n) Σ r_i²

and the chain rule through r_i (∂r_i/∂W = x_i, ∂r_i/∂b = 1) gives

    dL/dW = (2/n) Σ r_i · x_i
    dL/db = (2/n) Σ r_i

The 2 comes from d(r²)/dr = 2r; the 1/n from taking the mean. The textbook's loss has no ½ in front,
so its gradient is twice that of ½·MSE — same minimum, an update twice as long for the same lr.

Huber loss (the variant, --loss huber). Per sample h(r) = ½r² when |r| ≤ δ and δ·(|r| − ½δ)
otherwise, so h′(r) = r inside and δ·sign(r) outside: h′(r) = clip(r, −δ, δ). Then

    dL/dW = (1/n) Σ clip(r_i, −δ, δ) · x_i
    dL/db = (1/n) Σ clip(r_i, −δ, δ)

A new loss meant a new derivation, and the MSE formula, kept by mistake, is simply wrong for it
(the tests show both). The autodiff lessons needed no change at all.
"""

import numpy as np

from impls.problem import Config, make_data, textbook_log


def mse(residual, x):
    """L = (1/n) Σ r², dL/dW = (2/n) Σ r·x, dL/db = (2/n) Σ r. (Σ r·x is the dot product r @ x:
    one BLAS call, where np.mean would cost a few µs of dispatch on a 20-sample batch.)"""
    n = len(x)
    return residual @ residual / n, 2 * (residual @ x) / n, 2 * residual.sum() / n


def huber(residual, x, delta):
    """L = (1/n) Σ h(r), dL/dW = (1/n) Σ h′(r)·x, dL/db = (1/n) Σ h′(r), with h′(r) = clip(r, −δ, δ)."""
    abs_r = np.abs(residual)
    loss = np.mean(np.where(abs_r <= delta, 0.5 * abs_r**2, delta * (abs_r - 0.5 * delta)))
    slope = np.clip(residual, -delta, delta)
    return loss, slope @ x / len(x), slope.sum() / len(x)


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = np.float32(config.lr)  # float32 throughout, like the TensorFlow lessons
        self.W, self.b = np.float32(config.W0), np.float32(config.b0)  # the model: ŷ = W·x + b
        size = config.batch_size
        # the batches in order, cut once (numpy slices are views: nothing is copied)
        self.batches = [(data.x[s : s + size], data.y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    def reset(self, W, b):
        self.W, self.b = np.float32(W), np.float32(b)

    def loss_and_gradient(self, x, y):
        residual = self.W * x + self.b - y  # r = ŷ − y
        if self.config.loss == "mse":
            return mse(residual, x)
        return huber(residual, x, self.config.huber_delta)

    def update(self, x, y):
        loss, dW, db = self.loss_and_gradient(x, y)
        self.W = self.W - self.lr * dW
        self.b = self.b - self.lr * db
        return loss

    def train(self, log=None):
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows: no warning per update
            for update in range(self.config.updates):
                loss = self.update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
                if log:
                    log(update, loss, self.W, self.b)
        return float(self.W), float(self.b)


if __name__ == "__main__":  # python -m impls.numpy_manual: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
