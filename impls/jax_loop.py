"""jax_loop: tf_xla's lesson in JAX — the whole loop, batch slicing and every update, in one jax.jit.

jax_jit still returns to Python after every update. Here lax.scan, a loop that lives in the compiled
program like tf.while_loop, runs every update in one call; batch k is cut by lax.dynamic_slice at a
start computed in the loop, with a static size. With `keep_log` (a static argument: each value gets
its own trace) scan also stacks (loss, W, b) of every update, for the log; without it, it only
trains. Both JAX lessons go through XLA, like tf_xla: whatever jax.jit traces, XLA compiles into one
program of fused machine code for its exact shapes — JAX has no graph runtime to fall back on.
"""

import functools

import jax
import jax.numpy as jnp
from jax import lax

from impls.losses import jax_loss
from impls.problem import Config, make_data, textbook_log


# config is static: a constant of the trace (hashable, being frozen), so its loss and lr are baked in
@functools.partial(jax.jit, static_argnums=0)
def loss_and_grad(config, params, x, y):
    """(L, {"W": dL/dW, "b": dL/db}): value_and_grad differentiates with respect to params."""

    def loss(params):
        return jax_loss(config)(params["W"] * x + params["b"] - y)  # r = ŷ − y

    return jax.value_and_grad(loss)(params)


def updated(config, params, x, y):
    """One update, pure: new parameters come back, nothing is changed in place."""
    loss, grad = loss_and_grad(config, params, x, y)
    return {"W": params["W"] - config.lr * grad["W"], "b": params["b"] - config.lr * grad["b"]}, loss


@functools.partial(jax.jit, static_argnums=(0, 1))
def train_loop(config, keep_log, params, x, y):
    size = config.batch_size  # a fixed slice size: XLA needs to know every shape

    def one_update(params, update):
        start = (update % config.batches_per_epoch) * size  # epoch after epoch, in order
        batch = lax.dynamic_slice(x, [start], [size]), lax.dynamic_slice(y, [start], [size])
        params, loss = updated(config, params, *batch)
        return params, (jnp.stack([loss, params["W"], params["b"]]) if keep_log else None)  # None: scan keeps nothing

    return lax.scan(one_update, params, jnp.arange(config.updates))  # (final params, (updates, 3) rows or None)


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.params = {"W": jnp.float32(config.W0), "b": jnp.float32(config.b0)}  # the model: ŷ = W·x + b
        self.x, self.y = jnp.asarray(data.x[: config.used_samples]), jnp.asarray(data.y[: config.used_samples])

    W = property(lambda self: self.params["W"])  # the pytree is where the parameters live
    b = property(lambda self: self.params["b"])

    def reset(self, W, b):
        self.params = {"W": jnp.float32(W), "b": jnp.float32(b)}

    def loss_and_gradient(self, x, y):
        loss, grad = loss_and_grad(self.config, self.params, x, y)
        return loss, grad["W"], grad["b"]

    def train(self, log=None):
        self.params, rows = train_loop(self.config, log is not None, self.params, self.x, self.y)
        if log:
            for update, (loss, W, b) in enumerate(jax.device_get(rows)):
                log(update, loss, W, b)
        return float(self.W), float(self.b)


if __name__ == "__main__":  # python -m impls.jax_loop: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
