"""numpy_manual: the same mini-batch gradient descent in plain numpy, with the gradient derived by hand.

No autodiff here: every derivative below was worked out on paper first.

Mean squared error. With residuals r_i = ŷ_i − y_i = W·x_i + b − y_i over a batch of n samples,

    L = (1/n) Σ r_i²

and the chain rule through r_i (∂r_i/∂W = x_i, ∂r_i/∂b = 1) gives

    dL/dW = (2/n) Σ r_i · x_i
    dL/db = (2/n) Σ r_i

The 2 comes from d(r²)/dr = 2r; the 1/n from taking the mean. The textbook's loss has no ½ in front,
so its gradient is twice that of ½·MSE — same minimum, a step twice as long for the same lr.

Huber loss (the variant, --loss huber). Per sample h(r) = ½r² when |r| ≤ δ and δ·(|r| − ½δ)
otherwise, so h′(r) = r inside and δ·sign(r) outside: h′(r) = clip(r, −δ, δ). Then

    dL/dW = (1/n) Σ clip(r_i, −δ, δ) · x_i
    dL/db = (1/n) Σ clip(r_i, −δ, δ)

A new loss meant a new derivation — and the MSE formula above, kept by mistake, is simply wrong
for it (tests/test_autodiff_lesson.py shows both). The TensorFlow trainers needed no change at all.
"""

import numpy as np

from impls.trainer import Recorder, Trainer


def mse(residual, x):
    """L = (1/n) Σ r², dL/dW = (2/n) Σ r·x, dL/db = (2/n) Σ r. (Σ r·x is the dot product r @ x:
    one BLAS call, where np.mean would cost a few µs of dispatch on a 20-sample batch.)"""
    n = len(x)
    return residual @ residual / n, 2 * (residual @ x) / n, 2 * residual.sum() / n


def huber(residual, x, delta):
    """L = (1/n) Σ h(r), dL/dW = (1/n) Σ h′(r)·x, dL/db = (1/n) Σ h′(r), with h′(r) = clip(r, −δ, δ)."""
    absolute = np.abs(residual)
    loss = np.mean(np.where(absolute <= delta, 0.5 * residual**2, delta * (absolute - 0.5 * delta)))
    slope = np.clip(residual, -delta, delta)
    return loss, slope @ x / len(x), slope.sum() / len(x)


class NumpyManualTrainer(Trainer):
    name = "numpy_manual"
    devices = ("cpu",)

    def __init__(self, config, data, device="cpu"):  # numpy runs on the CPU whatever is asked
        super().__init__(config, data)
        self.lr = np.float32(config.lr)  # float32 throughout, like the TensorFlow trainers
        self.reset()

    def reset(self):
        self.W = np.float32(self.config.W0)
        self.b = np.float32(self.config.b0)

    def loss_and_gradient(self, W, b, x, y):
        residual = W * x + b - y  # r = ŷ − y
        if self.config.loss == "mse":
            return mse(residual, x)
        return huber(residual, x, self.config.huber_delta)

    def gradient(self, W, b, x, y):
        return self.loss_and_gradient(W, b, x, y)[1:]

    def train(self):
        record, size = Recorder(), self.config.batch_size
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by the Recorder
            for start in self.starts:
                x, y = self.data.x[start : start + size], self.data.y[start : start + size]
                loss, dW, db = self.loss_and_gradient(self.W, self.b, x, y)
                self.W = self.W - self.lr * dW
                self.b = self.b - self.lr * db
                if not record.add(loss, self.W, self.b):
                    break
        return record.history()

    def placed_on(self):
        return "CPU (numpy)"
