"""tf_xla: tf_graph_loop compiled by XLA — one flag, jit_compile=True, on both tf.functions.

XLA (Accelerated Linear Algebra, TensorFlow's compiler) takes the whole loop's graph and compiles it
into one program of fused machine code for its exact shapes: an update costs a few arithmetic
instructions instead of a walk over TensorFlow's graph of ops, each a separate kernel call.
"""

import tensorflow as tf

from impls.deep.problem import Config, initial_parameters, make_data, textbook_log
from impls.losses import tensorflow_loss


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = config.lr
        # the model: h = tanh(W1·x + b1), then h = tanh(h @ W + b) for each (W, b) in (Wh, bh), ŷ = h @ w2 + b2
        self.W1, self.b1, self.Wh, self.bh, self.w2, self.b2 = (tf.Variable(p) for p in initial_parameters(config))
        self.parameters = [self.W1, self.b1, self.Wh, self.bh, self.w2, self.b2]
        self.loss_fn = tensorflow_loss(config)
        self.x, self.y = tf.constant(data.x[: config.used_samples]), tf.constant(data.y[: config.used_samples])

    def reset(self, W1, b1, Wh, bh, w2, b2):
        for parameter, value in zip(self.parameters, (W1, b1, Wh, bh, w2, b2)):
            parameter.assign(value)

    @tf.function(jit_compile=True)
    def loss_and_gradient(self, x, y):
        with tf.GradientTape() as tape:  # records the forward pass ...
            hidden = tf.tanh(x[:, None] * self.W1 + self.b1)  # h = tanh(W1·x + b1), (n, H)
            for layer in range(self.config.layers - 1):  # a Python loop: the tape records L − 1 more layers
                hidden = tf.tanh(hidden @ self.Wh[layer] + self.bh[layer])  # h = tanh(h @ W + b), (n, H)
            loss = self.loss_fn(tf.linalg.matvec(hidden, self.w2) + self.b2 - y)  # r = ŷ − y
        return loss, *tape.gradient(loss, self.parameters)  # ... and replays it backwards: dL/dW1, …, dL/db2

    def update(self, x, y):
        loss, *gradients = self.loss_and_gradient(x, y)
        for parameter, gradient in zip(self.parameters, gradients):
            parameter.assign_sub(self.lr * gradient)
        return loss

    @tf.function(jit_compile=True)
    def train_loop(self, keep_log):
        size = self.config.batch_size  # a fixed slice size, so every batch has one shape (XLA needs that)
        batches = self.config.batches_per_epoch
        logged = [[], *(parameter.shape for parameter in self.parameters)]  # the loss, then W1, b1, Wh, bh, w2, b2
        rows = [tf.TensorArray(tf.float32, size=self.config.updates if keep_log else 0, element_shape=s) for s in logged]
        for update in tf.range(self.config.updates):  # AutoGraph: a tf.while_loop, not a Python loop
            start = (update % batches) * size  # epoch after epoch, in order
            loss = self.update(tf.slice(self.x, [start], [size]), tf.slice(self.y, [start], [size]))
            if keep_log:  # a Python bool: decided once, while tracing
                rows = [row.write(update, value) for row, value in zip(rows, [loss, *self.parameters])]
        return [row.stack() for row in rows]

    def train(self, log=None):
        losses, *parameters = (row.numpy() for row in self.train_loop(keep_log=log is not None))
        if log:
            for update, loss in enumerate(losses):  # each parameter stacked: (updates, …)
                log(update, loss, *(values[update] for values in parameters))
        return tuple(parameter.numpy() for parameter in self.parameters)


if __name__ == "__main__":  # python -m impls.deep.tf_xla: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
