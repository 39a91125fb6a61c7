"""tf.distribute: the same fit data-parallel over 1, 2 and 4 replicas (logical CPUs here) and across
two worker processes — update by update the same trajectory as numpy's hand-derived loop."""

import contextlib
import os
import subprocess
import sys
import time

import psutil
import pytest

from fitways import command, remote
from fitways.processes import ROOT
from fitways.runner import Runner
from impls.problem import Config
from tests.helpers import HAS_TENSORFLOW, LINE, logged
from tests.test_equivalence import assert_same_trajectory

pytestmark = pytest.mark.skipif(not HAS_TENSORFLOW, reason="TensorFlow is not installed")
MIRRORED = ["tf_mirrored", "keras_fit_mirrored"]
MULTI_EPOCH = Config(samples=1000, batch_size=36, updates=60, seed=3)  # 36: splits across 1, 2 and 4


@pytest.mark.slow
@pytest.mark.parametrize("replicas", [1, 2, 4])
@pytest.mark.parametrize("name", MIRRORED)
def test_mirrored_follows_numpy_with_any_number_of_replicas(name, replicas):
    ours = logged(name, MULTI_EPOCH, replicas=replicas)
    assert ours.updates[-1] == MULTI_EPOCH.updates and ours.diverged_at is None
    assert_same_trajectory(ours, logged("numpy_manual", MULTI_EPOCH))


@pytest.mark.slow
def test_replicas_hold_their_copies_where_asked():
    from tests.helpers import runner

    assert runner("tf_mirrored", Config(updates=5), replicas=4).placed_on() == "CPU:0+CPU:1+CPU:2+CPU:3"


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--replicas", "3"], "--batch-size 20 does not split evenly across 3 replicas (tf_mirrored)"),
        (["--replicas", "8", "--batch-size", "16"], "--replicas 8: at most 4 on cpu here (tf_mirrored)"),
        (["--replicas", "0"], "--replicas must be between 1 and 64, got 0"),
    ],
)
def test_a_replica_count_that_cannot_work_is_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        command.main(["--impl", "tf_mirrored", *argv])
    assert exit_info.value.code == 2 and capsys.readouterr().err == f"error: {message}\n"


def worker_processes():
    """The pids of this process's workers, alive (the tests' cached runners may hold clusters too)."""
    found = set()
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # it ended while we looked
            if child.status() != psutil.STATUS_ZOMBIE and "TF_CONFIG" in child.environ():
                found.add(child.pid)
    return found


@pytest.mark.slow  # starts a process
def test_a_left_over_worker_would_be_seen():
    """Control for the checks below: a process started the way a worker is, is found."""
    sleeping = [sys.executable, "-c", "import time; time.sleep(60)"]
    stand_in = remote.Children([{"TF_CONFIG": "{}"}], "a stand-in", argv=sleeping)
    try:
        assert stand_in.processes[0].pid in worker_processes()
    finally:
        stand_in.close()
    assert stand_in.processes[0].pid not in worker_processes()


@pytest.mark.slow  # starts a process
def test_a_child_arms_its_death_with_the_launcher_before_any_heavy_import():
    """A child stopped (Ctrl-Z) before die_with_parent() ran, whose launcher then died, stayed stopped for
    good: the module it starts in must import nothing that takes time (the rest is imported in _serve())."""
    loaded = "import sys, fitways.remote; print(sorted(m for m in sys.modules if m.startswith(('fitways', 'impls', 'numpy'))))"
    done = subprocess.run([sys.executable, "-c", loaded], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['fitways', 'fitways.processes', 'fitways.remote']"


@pytest.mark.slow
def test_trainers_share_the_sessions_workers_each_follows_numpy_and_a_failure_ends_the_workers():
    configs = [Config(), MULTI_EPOCH]
    built = [Runner(LINE, "tf_multiworker", config, LINE.make_data(config)) for config in configs]
    workers = built[0].trainer.children
    assert built[1].trainer.children is workers and {p.pid for p in workers.processes} <= worker_processes()
    assert built[0].placed_on() == "CPU:0 of 2 workers"
    for runner in built:
        runner.reset()
    finals = [runner.train() for runner in built]  # in turns: each trainer keeps its own state in the workers
    for runner, config, final in zip(built, configs, finals):
        runner.reset()
        ours = runner.trajectory()
        assert_same_trajectory(ours, logged("numpy_manual", config))
        assert final == pytest.approx((ours.final["W"], ours.final["b"]), abs=1e-7)
    with pytest.raises(remote.RemoteError, match=r"^2 workers: IndexError"):  # a request no worker can serve
        workers.call(op="train", id=10**9, keep_log=False)
    assert all(process.poll() is not None for process in workers.processes)  # out of step: all ended
    with pytest.raises(remote.RemoteError, match="ended after an earlier failure"):
        built[1].train()
    again = Runner(LINE, "tf_multiworker", configs[0], LINE.make_data(configs[0]))  # a new cluster
    assert again.trainer.children is not workers
    assert_same_trajectory(again.trajectory(), logged("numpy_manual", configs[0]))


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("before_the_call", [False, True], ids=["during", "before"])
@pytest.mark.parametrize("ending", [0, 1])
def test_a_worker_that_ends_fails_the_call_at_once_naming_it(ending, before_the_call):
    """Worker 0's closed stdout reads as "ready" forever, and worker 1 never answers at all: a wait for
    the reply alone would spin until the time limit, then blame them for being slow. A worker already
    gone makes the request's write fail: the one that ended is named, not worker 0."""
    codes = ["import time; time.sleep(60)"] * 2
    codes[ending] = "import sys; sys.exit(3)"
    run_code = [sys.executable, "-c", "import os; exec(os.environ['CODE'])"]
    workers = remote.Children([{"CODE": code} for code in codes], "2 workers", argv=run_code)
    try:
        if before_the_call:
            workers.processes[ending].wait(timeout=60)
        started = time.perf_counter()
        with pytest.raises(remote.RemoteError, match=rf"^worker {ending} of 2 ended \(exit 3\)$"):
            workers.call(seconds=20, op="ping")
        assert time.perf_counter() - started < 10
    finally:
        workers.close()


@pytest.mark.slow  # starts processes
def test_worker_0s_error_is_told_though_worker_1_ended_first():
    """A worker that fails a request exits; worker 0's reply, a moment later, says why."""
    replies_late = (
        "import os, time; from multiprocessing.connection import Connection; "
        "Connection(0, writable=False).recv(); time.sleep(0.5); "
        "Connection(os.dup(1), readable=False).send({'error': 'IndexError: no such trainer'})"
    )
    codes = [replies_late, "import sys; sys.stdin.buffer.read(1); sys.exit(1)"]
    run_code = [sys.executable, "-c", "import os; exec(os.environ['CODE'])"]
    workers = remote.Children([{"CODE": code} for code in codes], "2 workers", argv=run_code)
    try:
        with pytest.raises(remote.RemoteError, match=r"^2 workers: IndexError: no such trainer"):
            workers.call(seconds=20, op="train", id=0, keep_log=False)
    finally:
        workers.close()


@pytest.mark.slow  # starts processes
def test_children_one_of_which_ended_are_ended_together():
    workers = remote.Children([{}, {}], "2 workers", argv=[sys.executable, "-c", "import time; time.sleep(60)"])
    workers.processes[1].kill()
    workers.processes[1].wait()
    assert workers.ended() and workers.processes[0].poll() is not None


@pytest.mark.slow  # starts processes
def test_a_hung_cluster_is_ended_at_its_limit():
    workers = remote.Children([{}, {}], "2 workers", argv=[sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(remote.RemoteError, match=r"2 workers did not answer 'ping' within 1 s \(hung or stopped\), so they were ended"):
            workers.call(seconds=1, op="ping")
        assert all(process.poll() is not None for process in workers.processes)
    finally:
        workers.close()


@pytest.mark.slow  # starts compare.py and its workers
def test_a_run_leaves_no_worker_behind():
    marker = {"FITWAYS_TEST_MARK": f"{os.getpid()}-{time.monotonic_ns()}"}  # inherited by every process it starts

    def marked():
        found = []
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):  # ended while we looked, or not ours to read
                if process.environ().get("FITWAYS_TEST_MARK") == marker["FITWAYS_TEST_MARK"]:
                    found.append(process.pid)
        return found

    control = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env={**os.environ, **marker})
    try:
        assert marked() == [control.pid]  # a process left behind would be seen
    finally:
        control.kill()
        control.wait()
    argv = [sys.executable, "compare.py", "--impl", "tf_multiworker", "--repeat", "1"]
    done = subprocess.run(argv, cwd=ROOT, env={**os.environ, **marker}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert marked() == []
