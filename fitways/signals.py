"""SIGTERM and SIGHUP end a command the way Ctrl-C does: everything in progress cleans up on its way
out (worker processes killed, their temporary directory removed), one line says why, and the exit
status is the shell's 128 + the signal's number (143, 129). Without this, Python dies at once."""

import signal
import sys
import threading

from fitways.output import OutputError, exit_status, prepare_terminal, warn

ENDING = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]  # those this system has


def end_cleanly():
    """Call first thing in a command: SIGTERM and SIGHUP raise SystemExit(128 + number) where the
    program is, so that every `finally` and `with` on the way out runs."""
    for signum in ENDING:
        signal.signal(signum, _exit)
    if sys.unraisablehook is not _deliver_again:
        _passed_on.append(sys.unraisablehook)
        sys.unraisablehook = _deliver_again


_said: set = set()  # the signals whose line is out
_passed_on: list = []  # the hook _deliver_again hands every other unraisable exception to


def _exit(signum, frame):
    for ending in ENDING:  # a second signal while cleaning up ends the process at once, as before
        signal.signal(ending, signal.SIG_DFL)
    if signum not in _said:
        _said.add(signum)
        warn(f"\n{signal.Signals(signum).name}: stopping")
    sys.exit(128 + signum)


def _deliver_again(unraisable):
    """A signal's exception (Ctrl-C's KeyboardInterrupt, _exit's SystemExit) raised where Python cannot
    raise one — inside a garbage-collection callback, such as JAX's, which can run between any two
    lines — is dropped as "unraisable" and the run goes on. Send the signal again a moment later, once
    the callback is over, instead."""
    error = unraisable.exc_value
    if isinstance(error, KeyboardInterrupt):
        signum = signal.SIGINT
    elif isinstance(error, SystemExit) and isinstance(error.code, int) and error.code - 128 in ENDING:
        signum = signal.Signals(error.code - 128)
        for ending in ENDING:  # the first one was lost: clean up, as it asked
            signal.signal(ending, _exit)
    else:
        return _passed_on[-1](unraisable)
    # to the main thread, where Python runs handlers: sent to the process, it may land in the timer's
    # thread and wait until the main thread wakes (a sleep, a blocking read)
    threading.Timer(0.01, signal.pthread_kill, (threading.main_thread().ident, signum)).start()


def run_command(main, argv=None):
    """main(argv) as a process's exit status, the one way every command ends (compare.py, each script in
    benchmarks/, each `python -m fitways.<tool>`): SIGTERM and SIGHUP clean up on the way out; stdout and
    stderr are guarded (a reader that left, a full disk: fitways.output.prepare_terminal); an environment
    variable that a framework refuses is one line and exit 2 before any work (fitways.environment.
    check_variables; not for --help); a UsageError is one line and 2; a file asked for that could not be
    written (fitways.output.OutputError) or a stdout that could not be is one line and 1; Ctrl-C is one line
    and 130."""
    from fitways.cli import UsageError
    from fitways.environment import check_variables

    end_cleanly()
    prepare_terminal()
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not {"-h", "--help"} & set(argv):
            check_variables()
        return exit_status(main(argv))
    except UsageError as error:
        warn(f"error: {error}")
        return 2
    except OutputError as error:  # after the work: what was printed stays, the file says why it is missing
        warn(f"error: {error}")
        return exit_status(1)
    except KeyboardInterrupt:
        warn("\ninterrupted")
        return 130
