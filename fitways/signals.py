"""SIGTERM and SIGHUP end a command the way Ctrl-C does: everything in progress cleans up on its way
out (worker processes killed, their temporary directory removed), one line says why, and the exit
status is the shell's 128 + the signal's number (143, 129). Without this, Python dies at once."""

import signal
import sys

from fitways.output import exit_status, warn

ENDING = ("SIGTERM", "SIGHUP")


def end_cleanly():
    """Call first thing in a command: SIGTERM and SIGHUP raise SystemExit(128 + number) where the
    program is, so that every `finally` and `with` on the way out runs."""
    for name in ENDING:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _exit)


def _exit(signum, frame):
    for name in ENDING:  # a second signal while cleaning up ends the process at once, as before
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    warn(f"\n{signal.Signals(signum).name}: stopping")
    sys.exit(128 + signum)


def run_command(main, argv=None):
    """main(argv) as a process's exit status: SIGTERM and SIGHUP clean up on the way out, a stdout
    that could not be written is reported (exit 1), Ctrl-C is one line and 130."""
    end_cleanly()
    try:
        return exit_status(main(argv))
    except KeyboardInterrupt:
        warn("\ninterrupted")
        return 130
