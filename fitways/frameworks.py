"""Each framework once: is it installed, import it (quietly), its devices, where an array lives.

The lessons never name a device: the harness builds and runs them inside the framework's own
device scope (tf.device, jax.default_device, torch.device) and reads placement back from W.
"""

import contextlib
import importlib
import importlib.util
import logging
import os
import sys

import impls  # first: the environment and the load order the frameworks need (impls/startup.py)
from fitways.output import warn
from impls.startup import quiet_stderr


class Framework:
    name = ""  # its key in FRAMEWORKS, and the framework a trainer table names
    label = ""  # how people write it
    requirements = "requirements.txt"  # the file that installs it
    cpu_only = False  # True: a --device gpu run is skipped with a note

    def installed(self):
        return importlib.util.find_spec(self.name) is not None

    def missing_line(self):
        return f"{self.label} is not installed (pip install -r {self.requirements})"

    def load(self):
        """Import the framework; the module."""
        return importlib.import_module(self.name)

    def gpus(self):
        return []

    def device_scope(self, device):
        return contextlib.nullcontext()

    def placement(self, parameter):
        return "CPU"

    def to_tensor(self, array):
        return array

    def version(self):
        return self.load().__version__


class Numpy(Framework):
    name, label = "numpy", "numpy"
    cpu_only = True

    def placement(self, parameter):
        return f"CPU ({self.name})"


class Numba(Numpy):
    """numpy arrays in, machine code compiled for this CPU (through LLVM) running over them: no GPU."""

    name, label = "numba", "numba"


class TensorFlow(Framework):
    name, label = "tensorflow", "TensorFlow"
    _gpus: list = []  # filled by load()

    def load(self):
        if "tensorflow" not in sys.modules:
            if impls.USER_KERAS_BACKEND not in (None, "tensorflow"):
                warn(
                    f"note: KERAS_BACKEND={impls.USER_KERAS_BACKEND} ignored: keras_fit runs on TensorFlow; "
                    "keras_fit_jax and keras_fit_torch are Keras on the other backends"
                )
            with quiet_stderr():
                import keras  # noqa: F401  (imported here, quietly, before any lesson imports it)
                import tensorflow as tf

                TensorFlow._gpus = tf.config.list_physical_devices("GPU")  # probing CUDA logs when there is none
                # the suite builds many trainers on purpose; "N out of the last M calls triggered
                # tf.function retracing" is about them, not about a lesson (tests/test_tracing.py checks those)
                tf.get_logger().setLevel(logging.ERROR)
        return sys.modules["tensorflow"]

    def gpus(self):
        self.load()
        return [gpu.name for gpu in TensorFlow._gpus]

    def device_scope(self, device):
        """ "cpu" and "gpu" mean the first device of that kind; a full name such as "/CPU:1" passes through."""
        return self.load().device({"cpu": "/CPU:0", "gpu": "/GPU:0"}.get(device, device))

    def placement(self, parameter):
        """ "/job:localhost/replica:0/task:0/device:CPU:0" -> "CPU:0"; a Keras variable wraps a tf.Variable,
        and a mirrored one holds a copy per replica: "CPU:0+CPU:1"."""
        import keras

        variable = parameter.value if isinstance(parameter, keras.Variable) else parameter
        copies = getattr(variable, "values", (variable,))  # a MirroredVariable's per-replica copies
        return "+".join(copy.device.rsplit("device:", 1)[-1] for copy in copies)

    def replica_devices(self, device, replicas):
        """The devices a data-parallel run of `replicas` uses: /CPU:0 … or /GPU:0 …"""
        return [f"/{device.upper()}:{index}" for index in range(replicas)]

    def logical_cpus(self, count):
        """Split the CPU into `count` logical devices, so replicas have somewhere to go on a machine
        without GPUs. Possible only before TensorFlow starts its runtime; afterwards the split it has
        stands. Returns how many logical CPUs there are."""
        tf = self.load()
        with contextlib.suppress(RuntimeError):  # "Virtual devices cannot be modified after being initialized"
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
        return len(tf.config.list_logical_devices("CPU"))

    def to_tensor(self, array):
        return self.load().constant(array, self.load().float32)

    def version(self):
        import keras

        return f"{self.load().__version__} (Keras {keras.__version__})"


class Jax(Framework):
    name, label = "jax", "JAX"

    def gpus(self):
        try:
            return [str(device) for device in self.load().devices("gpu")]
        except RuntimeError:  # JAX raises when it has no backend of that kind
            return []

    def device_scope(self, device):
        jax = self.load()
        return jax.default_device(jax.devices(device)[0])

    def placement(self, parameter):
        parameter = getattr(parameter, "value", parameter)  # a Keras variable (Keras on JAX) wraps a jax.Array
        (device,) = parameter.devices()
        return f"{device.platform.upper()}:{device.id}"

    def to_tensor(self, array):
        return self.load().numpy.asarray(array, dtype="float32")


class Torch(Framework):
    name, label = "torch", "PyTorch"
    requirements = "requirements-torch.txt"  # optional: it brings gigabytes of CUDA libraries

    def load(self):
        torch = importlib.import_module("torch")
        # torch.compile recompiles for every new constant (lr, loss, batch shape) and falls back to
        # eager, with a warning, after 8; the suite builds far more trainers than a user would.
        torch._dynamo.config.recompile_limit = 64
        return torch

    def gpus(self):
        cuda = self.load().cuda
        return [cuda.get_device_name(i) for i in range(cuda.device_count())] if cuda.is_available() else []

    def device_scope(self, device):
        return self.load().device({"gpu": "cuda"}.get(device, device))  # sets the default device for new tensors

    def placement(self, parameter):
        device = getattr(parameter, "value", parameter).device  # a Keras variable (Keras on PyTorch) wraps a tensor
        return "CPU" if device.type == "cpu" else f"GPU:{device.index or 0}"

    def to_tensor(self, array):
        torch = self.load()
        return torch.as_tensor(array, dtype=torch.float32, device=torch.get_default_device())


FRAMEWORKS = {framework.name: framework for framework in (Numpy(), Numba(), TensorFlow(), Jax(), Torch())}
# TensorFlow and Triton (torch.compile's compiler) each bundle LLVM: impls/startup.py loads Triton's
# library before TensorFlow's, whatever is imported first; this order keeps it the natural one. numba's
# LLVM (llvmlite) loads after both without trouble (checked with both before it).
LOAD_ORDER = ["torch", "jax", "tensorflow", "numpy", "numba"]


def load(names):
    """Import the frameworks named, in an order that is safe in one process."""
    for name in sorted(set(names), key=LOAD_ORDER.index):
        FRAMEWORKS[name].load()


def machine_description(framework_names=()):
    """What a timing was measured on: the CPU, each framework's GPUs and versions, Python."""
    import platform

    try:  # before platform.processor(), which on Linux starts `uname -p`
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or platform.machine()
    described = {"cpu": f"{cpu}, {os.cpu_count()} cores", "python": platform.python_version()}
    for name in dict.fromkeys(["numpy", *framework_names]):
        framework = FRAMEWORKS[name]
        described[name] = framework.version()
        if name != "numpy":
            described[f"{name}_gpus"] = framework.gpus()
    return described
