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

TRAINERS maps each name to where its class lives; trainer_class() imports it on demand, so
validating a config never waits for TensorFlow.
"""

import importlib

TRAINERS = {
    "gradient_tape": "impls.gradient_tape:GradientTapeTrainer",
    "tf_function": "impls.tf_function:TFFunctionTrainer",
    "keras_fit": "impls.keras_fit:KerasFitTrainer",
    "numpy_manual": "impls.numpy_manual:NumpyManualTrainer",
    "tf_graph_loop": "impls.tf_graph_loop:GraphLoopTrainer",
    "tf_xla": "impls.tf_xla:XLATrainer",
    "keras_fit_tuned": "impls.keras_fit_tuned:KerasFitTunedTrainer",
}
BASELINE = "gradient_tape"  # speed-ups are quoted relative to the textbook's own loop


def trainer_class(name):
    module, cls = TRAINERS[name].split(":")
    return getattr(importlib.import_module(module), cls)
