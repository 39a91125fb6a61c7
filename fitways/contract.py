"""The Trainer contract, in code: what every lesson's Trainer provides, and all the harness uses.

tests/test_contract.py holds every trainer of every problem found to it. Parameters travel in the problem's order
(fitways.problem.Problem.parameters); the harness never reaches
into a trainer for anything else, except tracing counts in the tests.
"""

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

Log = Callable[..., Any]  # log(update: int, loss, *parameters): the loss and parameters as the framework holds them


@runtime_checkable
class Trainer(Protocol):
    def __init__(self, config: Any, data: Any) -> None:
        """Keeps config (the problem's Config) as self.config; makes the parameters at the problem's
        start, and the data cut into batches, in order. A
        data-parallel lesson (fitways.execution.Mirrored) also takes devices=[...]: one replica on each."""

    def reset(self, *parameters: Any) -> None:
        """Set the parameters, given in the problem's order."""

    def loss_and_gradient(self, x: Any, y: Any) -> tuple[Any, ...]:
        """(batch loss, gradient of each parameter in the problem's order) at the current parameters."""

    def train(self, log: Log | None = None) -> tuple[Any, ...]:
        """config.updates updates; log(update, loss, *parameters) after each one it sees, if given;
        returns the parameters, on the host, in the problem's order. The trainer also has an
        attribute named after the problem's first parameter, where the harness reads placement from."""
