"""What a problem folder gives the harness: a Problem (this base class, filled in), and its trainer table.

A problem is a folder of lessons with a problem.py beside them (impls/problem.py for the line's lessons,
impls/<name>/problem.py for every further one) that exports

    PROBLEM     an instance of a Problem subclass: parameters by name, data, float64 forward and loss,
                reference, log line; PROBLEM.trainers is the table below
    TRAINERS    {trainer name: Entry}, made by lessons(__package__, {name: (framework, summary[, way])})

fitways.problems finds them; README.md's "Add a problem" gives the recipe. This module imports
nothing heavier than numpy, so that a problem.py which the lessons import stays quick to import.
"""

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

from fitways.checks import LOSS_TOLERANCE, MAX_UPDATES, TOLERANCE, distance, tolerance
from fitways.execution import IN_PROCESS, MIRRORED, TWO_WORKERS, Execution, InBackendProcess, Workers

__all__ = [
    "LOSS_TOLERANCE", "MAX_UPDATES", "TOLERANCE", "distance", "tolerance",  # limits and what converged_means may quote
    "IN_PROCESS", "MIRRORED", "TWO_WORKERS", "Workers", "InBackendProcess",  # the ways to run, for a table's rows
    "Entry", "Problem", "Reference", "flag", "lessons", "LOSSES", "loss_of_residual",
]  # fmt: skip

Params = dict[str, Any]  # float64 parameters by name: numpy arrays, or numpy scalars


@dataclasses.dataclass(frozen=True)
class Reference:
    """What a run is judged against. parameters: the float64 answer by name, or None where the data
    supports no single answer (one distinct x: every line through its mean fits); loss: that answer's
    loss on the trained samples; ceiling: a loss a converged run must also be under (None: no such rule)."""

    parameters: Params | None
    loss: float
    ceiling: float | None = None
    label: str = "fit"  # the table's "|Δ fit|" header (the JSON says distance_to_reference)
    baseline_loss: float | None = None  # the loss the ceiling is derived from, where it is derived from one


class Entry(NamedTuple):
    """One trainer of a problem: where its Trainer lives, which framework it needs, how it runs."""

    framework: str  # a key of fitways.frameworks.FRAMEWORKS
    summary: str
    module: str  # where its Trainer is
    way: Execution = IN_PROCESS  # how it runs, from fitways.execution


def lessons(package: str, table: dict[str, tuple]) -> dict[str, Entry]:
    """{name: Entry} for the lessons in `package` (one file each, named after the trainer), from
    {name: (framework, summary[, way])}."""
    return {name: Entry(row[0], row[1], f"{package}.{name}", *row[2:]) for name, row in table.items()}


class Problem:
    """The interface the harness uses. Subclasses fill in the members marked "required"; `parameters`
    names them in the order every lesson's reset, loss_and_gradient, log and train use."""

    name: str = ""  # required: --problem NAME
    summary: str = ""  # required: one line for --problem's help
    Config: type = object  # required: the frozen dataclass of the setup (a subclass of impls.problem.Schedule)
    trainers: dict[str, Entry] = {}  # required: the trainer table
    parameters: tuple[str, ...] = ()  # required: names, in the lessons' order
    shown: tuple[str, ...] = ()  # parameters the table shows as columns (scalars print as numbers)
    equivalence: tuple[float, float] = (1e-5, 1e-6)  # (rtol, atol): how far a trainer may drift from numpy_manual

    def make_data(self, config) -> Any:
        """Required: the seeded data, an object with float32 arrays x (samples, ...) and y (samples,)."""
        raise NotImplementedError

    def initial_parameters(self, config) -> tuple:
        """Required: the seeded start, in `parameters` order, as the lessons take it."""
        raise NotImplementedError

    def predict(self, config, params: Params, x: np.ndarray) -> np.ndarray:
        """Required: ŷ for float64 params (a dict by name) on float64 x."""
        raise NotImplementedError

    def reference(self, config, data) -> Reference:
        """Required: the float64 answer the runs are judged against."""
        raise NotImplementedError

    def textbook_log(self, config, every: int = 15, out: Callable[[str], Any] = print) -> Callable:
        """Required: a log(update, loss, *parameters) printing one line every `every` updates."""
        raise NotImplementedError

    def truth(self, config) -> Params | None:
        """The parameters the data came from, by name, where there are some (a "|Δ true|" column); None."""
        return None

    def truth_label(self, config) -> str:
        """The legend's name for the curve truth() draws."""
        return "the truth"

    def describe(self, config, reference: Reference) -> list[tuple[str, str]]:
        """(label, text) lines for the table's footer: what was fit, against what."""
        return []

    def converged_means(self, config, reference: Reference) -> str:
        return f"every parameter within {TOLERANCE} of the {reference.label}"

    def success(self, config, reference: Reference) -> str:
        """What the verdict line says when every run converged."""
        return "every trainer next to the reference"

    def setup_line(self, config) -> str:
        return (
            f"{config.samples} samples, batch {config.batch_size}, lr {config.lr:g}, {config.updates} updates, "
            f"loss {config.loss}, seed {config.seed}"
        )

    # what follows is the same for every problem

    def shapes(self, config) -> dict[str, tuple]:
        return {name: np.shape(value) for name, value in zip(self.parameters, self.initial_parameters(config))}

    def named(self, config, values: Iterable) -> Params:
        """values in `parameters` order (tensors, arrays, floats) as float64 arrays by name."""
        shapes = self.shapes(config)
        return {name: np.asarray(value, np.float64).reshape(shapes[name]) for name, value in zip(self.parameters, values)}

    def start(self, config) -> Params:
        return self.named(config, self.initial_parameters(config))

    def trained(self, config, data) -> tuple[np.ndarray, np.ndarray]:
        """The samples a run of config.updates updates trains on: (x, y) as float64."""
        n = config.trained_samples
        return data.x[:n].astype(np.float64), data.y[:n].astype(np.float64)

    def loss(self, config, params: Params, x: np.ndarray, y: np.ndarray) -> float:
        """The configured loss of params on (x, y), in float64."""
        return loss_of_residual(config, self.predict(config, params, x) - y)

    def scale(self, config) -> float:
        """How large a sane parameter or |y| can be: divergence is a million times this."""
        return 1 + 5 + config.noise


def flag(field: str) -> str:
    """The command-line flag for a config field: batch_size -> --batch-size."""
    return "--" + field.replace("_", "-")


LOSSES = ("mse", "huber")  # what loss_of_residual computes, and --loss offers


def loss_of_residual(config, residual: np.ndarray) -> float:
    """Mean squared error, or Huber with δ = config.huber_delta, of float64 residuals."""
    if config.loss == "mse":
        return float(np.mean(residual**2))
    delta, size = config.huber_delta, np.abs(residual)
    return float(np.mean(np.where(size <= delta, 0.5 * size**2, delta * (size - 0.5 * delta))))
