"""What the tests share (a plain module: pytest never loads it as a conftest)."""

import functools
import importlib.util
import json

import pytest

from fitways.registry import TRAINERS, framework_of
from fitways.runner import Runner
from impls.problem import make_data

INSTALLED = [name for name in TRAINERS if framework_of(name).installed()]
TF_TRAINERS = [name for name in INSTALLED if framework_of(name).name == "tensorflow"]
HAS_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None
needs_tensorflow = pytest.mark.skipif(not HAS_TENSORFLOW, reason="TensorFlow is not installed")


@functools.cache
def _runner(name, config, device):
    return Runner(name, config, make_data(config), device)


def runner(name, config, device="cpu"):
    """A runner at the initial parameters; construction (and tracing) is shared across tests."""
    built = _runner(name, config, device)
    built.reset()
    return built


def record(name, config, device="cpu"):
    """The trajectory of one recorded run from the initial parameters."""
    return runner(name, config, device).record()


def strict_json(text):
    """json.loads, but NaN and Infinity are errors (json.loads alone accepts them)."""

    def reject(constant):
        raise ValueError(f"non-finite number in JSON: {constant}")

    return json.loads(text, parse_constant=reject)
