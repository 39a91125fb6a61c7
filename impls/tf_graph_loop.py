"""tf_graph_loop: the whole training loop — batch slicing and every update — in one tf.function.

tf_function still returns to Python after every update. Here AutoGraph (tf.function's translator of
Python control flow) turns `for update in tf.range(...)` into a tf.while_loop, a loop that lives in
the graph, so one call runs every update inside TensorFlow's runtime, slicing the batches too:
Python is out of the loop. With `keep_log`, the loop also keeps (loss, W, b) of every
update in a TensorArray, for the log; without it, it only trains.
"""

import tensorflow as tf

from impls.losses import tensorflow_loss
from impls.problem import Config, make_data, textbook_log


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = config.lr
        self.W, self.b = tf.Variable(config.W0), tf.Variable(config.b0)  # the model: ŷ = W·x + b
        self.loss_fn = tensorflow_loss(config)
        self.x, self.y = tf.constant(data.x[: config.used_samples]), tf.constant(data.y[: config.used_samples])

    def reset(self, W, b):
        self.W.assign(W)
        self.b.assign(b)

    @tf.function(jit_compile=False)
    def loss_and_gradient(self, x, y):
        with tf.GradientTape() as tape:  # records the forward pass ...
            loss = self.loss_fn(self.W * x + self.b - y)  # r = ŷ − y
        dW, db = tape.gradient(loss, [self.W, self.b])  # ... and replays it backwards: dL/dW, dL/db
        return loss, dW, db

    def update(self, x, y):
        loss, dW, db = self.loss_and_gradient(x, y)
        self.W.assign_sub(self.lr * dW)
        self.b.assign_sub(self.lr * db)
        return loss

    @tf.function(jit_compile=False)
    def train_loop(self, keep_log):
        size = self.config.batch_size  # a fixed slice size, so every batch has one shape (XLA needs that)
        batches = self.config.batches_per_epoch
        rows = tf.TensorArray(tf.float32, size=self.config.updates if keep_log else 0, element_shape=[3])
        for update in tf.range(self.config.updates):  # AutoGraph: a tf.while_loop, not a Python loop
            start = (update % batches) * size  # epoch after epoch, in order
            loss = self.update(tf.slice(self.x, [start], [size]), tf.slice(self.y, [start], [size]))
            if keep_log:  # a Python bool: decided once, while tracing
                rows = rows.write(update, tf.stack([loss, self.W, self.b]))
        return rows.stack()

    def train(self, log=None):
        rows = self.train_loop(keep_log=log is not None).numpy()
        if log:
            for update, (loss, W, b) in enumerate(rows):
                log(update, loss, W, b)
        return float(self.W), float(self.b)


if __name__ == "__main__":  # python -m impls.tf_graph_loop: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
