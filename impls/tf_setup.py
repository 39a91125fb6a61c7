"""TensorFlow and Keras imported once, quietly, with the device plumbing and losses every TF trainer shares."""

import contextlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before the import: keeps C++ start-up noise off the screen
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@contextlib.contextmanager
def quiet_stderr():
    """Silence file descriptor 2 for a moment: TensorFlow's C++ logs lines before TF_CPP_MIN_LOG_LEVEL
    takes effect. FITWAYS_TF_VERBOSE=1 shows them. Python exceptions still propagate normally."""
    if os.environ.get("FITWAYS_TF_VERBOSE") == "1":
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


with quiet_stderr():
    import keras  # trainers import keras from here, after the environment above is set
    import tensorflow as tf

    GPUS = tf.config.list_physical_devices("GPU")  # probes CUDA once, which logs when there is none

# Op determinism stays off: on the CPU these ops already give the same bits run after run
# (tests/test_reliability.py checks it), and turning it on makes Keras refuse jit_compile.


def gpus_visible():
    return bool(GPUS)


def tf_device_name(device):
    """ "cpu" and "gpu" mean the first device of that kind; a full name such as "/CPU:1" passes through."""
    return {"cpu": "/CPU:0", "gpu": "/GPU:0"}.get(device, device)


def short_device_name(full_name):
    """ "/job:localhost/replica:0/task:0/device:CPU:0" -> "CPU:0"."""
    return full_name.rsplit("device:", 1)[-1]


def sync(tensor):
    """Copy to the host; GPU work is asynchronous, so a clock may stop only after this."""
    return tensor.numpy()


def loss_fn(config):
    """The configured loss of a prediction, in TensorFlow ops: autodiff differentiates whatever this is."""
    if config.loss == "mse":
        return lambda pred, y: tf.reduce_mean(tf.square(pred - y))
    delta = config.huber_delta

    def huber(pred, y):
        residual = tf.abs(pred - y)
        return tf.reduce_mean(tf.where(residual <= delta, 0.5 * residual**2, delta * (residual - 0.5 * delta)))

    return huber


def machine_description():
    """What a timing was measured on: the CPU, the GPUs TensorFlow sees and the library versions."""
    import platform

    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "gpus": [gpu.name for gpu in GPUS],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }
