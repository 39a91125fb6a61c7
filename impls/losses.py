"""The loss every lesson minimises, written once for each framework: the mean squared error of the
residuals r = W·x + b − y, or its Huber variant (--loss huber), which is ½r² near 0 and linear
beyond |r| = δ, so outliers pull less. numpy_manual writes its own: it needs the gradient by hand.
Each function imports its framework itself, so a lesson loads only the framework it uses.
"""


def tensorflow_loss(config):
    import tensorflow as tf

    if config.loss == "mse":
        return lambda residual: tf.reduce_mean(tf.square(residual))
    delta = config.huber_delta

    def huber(residual):
        abs_r = tf.abs(residual)
        return tf.reduce_mean(tf.where(abs_r <= delta, 0.5 * abs_r**2, delta * (abs_r - 0.5 * delta)))

    return huber


def jax_loss(config):
    import jax.numpy as jnp

    if config.loss == "mse":
        return lambda residual: jnp.mean(jnp.square(residual))
    delta = config.huber_delta

    def huber(residual):
        abs_r = jnp.abs(residual)
        return jnp.mean(jnp.where(abs_r <= delta, 0.5 * abs_r**2, delta * (abs_r - 0.5 * delta)))

    return huber


def torch_loss(config):
    import torch

    if config.loss == "mse":
        return lambda residual: torch.mean(torch.square(residual))
    delta = config.huber_delta

    def huber(residual):
        abs_r = torch.abs(residual)
        return torch.mean(torch.where(abs_r <= delta, 0.5 * abs_r**2, delta * (abs_r - 0.5 * delta)))

    return huber
