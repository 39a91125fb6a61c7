"""numpy_manual: mini-batch gradient descent in plain numpy, with backpropagation derived by hand.

No autodiff: every derivative below was worked out on paper first, one layer at a time.

For a batch of n samples x_i and H hidden units j, the forward pass is

    z_ij = W1_j·x_i + b1_j,   h_ij = tanh(z_ij),   ŷ_i = Σ_j w2_j·h_ij + b2,   r_i = ŷ_i − y_i
    L = (1/n) Σ_i r_i²

and the chain rule, run backwards from the loss, reuses each line in the next (g_i = dL/dŷ_i):

    g_i       = (2/n)·r_i
    dL/dw2_j  = Σ_i g_i·h_ij              dL/db2 = Σ_i g_i
    dL/dz_ij  = g_i·w2_j·(1 − h_ij²)      since tanh′(z) = 1 − tanh(z)²
    dL/dW1_j  = Σ_i dL/dz_ij·x_i          dL/db1_j = Σ_i dL/dz_ij

The line needed two derivatives; the network needs four, two of them through the hidden layer, and
every factor is one that can be dropped by mistake (the tests drop 1 − h² and watch the check fail).
Another layer would mean another round of this. The autodiff lessons changed the forward pass only.
"""

import numpy as np

from impls.mlp.problem import Config, initial_parameters, make_data, textbook_log


def mse(residual, x, hidden, w2):
    """L and (dL/dW1, dL/db1, dL/dw2, dL/db2), by the chain rule above; hidden is h, (n, H)."""
    n = len(x)
    g = 2 * residual / n  # dL/dŷ, (n,)
    dz = np.outer(g, w2) * (1 - hidden * hidden)  # dL/dz, (n, H)
    return residual @ residual / n, x @ dz, dz.sum(axis=0), g @ hidden, g.sum()


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = np.float32(config.lr)  # float32 throughout, like the TensorFlow lessons
        # the model: ŷ = w2·tanh(W1·x + b1) + b2
        self.W1, self.b1, self.w2, self.b2 = initial_parameters(config)
        size = config.batch_size
        # the batches in order, cut once (numpy slices are views: nothing is copied)
        self.batches = [(data.x[s : s + size], data.y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    def reset(self, W1, b1, w2, b2):
        self.W1, self.b1, self.w2 = (np.array(p, np.float32) for p in (W1, b1, w2))
        self.b2 = np.float32(b2)

    def loss_and_gradient(self, x, y):
        hidden = np.tanh(np.outer(x, self.W1) + self.b1)  # h = tanh(W1·x + b1), (n, H)
        residual = hidden @ self.w2 + self.b2 - y  # r = ŷ − y
        return mse(residual, x, hidden, self.w2)

    def update(self, x, y):
        loss, dW1, db1, dw2, db2 = self.loss_and_gradient(x, y)
        self.W1 = self.W1 - self.lr * dW1
        self.b1 = self.b1 - self.lr * db1
        self.w2 = self.w2 - self.lr * dw2
        self.b2 = self.b2 - self.lr * db2
        return loss

    def train(self, log=None):
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows: no warning per update
            for update in range(self.config.updates):
                loss = self.update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
                if log:
                    log(update, loss, self.W1, self.b1, self.w2, self.b2)
        return self.W1, self.b1, self.w2, self.b2


if __name__ == "__main__":  # python -m impls.mlp.numpy_manual: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
