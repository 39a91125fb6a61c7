"""A lesson that trains in processes of its own, driven from this one: what two ways to run need
(fitways.execution).

- InBackendProcess: Keras 3 reads KERAS_BACKEND once, at its first import, and this process's Keras is
  on TensorFlow (the other Keras lessons). So keras_fit_jax and keras_fit_torch are built in a backend
  process, one per backend, started at its first use with KERAS_BACKEND set and kept for the session.
- Workers: tf_multiworker's strategy spans processes, so its trainers are built in a cluster of worker
  processes on this machine, each with its TF_CONFIG (loopback ports chosen here, and its index),
  started at its first use and kept for the session. A port taken between choosing it and a worker
  binding it is retried with fresh ports.

Either way RemoteTrainer stands in for the lesson's Trainer here: the same contract, each call one
request sent to every process of the group and one reply from the first (multiprocessing's
Connection: pickled objects, the data included). train(log=...) runs there, logging every update, and
the log is replayed here. The timed train() includes one round trip, tens of µs here
(tests/test_keras_backends.py measures it), against a call of many milliseconds.

Each child is `python -m fitways.remote`: it imports nothing slow before it dies with its launcher
(fitways.processes; Ctrl-Z stops it with the launcher too), imports Keras before any lesson does, and
ends when its stdin closes.
"""

import atexit
import contextlib
import functools
import inspect
import json
import os
import socket
import subprocess
import sys
import time
import types
import weakref
from multiprocessing.connection import Connection

# Nothing heavier: a child imports this module before die_with_parent() can run (tests/test_distributed.py)
from fitways.processes import ChildError, die_with_parent, kill, private_file, spawn, stderr_tail, stopped_seconds

CHILD = (sys.executable, "-m", "fitways.remote")  # what each child process runs
REPLY_SECONDS = 600  # a request that is not training (build: the framework's import, tracing, meeting the workers)
SECONDS_PER_UPDATE = 0.1  # generous: the slowest remote update measured here is ~2 ms
POLL_SECONDS = 0.05  # while waiting for a reply, how often to see whether a child has ended
GRACE_SECONDS = 2.0  # once one has ended, how long another may still take to reply or end
PORT_ATTEMPTS = 3
PORT_IN_USE = ("address already in use", "could not start grpc server", "failed to add port")


class RemoteError(ChildError):
    """A child failed or did not answer in time; the message is one line, then the children's stderr."""


class Children:
    """Processes that each receive every request; the first one answers. `who` names them in errors."""

    def __init__(self, environments, who, argv=CHILD):
        """environments: one dict of variables per child; argv: what each runs (the tests start stand-ins)."""
        self.who, self.processes, self.logs, self.requests, self.closed = who, [], [], [], False
        self.dropped: list[int] = []  # trainers no longer used here, which the children may forget
        atexit.register(self.close)
        try:
            for index, variables in enumerate(environments):
                # its stderr, in a file with no name: nothing is left behind, even when this process is killed outright
                self.logs.append(private_file())
                stdout = subprocess.PIPE if index == 0 else subprocess.DEVNULL
                process = spawn(argv, self.logs[-1], stdin=subprocess.PIPE, stdout=stdout, **variables)
                self.processes.append(process)
                # the pipes as Connections (pickled messages, each with its length), which own their descriptors
                self.requests.append(Connection(os.dup(process.stdin.fileno()), readable=False))
                process.stdin.close()
                if index == 0:
                    self.replies = Connection(os.dup(process.stdout.fileno()), writable=False)
                    process.stdout.close()
        except BaseException:  # a start that fails halfway leaves no child waiting for requests
            self.close()
            raise

    def name(self, index):
        return self.who if len(self.processes) == 1 else f"worker {index} of {len(self.processes)}"

    def first_ended(self):
        """The index of the first child that has ended, or None."""
        return next((index for index, process in enumerate(self.processes) if process.poll() is not None), None)

    def ended(self):
        """Whether they can serve no more: closed, or one of them ended (the rest are then ended too)."""
        if not self.closed and self.first_ended() is not None:
            self.close()
        return self.closed

    def call(self, seconds=REPLY_SECONDS, **request):
        """One request to every child, one reply from the first. A child that ends fails the call at
        once; one that does not answer within `seconds` (hung, or stopped apart from this process) is
        ended with the others, and so are workers one of which failed (the others may wait for it in a
        collective): the next use starts afresh. The trainer's row says FAILED; the others go on."""
        if self.closed:
            raise RemoteError(f"{self.who} ended after an earlier failure")
        if self.dropped:  # emptied in place: each trainer's finalizer holds this list
            request["drop"] = self.dropped[:]
            del self.dropped[: len(request["drop"])]
        try:
            reply = self._exchange(seconds, request)
        except BaseException:  # a failure, or Ctrl-C: a reply may still come, and must not answer the next request
            self.close()
            raise
        if "error" in reply:
            error = self.error(f"{self.who}: {reply['error']}")
            if len(self.processes) > 1:
                self.close()
            raise error
        return reply["result"]

    def _exchange(self, seconds, request):
        started, stopped = time.perf_counter(), stopped_seconds()
        try:
            for requests in self.requests:
                requests.send(request)
            while not self.replies.poll(POLL_SECONDS):
                ended = self.ended_error()
                if ended and not self.replies.poll(GRACE_SECONDS):  # worker 0's reply may still tell more
                    raise ended
                if time.perf_counter() - started - (stopped_seconds() - stopped) > seconds:
                    raise self.error(
                        f"{self.who} did not answer {request['op']!r} within {seconds:.0f} s (hung or stopped), so "
                        f"{'it was' if len(self.processes) == 1 else 'they were'} ended"
                    )
            return self.replies.recv()
        except (OSError, EOFError) as error:  # a child closed its pipes: the one that ended says why
            raise self.ended_error(wait=GRACE_SECONDS) or self.error(f"{self.who}: {error!r}") from None

    def ended_error(self, wait=0.0):
        """The error naming the first child that has ended (waiting up to `wait` seconds for one), or None."""
        deadline = time.perf_counter() + wait
        while (index := self.first_ended()) is None:
            if time.perf_counter() >= deadline:
                return None
            time.sleep(POLL_SECONDS)
        return self.error(f"{self.name(index)} ended (exit {self.processes[index].returncode})")

    def error(self, line):
        tails = [stderr_tail(log, f"{self.name(index)}'s") for index, log in enumerate(self.logs)]
        return RemoteError(line + "".join(tails))

    def close(self):
        self.closed = True
        for process in self.processes:
            kill(process)
        for stream in (*self.requests, *self.logs, getattr(self, "replies", None)):  # (none yet: a failed start)
            if stream is not None:
                stream.close()


_started: dict[str, Children] = {}  # for the session, by who they are


def started(who, environments):
    """The session's children named `who`, started with environments() at their first use, and again
    after they ended."""
    children = _started.get(who)
    if children is None or children.ended():
        children = _started[who] = Children(environments(), who)
    return children


def free_ports(count):
    """`count` distinct loopback ports the OS reports free now (a worker may still lose one to a race)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]


def cluster(count):
    """One environment per worker: TF_CONFIG names the cluster (fresh loopback ports) and its index."""
    workers = [f"localhost:{port}" for port in free_ports(count)]
    return [
        {
            "TF_CONFIG": json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}),
            "KERAS_BACKEND": "tensorflow",
            "CUDA_VISIBLE_DEVICES": "",  # the workers train on their CPUs, and are labelled so
        }
        for index in range(count)
    ]


def on_workers(cls, config, data, count):
    """The lesson's Trainer, made in the session's cluster of `count` worker processes."""
    for _ in range(PORT_ATTEMPTS):
        workers = started(f"{count} workers", lambda: cluster(count))
        try:
            # no device scope: the strategy must be made before any other TensorFlow op in a worker
            return RemoteTrainer(workers, cls, config, data, "tensorflow", None)
        except RemoteError as error:  # the call ended the workers: the next attempt starts afresh
            if not any(words in str(error).lower() for words in PORT_IN_USE):
                raise
    raise RemoteError(f"could not start {count} workers: their ports were taken {PORT_ATTEMPTS} times in a row")


def train_seconds(config):
    """How long a train() request may take before its child counts as hung: sized from the work."""
    return REPLY_SECONDS + config.updates * SECONDS_PER_UPDATE


def host(value):
    """A value as the lessons return it, off the device: a float for a scalar, else a float32 array."""
    import numpy as np  # here: the children import this module before they can die with their launcher

    if value is None:
        return None
    return float(value) if np.ndim(value) == 0 else np.asarray(value, np.float32)


class RemoteTrainer:
    """The lesson's Trainer, built and run in `children` (the Trainer contract, fitways.contract)."""

    def __init__(self, children, cls, config, data, framework, device):
        self.config, self.children = config, children
        # the class, config and data by pickle: the lesson's module is imported there
        self.id = children.call(op="build", trainer=cls, config=config, data=data, framework=framework, device=device)
        weakref.finalize(self, children.dropped.append, self.id)  # forgotten there with the next request
        for name in list(inspect.signature(cls.reset).parameters)[1:]:  # the parameters, by the lesson's names
            # each stands for a parameter that lives there: the harness reads only its placement
            placed_on = functools.partial(children.call, op="placement", id=self.id, name=name)
            setattr(self, name, types.SimpleNamespace(placed_on=placed_on))

    def call(self, op, seconds=REPLY_SECONDS, **arguments):
        return self.children.call(seconds, op=op, id=self.id, **arguments)

    def reset(self, *parameters):
        self.call("reset", parameters=[host(value) for value in parameters])

    def loss_and_gradient(self, x, y):
        return self.call("loss_and_gradient", x=host(x), y=host(y))

    def train(self, log=None):
        final, rows = self.call("train", train_seconds(self.config), keep_log=log is not None)
        for row in rows:
            log(*row)
        return final


def _serve(launcher):
    """A child: Keras first (on the backend KERAS_BACKEND names), then one reply per request."""
    die_with_parent(launcher)
    requests, replies = Connection(0, writable=False), Connection(os.dup(1), readable=False)  # the pipes
    os.dup2(2, 1)  # anything else printed goes to stderr
    import keras  # before any lesson imports it

    if "TF_CONFIG" in os.environ:  # a worker: TensorFlow allows one collective strategy in a process, so
        import tensorflow as tf  # the first trainer's strategy is every later trainer's (each made the same way)

        tf.distribute.MultiWorkerMirroredStrategy = made_once(tf.distribute.MultiWorkerMirroredStrategy)

    from fitways.frameworks import FRAMEWORKS

    built: list = []  # (trainer, framework, device scope), or None once the launcher dropped it
    while True:
        try:
            request = requests.recv()
        except EOFError:  # the launcher closed the pipe: done
            return
        op = request.pop("op")
        try:
            for dropped in request.pop("drop", ()):
                built[dropped] = None
            if op == "build":
                framework, device = FRAMEWORKS[request["framework"]], request["device"]
                scope = functools.partial(framework.device_scope, device) if device else contextlib.nullcontext
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
        if "error" in reply and "TF_CONFIG" in os.environ:  # a worker out of step with the others: it ends
            sys.exit(reply["error"])  # (worker 1's reply goes nowhere: its stderr says why)


def made_once(cls):
    """A subclass of cls whose first instance is every later one (isinstance checks still hold)."""
    instances: list = []

    class Once(type(cls)):  # type: ignore[misc]  # cls's own metaclass, whatever it is
        def __call__(self, *args, **kwargs):
            if not instances:
                instances.append(super().__call__(*args, **kwargs))
            return instances[0]

    return Once(cls.__name__, (cls,), {})


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
    if op == "placement":  # in a worker, "CPU:0 of 2 workers"
        workers = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {}).get("worker")
        return framework.placement(getattr(trainer, request["name"])) + (f" of {len(workers)} workers" if workers else "")
    raise ValueError(f"no such request: {op}")


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
