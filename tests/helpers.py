"""What the tests share (a plain module: pytest never loads it as a conftest)."""

import functools
import importlib.util
import json
import os
import selectors
import signal
import subprocess
import sys
import time

import pytest

from fitways.execution import Workers
from fitways.problems import PROBLEMS
from fitways.registry import framework_of
from fitways.runner import Runner

LINE, MLP = PROBLEMS["line"], PROBLEMS["mlp"]


def installed(problem):
    """The problem's lessons whose framework is installed: what compare.py runs."""
    return [name for name, entry in problem.trainers.items() if framework_of(entry).installed()]


INSTALLED = installed(LINE)
ON_A_DEVICE = [name for name in INSTALLED if not isinstance(LINE.trainers[name].way, Workers)]  # not on their CPUs
MLP_INSTALLED = installed(MLP)
REPLICAS = 2  # what the generic tests give a data-parallel trainer
TF_TRAINERS = [name for name in INSTALLED if LINE.trainers[name].framework == "tensorflow"]
HAS_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None
needs_tensorflow = pytest.mark.skipif(not HAS_TENSORFLOW, reason="TensorFlow is not installed")


def problem_of(config):
    """The problem a config belongs to, by its type."""
    return next(problem for problem in PROBLEMS.values() if type(config) is problem.Config)


@functools.cache
def _runner(name, config, device, replicas):
    problem = problem_of(config)
    return Runner(problem, name, config, problem.make_data(config), device, replicas)


def runner(name, config, device="cpu", replicas=REPLICAS):
    """A runner at the initial parameters; construction (and tracing) is shared across tests."""
    built = _runner(name, config, device, replicas)
    built.reset()
    return built


def logged(name, config, device="cpu", replicas=REPLICAS):
    """The trajectory of one logged run from the initial parameters."""
    return runner(name, config, device, replicas).trajectory()


def final(name, config, device="cpu", replicas=REPLICAS):
    """The parameters of one timed (unrecorded) run, by name."""
    return problem_of(config).named(config, runner(name, config, device, replicas).train())


def strict_json(text):
    """json.loads, but NaN and Infinity are errors (json.loads alone accepts them)."""

    def reject(constant):
        raise ValueError(f"non-finite number in JSON: {constant}")

    return json.loads(text, parse_constant=reject)


# A child started from a background job (`pytest &`) inherits an ignored SIGINT, and Python then never
# raises KeyboardInterrupt: this launcher puts SIGINT back to its default, then becomes the command.
SIGINT_RESTORED = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"  # fmt: skip


def interrupted(argv, once, cwd, timeout=60):
    """Run `python argv...`, send it SIGINT (Ctrl-C) once `once` appears on its stderr, and return
    (exit status, stderr). Every wait is bounded by `timeout`; the child is killed and its pipes closed
    whatever happens, so a failure here cannot leak into a later test."""
    with subprocess.Popen(
        [sys.executable, "-c", SIGINT_RESTORED, *argv], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        try:
            err, deadline = b"", time.monotonic() + timeout
            with selectors.DefaultSelector() as selector:
                selector.register(process.stderr, selectors.EVENT_READ)
                while once.encode() not in err and time.monotonic() < deadline:
                    if selector.select(timeout=max(deadline - time.monotonic(), 0)):
                        chunk = os.read(process.stderr.fileno(), 4096)
                        if not chunk:
                            break  # it ended before saying it
                        err += chunk
            process.send_signal(signal.SIGINT)
            _, rest = process.communicate(timeout=timeout)
            return process.returncode, (err + rest).decode(errors="replace")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def tracing_counts(built):
    """How often each of a runner's lesson's tf.functions has been traced, by method name."""
    counts = {}
    for attribute in dir(type(built.trainer)):
        function = getattr(built.trainer, attribute)
        if hasattr(function, "experimental_get_tracing_count"):
            counts[attribute] = function.experimental_get_tracing_count()
    return counts
