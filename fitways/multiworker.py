"""Runs impls/tf_multiworker as a cluster of worker processes on this machine, and always cleans up.

    run(problem, name, config, workers=2)  →  MultiworkerResult(final, rows, train_seconds, other_seconds, ...)
    measure(problem, name, config, repeat)  →  the Measurement fitways.timing.measure gives in process

Each worker is `python -m fitways.multiworker RESULT_PATH PID` (work(), at the end of this file: nothing it
imports runs a TensorFlow op before the worker makes its strategy) with its own TF_CONFIG (the cluster of loopback
ports chosen here, and its index) and the problem, lesson and config as JSON in FITWAYS_CONFIG. Every worker
trains; worker 0 writes the result as JSON to the file named on its command line. The workers run in their own process
groups, killed whatever happens here: success, a worker's failure, the time limit, Ctrl-C, SIGTERM or
SIGHUP (fitways/signals.py). Ctrl-Z stops them with the launcher, and they continue with it. A port
taken between choosing it and a worker binding it is retried with fresh ports.
"""

import contextlib
import dataclasses
import importlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

from fitways.processes import die_with_parent, kill, spawn, stderr_tail

WORKERS = 2
WORKER = "fitways.multiworker"  # what each worker process runs: python -m WORKER
# The time limit, sized from the work: a worker that has not finished by then is hung, not slow.
START_UP_SECONDS = 60.0  # importing TensorFlow and meeting the other workers: ≈5 s here, unloaded
SECONDS_PER_UPDATE = 0.02  # an update across two workers takes ≈2 ms here: ten times that
PORT_ATTEMPTS = 3
PORT_IN_USE = ("address already in use", "could not start grpc server", "failed to add port")


def placed_on(workers=WORKERS):
    return f"CPU:0 of {workers} workers"


@dataclasses.dataclass(frozen=True)
class MultiworkerResult:
    final: tuple  # the parameters, in the problem's order
    rows: list | None  # [(update, loss, *parameters)] per update of one more, logged run, when asked for
    train_seconds: list  # each train() without a log inside worker 0, the first one tracing included
    other_seconds: dict  # {updates: [train() of a second length, timing.second_length's]}, when timed_runs > 1
    logged_seconds: float | None  # the logged run's


class WorkerError(RuntimeError):
    """A worker failed or the run timed out; the message is one line, then the workers' stderr."""


class _PortInUse(Exception):
    pass


def measure(problem, name, config, repeat, workers=WORKERS):
    """The first call, `repeat` steady-state runs at each of two lengths and a logged run, all inside
    the workers (a process start per run would time TensorFlow's import, not training)."""
    from fitways.timing import Measurement

    result = run(problem, name, config, workers, log=True, timed_runs=1 + repeat)
    return Measurement(
        final=result.final,
        trajectory=trajectory(problem, config, result.rows),
        updates=config.updates,
        first_seconds=result.train_seconds[0],
        run_seconds={config.updates: result.train_seconds[1:], **result.other_seconds},
        logged_seconds=[result.logged_seconds],
    )


def trajectory(problem, config, rows):
    """The Trajectory of a worker's logged rows (updates counted from 0 there)."""
    from fitways.trajectory import Trajectory

    return Trajectory.from_rows(problem, config, [(update + 1, loss, parameters) for update, loss, *parameters in rows])


def time_limit(config, timed_runs=1, log=False):
    """Seconds a whole run may take: start-up, and an allowance for every update it makes."""
    return START_UP_SECONDS + SECONDS_PER_UPDATE * config.updates * (timed_runs + log)


def run(problem, name, config, workers=WORKERS, log=False, timed_runs=1, timeout=None):
    """Trains config across `workers` processes, `timed_runs` times from the start (reset) to time the
    steady state, then once more logged if asked; worker 0's result (W, b of the last plain run).
    timeout: seconds (default: time_limit, sized from the work)."""
    timeout = timeout or time_limit(config, timed_runs, log)
    for _ in range(PORT_ATTEMPTS):
        try:
            return _run_once(problem, name, config, workers, log, timed_runs, timeout)
        except _PortInUse:
            continue
    raise WorkerError(f"could not start {workers} workers: their ports were taken {PORT_ATTEMPTS} times in a row")


def free_ports(count):
    """`count` distinct loopback ports the OS reports free now (a worker may still lose one to a race)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _run_once(problem, name, config, workers, log, timed_runs, timeout):
    from fitways.timing import second_length

    # Every worker must run the same updates (each is an all-reduce between them), so the second
    # length is fixed here, not from a worker's own timing: an update that crosses processes is
    # always slow, and second_length gives a slow run's shorter partner.
    second = second_length(config.updates, math.inf)
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(workers)]}
    lesson = problem.trainers[name].module
    task = json.dumps({"problem": problem.name, "lesson": lesson, "config": config.asdict(), "log": log,
                       "timed_runs": timed_runs, "second": second})  # fmt: skip
    start = time.perf_counter()
    processes: list[subprocess.Popen] = []
    logs: list = []
    with tempfile.TemporaryDirectory(prefix="fitways-workers-") as folder, stop_together(processes) as stopped:
        result_path = Path(folder) / "result.json"
        try:
            for index in range(workers):
                logs.append(open(Path(folder) / f"worker{index}.err", "w+b"))  # closed in finally
                argv = [sys.executable, "-m", WORKER, str(result_path) if index == 0 else ""]
                processes.append(
                    spawn(
                        argv,
                        logs[-1],
                        TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
                        FITWAYS_CONFIG=task,
                        CUDA_VISIBLE_DEVICES="",  # the workers train on their CPUs, and are labelled so
                    )
                )
            _wait(processes, logs, lambda: start + timeout + stopped.seconds, timeout)
            result = json.loads(result_path.read_text())
        finally:
            for process in processes:
                kill(process)
            for log in logs:
                log.close()
    rows = [tuple(row) for row in result["rows"]] if log else None
    other = {int(updates): seconds for updates, seconds in result["other_seconds"].items()}  # JSON keys are text
    return MultiworkerResult(tuple(result["final"]), rows, result["train_seconds"], other, result["logged_seconds"])


def _wait(processes, logs, deadline, timeout):
    """Returns once worker 0 has exited 0 (its result is written; the rest are killed after, since a
    worker may linger at exit once the coordination service in worker 0 is gone); raises at a worker's
    failure or at deadline() (later by the time the run spent stopped)."""
    while True:
        codes = [process.poll() for process in processes]
        if codes[0] == 0:
            return
        failed = [index for index, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            message = _stderr(logs)
            if any(words in message.lower() for words in PORT_IN_USE):
                raise _PortInUse()
            raise WorkerError(f"worker {failed[0]} of {len(processes)} failed (exit {codes[failed[0]]})" + message)
        if time.perf_counter() > deadline():
            raise WorkerError(f"{len(processes)} workers did not finish within {timeout:g} s" + _stderr(logs))
        time.sleep(0.02)


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


def work(result_path):
    """One worker: the strategy first (before any other TensorFlow op), then train, then worker 0 reports."""
    import numpy as np

    from fitways.timing import timed

    options = json.loads(os.environ["FITWAYS_CONFIG"])
    # the lesson's folder holds its problem.py (fitways.problems finds problems by that rule)
    problem = importlib.import_module(options["lesson"].rsplit(".", 1)[0] + ".problem").PROBLEM
    assert problem.name == options["problem"], (problem.name, options["problem"])
    config = problem.Config(**options["config"])
    Trainer = importlib.import_module(options["lesson"]).Trainer  # TensorFlow is imported only here, in the worker
    trainer = Trainer(config, problem.make_data(config))
    start_values = problem.initial_parameters(config)

    def timed_run(run_config):
        # The strategy can be made once per process, so the second length reuses this trainer with a
        # config that differs in updates only: its Python loop reads config.updates at every train().
        trainer.config = run_config
        trainer.reset(*start_values)
        return timed(trainer.train)  # the parameters come back on the host: training is over when the clock stops

    final, first = timed_run(config)
    seconds, other_seconds = [first], {}  # type: list[float], dict[int, list[float]]
    if options["timed_runs"] > 1:
        other = dataclasses.replace(config, updates=options["second"])
        timed_run(other)  # its first run, untimed
        other_seconds[other.updates] = []
        for _ in range(options["timed_runs"] - 1):
            final, run_seconds = timed_run(config)
            seconds.append(run_seconds)
            other_seconds[other.updates].append(timed_run(other)[1])
    trainer.config = config
    rows, logged_seconds = [], None
    if options["log"]:
        trainer.reset(*start_values)
        start = time.perf_counter()
        trainer.train(log=lambda update, loss, *parameters: rows.append((update, float(loss), *parameters)))
        logged_seconds = time.perf_counter() - start
    if result_path:
        partial = Path(result_path + ".partial")
        as_lists = lambda values: [np.asarray(value, np.float64).tolist() for value in values]  # noqa: E731
        result = {
            "final": as_lists(final),
            "rows": [(update, loss, *as_lists(parameters)) for update, loss, *parameters in rows],
            "train_seconds": seconds,
            "other_seconds": other_seconds,
            "logged_seconds": logged_seconds,
        }
        partial.write_text(json.dumps(result))  # json writes NaN for a diverged run; json reads it back
        partial.replace(result_path)  # the launcher never reads a half-written file


if __name__ == "__main__":
    die_with_parent(int(sys.argv[2]))  # spawn() appends the launcher's pid
    work(sys.argv[1])
