"""keras_fit_backend: keras_fit with nothing TensorFlow in it — Keras 3 on the backend KERAS_BACKEND names.

    KERAS_BACKEND=jax python -m impls.keras_fit_backend      # or torch, or tensorflow

Keras 3 is one API over three engines: the same Sequential, SGD and model.fit run on JAX (the update
compiled with jax.jit), PyTorch (eager, by default) or TensorFlow (a tf.function). Keras reads
KERAS_BACKEND once, when it is first imported, so one process trains on one backend. The training
lines are keras_fit's, word for word. Only the gradient on its own (loss_and_gradient, which the
gradient check calls) needs the backend's autodiff: Keras 3 has no backend-neutral gradient, which is
why its guides to writing your own training loop come in three versions.
"""

import os

import impls  # sets KERAS_BACKEND=tensorflow for the other lessons, and keeps what the user had asked for

os.environ["KERAS_BACKEND"] = impls.USER_KERAS_BACKEND or "jax"  # read once, at `import keras`: jax, torch, tensorflow

import keras  # noqa: E402  (after the line that picks its backend)

from impls.problem import Config, make_data, textbook_log  # noqa: E402


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
        self.loss = keras.losses.MeanSquaredError() if config.loss == "mse" else keras.losses.Huber(config.huber_delta)
        self.model.compile(optimizer=keras.optimizers.SGD(learning_rate=config.lr), loss=self.loss)
        self.W, self.b = dense.kernel, dense.bias
        self.x, self.y = data.x[: config.used_samples, None], data.y[: config.used_samples, None]  # whole batches

    def reset(self, W, b):
        self.W.assign([[W]])
        self.b.assign([b])
        self.model.optimizer.iterations.assign(0)  # plain SGD keeps no other state

    def loss_and_gradient(self, x, y):
        x, y = keras.ops.convert_to_tensor(x)[:, None], keras.ops.convert_to_tensor(y)[:, None]
        return GRADIENT[keras.backend.backend()](self, x, y)

    def train(self, log=None):
        fit = {"batch_size": self.config.batch_size, "shuffle": False, "verbose": 0}
        fit["callbacks"] = [Log(log, self.W, self.b)] if log else []
        epochs, rest = divmod(self.config.updates, self.config.batches_per_epoch)
        if epochs:  # whole passes over the data
            self.model.fit(self.x, self.y, epochs=epochs, **fit)
        if rest:  # then the first `rest` batches of one more pass
            self.model.fit(self.x[: rest * self.config.batch_size], self.y[: rest * self.config.batch_size], **fit)
        return float(self.W.numpy()[0, 0]), float(self.b.numpy()[0])


def jax_gradient(trainer, x, y):
    """JAX differentiates a pure function: the model called statelessly on parameters passed in."""
    import jax

    def loss(parameters):
        y_pred, _ = trainer.model.stateless_call(parameters, [], x)
        return trainer.loss(y, y_pred)

    value, (dW, db) = jax.value_and_grad(loss)([trainer.W.value, trainer.b.value])
    return value, dW[0, 0], db[0]


def torch_gradient(trainer, x, y):
    """PyTorch records the forward pass on the parameters (torch.nn.Parameter) and fills in their .grad."""
    trainer.W.value.grad = trainer.b.value.grad = None  # .grad accumulates across backward() calls
    value = trainer.loss(y, trainer.model(x))
    value.backward()
    return value, trainer.W.value.grad[0, 0], trainer.b.value.grad[0]


def tensorflow_gradient(trainer, x, y):
    """TensorFlow records the forward pass on a tape (keras_fit's way)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        value = trainer.loss(y, trainer.model(x))
    dW, db = tape.gradient(value, [trainer.W.value, trainer.b.value])
    return value, dW[0, 0], db[0]


GRADIENT = {"jax": jax_gradient, "torch": torch_gradient, "tensorflow": tensorflow_gradient}


if __name__ == "__main__":  # the textbook's run and its ten log lines, on the backend KERAS_BACKEND names
    config = Config()
    print(f"Keras {keras.__version__} on {keras.backend.backend()}")
    Trainer(config, make_data(config)).train(log=textbook_log(config))
