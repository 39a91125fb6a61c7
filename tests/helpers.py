"""What the tests share (a plain module: pytest never loads it as a conftest)."""

import functools
import importlib.util
import json

import pytest

from fitways.registry import TRAINERS, framework_of
from fitways.runner import Runner
from impls.problem import make_data

# every trainer whose framework is installed and that trains in this process (tf_multiworker's worker
# processes have tests of their own, in test_distributed.py)
INSTALLED = [name for name in TRAINERS if framework_of(name).installed() and TRAINERS[name].scale != "workers"]
EVERY_INSTALLED = [name for name in TRAINERS if framework_of(name).installed()]  # what compare.py runs
REPLICAS = 2  # what the generic tests give a data-parallel trainer
TF_TRAINERS = [name for name in INSTALLED if framework_of(name).name == "tensorflow"]
HAS_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None
needs_tensorflow = pytest.mark.skipif(not HAS_TENSORFLOW, reason="TensorFlow is not installed")


@functools.cache
def _runner(name, config, device, replicas):
    return Runner(name, config, make_data(config), device, replicas)


def runner(name, config, device="cpu", replicas=REPLICAS):
    """A runner at the initial parameters; construction (and tracing) is shared across tests."""
    built = _runner(name, config, device, replicas)
    built.reset()
    return built


def record(name, config, device="cpu", replicas=REPLICAS):
    """The trajectory of one recorded run from the initial parameters."""
    return runner(name, config, device, replicas).record()


def strict_json(text):
    """json.loads, but NaN and Infinity are errors (json.loads alone accepts them)."""

    def reject(constant):
        raise ValueError(f"non-finite number in JSON: {constant}")

    return json.loads(text, parse_constant=reject)
