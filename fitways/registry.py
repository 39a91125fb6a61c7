"""A trainer's lesson, loaded: its framework first (quietly, for TensorFlow), then its Trainer.

The trainers themselves are listed per problem, in each problem folder's problem.py (fitways.problem.Entry).
Nothing is imported until a lesson is loaded, so --help and argument checks never wait for a framework.
"""

import importlib
from typing import TYPE_CHECKING

from fitways.frameworks import FRAMEWORKS, Framework

if TYPE_CHECKING:  # annotations only: the problem base imports the execution objects, which import this
    from fitways.problem import Entry

BASELINE = "gradient_tape"  # speed-ups are quoted relative to the textbook's own loop unless asked otherwise


def framework_of(entry: "Entry") -> Framework:
    return FRAMEWORKS[entry.framework]


def trainer_class(entry: "Entry") -> type:
    """The lesson's Trainer, its framework imported first (quietly, for TensorFlow)."""
    framework_of(entry).load()
    return importlib.import_module(entry.module).Trainer
