"""pytest set-up shared by tests/ and benchmarks/."""

import pytest

from fitways.frameworks import FRAMEWORKS, load

load(name for name, framework in FRAMEWORKS.items() if framework.installed())  # in an order safe in one process
if FRAMEWORKS["tensorflow"].installed():
    # Four logical CPUs stand in for other devices: for the device-plumbing tests and for 1, 2 and 4
    # replicas of the data-parallel lessons. This must happen before TensorFlow initialises its
    # devices, so it runs as this file is imported, before any test.
    FRAMEWORKS["tensorflow"].logical_cpus(4)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Plain `pytest` runs each benchmark once, untimed, as a smoke test; `pytest --benchmark-only`
    (or --benchmark-enable) measures. pytest-benchmark reads this option after us."""
    if not (config.getoption("benchmark_only") or config.getoption("benchmark_enable")):
        config.option.benchmark_disable = True
