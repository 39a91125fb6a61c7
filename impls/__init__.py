"""The lessons: one file per way to train y = W·x + b, each complete, one screen, runnable alone.

    python -m impls.gradient_tape      # the textbook's run and its ten log lines

problem.py is the problem they all solve (the setup, the data, the textbook's log line),
losses.py the loss they all minimise and startup.py how their frameworks start in one process;
every other file is a lesson. Each lesson defines a Trainer
with the same four members, so that `diff` between two lessons shows exactly the idea that differs:

    Trainer(config, data)        the parameters W and b, and the data cut into batches, in order
    reset(W, b)                  set the parameters
    loss_and_gradient(x, y)      the batch loss and (dL/dW, dL/db) at the current parameters
    train(log=None)              config.updates updates; log(update, loss, W, b) after each, if
                                 given; returns the final (W, b) as Python floats

and those with a Python loop also update(x, y): one SGD update on one batch.

The suite that measures and checks the lessons lives apart, in fitways/.
"""

import os

from impls import startup

# Keras 3 picks its backend from KERAS_BACKEND when it is first imported; these lessons are about
# Keras on TensorFlow, so startup sets it before any lesson imports Keras. fitways tells the user when
# this overrides their own setting (USER_KERAS_BACKEND keeps it).
USER_KERAS_BACKEND = os.environ.get("KERAS_BACKEND")
startup.start()  # the environment, the frameworks' load order, a quiet start for a lesson run alone
