"""How the lessons' frameworks start in one process; impls/__init__.py runs this before any lesson.

    KERAS_BACKEND=tensorflow       Keras 3 picks its backend once, at its first import
    TF_CPP_MIN_LOG_LEVEL=2         unless the user set it; before JAX too, which sets 1 when it is unset
    Triton's library before        TensorFlow and torch.compile's Triton each bundle LLVM: Triton's
    TensorFlow                     library (triton._C.libtriton) loaded after TensorFlow crashes the
                                   process (a segfault), loaded before it does not
    quiet_stderr()                 TensorFlow's C++ start-up lines (absl's "All log messages before
                                   absl::InitializeLog()", oneDNN, the CUDA probes) ignore the log level

A lesson run alone (python -m impls.gradient_tape) gets its framework imported here, quietly, so that
the textbook's log comes first; FITWAYS_TF_VERBOSE=1 shows what TensorFlow says.
"""

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import re
import sys

TRITON_LIBRARY = "triton._C.libtriton"
TORCH_COMPILER = ("torch._inductor", TRITON_LIBRARY)  # what torch.compile loads on its first use


class TorchCompilerBeforeTensorFlow(RuntimeError):
    """torch.compile asked for after TensorFlow started without Triton: the one line says what to do."""


class TritonFirst(importlib.abc.MetaPathFinder):
    """Sees every import that is not done yet: loads Triton's library just before TensorFlow's, and
    refuses torch's compiler after a TensorFlow that came first (imported before this package)."""

    def find_spec(self, name, path=None, target=None):
        if TRITON_LIBRARY in sys.modules:
            return None
        if name == "tensorflow" and importlib.util.find_spec("triton") is not None:
            importlib.import_module(TRITON_LIBRARY)
        elif name in TORCH_COMPILER and "tensorflow" in sys.modules and importlib.util.find_spec("triton"):
            # not an ImportError: torch would take that for "no Triton here" and crash later
            raise TorchCompilerBeforeTensorFlow(
                "torch.compile cannot start after TensorFlow in one process (their LLVM copies collide): "
                "import impls (or fitways) before tensorflow"
            )
        return None  # the ordinary finders do the import


@contextlib.contextmanager
def quiet_stderr():
    """Silence file descriptor 2 for a moment; what it caught is replayed there if the block raises, so
    an import that fails still says why, and an interrupted one says it stopped. FITWAYS_TF_VERBOSE=1
    silences nothing."""
    if os.environ.get("FITWAYS_TF_VERBOSE") == "1":
        yield
        return
    saved = os.dup(2)
    caught = os.memfd_create("fitways-stderr") if hasattr(os, "memfd_create") else os.open(os.devnull, os.O_RDWR)
    os.dup2(caught, 2)
    try:
        yield
    except BaseException:  # a failed import, and Ctrl-C or SIGTERM too: their one line was written in here
        os.dup2(saved, 2)
        os.lseek(caught, 0, os.SEEK_SET)
        while chunk := os.read(caught, 65536):
            os.write(2, chunk)
        raise
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(caught)


def lesson_run_alone():
    """The lesson's name ("gradient_tape") while `python -m impls.gradient_tape` imports this package."""
    argv = getattr(sys, "orig_argv", [])
    module = argv[argv.index("-m") + 1] if "-m" in argv[:-1] else ""
    return module.removeprefix("impls.") if module.startswith("impls.") else None


def start():
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # "No CUDA runtime is found"
    if not any(isinstance(finder, TritonFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, TritonFirst())
    lesson = lesson_run_alone()
    spec = lesson and importlib.util.find_spec(f"impls.{lesson}")
    # every TensorFlow lesson imports tensorflow (keras_fit_backend, Keras on the backend the user picks, does not)
    if spec and re.search(r"^import tensorflow", spec.loader.get_source(spec.name), re.MULTILINE):
        with quiet_stderr():
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")  # probing CUDA logs when there is none
