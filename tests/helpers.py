"""What the tests share (a plain module: pytest never loads it as a conftest)."""

import functools
import importlib.util
import json

import pytest

from fitways.problems import PROBLEMS
from fitways.registry import framework_of
from fitways.runner import Runner

LINE, MLP = PROBLEMS["line"], PROBLEMS["mlp"]


def installed(problem, in_process=True):
    """The problem's lessons whose framework is installed; with in_process, those that train in this
    process (tf_multiworker's worker processes have tests of their own, in test_distributed.py)."""
    return [
        name
        for name, entry in problem.trainers.items()
        if framework_of(entry).installed() and not (in_process and entry.way.not_here())
    ]


INSTALLED = installed(LINE)
EVERY_INSTALLED = installed(LINE, in_process=False)  # what compare.py runs
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
