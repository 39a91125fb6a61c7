"""pytest set-up shared by tests/ and benchmarks/."""

import importlib.util

import pytest

if importlib.util.find_spec("tensorflow") is not None:
    from fitways.frameworks import FRAMEWORKS

    tf = FRAMEWORKS["tensorflow"].load()
    # Two logical CPUs stand in for "another device" in the device-plumbing tests. This must happen
    # before TensorFlow initialises its devices, so it runs as this file is imported, before any test.
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()],
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Plain `pytest` runs each benchmark once, untimed, as a smoke test; `pytest --benchmark-only`
    (or --benchmark-enable) measures. pytest-benchmark reads this option after us."""
    if not (config.getoption("benchmark_only") or config.getoption("benchmark_enable")):
        config.option.benchmark_disable = True
