"""keras_fit: the same fit as Keras users write it — Sequential, L + 1 Dense layers, SGD, model.fit.

Keras owns the loop: it cuts the batches, differentiates the loss, applies SGD and runs each update as
a compiled tf.function. We describe the model and the optimiser (`model.compile` configures
training; it compiles nothing itself) and call fit(shuffle=False), which walks the batches in order,
the schedule every lesson follows. The only code beyond that is the textbook's log line, which
needs a callback: Keras calls it after each batch.
"""

import keras
import numpy as np
import tensorflow as tf  # Keras's backend here; loss_and_gradient differentiates Keras's loss with its tape

from impls.deep.problem import Config, initial_parameters, make_data, textbook_log


class Log(keras.callbacks.Callback):
    """Calls log(update, loss, W1, b1, Wh, bh, w2, b2) after every update. Keras reports the running mean of an
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
        # the model: L Dense layers with tanh, then a linear one; W1 is the first layer's 1×H kernel, each W in Wh
        # the H×H kernel of a layer after it, w2 the output's H×1
        self.layers = [keras.layers.Dense(config.hidden, activation="tanh") for _ in range(config.layers)]
        self.output = keras.layers.Dense(1)
        self.model = keras.Sequential([keras.Input(shape=(1,)), *self.layers, self.output])
        self.model.compile(optimizer=keras.optimizers.SGD(learning_rate=config.lr), loss="mse")
        self.variables = [variable for layer in (*self.layers, self.output) for variable in (layer.kernel, layer.bias)]
        self.reset(*initial_parameters(config))  # Keras drew its own random start: every lesson starts from ours
        self.x, self.y = data.x[: config.used_samples, None], data.y[: config.used_samples, None]  # whole batches

    def parameters(self):
        """(W1, b1, Wh, bh, w2, b2) in the problem's shapes, from Keras's kernels and biases."""
        return self.in_problem_shapes([variable.numpy() for variable in self.variables])

    def in_problem_shapes(self, values):
        """Keras's (kernel, bias) per layer, in order, as (W1, b1, Wh, bh, w2, b2): the kernels and biases of
        the layers between the first and the output stacked into Wh and bh."""
        (W1, b1), *deeper, (w2, b2) = zip(values[0::2], values[1::2])
        Wh, bh = (np.stack(arrays) for arrays in zip(*deeper))  # ((kernels), (biases)) of the layers between
        return W1[0], b1, Wh, bh, w2[:, 0], b2[0]

    def reset(self, W1, b1, Wh, bh, w2, b2):
        kernels = [np.reshape(W1, (1, -1)), *Wh, np.reshape(w2, (-1, 1))]
        biases = [b1, *bh, np.reshape(b2, (1,))]
        for layer, kernel, bias in zip((*self.layers, self.output), kernels, biases):
            layer.kernel.assign(kernel)
            layer.bias.assign(bias)
        self.model.optimizer.iterations.assign(0)  # plain SGD keeps no other state

    W1 = property(lambda self: self.layers[0].kernel)  # where the harness reads placement from

    def loss_and_gradient(self, x, y):
        x, y = x[:, None], y[:, None]
        with tf.GradientTape() as tape:
            loss = self.model.compute_loss(x=x, y=y, y_pred=self.model(x))
        gradients = tape.gradient(loss, [variable.value for variable in self.variables])  # .value: the tf.Variable inside
        return loss, *self.in_problem_shapes([gradient.numpy() for gradient in gradients])

    def train(self, log=None):
        fit = {"batch_size": self.config.batch_size, "shuffle": False, "verbose": 0}
        fit["callbacks"] = [Log(log, self)] if log else []
        epochs, rest = divmod(self.config.updates, self.config.batches_per_epoch)
        if epochs:  # whole passes over the data
            self.model.fit(self.x, self.y, epochs=epochs, **fit)
        if rest:  # then the first `rest` batches of one more pass
            self.model.fit(self.x[: rest * self.config.batch_size], self.y[: rest * self.config.batch_size], **fit)
        return self.parameters()


if __name__ == "__main__":  # python -m impls.deep.keras_fit: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
