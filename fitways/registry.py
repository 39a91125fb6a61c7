"""Every lesson by name, per problem: where its Trainer lives, which framework it needs, how it runs,
what it teaches.

Registering a lesson here is all it takes for compare.py, the tests and the benchmarks to run it.
Nothing is imported until a lesson is loaded, so --help and argument checks never wait for a framework.
"""

import importlib
from typing import NamedTuple

from fitways.execution import IN_PROCESS, MIRRORED, TWO_WORKERS
from fitways.keras_process import InBackendProcess


class Entry(NamedTuple):
    framework: str  # a key of fitways.frameworks.FRAMEWORKS
    summary: str
    module: str  # where its Trainer is
    runs: object = IN_PROCESS  # a way to run, from fitways.execution


def trainers(package, table):
    """{name: Entry} for the lessons in `package`, from {name: (framework, summary[, runs])}."""
    return {name: Entry(row[0], row[1], f"{package}.{name}", *row[2:]) for name, row in table.items()}


LINE_TRAINERS = trainers("impls", {
    "gradient_tape": ("tensorflow", "the textbook's eager loop: GradientTape, assign_sub"),
    "tf_function": ("tensorflow", "the same update traced into a graph by tf.function"),
    "tf_function_tuned": ("tensorflow", "that update compiled by XLA, its ConcreteFunction called directly"),
    "keras_fit": ("tensorflow", "keras.Sequential + model.fit, defaults"),
    "numpy_manual": ("numpy", "plain numpy, gradient derived by hand"),
    "tf_graph_loop": ("tensorflow", "the whole loop in one tf.function"),
    "tf_xla": ("tensorflow", "the whole loop compiled by XLA"),
    "keras_fit_tuned": ("tensorflow", "model.fit, steps_per_execution, XLA, tf.data"),
    "jax_jit": ("jax", "JAX: the update under jax.jit, called from a Python loop"),
    "jax_loop": ("jax", "JAX: the whole loop in one jax.jit (lax.scan)"),
    "numba_loop": ("numba", "numpy_manual's gradient, the whole loop compiled by numba: the floor"),
    "torch_eager": ("torch", "PyTorch: autograd on two tensors, sub_ under no_grad"),
    "torch_compile": ("torch", "PyTorch: the update compiled by torch.compile"),
    "tf_mirrored": ("tensorflow", "tf.distribute.MirroredStrategy: the update on every replica", MIRRORED),
    "keras_fit_mirrored": ("tensorflow", "keras_fit under a MirroredStrategy's scope", MIRRORED),
    "tf_multiworker": ("tensorflow", "MultiWorkerMirroredStrategy across 2 worker processes", TWO_WORKERS),
})  # fmt: skip
LINE_TRAINERS.update({  # one lesson, impls/keras_fit_backend.py, on two more Keras backends: only KERAS_BACKEND differs
    f"keras_fit_{backend}": Entry(backend, f"keras_fit's model.fit on Keras 3's {label} backend, in a process of its own",
                                  "impls.keras_fit_backend", InBackendProcess(backend))
    for backend, label in [("jax", "JAX"), ("torch", "PyTorch")]
})  # fmt: skip
MLP_TRAINERS = trainers("impls.mlp", {
    "numpy_manual": ("numpy", "plain numpy, backpropagation derived by hand"),
    "gradient_tape": ("tensorflow", "the eager loop: GradientTape, assign_sub"),
    "tf_function": ("tensorflow", "the same update traced into a graph by tf.function"),
    "tf_xla": ("tensorflow", "the whole loop compiled by XLA"),
    "keras_fit": ("tensorflow", "keras.Sequential (two Dense layers) + model.fit"),
    "jax_loop": ("jax", "JAX: the whole loop in one jax.jit (lax.scan)"),
    "torch_eager": ("torch", "PyTorch: autograd on four tensors, sub_ under no_grad"),
})  # fmt: skip
BASELINE = "gradient_tape"  # speed-ups are quoted relative to the textbook's own loop unless asked otherwise


def framework_of(entry):
    from fitways.frameworks import FRAMEWORKS

    return FRAMEWORKS[entry.framework]


def trainer_class(entry):
    """The lesson's Trainer, its framework imported first (quietly, for TensorFlow)."""
    framework_of(entry).load()
    return importlib.import_module(entry.module).Trainer
