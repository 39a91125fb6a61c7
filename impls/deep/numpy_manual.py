"""numpy_manual: mini-batch gradient descent in plain numpy, with backpropagation written by hand for L layers.

No autodiff: the chain rule below is applied by our own loop, one layer at a time.

For a batch of n samples, with h(0) = x and layers l = 1 … L (W(1) = W1 as a 1 × H row, W(l) = Wh[l−2]):

    z(l) = h(l−1) @ W(l) + b(l),   h(l) = tanh(z(l)),   ŷ = h(L) @ w2 + b2,   r = ŷ − y
    L = (1/n) Σ_i r_i²

and the chain rule, run backwards from the loss (g = dL/dŷ, d(l) = dL/dh(l); L in dL is the loss, in
h(L) the number of layers):

    g         = (2/n)·r
    dL/dw2    = h(L)ᵀ @ g             dL/db2 = Σ_i g_i            d(L) = g ⊗ w2
    dL/dz(l)  = d(l)·(1 − h(l)²)      since tanh′(z) = 1 − tanh(z)²
    dL/dW(l)  = h(l−1)ᵀ @ dL/dz(l)    dL/db(l) = Σ_i dL/dz(l)_i   d(l−1) = dL/dz(l) @ W(l)ᵀ

The last three lines hold for every layer, so they are a loop: the forward pass keeps each layer's
output h(l), and the backward pass walks those outputs in reverse, each turn of the loop taking the
gradient with respect to one layer's output to the gradients of its weights and of the layer below's output.
That loop is reverse-mode automatic differentiation, written by hand for one architecture: the tape
is the list of kept outputs, and the backward rules are the two lines a framework has for `@` and
`tanh`. A convolution, a skip connection or another activation would mean writing it again; the
autodiff lessons changed their forward pass only. Every factor is one that can be dropped by mistake
(the tests drop one layer's 1 − h² and watch the checks fail).
"""

import numpy as np

from impls.deep.problem import Config, initial_parameters, make_data, textbook_log


def mse(residual, outputs, weights, w2):
    """L and (dL/dW1, dL/db1, dL/dWh, dL/dbh, dL/dw2, dL/db2), by the loop above; outputs is
    [x, h(1), …, h(L)] and weights [W(2), …, W(L)], the stack Wh."""
    n = len(residual)
    g = 2 * residual / n  # dL/dŷ, (n,)
    dWh, dbh = np.zeros_like(weights), np.zeros(weights.shape[:2], weights.dtype)  # (L−1, H, H), (L−1, H)
    down = np.outer(g, w2)  # d(L) = dL/dh(L), (n, H)
    for layer in range(len(outputs) - 1, 1, -1):  # layers L … 2: the kept outputs, in reverse
        dz = down * (1 - outputs[layer] * outputs[layer])  # dL/dz(l), (n, H)
        dWh[layer - 2], dbh[layer - 2] = outputs[layer - 1].T @ dz, dz.sum(axis=0)
        down = dz @ weights[layer - 2].T  # d(l − 1), (n, H)
    dz = down * (1 - outputs[1] * outputs[1])  # layer 1, whose input is x
    return residual @ residual / n, outputs[0] @ dz, dz.sum(axis=0), dWh, dbh, g @ outputs[-1], g.sum()


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = np.float32(config.lr)  # float32 throughout, like the TensorFlow lessons
        # the model: h = tanh(W1·x + b1), then h = tanh(h @ W + b) for each (W, b) in (Wh, bh), ŷ = h @ w2 + b2
        self.W1, self.b1, self.Wh, self.bh, self.w2, self.b2 = initial_parameters(config)
        size = config.batch_size
        # the batches in order, cut once (numpy slices are views: nothing is copied)
        self.batches = [(data.x[s : s + size], data.y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    def reset(self, W1, b1, Wh, bh, w2, b2):
        self.W1, self.b1, self.Wh, self.bh, self.w2 = (np.array(p, np.float32) for p in (W1, b1, Wh, bh, w2))
        self.b2 = np.float32(b2)

    def loss_and_gradient(self, x, y):
        outputs = [x, np.tanh(np.outer(x, self.W1) + self.b1)]  # x, h(1) = tanh(W1·x + b1), (n, H)
        for W, b in zip(self.Wh, self.bh):
            outputs.append(np.tanh(outputs[-1] @ W + b))  # h(l) = tanh(h(l−1) @ W + b), kept for the way back
        residual = outputs[-1] @ self.w2 + self.b2 - y  # r = ŷ − y
        return mse(residual, outputs, self.Wh, self.w2)

    def update(self, x, y):
        loss, dW1, db1, dWh, dbh, dw2, db2 = self.loss_and_gradient(x, y)
        self.W1 = self.W1 - self.lr * dW1
        self.b1 = self.b1 - self.lr * db1
        self.Wh = self.Wh - self.lr * dWh
        self.bh = self.bh - self.lr * dbh
        self.w2 = self.w2 - self.lr * dw2
        self.b2 = self.b2 - self.lr * db2
        return loss

    def train(self, log=None):
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows: no warning per update
            for update in range(self.config.updates):
                loss = self.update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
                if log:
                    log(update, loss, self.W1, self.b1, self.Wh, self.bh, self.w2, self.b2)
        return self.W1, self.b1, self.Wh, self.bh, self.w2, self.b2


if __name__ == "__main__":  # python -m impls.deep.numpy_manual: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
