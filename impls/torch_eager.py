"""torch_eager: gradient_tape's lesson in PyTorch — two tensors with requires_grad, autograd, sub_.

PyTorch runs eagerly too, one op at a time as Python reaches it. Where TensorFlow records only what
happens inside a GradientTape, PyTorch's autograd records every op on a tensor made with
requires_grad=True; torch.autograd.grad then walks that record backwards from the loss. It returns
the gradients rather than adding them into W.grad as loss.backward() would, so there is no
zero_grad() to forget. The update itself must not be recorded: it runs under torch.no_grad().
"""

import torch

from impls.losses import torch_loss
from impls.problem import Config, make_data, textbook_log


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = config.lr
        # the model: ŷ = W·x + b; requires_grad makes autograd record every op that uses W or b
        self.W = torch.tensor(config.W0, dtype=torch.float32, requires_grad=True)
        self.b = torch.tensor(config.b0, dtype=torch.float32, requires_grad=True)
        self.loss_fn = torch_loss(config)
        size, x, y = config.batch_size, torch.as_tensor(data.x), torch.as_tensor(data.y)
        # the batches in order, cut once: slicing inside the loop would cost two more ops per update
        self.batches = [(x[s : s + size], y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    def reset(self, W, b):
        with torch.no_grad():  # an assignment, not an op to differentiate
            self.W.fill_(W)
            self.b.fill_(b)

    def loss_and_gradient(self, x, y):
        loss = self.loss_fn(self.W * x + self.b - y)  # r = ŷ − y; autograd records the forward pass ...
        dW, db = torch.autograd.grad(loss, [self.W, self.b])  # ... and walks it backwards: dL/dW, dL/db
        return loss.detach(), dW, db  # detached: a number to report, not the end of a graph to keep

    def update(self, x, y):
        loss, dW, db = self.loss_and_gradient(x, y)
        with torch.no_grad():  # in place, so W and b stay the same leaf tensors autograd tracks
            self.W.sub_(self.lr * dW)
            self.b.sub_(self.lr * db)
        return loss

    def train(self, log=None):
        for update in range(self.config.updates):
            loss = self.update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
            if log:
                log(update, loss, self.W.detach(), self.b.detach())  # float() of a tensor that requires grad warns
        return self.W.item(), self.b.item()


if __name__ == "__main__":  # python -m impls.torch_eager: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
