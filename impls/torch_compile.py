"""torch_compile: torch_eager's update compiled with torch.compile.

On its first call TorchDynamo reads the Python bytecode of `update`, captures the torch ops it runs
into a graph, and TorchInductor compiles that graph into fused code (C++ on the CPU, Triton on a
GPU); later calls check the same guards (shapes, dtypes, constants such as lr) and run that code,
one call per update. The one change the compiler asks for: its capture stops at
torch.autograd.grad (a "graph break": back to eager, split into pieces), so the gradient comes from
torch.func.grad_and_value, a function transform, as in JAX, that it traces whole. W and b no longer
need requires_grad: the transform differentiates with respect to its arguments, not recorded tensors.
"""

import torch

from impls.losses import torch_loss
from impls.problem import Config, make_data, textbook_log


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = config.lr
        self.W = torch.tensor(config.W0, dtype=torch.float32)  # the model: ŷ = W·x + b
        self.b = torch.tensor(config.b0, dtype=torch.float32)
        self.loss_fn = torch_loss(config)
        size, x, y = config.batch_size, torch.as_tensor(data.x), torch.as_tensor(data.y)
        # the batches in order, cut once: slicing inside the loop would cost two more ops per update
        self.batches = [(x[s : s + size], y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    def reset(self, W, b):
        self.W.fill_(W)
        self.b.fill_(b)

    @torch.compile(fullgraph=True)  # fullgraph: fail loudly rather than break the graph
    def loss_and_gradient(self, x, y):
        def loss_of(W, b):
            return self.loss_fn(W * x + b - y)  # r = ŷ − y

        (dW, db), loss = torch.func.grad_and_value(loss_of, argnums=(0, 1))(self.W, self.b)  # dL/dW, dL/db
        return loss, dW, db

    @torch.compile(fullgraph=True)
    def update(self, x, y):
        loss, dW, db = self.loss_and_gradient(x, y)
        self.W.sub_(self.lr * dW)  # in place: the compiled code writes into W and b
        self.b.sub_(self.lr * db)
        return loss

    def train(self, log=None):
        for update in range(self.config.updates):
            loss = self.update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
            if log:
                log(update, loss, self.W, self.b)
        return float(self.W), float(self.b)


if __name__ == "__main__":  # python -m impls.torch_compile: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
