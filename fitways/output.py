"""Writing what the user asked for, safely: files replaced atomically, keeping what the path is, and
a terminal that may not speak UTF-8, may not be there at all, or may stop reading."""

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import sys
import tempfile
import threading
import time

# The symbols the tables and help use, and what a terminal that cannot show them gets instead.
PLAIN = {"µ": "u", "×": "x", "−": "-", "Δ": "d", "·": "*", "—": "-", "≈": "~", "²": "^2", "′": "'", "ŷ": "y^"}


class OutputError(Exception):
    """A file the user asked for could not be written; the message names the path and the reason."""


class PlainWriter:
    """Wraps a text stream whose encoding lacks our symbols: writes their ASCII stand-ins instead."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        for symbol, plain in PLAIN.items():
            text = text.replace(symbol, plain)
        encoding = self.stream.encoding or "ascii"
        return self.stream.write(text.encode(encoding, "replace").decode(encoding))

    def __getattr__(self, name):
        return getattr(self.stream, name)


class GuardedStream:
    """Wraps stdout or stderr so that a failed write never stops a run: a reader that left (`| head -1`),
    a full disk (`>/dev/full`), a closed terminal. The first failure is kept in `failure`, and the
    descriptor then points at /dev/null, so that nothing later (nor Python's flush at exit) fails."""

    def __init__(self, stream):
        self.stream, self.failure = stream, None

    def write(self, text):
        try:
            return self.stream.write(text)
        except OSError as error:
            self._failed(error)
            return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except OSError as error:
            self._failed(error)

    def _failed(self, error):
        self.failure = self.failure or error
        try:
            fd = self.stream.fileno()
        except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
        with contextlib.suppress(OSError):
            self.stream.flush()  # what was still buffered goes to /dev/null

    def __getattr__(self, name):
        return getattr(self.stream, name)


def exit_status(code):
    """The command's exit status once its output is out: `code`, or 1 with one line on stderr when
    stdout could not be written for a reason other than a reader that left (`| head` is the user's
    choice to read less; a full disk is not)."""
    sys.stdout.flush()
    failure = getattr(sys.stdout, "failure", None)
    if failure is None or failure.errno == errno.EPIPE:
        return code
    warn(f"error: could not write to stdout: {failure.strerror or failure}")
    return max(code, 1)


def writable(fd):
    try:
        return fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)
    except OSError:  # closed
        return False


def prepare_terminal():
    """Call first thing in a command. A stdout or stderr (fd 1, fd 2) that was closed — or, after
    `>&-`, reopened by whatever the process opened first, such as a launcher script — gets /dev/null,
    so that nothing we or TensorFlow write there fails or lands in a file; streams that cannot encode
    our symbols get ASCII stand-ins; and a write that fails later is caught (GuardedStream, exit_status)."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if not writable(fd):
            devnull = os.open(os.devnull, os.O_WRONLY)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115  (lives as long as the process)
        stream = getattr(sys, name)
        if isinstance(stream, GuardedStream):
            continue
        if not isinstance(stream, PlainWriter) and not speaks(stream, "".join(PLAIN)):
            stream = PlainWriter(stream)
        setattr(sys, name, GuardedStream(stream))


def speaks(stream, text):
    try:
        text.encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def warn(message, end="\n"):
    """A line (or, with end="", the start of one) on stderr, if there is a stderr."""
    if sys.stderr is not None:
        print(message, end=end, file=sys.stderr, flush=True)


PROGRESS_SECONDS = 10.0  # a run still going after this long says so, and again as often


@contextlib.contextmanager
def still_running(every=None, doing="training", own_line=False):
    """While inside, every `every` seconds (PROGRESS_SECONDS) stderr gets "… still training, 20 s ...":
    a trainer that runs for hours shows it is alive without a word from the lesson, and the line it
    continues (run_all's "[1/3] gradient_tape on cpu ...") still ends with its time. With own_line (no
    line to continue: the reference's replay, a gradient check), the lines stand alone, and only when
    the work takes longer than `every`."""
    every = every or PROGRESS_SECONDS
    done, started = threading.Event(), time.perf_counter()

    def tick():
        while not done.wait(every):
            said = f"still {doing}, {time.perf_counter() - started:.0f} s ..."
            warn(said) if own_line else warn(f"\n  {said}", end="")

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()


# write_atomically's temporary file: "." + the name + "." + tempfile's 8 random characters
TEMPORARY_NAME_EXTRA = len(".") + len(".") + 8


def path_problem(path, suffix):
    """Why `path` cannot take our output once the run is over, checked before it starts; None if it can."""
    if not path:
        return "must name a file, got an empty path"
    if not path.lower().endswith(suffix):
        return f"must name a {suffix} file, got {path}"
    if os.path.islink(path) and not os.path.exists(path):
        return f"{path}: is a symbolic link to nothing ({os.readlink(path)})"
    try:
        target = os.path.realpath(path)  # a symbolic link is written through, to the file it names
    except FileNotFoundError:
        return _no_working_directory(path)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        return f"{path}: directory {folder} does not exist"
    if os.path.isdir(target):
        return f"{path}: is a directory"
    if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
        return f"{path}: is not a regular file (a FIFO, socket or device), so it cannot be replaced"
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    longest = limit - TEMPORARY_NAME_EXTRA  # the temporary file beside it must fit too
    if len(os.fsencode(os.path.basename(target))) > longest:
        return f"{path}: file name longer than {longest} bytes"
    return _cannot_create(path, folder)


def _cannot_create(path, folder):
    """Why no file can be created in `folder`, or None: the only sure test is to create one there."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".fitways-check-"):
            pass
    except OSError as error:
        return f"{path}: cannot write there ({error.strerror or error})"
    return None


def _no_working_directory(path):
    """What a relative path means once the working directory was deleted (os.getcwd() raises)."""
    return f"{path}: the working directory no longer exists (give an absolute path)"


def directory_problem(path):
    """Why `path` cannot be a directory we write into (created by the run if missing), checked before a
    run; None if it can. Creates nothing: a run refused later leaves no directory behind."""
    if not path:
        return "must name a directory, got an empty path"
    if os.path.exists(path) and not os.path.isdir(path):
        return f"{path}: is not a directory"
    try:
        existing = os.path.abspath(path)
    except FileNotFoundError:
        return _no_working_directory(path)
    while not os.path.exists(existing):  # the nearest ancestor that exists must let us create the rest
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{path}: {existing} is not a directory"
    return _cannot_create(path, existing)


def write_atomically(path, write):
    """write(file) into a temporary file beside the file `path` names, then rename it into place: a
    failed or concurrent write leaves the old file or a complete new one, never a mix. What the path
    is stays: a symbolic link is written through (the link stays a link), an existing file keeps its
    mode, and one with other hard links is rewritten in place once the new content is complete (so
    every name sees it; not atomic then). Anything but a regular file is refused. OutputError on failure."""
    temporary = None
    try:
        target = os.path.realpath(path)
        existing = os.stat(target) if os.path.exists(target) else None
        if existing and not stat.S_ISREG(existing.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, socket or device)")
        folder, name = os.path.split(target)
        with tempfile.NamedTemporaryFile("wb", dir=folder, prefix=f".{name}.", delete=False) as out:
            temporary = out.name
            write(out)
            out.flush()
            os.fsync(out.fileno())
        if existing and existing.st_nlink > 1:
            with open(temporary, "rb") as new, open(target, "r+b") as old:
                shutil.copyfileobj(new, old)
                old.truncate()
                old.flush()
                os.fsync(old.fileno())
            os.unlink(temporary)
            return
        if existing:
            mode = stat.S_IMODE(existing.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # what open() would have given, not mkstemp's 0600
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as error:  # any failure (a plotting error, Ctrl-C) leaves no temporary file behind
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
        raise
