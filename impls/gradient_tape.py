"""gradient_tape: the textbook's eager loop — a model of two tf.Variables, tf.GradientTape, assign_sub.

Every operation runs as soon as Python reaches it, one at a time: easy to read and to debug, and
each of the handful of ops per update pays Python's and TensorFlow's dispatch cost.
"""

from impls.tf_setup import loss_fn, short_device_name, sync, tf, tf_device_name
from impls.trainer import Recorder, Trainer


class LinearModel:
    """The textbook's model: y = W·x + b."""

    def __init__(self, W, b):
        self.W = tf.Variable(W, dtype=tf.float32)
        self.b = tf.Variable(b, dtype=tf.float32)

    def __call__(self, x):
        return self.W * x + self.b


class GradientTapeTrainer(Trainer):
    name = "gradient_tape"

    def __init__(self, config, data, device="cpu"):
        super().__init__(config, data)
        self.device_name = tf_device_name(device)
        self.loss_fn = loss_fn(config)
        self.lr = config.lr
        self.gradient_fn = self.loss_and_gradients  # the compiled trainers compile this too
        with tf.device(self.device_name):  # the variables and the data live on the device asked for
            self.model = LinearModel(config.W0, config.b0)
            self.x = tf.constant(data.x)
            self.y = tf.constant(data.y)
            # cut once into batches: slicing eagerly inside the loop would cost two more ops per update
            size = config.batch_size
            self.batches = {s: (self.x[s : s + size], self.y[s : s + size]) for s in set(self.starts)}

    def reset(self):
        self.model.W.assign(self.config.W0)
        self.model.b.assign(self.config.b0)

    def loss_and_gradients(self, x, y):
        with tf.GradientTape() as tape:  # records the forward pass ...
            loss = self.loss_fn(self.model(x), y)
        return loss, tape.gradient(loss, [self.model.W, self.model.b])  # ... and replays it backwards

    def train_step(self, x, y):
        """One update. Returns [loss before it, W after, b after]: the textbook's log line."""
        loss, (dW, db) = self.loss_and_gradients(x, y)
        self.model.W.assign_sub(self.lr * dW)
        self.model.b.assign_sub(self.lr * db)
        return tf.stack([loss, self.model.W, self.model.b])

    def train(self):
        record = Recorder()
        with tf.device(self.device_name):
            for start in self.starts:
                loss, W, b = sync(self.train_step(*self.batches[start]))
                if not record.add(loss, W, b):
                    break
        return record.history()

    def gradient(self, W, b, x, y):
        self.model.W.assign(W)
        self.model.b.assign(b)
        _, (dW, db) = self.gradient_fn(tf.constant(x, tf.float32), tf.constant(y, tf.float32))
        return float(dW), float(db)

    def placed_on(self):
        return short_device_name(self.model.W.device)
