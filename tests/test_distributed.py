"""tf.distribute: the same fit data-parallel over 1, 2 and 4 replicas (logical CPUs here) and across
two worker processes — update by update the same trajectory as numpy's hand-derived loop."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time

import psutil
import pytest

from fitways import command, multiworker
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
    """This process's workers, alive (another test file may be running a cluster of its own meanwhile)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # it ended while we looked
            if child.status() != psutil.STATUS_ZOMBIE and multiworker.WORKER in child.cmdline():
                found.append(child)
    return found


@pytest.mark.slow  # starts a process
def test_a_left_over_worker_would_be_seen():
    """Control for the checks below: a process started the way a worker is, is found."""
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", multiworker.WORKER])
    try:
        assert stand_in.pid in [p.pid for p in worker_processes()]
    finally:
        stand_in.kill()
        stand_in.wait()


@pytest.mark.slow  # starts a process
def test_a_worker_arms_its_death_with_the_launcher_before_any_heavy_import():
    """A worker stopped (Ctrl-Z) before die_with_parent() ran, whose launcher then died, stayed stopped for
    good: the module it starts in must import nothing that takes time (the rest is imported in work())."""
    loaded = "import sys, fitways.multiworker; print(sorted(m for m in sys.modules if m.startswith(('fitways', 'impls'))))"
    done = subprocess.run([sys.executable, "-c", loaded], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['fitways', 'fitways.multiworker', 'fitways.processes']"


@pytest.mark.slow
def test_two_worker_processes_follow_numpy_and_leave_nothing_behind():
    config = Config()
    measurement = multiworker.measure(LINE, "tf_multiworker", config, repeat=1)
    ours = measurement.trajectory
    assert_same_trajectory(ours, logged("numpy_manual", config))
    assert measurement.final == pytest.approx((ours.final["W"], ours.final["b"]), abs=1e-7)
    assert set(measurement.run_seconds) == {config.updates, config.updates // 10}  # the length fixed for both workers
    assert not worker_processes()


@pytest.mark.slow  # starts processes
def test_a_worker_0_that_ends_without_its_measurement_is_a_failure_not_a_wait():
    """Its closed stdout reads as "ready" forever: the wait spun until the time limit, then blamed it."""
    from multiprocessing.connection import Connection

    ended = subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.PIPE)
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    result = Connection(os.dup(ended.stdout.fileno()), writable=False)
    ended.stdout.close()
    logs = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
    limit = time.perf_counter() + 20
    try:
        with pytest.raises(multiworker.WorkerError, match=r"^worker 0 of 2 failed \(exit 0\)$"):
            multiworker._wait([ended, running], logs, result, lambda: limit, 20)
    finally:
        running.kill()
        running.wait()
        result.close()
        for log in logs:
            log.close()


@pytest.mark.slow
def test_a_hung_or_slow_cluster_is_killed_at_the_timeout():
    with pytest.raises(multiworker.WorkerError, match="2 workers did not finish within 1 s"):
        multiworker.measure(LINE, "tf_multiworker", Config(), repeat=1, timeout=1)
    assert not worker_processes()


@pytest.mark.slow
def test_workers_need_an_even_batch(capsys):
    with pytest.raises(SystemExit) as exit_info:
        command.main(["--impl", "tf_multiworker", "--batch-size", "15", "--samples", "3000"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: --batch-size 15 does not split evenly across 2 workers (tf_multiworker)\n"
