"""keras_fit: the same fit as Keras users write it — Sequential, two Dense layers, SGD, model.fit.

Keras owns the loop: it cuts the batches, differentiates the loss, applies SGD and runs each update as
a compiled tf.function. We describe the model and the optimiser (`model.compile` configures
training; it compiles nothing itself) and call fit(shuffle=False), which walks the batches in order,
the schedule every lesson follows. The only code beyond that is the textbook's log line, which
needs a callback: Keras calls it after each batch.
"""

import keras
import tensorflow as tf  # Keras's backend here; loss_and_gradient differentiates Keras's loss with its tape

from impls.mlp.problem import Config, initial_parameters, make_data, textbook_log


class Log(keras.callbacks.Callback):
    """Calls log(update, loss, W1, b1, w2, b2) after every update. Keras reports the running mean of an
    epoch's batch losses, so clear it before each batch: then what it reports is that batch's own loss."""

    def __init__(self, log, trainer):
        super().__init__()
        self.log, self.trainer = log, trainer

    def on_train_batch_begin(self, batch, logs=None):
        self.model.reset_metrics()

    def on_train_batch_end(self, batch, logs=None):
        update = int(self.model.optimizer.iterations.numpy()) - 1  # counts on across epochs
        self.log(update, logs["loss"], *self.trainer.parameters())


class Trainer:
    def __init__(self, config, data):
        self.config = config
        # the model: ŷ = w2·tanh(W1·x + b1) + b2; W1 is the first layer's 1×H kernel, w2 the second's H×1
        self.hidden = keras.layers.Dense(config.hidden, activation="tanh")
        self.output = keras.layers.Dense(1)
        self.model = keras.Sequential([keras.Input(shape=(1,)), self.hidden, self.output])
        self.model.compile(optimizer=keras.optimizers.SGD(learning_rate=config.lr), loss="mse")
        self.variables = [self.hidden.kernel, self.hidden.bias, self.output.kernel, self.output.bias]
        self.reset(*initial_parameters(config))  # Keras drew its own random start: every lesson starts from ours
        self.x, self.y = data.x[: config.used_samples, None], data.y[: config.used_samples, None]  # whole batches

    def parameters(self):
        """(W1, b1, w2, b2) in the problem's shapes, from Keras's kernels and biases."""
        W1, b1, w2, b2 = (variable.numpy() for variable in self.variables)
        return W1[0], b1, w2[:, 0], b2[0]

    def reset(self, W1, b1, w2, b2):
        self.hidden.kernel.assign([W1])
        self.hidden.bias.assign(b1)
        self.output.kernel.assign(tf.reshape(w2, [-1, 1]))
        self.output.bias.assign([b2])
        self.model.optimizer.iterations.assign(0)  # plain SGD keeps no other state

    W1 = property(lambda self: self.hidden.kernel)  # where the harness reads placement from

    def loss_and_gradient(self, x, y):
        x, y = x[:, None], y[:, None]
        with tf.GradientTape() as tape:
            loss = self.model.compute_loss(x=x, y=y, y_pred=self.model(x))
        dW1, db1, dw2, db2 = tape.gradient(loss, [variable.value for variable in self.variables])  # .value: the tf.Variable inside
        return loss, dW1[0], db1, dw2[:, 0], db2[0]

    def train(self, log=None):
        fit = {"batch_size": self.config.batch_size, "shuffle": False, "verbose": 0}
        fit["callbacks"] = [Log(log, self)] if log else []
        epochs, rest = divmod(self.config.updates, self.config.batches_per_epoch)
        if epochs:  # whole passes over the data
            self.model.fit(self.x, self.y, epochs=epochs, **fit)
        if rest:  # then the first `rest` batches of one more pass
            self.model.fit(self.x[: rest * self.config.batch_size], self.y[: rest * self.config.batch_size], **fit)
        return self.parameters()


if __name__ == "__main__":  # python -m impls.mlp.keras_fit: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
