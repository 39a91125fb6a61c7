"""The loss every lesson minimises, written once for each framework: the mean squared error of the
residuals r = W·x + b − y, or its Huber variant (--loss huber), which is ½r² near 0 and linear
beyond |r| = δ, so outliers pull less. numpy_manual writes its own: it needs the gradient by hand.
"""


def tensorflow_loss(config):
    import tensorflow as tf

    if config.loss == "mse":
        return lambda residual: tf.reduce_mean(tf.square(residual))
    delta = config.huber_delta

    def huber(residual):
        size = tf.abs(residual)
        return tf.reduce_mean(tf.where(size <= delta, 0.5 * size**2, delta * (size - 0.5 * delta)))

    return huber


def jax_loss(config):
    import jax.numpy as jnp

    if config.loss == "mse":
        return lambda residual: jnp.mean(jnp.square(residual))
    delta = config.huber_delta

    def huber(residual):
        size = jnp.abs(residual)
        return jnp.mean(jnp.where(size <= delta, 0.5 * size**2, delta * (size - 0.5 * delta)))

    return huber


def torch_loss(config):
    import torch

    if config.loss == "mse":
        return lambda residual: torch.mean(torch.square(residual))
    delta = config.huber_delta

    def huber(residual):
        size = torch.abs(residual)
        return torch.mean(torch.where(size <= delta, 0.5 * size**2, delta * (size - 0.5 * delta)))

    return huber
