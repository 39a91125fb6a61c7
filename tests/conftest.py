"""Shared fixtures: trainers are built once per (name, config, device) and reset before each use."""

import pytest

from impls import trainer_class
from impls.problem import make_data

_built = {}


def build(name, config, device="cpu"):
    """A trainer at its initial parameters; construction (and tracing) is shared across tests."""
    key = (name, config, device)
    if key not in _built:
        _built[key] = trainer_class(name)(config, make_data(config), device)
    trainer = _built[key]
    trainer.reset()
    return trainer


@pytest.fixture
def train():
    """train(name, config, device="cpu") -> History of one run from the initial parameters."""
    return lambda name, config, device="cpu": build(name, config, device).train()
