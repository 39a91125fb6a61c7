"""Runs impls/tf_multiworker as a cluster of worker processes on this machine, and always cleans up.

    measure(problem, name, config, repeat)  →  the Measurement fitways.timing.measure gives in process

Each worker is `python -m fitways.multiworker PID` (work(), at the end of this file; the module imports
nothing slow, so that die_with_parent runs at once, and nothing that runs a TensorFlow op before the worker
makes its strategy) with its own TF_CONFIG (the cluster of loopback ports chosen here, and its index) and the
problem, lesson and config as JSON in FITWAYS_CONFIG. Every worker runs timing.measure on its trainer, in step
with the others; worker 0 sends its Measurement back over its stdout. The workers run in their own process
groups, killed whatever happens here: success, a worker's failure, the time limit, Ctrl-C, SIGTERM or
SIGHUP (fitways/signals.py). Ctrl-Z stops them with the launcher, and they continue with it. A port
taken between choosing it and a worker binding it is retried with fresh ports.
"""

import contextlib
import importlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from multiprocessing.connection import Connection

# Nothing heavier: a worker imports this module before die_with_parent() can run (tests/test_distributed.py)
from fitways.processes import ChildError, die_with_parent, kill, private_file, spawn, stderr_tail

WORKERS = 2
WORKER = "fitways.multiworker"  # what each worker process runs: python -m WORKER
# The time limit, sized from the work: a worker that has not finished by then is hung, not slow.
START_UP_SECONDS = 60.0  # importing TensorFlow and meeting the other workers: ≈5 s here, unloaded
SECONDS_PER_UPDATE = 0.02  # an update across two workers takes ≈2 ms here: ten times that
PORT_ATTEMPTS = 3
PORT_IN_USE = ("address already in use", "could not start grpc server", "failed to add port")


class WorkerError(ChildError):
    """A worker failed or the run timed out; the message is one line, then the workers' stderr."""


class _PortInUse(Exception):
    pass


def measure(problem, name, config, repeat, workers=WORKERS, timeout=None):
    """fitways.timing.measure, run inside the workers (a process start per run would time TensorFlow's
    import, not training): worker 0's Measurement. timeout: seconds (default: time_limit's)."""
    timeout = timeout or time_limit(config, repeat)
    for _ in range(PORT_ATTEMPTS):
        try:
            return _run_once(problem, name, config, workers, repeat, timeout)
        except _PortInUse:
            continue
    raise WorkerError(f"could not start {workers} workers: their ports were taken {PORT_ATTEMPTS} times in a row")


def time_limit(config, repeat):
    """Seconds a measurement may take: start-up, and an allowance for every update it makes (timing.measure
    runs config.updates at most 2·repeat + 5 times: first, probe, repeats, logged runs; the shorter partner
    runs a tenth as many)."""
    return START_UP_SECONDS + SECONDS_PER_UPDATE * config.updates * (2 * repeat + 5)


def free_ports(count):
    """`count` distinct loopback ports the OS reports free now (a worker may still lose one to a race)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]


def _run_once(problem, name, config, workers, repeat, timeout):
    from fitways.timing import second_length

    # Every worker must run the same updates (each is an all-reduce between them), so the second
    # length is fixed here, not from a worker's own timing: an update that crosses processes is
    # always slow, and second_length gives a slow run's shorter partner.
    second = second_length(config.updates, math.inf)
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(workers)]}
    lesson = problem.trainers[name].module
    task = json.dumps({"problem": problem.name, "lesson": lesson, "config": config.asdict(), "repeat": repeat,
                       "second": second})  # fmt: skip
    start = time.perf_counter()
    processes: list = []
    logs: list = []  # each worker's stderr, in a file with no name (fitways.processes.private_file)
    result = None  # worker 0's stdout: its Measurement, pickled (multiprocessing's Connection)
    with stop_together(processes) as stopped:
        try:
            for index in range(workers):
                logs.append(private_file())
                with held(getattr(signal, "SIGTSTP", None)):  # a Ctrl-Z meanwhile waits until the worker is listed
                    processes.append(
                        spawn(
                            [sys.executable, "-m", WORKER],
                            logs[-1],
                            stdout=subprocess.PIPE if index == 0 else subprocess.DEVNULL,
                            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
                            FITWAYS_CONFIG=task,
                            CUDA_VISIBLE_DEVICES="",  # the workers train on their CPUs, and are labelled so
                        )
                    )
            result = Connection(os.dup(processes[0].stdout.fileno()), writable=False)
            processes[0].stdout.close()
            return _wait(processes, logs, result, lambda: start + timeout + stopped.seconds, timeout)
        finally:
            for process in processes:
                kill(process)
            for log in [*logs, *([result] if result else [])]:
                log.close()


def _wait(processes, logs, result, deadline, timeout):
    """Worker 0's Measurement, once it has sent it (the workers are killed after, since a worker may
    linger at exit once the coordination service in worker 0 is gone); raises at a worker's failure or
    at deadline() (later by the time the run spent stopped)."""
    while True:
        failed = []
        if result.poll(0.02):
            try:
                return result.recv()  # pickled by our own worker 0, from this code
            except EOFError:  # worker 0 closed its stdout without a result: its exit status says why
                with contextlib.suppress(subprocess.TimeoutExpired):
                    processes[0].wait(timeout=max(deadline() - time.perf_counter(), 0))
                failed = [0]
        codes = [process.poll() for process in processes]
        failed = failed or [index for index, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            message = _stderr(logs)
            if any(words in message.lower() for words in PORT_IN_USE):
                raise _PortInUse()
            raise WorkerError(f"worker {failed[0]} of {len(processes)} failed (exit {codes[failed[0]]})" + message)
        if time.perf_counter() > deadline():
            raise WorkerError(f"{len(processes)} workers did not finish within {timeout:g} s" + _stderr(logs))


@contextlib.contextmanager
def held(signum):
    """While inside, `signum` waits (it is delivered at the end): stop_together's handler must not run
    between a worker's start and its place in the list it stops. A child started inside inherits the
    block; die_with_parent lifts it."""
    if signum is None or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signum})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})


@contextlib.contextmanager
def stop_together(processes):
    """While inside, Ctrl-Z (SIGTSTP) stops the workers with the launcher, and they continue with it:
    they run in process groups of their own, which the terminal's Ctrl-Z does not reach."""
    stopped = types.SimpleNamespace(seconds=0.0)  # how long the launcher and its workers have been stopped so far
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTSTP"):
        yield stopped  # signal handlers can be set from the main thread only
        return

    def signal_workers(signum):
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signum)

    def stop(signum, frame):
        signal_workers(signal.SIGSTOP)
        began = time.perf_counter()
        # stops here, until SIGCONT (fg, bg). SIGSTOP, not SIGTSTP: a process group without a terminal
        # in charge (CI, a pipeline started in the background) has SIGTSTP discarded by the kernel, and
        # the launcher would continue its workers at once
        os.kill(os.getpid(), signal.SIGSTOP)
        stopped.seconds += time.perf_counter() - began
        signal_workers(signal.SIGCONT)

    previous = signal.signal(signal.SIGTSTP, stop)
    try:
        yield stopped
    finally:
        signal.signal(signal.SIGTSTP, previous)


def _stderr(logs):
    return "".join(stderr_tail(log, f"worker {index}") for index, log in enumerate(logs))


def work():
    """One worker: the strategy first (before any other TensorFlow op), then timing.measure, as every
    worker runs it; each sends its Measurement to its stdout, which only worker 0's launcher reads."""
    from fitways.runner import SharedTrainer
    from fitways.timing import measure

    report = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything else printed goes to stderr
    options = json.loads(os.environ["FITWAYS_CONFIG"])
    # the lesson's folder holds its problem.py (fitways.problems finds problems by that rule)
    problem = importlib.import_module(options["lesson"].rsplit(".", 1)[0] + ".problem").PROBLEM
    assert problem.name == options["problem"], (problem.name, options["problem"])
    config = problem.Config(**options["config"])
    Trainer = importlib.import_module(options["lesson"]).Trainer  # TensorFlow is imported only here, in the worker
    runner = SharedTrainer(problem, config, Trainer(config, problem.make_data(config)))
    report.send(measure(runner, options["repeat"], runner.with_updates, second=options["second"]))


if __name__ == "__main__":
    die_with_parent(int(sys.argv[1]))  # spawn() appends the launcher's pid
    work()
