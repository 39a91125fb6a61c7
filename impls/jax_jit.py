"""jax_jit: tf_function's lesson in JAX — the update is a pure function, compiled with jax.jit.

JAX has no variables: the parameters are a pytree, here the dict {"W": W, "b": b}, that a pure
function takes in and hands back updated; the Trainer only keeps it between calls. There is no tape
either: jax.value_and_grad turns the loss into a function that also returns its gradient, a pytree
shaped like the parameters. jax.jit traces a function once per input shape — Python runs it a single
time with abstract values, as tf.function does — and XLA compiles the trace, so each later call is
one call into machine code. Every batch has one shape, so one trace serves them all.
"""

import functools

import jax
import jax.numpy as jnp

from impls.losses import jax_loss
from impls.problem import Config, make_data, textbook_log


# config is static: a constant of the trace (hashable, being frozen), so its loss and lr are baked in
@functools.partial(jax.jit, static_argnums=0)
def loss_and_grad(config, params, x, y):
    """(L, {"W": dL/dW, "b": dL/db}): value_and_grad differentiates with respect to params."""

    def loss(params):
        return jax_loss(config)(params["W"] * x + params["b"] - y)  # r = ŷ − y

    return jax.value_and_grad(loss)(params)


@functools.partial(jax.jit, static_argnums=0)
def updated(config, params, x, y):
    """One update, pure: new parameters come back, nothing is changed in place."""
    loss, grad = loss_and_grad(config, params, x, y)
    return {"W": params["W"] - config.lr * grad["W"], "b": params["b"] - config.lr * grad["b"]}, loss


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.params = {"W": jnp.float32(config.W0), "b": jnp.float32(config.b0)}  # the model: ŷ = W·x + b
        size, x, y = config.batch_size, jnp.asarray(data.x), jnp.asarray(data.y)
        # the batches in order, cut once: slicing inside the loop would cost two more dispatches per update
        self.batches = [(x[s : s + size], y[s : s + size]) for s in range(0, config.batches_used * size, size)]

    W = property(lambda self: self.params["W"])  # the pytree is where the parameters live
    b = property(lambda self: self.params["b"])

    def reset(self, W, b):
        self.params = {"W": jnp.float32(W), "b": jnp.float32(b)}

    def loss_and_gradient(self, x, y):
        loss, grad = loss_and_grad(self.config, self.params, x, y)
        return loss, grad["W"], grad["b"]

    def update(self, x, y):
        self.params, loss = updated(self.config, self.params, x, y)
        return loss

    def train(self, log=None):
        for update in range(self.config.updates):
            loss = self.update(*self.batches[update % len(self.batches)])  # epoch after epoch, in order
            if log:
                log(update, loss, self.W, self.b)
        return float(self.W), float(self.b)


if __name__ == "__main__":  # python -m impls.jax_jit: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
