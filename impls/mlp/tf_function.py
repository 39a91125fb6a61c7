"""tf_function: gradient_tape's update traced into a graph by tf.function.

The one idea that changes: `update` and `loss_and_gradient` are traced once — Python runs them a
single time with symbolic tensors, and TensorFlow writes the ops it reaches into a graph — and each later
call runs that graph inside TensorFlow's runtime, one call per update instead of a Python round trip
per op. The input_signature (a float32 vector of any length) means one trace serves every batch.
"""

import tensorflow as tf

from impls.losses import tensorflow_loss
from impls.mlp.problem import Config, initial_parameters, make_data, textbook_log

BATCH = tf.TensorSpec([None], tf.float32)


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = config.lr
        # the model: ŷ = w2·tanh(W1·x + b1) + b2
        self.W1, self.b1, self.w2, self.b2 = (tf.Variable(p) for p in initial_parameters(config))
        self.parameters = [self.W1, self.b1, self.w2, self.b2]
        self.loss_fn = tensorflow_loss(config)
        size, x, y = config.batch_size, tf.constant(data.x), tf.constant(data.y)
        # the batches in order, cut once: slicing inside the loop would cost two more ops per update
        self.batches = [(x[s : s + size], y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    def reset(self, W1, b1, w2, b2):
        for parameter, value in zip(self.parameters, (W1, b1, w2, b2)):
            parameter.assign(value)

    @tf.function(input_signature=[BATCH, BATCH])
    def loss_and_gradient(self, x, y):
        with tf.GradientTape() as tape:  # records the forward pass ...
            hidden = tf.tanh(x[:, None] * self.W1 + self.b1)  # h = tanh(W1·x + b1), (n, H)
            loss = self.loss_fn(tf.linalg.matvec(hidden, self.w2) + self.b2 - y)  # r = ŷ − y
        return loss, *tape.gradient(loss, self.parameters)  # ... and replays it backwards: dL/dW1, …, dL/db2

    @tf.function(input_signature=[BATCH, BATCH])
    def update(self, x, y):
        loss, *gradients = self.loss_and_gradient(x, y)
        for parameter, gradient in zip(self.parameters, gradients):
            parameter.assign_sub(self.lr * gradient)
        return loss

    def train(self, log=None):
        for update in range(self.config.updates):
            loss = self.update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
            if log:
                log(update, loss, *self.parameters)
        return tuple(parameter.numpy() for parameter in self.parameters)


if __name__ == "__main__":  # python -m impls.mlp.tf_function: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
