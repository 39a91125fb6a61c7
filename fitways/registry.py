"""Every lesson by name: where its Trainer lives, which framework it needs, what it teaches.

Registering a lesson here is all it takes for compare.py, the tests and the benchmarks to run it.
Nothing is imported until a lesson is loaded, so --help and argument checks never wait for a framework.
"""

import importlib
from typing import NamedTuple


class Entry(NamedTuple):
    framework: str  # a key of fitways.frameworks.FRAMEWORKS
    summary: str
    scale: str = "device"  # "replicas": data-parallel over --replicas devices; "workers": worker processes


TRAINERS = {
    "gradient_tape": Entry("tensorflow", "the textbook's eager loop: GradientTape, assign_sub"),
    "tf_function": Entry("tensorflow", "the same step compiled with tf.function"),
    "tf_function_tuned": Entry("tensorflow", "that step under XLA, its ConcreteFunction called directly"),
    "keras_fit": Entry("tensorflow", "keras.Sequential + model.fit, defaults"),
    "numpy_manual": Entry("numpy", "plain numpy, gradient derived by hand"),
    "tf_graph_loop": Entry("tensorflow", "the whole loop in one tf.function"),
    "tf_xla": Entry("tensorflow", "the whole loop compiled by XLA"),
    "keras_fit_tuned": Entry("tensorflow", "model.fit, steps_per_execution, XLA, tf.data"),
    "jax_jit": Entry("jax", "JAX: the step under jax.jit, called from a Python loop"),
    "jax_loop": Entry("jax", "JAX: the whole loop in one jax.jit (lax.scan)"),
    "torch_eager": Entry("torch", "PyTorch: autograd on two tensors, sub_ under no_grad"),
    "torch_compile": Entry("torch", "PyTorch: the step compiled with torch.compile"),
    "tf_mirrored": Entry("tensorflow", "tf.distribute.MirroredStrategy: the step on every replica", "replicas"),
    "keras_fit_mirrored": Entry("tensorflow", "keras_fit under a MirroredStrategy's scope", "replicas"),
    "tf_multiworker": Entry("tensorflow", "MultiWorkerMirroredStrategy across 2 worker processes", "workers"),
}
BASELINE = "gradient_tape"  # speed-ups are quoted relative to the textbook's own loop unless asked otherwise


def framework_of(name):
    from fitways.frameworks import FRAMEWORKS

    return FRAMEWORKS[TRAINERS[name].framework]


def trainer_class(name):
    """The lesson's Trainer, its framework imported first (quietly, for TensorFlow)."""
    framework_of(name).load()
    return importlib.import_module(f"impls.{name}").Trainer
