"""Runs impls/tf_multiworker as a cluster of worker processes on this machine, and always cleans up.

    run(config, workers=2)  →  MultiworkerResult(W, b, rows, train_seconds, record_seconds, wall_seconds)
    measure(config, repeat)  →  the Measurement fitways.timing.measure gives for in-process trainers

Each worker runs this file as a script (not as fitways.multiworker, so that no package __init__ can
run a TensorFlow op before the worker makes its strategy) with its own TF_CONFIG (the cluster of loopback ports
chosen here, and its index) and the config as JSON in FITWAYS_CONFIG. Every worker trains; worker 0
writes the result as JSON to a file named on its command line. The workers run in their own process
groups, killed whatever happens here: success, a worker's failure, a timeout, Ctrl-C. A port taken
between choosing it and a worker binding it is retried with fresh ports.
"""

import ctypes
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from impls.problem import Config, make_data

WORKERS = 2
PLACED_ON = f"CPU:0 of {WORKERS} workers"
TIMEOUT = 120.0  # seconds for a whole run: start-up (≈5 s a worker here) and training
PORT_ATTEMPTS = 3
PORT_IN_USE = ("address already in use", "could not start grpc server", "failed to add port")
ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class MultiworkerResult:
    W: float
    b: float
    rows: list | None  # [(update, loss, W, b)] per update of one more, recorded run, when asked for
    train_seconds: list  # each unrecorded train() inside worker 0, the first one tracing included
    record_seconds: float | None  # the recorded run's
    wall_seconds: float  # from launching the workers to having the result, start-up included


class WorkerError(RuntimeError):
    """A worker failed or the run timed out; the message is one line, then the workers' stderr."""


class _PortInUse(Exception):
    pass


def measure(config, repeat, workers=WORKERS):
    """The first call, `repeat` steady-state runs and a recorded run, all inside the workers (a
    process start per run would time TensorFlow's import, not training)."""
    from fitways.timing import Measurement
    from fitways.trajectory import Trajectory

    result = run(config, workers, record=True, runs=1 + repeat)
    W, b = result.W, result.b
    return Measurement(
        final=(W, b),
        trajectory=Trajectory.from_rows(config, [(update + 1, *values) for update, *values in result.rows]),
        updates=config.updates,
        first_seconds=result.train_seconds[0],
        run_seconds=result.train_seconds[1:],
        record_seconds=[result.record_seconds],
    )


def run(config, workers=WORKERS, record=False, runs=1, timeout=TIMEOUT):
    """Trains config across `workers` processes, `runs` times from the start (reset) to time the
    steady state, then once more recorded if asked; worker 0's result (W, b of the last plain run)."""
    for _ in range(PORT_ATTEMPTS):
        try:
            return _run_once(config, workers, record, runs, timeout)
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


def _run_once(config, workers, record, runs, timeout):
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(workers)]}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fitways-workers-") as folder:
        result_path, processes, logs = Path(folder) / "result.json", [], []
        try:
            for index in range(workers):
                env = dict(
                    os.environ,
                    TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
                    FITWAYS_CONFIG=json.dumps({**config.asdict(), "record": record, "runs": runs}),
                    TF_CPP_MIN_LOG_LEVEL="2",
                    CUDA_VISIBLE_DEVICES="",  # the workers train on their CPUs, and are labelled so
                    PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                )
                logs.append(open(Path(folder) / f"worker{index}.err", "w+b"))  # closed in finally
                argv = [sys.executable, __file__, str(os.getpid()), str(result_path) if index == 0 else ""]
                processes.append(
                    subprocess.Popen(
                        argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=logs[-1], start_new_session=True,  # its own process group, killed as one
                    )
                )
            _wait(processes, logs, start + timeout, timeout)
            result = json.loads(result_path.read_text())
        finally:
            for process in processes:
                _kill(process)
            for log in logs:
                log.close()
    rows = [tuple(row) for row in result["rows"]] if record else None
    return MultiworkerResult(
        result["W"], result["b"], rows, result["train_seconds"], result["record_seconds"], time.perf_counter() - start
    )


def _wait(processes, logs, deadline, timeout):
    """Returns once worker 0 has exited 0 (its result is written; the rest are killed after, since a
    worker may linger at exit once the coordination service in worker 0 is gone); raises at a worker's
    failure or at the deadline."""
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
        if time.perf_counter() > deadline:
            raise WorkerError(f"{len(processes)} workers did not finish within {timeout:g} s" + _stderr(logs))
        time.sleep(0.02)


def _stderr(logs, tail=3000):
    parts = []
    for index, log in enumerate(logs):
        log.flush()
        log.seek(0)
        text = log.read().decode(errors="replace").strip()
        if text:
            parts.append(f"\n--- worker {index} stderr (last {tail} characters) ---\n{text[-tail:]}")
    return "".join(parts)


def _die_with_parent(launcher):
    """In the worker, first thing: if the launcher is killed outright (no `finally` runs), Linux sends
    the worker SIGKILL (prctl PR_SET_PDEATHSIG), so no worker outlives its launcher. (Done here, not in
    a preexec_fn: that would make Popen fork the launcher's Python, which JAX warns is unsafe.)"""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != launcher:  # the launcher died before the line above took effect
        sys.exit(1)


def _kill(process):
    """Kills the worker's whole process group (TensorFlow's threads, anything it started) and reaps it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:  # it exited just now
            pass
    process.wait()


def _worker(result_path):
    """One worker: the strategy first (before any other TensorFlow op), then train, then worker 0 reports."""
    options = json.loads(os.environ["FITWAYS_CONFIG"])
    record, runs = options.pop("record"), options.pop("runs")
    config = Config(**options)
    from impls.tf_multiworker import Trainer  # TensorFlow is imported only in the worker

    trainer = Trainer(config, make_data(config))
    seconds = []
    for _ in range(runs):
        trainer.reset(config.W0, config.b0)
        start = time.perf_counter()
        W, b = trainer.train()  # Python floats: training is over when the clock stops
        seconds.append(time.perf_counter() - start)
    rows, record_seconds = [], None
    if record:
        trainer.reset(config.W0, config.b0)
        start = time.perf_counter()
        trainer.train(log=lambda update, loss, W, b: rows.append((update, float(loss), float(W), float(b))))
        record_seconds = time.perf_counter() - start
    if result_path:
        partial = Path(result_path + ".partial")
        result = {"W": W, "b": b, "rows": rows, "train_seconds": seconds, "record_seconds": record_seconds}
        partial.write_text(json.dumps(result))  # json writes NaN for a diverged run; json reads it back
        partial.replace(result_path)  # the launcher never reads a half-written file


if __name__ == "__main__":
    _die_with_parent(int(sys.argv[1]))
    _worker(sys.argv[2])
