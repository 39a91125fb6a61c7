"""pytest set-up shared by tests/ and benchmarks/.

Collecting the tests imports no framework: a pure test (argument checks, tables, JSON, the import map)
runs in a process that never loads TensorFlow, JAX or PyTorch. The first test that loads one loads
every installed framework, in the one order that is safe in one process (fitways.frameworks.LOAD_ORDER),
and splits TensorFlow's CPU into four logical devices before TensorFlow initialises them.
"""

import os
import sys

import pytest

from fitways.frameworks import FRAMEWORKS, LOAD_ORDER
from tests import session

session.record_process_starts()  # the fast tier's last test checks that no test started a process

FRAMEWORK_MODULES = {"tensorflow", "keras", "jax", "torch"}  # numpy is light, and the pure tests use it
LOGICAL_CPUS = 4  # stand-ins for other devices: the device-plumbing tests, and 1, 2 and 4 replicas
_loading = []  # non-empty once the first framework load has begun


def load_every_framework():
    """Every installed framework, in a safe order, then the CPU split (before TensorFlow's runtime starts)."""
    if _loading:
        return
    _loading.append(True)
    for name in LOAD_ORDER:
        framework = FRAMEWORKS[name]
        if framework.installed():
            type(framework).load(framework)
    if FRAMEWORKS["tensorflow"].installed():
        FRAMEWORKS["tensorflow"].logical_cpus(LOGICAL_CPUS)


def _first_load_loads_all(framework):
    own_load = type(framework).load

    def load():
        load_every_framework()
        return own_load(framework)

    return load


class _ImportLoadsAll:
    """A test (or the code it calls) may import a framework itself (`import tensorflow as tf`): the first
    such import loads every framework first, like the first load() does."""

    def find_spec(self, name, path=None, target=None):
        # only a real import (importlib's _find_and_load), not importlib.util.find_spec's "is it installed?"
        if name in FRAMEWORK_MODULES and not _loading and sys._getframe(2).f_code.co_name == "_find_and_load_unlocked":
            sys.meta_path.remove(self)
            load_every_framework()
        return None


sys.meta_path.insert(0, _ImportLoadsAll())
for _name in LOAD_ORDER:  # the instance attribute shadows the class's load() for this session
    if _name != "numpy":  # numpy is imported already: the pure tests use it
        FRAMEWORKS[_name].load = _first_load_loads_all(FRAMEWORKS[_name])


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Plain `pytest` runs each benchmark once, untimed, as a smoke test; `pytest --benchmark-only`
    (or --benchmark-enable) measures. pytest-benchmark reads this option after us."""
    if not (config.getoption("benchmark_only") or config.getoption("benchmark_enable")):
        config.option.benchmark_disable = True


def fast_tier(config):
    """Whether this session is the fast tier, `pytest -m "not slow"`: no framework, no process."""
    return " ".join((config.getoption("markexpr") or "").split()) == "not slow"


@pytest.hookimpl(wrapper=True)  # a wrapper: before xdist's own pytest_cmdline_main reads -n
def pytest_cmdline_main(config):
    """Plain `pytest` runs on several cores (pytest-xdist), one test file per worker at a time so that a
    file's module fixtures and traced runners are built once; `-n N` chooses, `-p no:xdist` turns it off.
    (Not in addopts: `-n` there would be an unknown option under `-p no:xdist`.)"""
    # a worker runs this hook too, and must never start workers of its own (that would multiply without end)
    worker = hasattr(config, "workerinput") or "PYTEST_XDIST_WORKER" in os.environ
    if not worker and getattr(config.option, "numprocesses", "absent") is None and config.option.dist == "no":
        config.option.numprocesses, config.option.dist = "auto", "loadfile"
    return (yield)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """How many workers -n auto starts: none for the fast tier (it must start no process, and takes
    seconds), for a collection, or when benchmarks measure (timings must not share cores); else one per
    core, at most 4 (each worker loads every framework, ~1.5 GB)."""
    if fast_tier(config) or config.option.collectonly:
        return 0
    if config.getoption("benchmark_only") or config.getoption("benchmark_enable"):
        return 0
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4)


def pytest_collection_modifyitems(config, items):
    """Tests marked session_end run after every other test (the fast tier's final check).
    `pytest --benchmark-only` deselects every test that is not a benchmark, so its output is the
    tables and one summary line, not one "Skipping non-benchmark" line per test."""
    items.sort(key=lambda item: item.get_closest_marker("session_end") is not None)  # stable: order kept
    if not config.getoption("benchmark_only"):
        return
    kept = [item for item in items if "benchmark" in getattr(item, "fixturenames", ())]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
