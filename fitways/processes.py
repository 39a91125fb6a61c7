"""Child processes that never outlive their launcher and stop with it: what fitways.remote's backend
processes and workers are.

    spawn(argv, log, **env)  →  a Popen in its own process group, stdout and stdin as asked
    die_with_parent(pid)      first thing in the child: SIGKILL when the launcher dies
    kill(process)             the child's whole process group, then reap it
    stopped_seconds()         how long this process has spent stopped by Ctrl-Z while it had children
    private_file()            a file with no name, for a child's stderr: nothing left behind, whoever dies
    stderr_tail(log, whose)   the end of what a child wrote to its stderr file, for an error message

Children run in process groups of their own, which the terminal's Ctrl-Z does not reach: while any is
alive, Ctrl-Z (SIGTSTP) stops them with the launcher, and they continue with it.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_children: list[subprocess.Popen] = []  # every child alive, stopped and continued with this process
_stopped = [0.0]  # seconds this process has spent stopped with its children
_previous_handler: list = []  # SIGTSTP's handler before the first child, put back after the last


def child_env(**extra):
    """The launcher's environment with the repository importable, TensorFlow's C++ log quiet, and `extra`."""
    return dict(
        os.environ,
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    )


class ChildError(RuntimeError):
    """A child failed (fitways.remote.RemoteError): the message is one line, then the child's stderr."""


def private_file():
    """A temporary file with no name: removed by the system when the last descriptor closes, whoever
    dies first. A full or unwritable temporary directory is one clear line."""
    try:
        return tempfile.TemporaryFile()
    except OSError as error:
        raise ChildError(
            f"cannot create a file in the temporary directory ({tempfile.gettempdir()}): {error.strerror or error}; "
            "set TMPDIR to a writable directory with free space"
        ) from None


def spawn(argv, stderr, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, **env):
    """Starts argv (with the launcher's pid appended, for die_with_parent) in its own process group,
    so that kill() takes TensorFlow's threads and anything it started with it."""
    # Ctrl-Z waits meanwhile (delivered at the end): its handler must not run between the child's start
    # and its place in the list it stops. The child inherits the block; die_with_parent lifts it.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTSTP})
    try:
        process = subprocess.Popen(
            [*argv, str(os.getpid())], env=child_env(**env), cwd=ROOT, stdin=stdin, stdout=stdout, stderr=stderr,
            start_new_session=True,
        )  # fmt: skip
        _children.append(process)
        # signal handlers can be set from the main thread only
        current = signal.getsignal(signal.SIGTSTP) if threading.current_thread() is threading.main_thread() else None
        if current is signal.SIG_DFL or (callable(current) and current is not _stop_together):  # not ignored
            _previous_handler[:] = [signal.signal(signal.SIGTSTP, _stop_together)]
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # as it was: the caller may hold it too
    return process


def _stop_together(signum, frame):
    _signal_children(signal.SIGSTOP)
    began = time.perf_counter()
    # stops here, until SIGCONT (fg, bg). SIGSTOP, not SIGTSTP: a process group without a terminal in
    # charge (CI, a pipeline started in the background) has SIGTSTP discarded by the kernel, and the
    # launcher would continue its children at once
    os.kill(os.getpid(), signal.SIGSTOP)
    _stopped[0] += time.perf_counter() - began
    _signal_children(signal.SIGCONT)


def _signal_children(signum):
    for process in list(_children):
        if process.returncode is not None:  # reaped: its pid may be another process's by now
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)


def stopped_seconds():
    return _stopped[0]


def die_with_parent(launcher):
    """In the child, first thing: if the launcher is killed outright (no `finally` runs), Linux sends
    the child SIGKILL (prctl PR_SET_PDEATHSIG), so no child outlives its launcher. (Done here, not in
    a preexec_fn: that would make Popen fork the launcher's Python, which JAX warns is unsafe.)"""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTSTP})  # held while it started (spawn)
    if os.getppid() != launcher:  # the launcher died before the line above took effect
        sys.exit(1)


def kill(process):
    """Kills the child's whole process group and reaps it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # it exited just now
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process in _children:
        _children.remove(process)
        if not _children and _previous_handler and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTSTP, _previous_handler.pop())


def stderr_tail(log, whose, tail=3000):
    """The last `tail` characters a child wrote to its stderr file `log`, under a header naming `whose`
    stderr it is; "" when it wrote nothing."""
    log.flush()
    log.seek(0)
    text = log.read().decode(errors="replace").strip()
    return f"\n--- {whose} stderr (last {tail} characters) ---\n{text[-tail:]}" if text else ""
