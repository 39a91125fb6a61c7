"""SIGTERM and SIGHUP end a command the way Ctrl-C does: everything in progress cleans up on its way
out (child processes killed, temporary files removed), one line says why, and the exit
status is the shell's 128 + the signal's number (143, 129). Without this, Python dies at once."""

import signal
import sys

from fitways.output import OutputError, exit_status, prepare_terminal, warn

ENDING = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]  # those this system has


def end_cleanly():
    """Call first thing in a command: SIGTERM and SIGHUP raise SystemExit(128 + number) where the
    program is, so that every `finally` and `with` on the way out runs."""
    for signum in ENDING:
        signal.signal(signum, _exit)


def _exit(signum, frame):
    for ending in ENDING:  # a second signal while cleaning up ends the process at once, as before
        signal.signal(ending, signal.SIG_DFL)
    warn(f"\n{signal.Signals(signum).name}: stopping")
    sys.exit(128 + signum)


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
