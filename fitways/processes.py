"""Child processes that never outlive their launcher: what fitways.multiworker's workers and
fitways.keras_process's backend processes share.

    spawn(argv, log, **env)  →  a Popen in its own process group, stdout and stdin as asked
    die_with_parent(pid)      first thing in the child: SIGKILL when the launcher dies
    kill(process)             the child's whole process group, then reap it
    private_file()            a file with no name, for a child's stderr: nothing left behind, whoever dies
    stderr_tail(log, whose)   the end of what a child wrote to its stderr file, for an error message
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_env(**extra):
    """The launcher's environment with the repository importable, TensorFlow's C++ log quiet, and `extra`."""
    return dict(
        os.environ,
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    )


class ChildError(RuntimeError):
    """A child failed (fitways.keras_process.BackendError, fitways.multiworker.WorkerError): the message is
    one line, then the child's stderr."""


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
    return subprocess.Popen(
        [*argv, str(os.getpid())], env=child_env(**env), cwd=ROOT, stdin=stdin, stdout=stdout, stderr=stderr,
        start_new_session=True,
    )  # fmt: skip


def die_with_parent(launcher):
    """In the child, first thing: if the launcher is killed outright (no `finally` runs), Linux sends
    the child SIGKILL (prctl PR_SET_PDEATHSIG), so no child outlives its launcher. (Done here, not in
    a preexec_fn: that would make Popen fork the launcher's Python, which JAX warns is unsafe.)"""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTSTP})  # held while it started (multiworker.held)
    if os.getppid() != launcher:  # the launcher died before the line above took effect
        sys.exit(1)


def kill(process):
    """Kills the child's whole process group and reaps it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # it exited just now
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stderr_tail(log, whose, tail=3000):
    """The last `tail` characters a child wrote to its stderr file `log`, under a header naming `whose`
    stderr it is; "" when it wrote nothing."""
    log.flush()
    log.seek(0)
    text = log.read().decode(errors="replace").strip()
    return f"\n--- {whose} stderr (last {tail} characters) ---\n{text[-tail:]}" if text else ""
