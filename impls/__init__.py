"""fitways: one linear fit, trained every way that matters.

The architecture in one screen:

    problem.py        Config (the textbook's setup), data, batch schedule, loss, closed-form fit
    trainer.py        the Trainer interface (reset / train / gradient / placed_on) and History
    tf_setup.py       TensorFlow imported quietly; devices; the loss as TF ops
    timing.py         first-call vs steady-state timing, the clock stopped after results reach the host
    gradcheck.py      every trainer's gradient against float64 central finite differences

    numpy_manual.py   plain numpy, gradient derived by hand        } the four equivalent trainers
    gradient_tape.py  eager tf.GradientTape loop (the textbook)    }
    tf_function.py    the same step compiled with tf.function      }
    keras_fit.py      keras.Sequential + model.fit                 }
    tf_graph_loop.py  the whole loop in one tf.function            } the compiled variants:
    tf_xla.py         ... and compiled by XLA                      } how far each approach goes
    keras_fit_tuned.py model.fit with steps_per_execution and XLA  }

TRAINERS maps each name to where its class lives and a one-line summary; trainer_class() imports
the class on demand, so validating a config (or printing --help) never waits for TensorFlow.
"""

import importlib
from typing import NamedTuple


class Entry(NamedTuple):
    path: str  # "module:Class"
    summary: str


TRAINERS = {
    "gradient_tape": Entry(
        "impls.gradient_tape:GradientTapeTrainer", "the textbook's eager loop: GradientTape, assign_sub"
    ),
    "tf_function": Entry("impls.tf_function:TFFunctionTrainer", "the same step compiled with tf.function"),
    "keras_fit": Entry("impls.keras_fit:KerasFitTrainer", "keras.Sequential + model.fit, defaults"),
    "numpy_manual": Entry("impls.numpy_manual:NumpyManualTrainer", "plain numpy, gradient derived by hand"),
    "tf_graph_loop": Entry("impls.tf_graph_loop:GraphLoopTrainer", "the whole loop in one tf.function"),
    "tf_xla": Entry("impls.tf_xla:XLATrainer", "the whole loop compiled by XLA"),
    "keras_fit_tuned": Entry(
        "impls.keras_fit_tuned:KerasFitTunedTrainer", "model.fit, steps_per_execution, XLA, tf.data"
    ),
}
BASELINE = "gradient_tape"  # speed-ups are quoted relative to the textbook's own loop


def trainer_class(name):
    module, cls = TRAINERS[name].path.split(":")
    return getattr(importlib.import_module(module), cls)
