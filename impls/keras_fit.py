"""keras_fit: the same fit as Keras users write it — Sequential, one Dense unit, SGD, model.fit.

Keras owns the loop: it cuts the batches, differentiates the loss, applies SGD and runs each update as
a compiled tf.function. We describe the model and the optimiser (`model.compile` configures
training; it compiles nothing itself) and call fit(shuffle=False), which walks the batches in order,
the schedule every lesson follows. The only code beyond that is the textbook's log line, which
needs a callback: Keras calls it after each batch.
"""

import keras
import tensorflow as tf  # Keras's backend here; loss_and_gradient differentiates Keras's loss with its tape

from impls.problem import Config, make_data, textbook_log


class Log(keras.callbacks.Callback):
    """Calls log(update, loss, W, b) after every update. Keras reports the running mean of an epoch's
    batch losses, so clear it before each batch: then what it reports is that batch's own loss."""

    def __init__(self, log, W, b):
        super().__init__()
        self.log, self.W, self.b = log, W, b

    def on_train_batch_begin(self, batch, logs=None):
        self.model.reset_metrics()

    def on_train_batch_end(self, batch, logs=None):
        update = int(self.model.optimizer.iterations.numpy()) - 1  # counts on across epochs
        self.log(update, logs["loss"], self.W.numpy()[0, 0], self.b.numpy()[0])


class Trainer:
    def __init__(self, config, data):
        self.config = config
        dense = keras.layers.Dense(  # the model: ŷ = W·x + b, W its 1×1 kernel and b its bias
            1,
            kernel_initializer=keras.initializers.Constant(config.W0),
            bias_initializer=keras.initializers.Constant(config.b0),
        )
        self.model = keras.Sequential([keras.Input(shape=(1,)), dense])
        self.model.compile(optimizer=keras.optimizers.SGD(learning_rate=config.lr), loss=self.keras_loss())
        self.W, self.b = dense.kernel, dense.bias
        self.x, self.y = data.x[: config.used_samples, None], data.y[: config.used_samples, None]  # whole batches

    def keras_loss(self):
        if self.config.loss == "mse":
            return "mse"  # mean over the batch of (ŷ − y)², as in the textbook
        return keras.losses.Huber(delta=self.config.huber_delta)

    def reset(self, W, b):
        self.W.assign([[W]])
        self.b.assign([b])
        self.model.optimizer.iterations.assign(0)  # plain SGD keeps no other state

    def loss_and_gradient(self, x, y):
        x, y = x[:, None], y[:, None]
        with tf.GradientTape() as tape:
            loss = self.model.compute_loss(x=x, y=y, y_pred=self.model(x))
        dW, db = tape.gradient(loss, [self.W.value, self.b.value])  # .value: the tf.Variable inside
        return loss, dW[0, 0], db[0]

    def train(self, log=None):
        fit = {"batch_size": self.config.batch_size, "shuffle": False, "verbose": 0}
        fit["callbacks"] = [Log(log, self.W, self.b)] if log else []
        epochs, rest = divmod(self.config.updates, self.config.batches_per_epoch)
        if epochs:  # whole passes over the data
            self.model.fit(self.x, self.y, epochs=epochs, **fit)
        if rest:  # then the first `rest` batches of one more pass
            self.model.fit(self.x[: rest * self.config.batch_size], self.y[: rest * self.config.batch_size], **fit)
        return float(self.W.numpy()[0, 0]), float(self.b.numpy()[0])


if __name__ == "__main__":  # python -m impls.keras_fit: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
