"""tf_function: gradient_tape's update traced into a graph by tf.function.

The one idea that changes: `update` and `loss_and_gradient` are traced once — Python runs them a
single time with symbolic tensors, and TensorFlow writes the ops it reaches into a graph — and each later
call runs that graph inside TensorFlow's runtime, one call per update instead of a Python round trip
per op. The input_signature (a float32 vector of any length) means one trace serves every batch.
"""

import tensorflow as tf

from impls.losses import tensorflow_loss
from impls.problem import Config, make_data, textbook_log

BATCH = tf.TensorSpec([None], tf.float32)


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = config.lr
        self.W, self.b = tf.Variable(config.W0), tf.Variable(config.b0)  # the model: ŷ = W·x + b
        self.loss_fn = tensorflow_loss(config)
        size, x, y = config.batch_size, tf.constant(data.x), tf.constant(data.y)
        # the batches in order, cut once: slicing inside the loop would cost two more ops per update
        self.batches = [(x[s : s + size], y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    def reset(self, W, b):
        self.W.assign(W)
        self.b.assign(b)

    @tf.function(input_signature=[BATCH, BATCH])
    def loss_and_gradient(self, x, y):
        with tf.GradientTape() as tape:  # records the forward pass ...
            loss = self.loss_fn(self.W * x + self.b - y)  # r = ŷ − y
        dW, db = tape.gradient(loss, [self.W, self.b])  # ... and replays it backwards: dL/dW, dL/db
        return loss, dW, db

    @tf.function(input_signature=[BATCH, BATCH])
    def update(self, x, y):
        loss, dW, db = self.loss_and_gradient(x, y)
        self.W.assign_sub(self.lr * dW)
        self.b.assign_sub(self.lr * db)
        return loss

    def train(self, log=None):
        for update in range(self.config.updates):
            loss = self.update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
            if log:
                log(update, loss, self.W, self.b)
        return float(self.W), float(self.b)


if __name__ == "__main__":  # python -m impls.tf_function: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
