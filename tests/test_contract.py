"""Every trainer of every problem found keeps the Trainer contract (fitways.contract): the same members with the
same arguments, parameters in its problem's order — so the harness can drive any of them."""

import inspect

import pytest

from fitways.contract import Trainer
from fitways.problems import PROBLEMS
from fitways.registry import framework_of, trainer_class
from tests.helpers import runner

LESSONS = [
    pytest.param(problem, name, id=f"{problem.name}-{name}")
    for problem in PROBLEMS.values()
    for name, entry in problem.trainers.items()
    if framework_of(entry).installed()
]


def arguments(function):
    return [p.name for p in inspect.signature(function).parameters.values() if p.name != "self"]


@pytest.mark.slow
@pytest.mark.parametrize("problem, name", LESSONS)
def test_the_lesson_keeps_the_trainer_contract(problem, name):
    entry = problem.trainers[name]
    cls = trainer_class(entry)
    assert issubclass(cls, Trainer)
    assert arguments(cls.__init__) == list(entry.way.arguments)
    assert arguments(cls.reset) == list(problem.parameters)
    assert arguments(cls.loss_and_gradient) == ["x", "y"]
    assert arguments(cls.train) == ["log"] and inspect.signature(cls.train).parameters["log"].default is None


@pytest.mark.slow
@pytest.mark.parametrize("problem, name", LESSONS)
def test_a_built_lesson_has_its_first_parameter_and_returns_every_parameter(problem, name):
    config = problem.Config(updates=2)
    built = runner(name, config)
    assert hasattr(built.trainer, problem.parameters[0]) and built.trainer.config is config
    final = built.train()
    assert len(final) == len(problem.parameters)
    assert {n: v.shape for n, v in problem.named(config, final).items()} == problem.shapes(config)
