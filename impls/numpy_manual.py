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


def mse_gradient(W, b, x, y):
    residual = W * x + b - y
    return 2 * np.mean(residual * x), 2 * np.mean(residual)  # (2/n) Σ r·x, (2/n) Σ r


def huber_gradient(W, b, x, y, delta):
    clipped = np.clip(W * x + b - y, -delta, delta)  # h′(r)
    return np.mean(clipped * x), np.mean(clipped)  # (1/n) Σ h′(r)·x, (1/n) Σ h′(r)


def batch_loss(config, W, b, x, y):
    residual = W * x + b - y
    if config.loss == "mse":
        return np.mean(residual**2)
    delta = config.huber_delta
    absolute = np.abs(residual)
    return np.mean(np.where(absolute <= delta, 0.5 * residual**2, delta * (absolute - 0.5 * delta)))


class NumpyManualTrainer(Trainer):
    name = "numpy_manual"
    summary = "plain numpy, gradient derived by hand"
    devices = ("cpu",)

    def __init__(self, config, data, device="cpu"):
        super().__init__(config, data, device)
        self.lr = np.float32(config.lr)  # float32 throughout, like the TensorFlow trainers
        self.reset()

    def reset(self):
        self.W = np.float32(self.config.W0)
        self.b = np.float32(self.config.b0)

    def gradient(self, W, b, x, y):
        if self.config.loss == "mse":
            return mse_gradient(W, b, x, y)
        return huber_gradient(W, b, x, y, self.config.huber_delta)

    def train(self):
        record, size = Recorder(), self.config.batch_size
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by the Recorder
            self._run(record, size)
        return record.history()

    def _run(self, record, size):
        for start in self.starts:
            x, y = self.data.x[start : start + size], self.data.y[start : start + size]
            loss = batch_loss(self.config, self.W, self.b, x, y)
            dW, db = self.gradient(self.W, self.b, x, y)
            self.W = self.W - self.lr * dW
            self.b = self.b - self.lr * db
            if not record.add(loss, self.W, self.b):
                return

    def placed_on(self):
        return "CPU (numpy)"
