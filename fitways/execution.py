"""How a lesson runs: in this process on one device, mirrored over replicas, or in worker processes.

One small object per way, on each row of a trainer table (fitways.problem.Entry.way); callers ask it what they need —
how many replicas, whether a GPU run or a batch size can work, how to build the trainer — and never
test which way it is.
"""

import contextlib
import functools
from collections.abc import Callable
from typing import Any

from fitways.remote import RemoteTrainer, on_workers, started

DEFAULT_CPU_REPLICAS = 2  # logical CPUs a data-parallel run splits the CPU into when not told otherwise


class Execution:
    """A way to run a trainer: the few questions callers ask it. Subclasses answer them."""

    arguments: tuple[str, ...] = ("config", "data")  # what the lesson's Trainer(...) takes
    split_across = ""  # what each batch is split across ("replicas", "workers"); "": not split
    elsewhere = ""  # where it trains when not in this process, which TensorFlow's profiler cannot see

    def replicas_problem(self, count: int) -> str | None:
        """Why --replicas `count` means nothing to it, or None."""
        return "it trains on one device"

    def replicas(self, framework, device, asked=None) -> int:
        return 1

    def gpu_problem(self, framework) -> str | None:
        """Why it cannot run on a GPU here, or None."""
        return None

    def batch_problem(self, config, count: int) -> str | None:
        """Why config.batch_size cannot work with `count` replicas, or None."""
        if self.split_across and config.batch_size % count:
            return f"--batch-size {config.batch_size} does not split evenly across {count} {self.split_across}"
        return None

    def device_problem(self, framework, device: str, count: int) -> str | None:
        return None

    def build(self, cls: type, config, data, framework, device: str, replicas: int) -> tuple[Any, Callable]:
        """(trainer, scope): the lesson's Trainer made on the device, and the scope to call it in."""
        raise NotImplementedError


class InProcess(Execution):
    """On one device, in this process: built and called inside the framework's device scope."""

    def gpu_problem(self, framework):
        if framework.cpu_only:
            return f"{framework.label} runs on the CPU only"
        return None if framework.gpus() else f"{framework.label} sees no GPU"

    def build(self, cls, config, data, framework, device, replicas):
        scope = functools.partial(framework.device_scope, device)
        with scope():  # parameters and data are created on the device
            return cls(config, data), scope


class Mirrored(InProcess):
    """Data-parallel in this process: a tf.distribute strategy over `replicas` devices of one kind."""

    arguments = ("config", "data", "devices")  # devices: one replica on each
    split_across = "replicas"

    def replicas_problem(self, count):
        return None

    def replicas(self, framework, device, asked=None):
        return asked or (len(framework.gpus()) if device == "gpu" else DEFAULT_CPU_REPLICAS)

    def device_problem(self, framework, device, count):
        """On the CPU this splits TensorFlow's CPU into `count` logical devices, which must happen
        before TensorFlow starts its runtime."""
        available = len(framework.gpus()) if device == "gpu" else framework.logical_cpus(count)
        return f"--replicas {count}: at most {available} on {device} here" if count > available else None

    def build(self, cls, config, data, framework, device, replicas):
        devices = framework.replica_devices(device, replicas)
        return cls(config, data, devices=devices), contextlib.nullcontext  # the strategy places everything


class Workers(Execution):
    """In a cluster of `count` worker processes, shared by every trainer of the session (fitways.remote.on_workers)."""

    split_across = "workers"
    elsewhere = "it trains in worker processes"

    def __init__(self, count):
        self.count = count

    def replicas_problem(self, count):
        return f"it trains in {self.count} worker processes"

    def replicas(self, framework, device, asked=None):
        return self.count

    def gpu_problem(self, framework):
        return "its worker processes train on their CPUs"

    def build(self, cls, config, data, framework, device, replicas):
        return on_workers(cls, config, data, self.count), contextlib.nullcontext


class InBackendProcess(InProcess):
    """In a process of its own, with Keras on `backend` (fitways.remote); everything else as InProcess."""

    elsewhere = "it trains in a Keras backend process"

    def __init__(self, backend: str):
        self.backend = backend

    def build(self, cls, config, data, framework, device, replicas):
        process = started(f"Keras on {self.backend}", lambda: [{"KERAS_BACKEND": self.backend}])  # the session's
        trainer = RemoteTrainer(process, cls, config, data, framework.name, device)
        return trainer, contextlib.nullcontext


IN_PROCESS, MIRRORED, TWO_WORKERS = InProcess(), Mirrored(), Workers(2)
