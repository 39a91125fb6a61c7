"""keras_fit_tuned: model.fit set up for speed — many updates per call, XLA, a tf.data pipeline.

Same model, optimiser and batches as keras_fit. steps_per_execution runs that many updates inside
one compiled call, so Keras's per-batch Python bookkeeping (callbacks, progress, logs) runs once per
call instead of once per update; jit_compile hands the update to XLA; the input is a tf.data pipeline
of batches cut up front, so nothing is sliced per sample. The price: Python, and so the log, sees
the model only every STEPS_PER_EXECUTION updates, and never a single batch's loss.
"""

import keras
import tensorflow as tf  # Keras's backend here; loss_and_gradient differentiates Keras's loss with its tape

from impls.problem import Config, make_data, textbook_log

STEPS_PER_EXECUTION = 64


class Log(keras.callbacks.Callback):
    """Calls log(update, None, W, b) after every execution of STEPS_PER_EXECUTION updates: Keras
    reports only a mean over the execution's batches, not the loss of any one of them."""

    def __init__(self, log, W, b):
        super().__init__()
        self.log, self.W, self.b = log, W, b

    def on_train_batch_end(self, batch, logs=None):
        update = int(self.model.optimizer.iterations.numpy()) - 1  # counts on across epochs
        self.log(update, None, self.W.numpy()[0, 0], self.b.numpy()[0])


class Trainer:
    def __init__(self, config, data):
        self.config = config
        dense = keras.layers.Dense(  # the model: ŷ = W·x + b, W its 1×1 kernel and b its bias
            1,
            kernel_initializer=keras.initializers.Constant(config.W0),
            bias_initializer=keras.initializers.Constant(config.b0),
        )
        self.model = keras.Sequential([keras.Input(shape=(1,)), dense])
        self.model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=config.lr),
            loss=self.keras_loss(),
            steps_per_execution=STEPS_PER_EXECUTION,
            jit_compile=True,
        )
        self.W, self.b = dense.kernel, dense.bias
        # the batches cut up front, then epoch after epoch in order; take() ends it after exactly
        # config.updates batches (an endless one would run up to a whole execution more)
        shape = (config.batches_per_epoch, config.batch_size, 1)
        batches = (data.x[: config.used_samples].reshape(shape), data.y[: config.used_samples].reshape(shape))
        dataset = tf.data.Dataset.from_tensor_slices(batches).repeat().take(config.updates)
        self.dataset = dataset.prefetch(tf.data.AUTOTUNE)

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
        callbacks = [Log(log, self.W, self.b)] if log else []
        self.model.fit(self.dataset, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)  # a Dataset keeps its order
        return float(self.W.numpy()[0, 0]), float(self.b.numpy()[0])


if __name__ == "__main__":  # python -m impls.keras_fit_tuned: the textbook's run, logged every execution
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
