"""Device plumbing without a GPU: the root conftest splits the CPU into four logical devices, and every
TensorFlow trainer asked for CPU:1 must put its parameters — and its work — there."""

import numpy as np
import pytest

from fitways.cli import UsageError, plan_runs
from fitways.registry import TRAINERS, framework_of
from impls.problem import Config
from tests.helpers import INSTALLED, TF_TRAINERS, needs_tensorflow, runner


@needs_tensorflow
def test_four_logical_cpus_exist():
    import tensorflow as tf

    assert [d.name.rsplit(":", 1)[-1] for d in tf.config.list_logical_devices("CPU")] == ["0", "1", "2", "3"]


@pytest.mark.parametrize("name", [n for n in TF_TRAINERS if TRAINERS[n].scale == "device"])
@pytest.mark.parametrize("device", ["/CPU:0", "/CPU:1"])
def test_parameters_and_results_land_on_the_requested_device(name, device):
    config = Config(updates=30)
    built = runner(name, config, device)
    assert built.placed_on() == device.lstrip("/")
    ours = built.record()
    assert built.placed_on() == device.lstrip("/")  # still there after fit() and the graph loop
    other = runner(name, config, "/CPU:1" if device == "/CPU:0" else "/CPU:0").record()
    np.testing.assert_array_equal(ours.W, other.W)  # same ops, other device: the same bits


def test_a_gpu_run_of_numpy_is_skipped_with_a_reason():
    runs, notes = plan_runs(["numpy_manual"], "all")
    assert runs == [("numpy_manual", "cpu")]
    assert notes == ["gpu: skipped numpy_manual — numpy runs on the CPU only"]
    with pytest.raises(UsageError, match="numpy runs on the CPU only"):
        plan_runs(["numpy_manual"], "gpu")


@pytest.mark.parametrize("name", [n for n in INSTALLED if framework_of(n).name != "numpy"])
def test_gpu_runs_are_planned_exactly_where_the_framework_sees_a_gpu(name):
    runs, notes = plan_runs([name], "all")
    has_gpu = bool(framework_of(name).gpus())
    assert ((name, "gpu") in runs) == has_gpu
    assert any("sees no GPU" in note for note in notes) != has_gpu


@pytest.mark.parametrize("name", [n for n in INSTALLED if framework_of(n).name != "numpy"])
def test_gpu_run_lands_on_the_gpu_and_converges(name):
    if not framework_of(name).gpus():
        pytest.skip(f"{framework_of(name).label} sees no GPU on this machine")
    from fitways.checks import closed_form_fit, converged
    from impls.problem import make_data

    built = runner(name, Config(), "gpu")
    assert built.placed_on().startswith("GPU")
    assert converged(closed_form_fit(make_data(Config())), *built.train())
