"""torch_eager: gradient_tape's lesson in PyTorch — six tensors with requires_grad, autograd, sub_.

PyTorch runs eagerly too, one op at a time as Python reaches it. Where TensorFlow records only what
happens inside a GradientTape, PyTorch's autograd records every op on a tensor made with
requires_grad=True; torch.autograd.grad then walks that record backwards from the loss. It returns
the gradients rather than adding them into W1.grad as loss.backward() would, so there is no
zero_grad() to forget. The update itself must not be recorded: it runs under torch.no_grad().
"""

import torch

from impls.deep.problem import Config, initial_parameters, make_data, textbook_log
from impls.losses import torch_loss


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = config.lr
        # the model: h = tanh(W1·x + b1), then h = tanh(h @ W + b) for each (W, b) in (Wh, bh), ŷ = h @ w2 + b2;
        # requires_grad makes autograd record every op that uses them
        self.parameters = [torch.tensor(p, requires_grad=True) for p in initial_parameters(config)]
        self.W1, self.b1, self.Wh, self.bh, self.w2, self.b2 = self.parameters
        self.loss_fn = torch_loss(config)
        size, x, y = config.batch_size, torch.as_tensor(data.x), torch.as_tensor(data.y)
        # the batches in order, cut once: slicing inside the loop would cost two more ops per update
        self.batches = [(x[s : s + size], y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    def reset(self, W1, b1, Wh, bh, w2, b2):
        with torch.no_grad():  # an assignment, not an op to differentiate
            for parameter, value in zip(self.parameters, (W1, b1, Wh, bh, w2, b2)):
                parameter.copy_(torch.as_tensor(value))

    def loss_and_gradient(self, x, y):
        hidden = torch.tanh(x[:, None] * self.W1 + self.b1)  # h = tanh(W1·x + b1), (n, H)
        for W, b in zip(self.Wh, self.bh):  # autograd records L − 1 more layers
            hidden = torch.tanh(hidden @ W + b)  # h = tanh(h @ W + b), (n, H)
        loss = self.loss_fn(hidden @ self.w2 + self.b2 - y)  # r = ŷ − y; autograd records the forward pass ...
        gradients = torch.autograd.grad(loss, self.parameters)  # ... and walks it backwards: dL/dW1, …, dL/db2
        return loss.detach(), *gradients  # detached: a number to report, not the end of a graph to keep

    def update(self, x, y):
        loss, *gradients = self.loss_and_gradient(x, y)
        with torch.no_grad():  # in place, so the parameters stay the same leaf tensors autograd tracks
            for parameter, gradient in zip(self.parameters, gradients):
                parameter.sub_(self.lr * gradient)
        return loss

    def train(self, log=None):
        for update in range(self.config.updates):
            loss = self.update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
            if log:
                log(update, loss, *(parameter.detach() for parameter in self.parameters))
        return tuple(parameter.detach().cpu().numpy().copy() for parameter in self.parameters)


if __name__ == "__main__":  # python -m impls.deep.torch_eager: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
