"""keras_fit: the same fit as Keras users write it — Sequential, one Dense unit, SGD, model.fit.

Keras owns the loop: it slices the batches, differentiates the loss, applies SGD and runs the step
as a compiled tf.function. We only describe the model and the optimiser. fit(shuffle=False) walks the
batches in order, which is the batch schedule every other trainer follows. Keras also pays a fixed
cost per epoch (a fresh data iterator, epoch callbacks): small on the textbook's one 150-batch epoch,
dominant when an epoch holds only a few batches.
"""

import math

import numpy as np

from impls.problem import loss_value
from impls.tf_setup import keras, short_device_name, tf, tf_device_name
from impls.trainer import History, Trainer


class ParameterLog(keras.callbacks.Callback):
    """Reads W and b whenever Keras hands control back to Python; stops training once they blow up,
    or once `steps` updates are done (a run may end inside an epoch)."""

    def __init__(self, dense, steps):
        super().__init__()
        self.dense = dense
        self.last_step = steps
        self.steps, self.W, self.b = [], [], []

    def on_train_batch_end(self, batch, logs=None):
        W, b = float(self.dense.kernel.numpy()[0, 0]), float(self.dense.bias.numpy()[0])
        # The optimiser counts updates; `batch` can overshoot when the last execution runs short.
        self.steps.append(int(self.model.optimizer.iterations.numpy()))
        self.W.append(W)
        self.b.append(b)
        if self.steps[-1] >= self.last_step or not np.isfinite([W, b]).all():
            self.model.stop_training = True


class KerasFitTrainer(Trainer):
    name = "keras_fit"
    compile_options = {}  # keras_fit_tuned sets steps_per_execution and jit_compile here

    def __init__(self, config, data, device="cpu"):
        super().__init__(config, data)
        self.device_name = tf_device_name(device)
        with tf.device(self.device_name):
            self.dense = keras.layers.Dense(
                1,
                kernel_initializer=keras.initializers.Constant(config.W0),
                bias_initializer=keras.initializers.Constant(config.b0),
            )
            self.model = keras.Sequential([keras.Input(shape=(1,)), self.dense])
            self.model.compile(  # inside the device scope: the optimiser's and the loss tracker's state too
                optimizer=keras.optimizers.SGD(learning_rate=config.lr),
                loss=self.keras_loss(),
                **self.compile_options,
            )
        self.fit_data = self.feed()  # built once: the timed runs only train

    def keras_loss(self):
        if self.config.loss == "mse":
            return "mse"  # mean over the batch of (ŷ − y)², as in the textbook
        return keras.losses.Huber(delta=self.config.huber_delta)

    def reset(self):
        self.dense.kernel.assign([[self.config.W0]])
        self.dense.bias.assign([self.config.b0])
        self.model.optimizer.iterations.assign(0)  # plain SGD keeps no other state

    def feed(self):
        """What fit() reads: the data in order, whole batches only, for as many epochs as config.steps
        updates need; ParameterLog stops the last epoch after exactly config.steps updates."""
        config = self.config
        used = config.used_samples
        epochs = math.ceil(config.steps / config.batches_per_epoch)
        return {
            "x": self.data.x[:used, None],
            "y": self.data.y[:used, None],
            "batch_size": config.batch_size,
            "epochs": epochs,
        }

    def train(self):
        log = ParameterLog(self.dense, self.config.steps)
        with tf.device(self.device_name):
            self.model.fit(**self.fit_data, shuffle=False, verbose=0, callbacks=[log])
        return History.build(log.steps, log.W, log.b, self.batch_losses(log))

    def batch_losses(self, log):
        """Keras logs the running mean of the epoch's losses, not each batch's, so recompute the batch
        loss before each update from the parameters before it (what Keras computed, up to rounding).
        It runs inside train(), so it is timed: about 1 ms of a 110 ms textbook run here."""
        if len(log.steps) and log.steps[-1] != len(log.steps):
            return None  # not every update was seen: steps_per_execution > 1
        W, b = [self.config.W0, *log.W[:-1]], [self.config.b0, *log.b[:-1]]
        size = self.config.batch_size
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported, not warned about
            return [
                loss_value(self.config, W[k], b[k], self.data.x[s : s + size], self.data.y[s : s + size], np.float32)
                for k, s in enumerate(self.starts[: len(log.steps)])
            ]

    def gradient(self, W, b, x, y):
        self.dense.kernel.assign([[W]])
        self.dense.bias.assign([b])
        x, y = tf.constant(x[:, None], tf.float32), tf.constant(y[:, None], tf.float32)
        with tf.GradientTape() as tape:
            loss = self.model.compute_loss(x=x, y=y, y_pred=self.model(x))  # the loss Keras compiled
        dW, db = tape.gradient(loss, [self.dense.kernel, self.dense.bias])
        return float(dW[0, 0]), float(db[0])

    def placed_on(self):
        return short_device_name(self.dense.kernel.value.device)
