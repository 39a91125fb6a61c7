"""jax_loop: tf_xla's lesson in JAX — the whole loop, batch slicing and every update, in one jax.jit.

jax_jit still returns to Python after every update. Here lax.scan, a loop that lives in the compiled
program like tf.while_loop, runs every update in one call; batch k is cut by lax.dynamic_slice at a
start computed in the loop, with a static size. With `keep_log` (a static argument: each value gets
its own trace) scan also stacks the loss and the parameters of every update, for the log; without
it, it only trains. Whatever jax.jit traces, XLA compiles into one program of fused machine code for
its exact shapes — JAX has no graph runtime to fall back on.
"""

import functools

import jax
import jax.numpy as jnp
from jax import lax

from impls.deep.problem import Config, initial_parameters, make_data, textbook_log
from impls.losses import jax_loss

NAMES = ("W1", "b1", "Wh", "bh", "w2", "b2")


# config is static: a constant of the trace (hashable, being frozen), so its loss and lr are baked in
@functools.partial(jax.jit, static_argnums=0)
def loss_and_grad(config, params, x, y):
    """(L, {"W1": dL/dW1, …, "b2": dL/db2}): value_and_grad differentiates with respect to params."""

    def loss(params):
        hidden = jnp.tanh(x[:, None] * params["W1"] + params["b1"])  # h = tanh(W1·x + b1), (n, H)
        for W, b in zip(params["Wh"], params["bh"]):  # a Python loop: traced once, L − 1 more layers in the program
            hidden = jnp.tanh(hidden @ W + b)  # h = tanh(h @ W + b), (n, H)
        return jax_loss(config)(hidden @ params["w2"] + params["b2"] - y)  # r = ŷ − y

    return jax.value_and_grad(loss)(params)


def updated(config, params, x, y):
    """One update, pure: new parameters come back, nothing is changed in place."""
    loss, grad = loss_and_grad(config, params, x, y)
    return {name: params[name] - config.lr * grad[name] for name in NAMES}, loss


@functools.partial(jax.jit, static_argnums=(0, 1))
def train_loop(config, keep_log, params, x, y):
    size = config.batch_size  # a fixed slice size: XLA needs to know every shape

    def one_update(params, update):
        start = (update % config.batches_per_epoch) * size  # epoch after epoch, in order
        batch = lax.dynamic_slice(x, [start], [size]), lax.dynamic_slice(y, [start], [size])
        params, loss = updated(config, params, *batch)
        return params, ((loss, params) if keep_log else None)  # None: scan keeps nothing

    return lax.scan(one_update, params, jnp.arange(config.updates))  # (final params, stacked rows or None)


class Trainer:
    def __init__(self, config, data):
        self.config = config
        # the model: h = tanh(W1·x + b1), then h = tanh(h @ W + b) for each (W, b) in (Wh, bh), ŷ = h @ w2 + b2
        self.params = dict(zip(NAMES, map(jnp.asarray, initial_parameters(config))))
        self.x, self.y = jnp.asarray(data.x[: config.used_samples]), jnp.asarray(data.y[: config.used_samples])

    W1 = property(lambda self: self.params["W1"])  # the pytree is where the parameters live

    def reset(self, W1, b1, Wh, bh, w2, b2):
        self.params = {name: jnp.asarray(value, jnp.float32) for name, value in zip(NAMES, (W1, b1, Wh, bh, w2, b2))}

    def loss_and_gradient(self, x, y):
        loss, grad = loss_and_grad(self.config, self.params, x, y)
        return loss, *(grad[name] for name in NAMES)

    def train(self, log=None):
        self.params, rows = train_loop(self.config, log is not None, self.params, self.x, self.y)
        if log:
            losses, params = jax.device_get(rows)  # (updates,) and each parameter stacked: (updates, …)
            for update, loss in enumerate(losses):
                log(update, loss, *(params[name][update] for name in NAMES))
        return tuple(jax.device_get(self.params[name]) for name in NAMES)


if __name__ == "__main__":  # python -m impls.deep.jax_loop: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
