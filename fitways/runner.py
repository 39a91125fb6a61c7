"""One lesson on one device, driven the way the harness needs it.

The lesson knows nothing of devices or logs: the runner builds and calls it the way its trainer
table row says it runs (Entry.way: fitways.execution), times plain train() calls, follows the trajectory through
train(log=...) and reads placement back from where the first parameter actually lives. Parameters
cross this boundary in the problem's order and come back by name (fitways.problem.Problem.named).
"""

import numpy as np

from fitways.checks import divergence_bound, within
from fitways.registry import framework_of, trainer_class
from fitways.trajectory import Trajectory


class _Diverged(Exception):
    """Raised from the log to stop a Python-driven loop at the first diverging update."""


def host(value):
    """A parameter read to the host as it is now: a float for a scalar, else a float64 copy."""
    array = np.asarray(value, np.float64)
    return float(array) if array.ndim == 0 else array.copy()


class Runner:
    def __init__(self, problem, name, config, data, device="cpu", replicas=None):
        """replicas: for a data-parallel lesson, how many devices of the kind to mirror over (--replicas;
        None: its default); other lessons run on one device."""
        entry = problem.trainers[name]
        self.problem, self.name, self.config, self.device = problem, name, config, device
        self.framework = framework_of(entry)
        self.replicas = entry.way.replicas(self.framework, device, replicas)
        self.trainer, self.scope = entry.way.build(
            trainer_class(entry), config, data, self.framework, device, self.replicas
        )

    def reset(self, parameters=None):
        """Back to the problem's start, or to `parameters` (by name)."""
        if parameters is None:
            values = self.problem.initial_parameters(self.config)
        else:  # float32, as the lessons hold them: a Python float for a scalar
            values = [np.asarray(parameters[name], np.float32) for name in self.problem.parameters]
            values = [float(value) if value.ndim == 0 else value for value in values]
        with self.scope():
            self.trainer.reset(*values)

    def train(self):
        """config.updates updates as the lesson runs them, without a log; its parameters, on the host, in the
        problem's order (problem.named gives them names)."""
        with self.scope():
            return self.trainer.train()

    def trajectory(self):
        """The same run through train(log=...): the trajectory, cut at the first diverging update."""
        rows, bound = [], divergence_bound(self.problem, self.config)

        def log(update, loss, *parameters):
            row = (update + 1, None if loss is None else float(loss), [host(value) for value in parameters])
            rows.append(row)
            if not within(bound, row[1], row[2]):
                raise _Diverged

        with self.scope():
            try:
                self.trainer.train(log=log)
            except _Diverged:
                pass
        return Trajectory.from_rows(self.problem, self.config, rows)

    def gradient(self, parameters, x, y):
        """The gradient at `parameters` on the batch (x, y), by name, computed the way the lesson does."""
        self.reset(parameters)
        with self.scope():
            _, *gradient = self.trainer.loss_and_gradient(self.framework.to_tensor(x), self.framework.to_tensor(y))
        return self.problem.named(self.config, gradient)

    def placed_on(self):
        """Where the parameters actually live, e.g. "CPU:0" — the label every result carries."""
        first = getattr(self.trainer, self.problem.parameters[0])
        remote = getattr(first, "placed_on", None)  # a parameter in another process (fitways.remote)
        return remote() if remote else self.framework.placement(first)
