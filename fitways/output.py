"""Writing what the user asked for, safely: files replaced atomically, and a terminal that may not
speak UTF-8, or may not be there at all."""

import fcntl
import os
import sys
import tempfile

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


def writable(fd):
    try:
        return fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)
    except OSError:  # closed
        return False


def prepare_terminal():
    """Call first thing in a command. A stderr (fd 2) that was closed — or, after `2>&-`, reopened by
    whatever the process opened first, such as a launcher script — gets /dev/null, so that nothing
    we or TensorFlow write to fd 2 fails or lands in a file; streams that cannot encode our symbols
    get ASCII stand-ins."""
    if not writable(2):
        fd = os.open(os.devnull, os.O_WRONLY)
        if fd != 2:
            os.dup2(fd, 2)
            os.close(fd)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (lives as long as the process)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, PlainWriter) and not speaks(stream, "".join(PLAIN)):
            setattr(sys, name, PlainWriter(stream))


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


def path_problem(path, suffix):
    """Why `path` cannot take our output once the run is over, checked before it starts; None if it can."""
    if not path:
        return "must name a file, got an empty path"
    if not path.lower().endswith(suffix):
        return f"must name a {suffix} file, got {path}"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"{path}: directory {folder} does not exist"
    if os.path.isdir(path):
        return f"{path}: is a directory"
    if os.path.islink(path) and not os.path.exists(path):
        return f"{path}: is a symbolic link to nothing ({os.readlink(path)})"
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if len(os.fsencode(os.path.basename(path))) > limit:
        return f"{path}: file name longer than {limit} bytes"
    try:  # the only sure test: create a file there
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".fitways-check-"):
            pass
    except OSError as error:
        return f"{path}: cannot write there ({error.strerror or error})"
    return None


def write_atomically(path, write):
    """write(file) into a temporary file beside `path`, then rename it into place: a failed or
    concurrent write leaves the old file or a complete new one, never a mix. OutputError on failure."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = None
    try:
        with tempfile.NamedTemporaryFile("wb", dir=folder, prefix=f".{os.path.basename(path)}.", delete=False) as out:
            temporary = out.name
            write(out)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # what open() would have given, not mkstemp's 0600
        os.replace(temporary, path)
    except OSError as error:
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
