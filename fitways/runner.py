"""One lesson on one device, driven the way the harness needs it.

The lesson knows nothing of devices or records: the runner builds and calls it inside its
framework's device scope, times plain train() calls, records a trajectory through train(log=...)
and reads placement back from where W actually lives.
"""

import contextlib

from fitways.checks import diverging
from fitways.registry import TRAINERS, framework_of, trainer_class
from fitways.trajectory import Trajectory


class _Diverged(Exception):
    """Raised from the log to stop a Python-driven loop at the first diverging update."""


DEFAULT_CPU_REPLICAS = 2  # logical CPUs a data-parallel run splits the CPU into when not told otherwise


def replica_count(name, device, asked=None):
    """How many replicas a run of `name` has: `asked` (--replicas), or every GPU on a GPU run and
    DEFAULT_CPU_REPLICAS on the CPU; a worker run has one per worker, any other run one."""
    from fitways.multiworker import WORKERS

    scale = TRAINERS[name].scale
    if scale == "workers":
        return WORKERS
    if scale == "device":
        return 1
    return asked or (len(framework_of(name).gpus()) if device == "gpu" else DEFAULT_CPU_REPLICAS)


class Runner:
    def __init__(self, name, config, data, device="cpu", replicas=None):
        """replicas: for a data-parallel lesson, how many devices of the kind to mirror over (see
        replica_count); other lessons run on one device."""
        if TRAINERS[name].scale == "workers":
            raise ValueError(f"{name} trains in worker processes: run it with fitways.multiworker")
        self.name, self.config, self.device = name, config, device
        self.framework = framework_of(name)
        cls = trainer_class(name)
        if TRAINERS[name].scale == "replicas":  # the strategy places everything on its devices
            devices = self.framework.replica_devices(device, replica_count(name, device, replicas))
            self.trainer = cls(config, data, devices=devices)
            self.scope = contextlib.nullcontext
        else:
            self.scope = lambda: self.framework.device_scope(device)
            with self.scope():  # parameters and data are created on the device
                self.trainer = cls(config, data)

    def reset(self):
        with self.scope():
            self.trainer.reset(self.config.W0, self.config.b0)

    def train(self):
        """config.updates updates as the lesson runs them, unrecorded; (W, b) once on the host."""
        with self.scope():
            return self.trainer.train()

    def record(self):
        """The same run through train(log=...): the trajectory, cut at the first diverging update."""
        rows = []

        def log(update, loss, W, b):
            row = (update + 1, None if loss is None else float(loss), float(W), float(b))
            rows.append(row)
            if diverging(self.config, *row[1:]):
                raise _Diverged

        with self.scope():
            try:
                self.trainer.train(log=log)
            except _Diverged:
                pass
        return Trajectory.from_rows(self.config, rows)

    def gradient(self, W, b, x, y):
        """(dL/dW, dL/db) at (W, b) on the batch (x, y), computed the way the lesson computes it."""
        with self.scope():
            self.trainer.reset(W, b)
            _, dW, db = self.trainer.loss_and_gradient(self.framework.to_tensor(x), self.framework.to_tensor(y))
            return float(dW), float(db)

    def placed_on(self):
        """Where the parameters actually live, e.g. "CPU:0" — the label every result carries."""
        return self.framework.placement(self.trainer.W)

    def tracing_counts(self):
        """How often each of the lesson's tf.functions has been traced, by method name."""
        counts = {}
        for attribute in dir(type(self.trainer)):
            function = getattr(self.trainer, attribute)
            if hasattr(function, "experimental_get_tracing_count"):
                counts[attribute] = function.experimental_get_tracing_count()
        return counts
