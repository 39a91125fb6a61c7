"""Keras on another backend: a lesson that trains in a process of its own, driven from this one.

Keras 3 reads KERAS_BACKEND once, at its first import, and this process's Keras is on TensorFlow (the
other Keras lessons). So keras_fit_jax and keras_fit_torch run the way InBackendProcess says: their
Trainer is built in a backend process, one per backend, started at its first use with KERAS_BACKEND
set and kept for the session, and RemoteTrainer here stands in for it — the same Trainer contract,
each call one message each way over a pipe (multiprocessing's Connection: pickled objects, the data
included). train(log=...) runs there, logging every update, and the log is replayed here. The timed
train() includes one round trip, tens of µs here (tests/test_keras_backends.py measures it), against
a call of many milliseconds.

The child is `python -m fitways.keras_process` with KERAS_BACKEND set; it imports Keras before any
lesson does, dies with its launcher (fitways.processes) and ends when its stdin closes.
"""

import atexit
import functools
import inspect
import os
import subprocess
import sys
from multiprocessing.connection import Connection

import numpy as np

from fitways.processes import ChildError, die_with_parent, kill, private_file, spawn, stderr_tail

REPLY_SECONDS = 600  # a request that is not training (build: the backend's first import and tracing)
SECONDS_PER_UPDATE = 0.1  # generous: the slowest Keras backend update measured here is ~2 ms


class BackendError(ChildError):
    """The backend process failed; the message is one line, then its stderr."""


class BackendProcess:
    """One child process on one Keras backend, serving any number of trainers."""

    _started: dict[str, "BackendProcess"] = {}  # backend -> BackendProcess, for the session

    @classmethod
    def of(cls, backend):
        process = cls._started.get(backend)
        if process is None or process.process.poll() is not None:
            process = cls._started[backend] = cls(backend)
        return process

    def __init__(self, backend, argv=(sys.executable, "-m", "fitways.keras_process")):
        """argv: what the child runs (the tests start a stand-in that never answers)."""
        self.backend = backend
        # its stderr, in a file with no name (unlinked at creation): nothing is left behind, even when
        # this process is killed outright
        self.log = private_file()  # closed in close()
        self.process = spawn(argv, self.log, stdin=subprocess.PIPE, stdout=subprocess.PIPE, KERAS_BACKEND=backend)
        # the pipes as Connections (pickled messages, each with its length), which own their descriptors
        self.requests = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.replies = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        atexit.register(self.close)

    def call(self, seconds=REPLY_SECONDS, **request):
        """One request, one reply; a child that does not answer within `seconds` (hung, stopped) is
        killed and the call fails (its trainer's row says FAILED, the others and the JSON go on)."""
        try:
            self.requests.send(request)
            if not self.replies.poll(seconds):
                kill(self.process)
                raise BackendError(
                    f"the Keras {self.backend} process did not answer {request['op']!r} within {seconds:.0f} s "
                    "(hung or stopped), so it was ended" + self.stderr()
                )
            reply = self.replies.recv()
        except (BrokenPipeError, EOFError):
            raise BackendError(
                f"the Keras {self.backend} process ended (exit {self.process.wait()})" + self.stderr()
            ) from None
        if "error" in reply:
            raise BackendError(f"Keras on {self.backend}: {reply['error']}" + self.stderr())
        return reply["result"]

    def stderr(self):
        return stderr_tail(self.log, "its")

    def close(self):
        kill(self.process)
        for stream in (self.requests, self.replies, self.log):
            stream.close()


def train_seconds(config):
    """How long a train() request may take before its child counts as hung: sized from the work."""
    return REPLY_SECONDS + config.updates * SECONDS_PER_UPDATE


def host(value):
    """A value as the lessons return it, off the device: a float for a scalar, else a float32 array."""
    if value is None:
        return None
    return float(value) if np.ndim(value) == 0 else np.asarray(value, np.float32)


class RemoteParameter:
    """Stands for a parameter that lives in the backend process: the harness reads only its placement."""

    def __init__(self, trainer, name):
        self.trainer, self.name = trainer, name

    def placed_on(self):
        return self.trainer.call("placement", name=self.name)


class RemoteTrainer:
    """The lesson's Trainer, built and run in its backend process (the Trainer contract, fitways.contract)."""

    def __init__(self, backend, cls, config, data, framework, device):
        self.config, self.backend = config, BackendProcess.of(backend)
        # the class, config and data by pickle: the lesson's module is imported there, on its backend
        self.id = self.backend.call(op="build", trainer=cls, config=config, data=data, framework=framework.name,
                                    device=device)  # fmt: skip
        for name in list(inspect.signature(cls.reset).parameters)[1:]:  # the parameters, by the lesson's names
            setattr(self, name, RemoteParameter(self, name))

    def call(self, op, seconds=REPLY_SECONDS, **arguments):
        return self.backend.call(seconds, op=op, id=self.id, **arguments)

    def reset(self, *parameters):
        self.call("reset", parameters=[host(value) for value in parameters])

    def loss_and_gradient(self, x, y):
        return self.call("loss_and_gradient", x=np.asarray(x, np.float32), y=np.asarray(y, np.float32))

    def train(self, log=None):
        final, rows = self.call("train", train_seconds(self.config), keep_log=log is not None)
        for row in rows:
            log(*row)
        return final


def _serve(launcher):
    """The backend process: Keras first (KERAS_BACKEND is set), then one reply per request."""
    die_with_parent(launcher)
    requests, replies = Connection(0, writable=False), Connection(os.dup(1), readable=False)  # the pipes
    os.dup2(2, 1)  # anything else printed goes to stderr
    import keras  # on the backend KERAS_BACKEND names, before any lesson imports it

    from fitways.frameworks import FRAMEWORKS

    built = []  # (trainer, framework, device scope)
    while True:
        try:
            request = requests.recv()
        except EOFError:  # the launcher closed the pipe: done
            return
        op = request.pop("op")
        try:
            if op == "build":
                framework = FRAMEWORKS[request["framework"]]
                scope = functools.partial(framework.device_scope, request["device"])
                with scope():
                    trainer = request["trainer"](request["config"], request["data"])
                built.append((trainer, framework, scope))
                result = len(built) - 1
            elif op == "ping":
                result = keras.backend.backend()
            else:
                trainer, framework, scope = built[request["id"]]
                with scope():
                    result = _run(op, trainer, framework, request)
            reply: dict = {"result": result}
        except Exception as error:  # reported to the launcher, which raises it there
            reply = {"error": f"{type(error).__name__}: {error}"}
        replies.send(reply)


def _run(op, trainer, framework, request):
    if op == "reset":
        trainer.reset(*request["parameters"])
        return None
    if op == "loss_and_gradient":
        import keras

        x, y = (framework.to_tensor(request[k]) for k in ("x", "y"))
        # convert_to_numpy: off the device, and out of autograd's graph (a PyTorch loss requires grad)
        return tuple(host(keras.ops.convert_to_numpy(value)) for value in trainer.loss_and_gradient(x, y))
    if op == "train":
        rows = []

        def log(update, loss, *parameters):
            rows.append((update, host(loss), *map(host, parameters)))

        final = trainer.train(log=log if request["keep_log"] else None)
        return tuple(map(host, final)), rows
    if op == "placement":
        return framework.placement(getattr(trainer, request["name"]))
    raise ValueError(f"no such request: {op}")


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
