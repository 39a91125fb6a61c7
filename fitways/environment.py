"""The environment variables the frameworks read that can break a run, checked before training.

Each would otherwise stop a run midway with a traceback, or with nothing at all:

    TMPDIR, TEMP, TMP      torch.compile and the multi-worker run write there; none writable, no run
    TORCH_COMPILE_DISABLE  =1 turns torch.compile into a no-op, which torch_compile's fullgraph refuses
    TF_CONFIG              read as JSON by every tf.distribute strategy
    TF_XLA_FLAGS, XLA_FLAGS  parsed by TensorFlow's (and JAX's) C++ at start-up, which exits on a flag it
                           does not know after printing one line: tried first in a child process, whose
                           line is shown (in the run itself the quiet import would hide it)
    JAX_PLATFORMS          the backends JAX may start; one it cannot start, or no CPU for a CPU run
    KERAS_BACKEND          Keras 3 refuses a name it does not know at its import

check_variables() checks TF_CONFIG, the flags and the backend and platform names, for every installed
framework that reads them, before any command does its work (fitways.signals.run_command). check(problem, names,
device, config) checks what depends on the run: the temporary directory, TF_CONFIG for a TensorFlow
run (also when main() is called directly), the compiler switches, Keras's float type, whether JAX can
start its platforms on that device, and the memory the run needs against what the machine has
available. Each raises UsageError (one line naming the variable, exit 2) for the first problem.
"""

import functools
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import impls
from fitways.cli import UsageError
from fitways.frameworks import FRAMEWORKS

# What a child process runs to see whether the flags let the framework start its devices.
START_UP = {
    "tensorflow": "import tensorflow as tf; tf.config.list_physical_devices()",
    "jax": "import jax; jax.devices()",
}
FLAGS = {"TF_XLA_FLAGS": ("tensorflow",), "XLA_FLAGS": ("tensorflow", "jax")}  # who parses each
START_UP_TIMEOUT = 120  # seconds; TensorFlow's import takes a few
# Peak memory a run needs per sample: the data is float32 (8 bytes a sample) but is made in float64,
# and the closed-form fit works in float64 too. Measured, numpy_manual alone at --samples 50000000:
# 2.8 GB peak resident (/usr/bin/time -v python compare.py --impl numpy_manual --samples 50000000
# --updates 10 --repeat 1); each further framework holds its own float32 copy of x and y.
BYTES_PER_SAMPLE = 56
FRAMEWORK_BYTES_PER_SAMPLE = 10


# What a run keeps beyond its data, measured on a network of 196,609 parameters: the trajectory,
# 4.6 GB at 1,000 updates (~24 bytes per parameter per update: the float32 log,
# its float64 copy and the reference's); the float64 replay of one update, 4.2 GB at batch 2048 (~11
# bytes per sample per parameter: four batch × H float64 arrays, H ≈ parameters / 3).
TRAJECTORY_BYTES = 24
REPLAY_BYTES = 11


def check(problem, names, device, config):
    """UsageError for the first environment variable that would break the runs of `problem`'s trainers
    `names` on `device`, or for a run the available memory cannot hold."""
    frameworks = {problem.trainers[name].framework for name in names}
    check_memory(problem, config, len(names), len(frameworks - {"numpy"}))
    check_temporary_directory()
    check_compilers(problem, names)
    check_keras_precision(names)
    if "tensorflow" in frameworks:
        check_tf_config()
    if "jax" in frameworks:
        check_jax_platforms(device)


JAX_PLATFORM_NAMES = {"cpu", "gpu", "cuda", "rocm", "tpu", "metal", "METAL", "iree", "interpreter"}
KERAS_BACKENDS = ("tensorflow", "jax", "torch", "numpy", "openvino")  # what Keras 3's import accepts


# What is measured is what is labelled: a variable that switches a compiler off would leave its lessons
# running uncompiled under the compiled way's name. Each: (who reads it, what it switches off, which
# trainers need that compiler).
COMPILER_SWITCHES = {
    "NUMBA_DISABLE_JIT": ("numba's JIT", lambda name, entry: entry.framework == "numba"),
    "JAX_DISABLE_JIT": ("jax.jit", lambda name, entry: entry.framework == "jax"),
    "TORCH_COMPILE_DISABLE": ("torch.compile", lambda name, entry: name == "torch_compile"),
    "TORCHDYNAMO_DISABLE": ("torch.compile", lambda name, entry: name == "torch_compile"),
}
TRUE = {"1", "true", "yes", "on", "t", "y"}  # how numba, JAX and PyTorch read a switch (numba: any non-zero int)


def switched_on(value):
    value = (value or "").strip().lower()
    return value in TRUE or (value.lstrip("+-").isdigit() and int(value) != 0)


def check_compilers(problem, names):
    """UsageError when a variable that switches a compiler off is set and a trainer that needs it runs."""
    for variable, (compiler, needs) in COMPILER_SWITCHES.items():
        value = os.environ.get(variable)
        if not switched_on(value):
            continue
        affected = [name for name in names if needs(name, problem.trainers[name])]
        if affected:
            raise UsageError(
                f"{variable}={value} turns {compiler} off, and {', '.join(affected)} would run uncompiled under "
                f"the compiled way's name: unset it, or leave {'them' if len(affected) > 1 else 'it'} out (--impl ...)"
            )


def check_keras_precision(names):
    """UsageError when a Keras configuration sets floatx other than float32 and a Keras lesson runs: the
    lessons train in float32, and Keras would build its weights in the configured type."""
    if not any(name.startswith("keras_fit") for name in names):
        return
    # where Keras 3 reads its configuration: $KERAS_HOME/keras.json, else ~/.keras/keras.json
    path = os.path.join(os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"), "keras.json")
    try:
        with open(path) as file:
            floatx = json.load(file).get("floatx", "float32")
    except (OSError, ValueError, AttributeError):
        return  # no file, or one Keras itself will complain about
    if floatx != "float32":
        raise UsageError(
            f"{path} sets floatx to {floatx}, and the Keras lessons train in float32: set it to float32, "
            "or point KERAS_HOME at another directory"
        )


def check_variables():
    """UsageError for the first variable that is set and that an installed framework refuses at start-up,
    whatever the command will run: a command that would load the framework later fails now, in one line.
    Costs a child process per flag variable set (cached)."""
    check_tf_config()
    for variable, readers in FLAGS.items():
        for framework in readers:
            if os.environ.get(variable) and importlib.util.find_spec(framework) is not None:
                check_start_up(variable, os.environ[variable], framework)
    backend = impls.USER_KERAS_BACKEND  # what the user set: impls/startup.py sets tensorflow for the lessons
    if backend and backend not in KERAS_BACKENDS and importlib.util.find_spec("keras") is not None:
        raise UsageError(f"KERAS_BACKEND={backend}: Keras has no such backend (it knows {', '.join(KERAS_BACKENDS)})")
    text = os.environ.get("JAX_PLATFORMS", "")
    unknown = [name for name in text.split(",") if name.strip() and name.strip() not in JAX_PLATFORM_NAMES]
    if unknown and importlib.util.find_spec("jax") is not None:  # (which of the known ones start: check_jax_platforms)
        raise UsageError(f"JAX_PLATFORMS={text}: JAX has no platform {unknown[0].strip()!r} (it knows cpu, gpu, tpu)")


def available_bytes():
    """MemAvailable from /proc/meminfo (what can be used without swapping); None where unknown."""
    try:
        with open("/proc/meminfo") as info:
            return next(int(line.split()[1]) * 1024 for line in info if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return None


def check_memory(problem, config, trainers, frameworks):
    """UsageError when the available memory cannot hold the data of --samples (a copy for each of
    `frameworks` besides numpy's), or the trajectories of `trainers` and the float64 replay of one update."""
    available = available_bytes()
    if available is None:
        return
    needed = config.samples * (BYTES_PER_SAMPLE + frameworks * FRAMEWORK_BYTES_PER_SAMPLE)
    if needed > available:
        raise UsageError(
            f"--samples {config.samples} needs about {needed / 1e9:.1f} GB of memory, and {available / 1e9:.1f} GB is "
            "available here: use fewer samples"
        )
    trajectory, replay = run_bytes(problem, config, trainers)
    if trajectory + replay > available:
        raise UsageError(
            f"{config.updates} updates of {trainers} trainer(s) keep about {trajectory / 1e9:.1f} GB of trajectory and "
            f"the float64 replay of one batch needs about {replay / 1e9:.1f} GB; {available / 1e9:.1f} GB is available "
            "here: use fewer --updates, a smaller --batch-size or fewer parameters"
        )


def run_bytes(problem, config, trainers):
    """(bytes of the trajectories, bytes of the float64 replay of one update) a run of `trainers` needs."""
    parameters = sum(int(np.size(value)) for value in problem.start(config).values())
    trajectory = config.updates * parameters * (TRAJECTORY_BYTES + 4 * max(trainers - 1, 0))
    return trajectory, config.batch_size * parameters * REPLAY_BYTES


def check_temporary_directory():
    try:
        with tempfile.TemporaryFile():
            pass
    except OSError as error:
        raise UsageError(
            f"no writable temporary directory ({error.strerror or error}): TMPDIR, TEMP, TMP, /tmp, /var/tmp, "
            "/usr/tmp and the working directory were tried; set TMPDIR to a writable directory"
        ) from None


def check_tf_config():
    text = os.environ.get("TF_CONFIG")
    if text is None:
        return
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise UsageError(f"TF_CONFIG is not JSON ({error}): tf.distribute reads it; unset it or fix it") from None
    if not isinstance(parsed, dict):
        raise UsageError(f"TF_CONFIG must be a JSON object, got {text!r}: tf.distribute reads it; unset it or fix it")


@functools.cache
def check_start_up(variable, value, framework):
    """Start the framework in a child with the flags; its last line if it refuses them."""
    try:
        child = subprocess.run(
            [sys.executable, "-c", START_UP[framework]],
            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=START_UP_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return  # slow, not refused: the run itself will tell
    if child.returncode != 0:
        lines = [line for line in child.stderr.splitlines() if variable in line] or child.stderr.splitlines()[-1:]
        said = lines[-1].split("] ", 1)[-1].strip() if lines else f"exit status {child.returncode}"
        raise UsageError(f"{variable}={value}: {framework} will not start with it ({said})")


def check_jax_platforms(device):
    text = os.environ.get("JAX_PLATFORMS")
    if not text:
        return
    platforms = [platform.strip() for platform in text.split(",") if platform.strip()]
    if device in ("cpu", "all") and "cpu" not in platforms:
        raise UsageError(
            f"JAX_PLATFORMS={text} leaves JAX no CPU, and its trainers run on the CPU (--device {device}): "
            "add cpu to it, or unset it"
        )
    jax = FRAMEWORKS["jax"].load()
    try:
        jax.devices()
    except RuntimeError as error:
        raise UsageError(f"JAX_PLATFORMS={text}: JAX cannot start it ({str(error).splitlines()[0]})") from None
