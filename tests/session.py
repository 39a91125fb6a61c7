"""What a test session did that the fast tier must not: the processes it started, recorded by an audit
hook (sys.addaudithook) that the root conftest installs before any test runs. A plain module, so that
tests read it without importing a conftest."""

import os
import sys

# The audit events of every way Python starts a process (subprocess, os.system, fork, exec, spawn).
STARTS = {"subprocess.Popen", "os.system", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec"}
started = []  # (the test, the event, what it ran), in order
_installed = []


def _record(event, args):
    test = os.environ.get("PYTEST_CURRENT_TEST")  # pytest sets it while a test runs: plugins' own starts
    if event in STARTS and test:  # (pytest-benchmark runs `git describe` at start-up) are not counted
        started.append((test.rsplit(" ", 1)[0], event, repr(args[:2])[:200]))


def record_process_starts():
    """Install the audit hook once (hooks cannot be removed, so a second one would count twice)."""
    if not _installed:
        _installed.append(True)
        sys.addaudithook(_record)


def loaded(names):
    """Which of the top-level modules `names` this process has imported."""
    return sorted(name for name in names if name in sys.modules)
