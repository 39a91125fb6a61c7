"""tf_function_tuned: tf_function's update, called the fastest way we know from a Python loop.

Two changes. jit_compile=True has XLA (TensorFlow's compiler; tf_xla compiles a whole loop with it)
compile the update into one fused program instead of a graph of separate kernels (compiled ops). And the loop calls the traced ConcreteFunction directly: a tf.function call first
checks its arguments against its traces to pick one (and would trace anew for a new signature);
the ConcreteFunction is that one trace, so the per-update call skips the check.
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
        self.compiled_update = self.update.get_concrete_function()  # traced now, called directly below

    def reset(self, W, b):
        self.W.assign(W)
        self.b.assign(b)

    @tf.function(input_signature=[BATCH, BATCH], jit_compile=True)
    def loss_and_gradient(self, x, y):
        with tf.GradientTape() as tape:  # records the forward pass ...
            loss = self.loss_fn(self.W * x + self.b - y)  # r = ŷ − y
        dW, db = tape.gradient(loss, [self.W, self.b])  # ... and replays it backwards: dL/dW, dL/db
        return loss, dW, db

    @tf.function(input_signature=[BATCH, BATCH], jit_compile=True)
    def update(self, x, y):
        loss, dW, db = self.loss_and_gradient(x, y)
        self.W.assign_sub(self.lr * dW)
        self.b.assign_sub(self.lr * db)
        return loss

    def train(self, log=None):
        for update in range(self.config.updates):
            loss = self.compiled_update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
            if log:
                log(update, loss, self.W, self.b)
        return float(self.W), float(self.b)


if __name__ == "__main__":  # python -m impls.tf_function_tuned: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
