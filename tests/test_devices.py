"""Device plumbing without a GPU: the root conftest splits the CPU into four logical devices, and every
TensorFlow trainer asked for CPU:1 must put its parameters — and its work — there."""

import numpy as np
import pytest

from fitways.checks import verdict
from fitways.cli import UsageError, plan_runs
from fitways.frameworks import FRAMEWORKS
from fitways.registry import framework_of
from impls.problem import Config, make_data
from tests.helpers import LINE, MLP, MLP_INSTALLED, ON_A_DEVICE, TF_TRAINERS, final, needs_tensorflow, runner


@pytest.mark.slow
@needs_tensorflow
def test_four_logical_cpus_exist():
    tf = FRAMEWORKS["tensorflow"].load()  # through the harness: in the suite's order, after the CPU split

    assert [d.name.rsplit(":", 1)[-1] for d in tf.config.list_logical_devices("CPU")] == ["0", "1", "2", "3"]


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in TF_TRAINERS if n in ON_A_DEVICE and LINE.trainers[n].way.replicas_problem(2)])
@pytest.mark.parametrize("device", ["/CPU:0", "/CPU:1"])
def test_parameters_and_results_land_on_the_requested_device(name, device):
    config = Config(updates=30)
    built = runner(name, config, device)
    assert built.placed_on() == device.lstrip("/")
    ours = built.trajectory()
    assert built.placed_on() == device.lstrip("/")  # still there after fit() and the graph loop
    other = runner(name, config, "/CPU:1" if device == "/CPU:0" else "/CPU:0").trajectory()
    np.testing.assert_array_equal(ours["W"], other["W"])  # same ops, other device: the same bits


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in MLP_INSTALLED if MLP.trainers[n].framework == "tensorflow"])
def test_a_network_lesson_lands_on_the_requested_device(name):
    config = MLP.Config(updates=5)
    assert runner(name, config, "/CPU:1").placed_on() == "CPU:1"
    ours, other = runner(name, config, "/CPU:1").trajectory(), runner(name, config, "/CPU:0").trajectory()
    np.testing.assert_array_equal(ours["W1"], other["W1"])


def test_a_gpu_run_of_numpy_is_skipped_with_a_reason():
    runs, notes = plan_runs(LINE, ["numpy_manual"], "all")
    assert runs == [("numpy_manual", "cpu")]
    assert notes == ["gpu: skipped numpy_manual — numpy runs on the CPU only"]
    with pytest.raises(UsageError, match="numpy runs on the CPU only"):
        plan_runs(LINE, ["numpy_manual"], "gpu")


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in ON_A_DEVICE if not framework_of(LINE.trainers[n]).cpu_only])
def test_gpu_runs_are_planned_exactly_where_the_framework_sees_a_gpu(name):
    runs, notes = plan_runs(LINE, [name], "all")
    has_gpu = bool(framework_of(LINE.trainers[name]).gpus())
    assert ((name, "gpu") in runs) == has_gpu
    assert any("sees no GPU" in note for note in notes) != has_gpu


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in ON_A_DEVICE if not framework_of(LINE.trainers[n]).cpu_only])
def test_gpu_run_lands_on_the_gpu_and_converges(name):
    framework = framework_of(LINE.trainers[name])
    if not framework.gpus():
        pytest.skip(f"{framework.label} sees no GPU on this machine")
    built = runner(name, Config(), "gpu")
    assert built.placed_on().startswith("GPU")
    reference = LINE.reference(Config(), make_data(Config()))
    assert verdict(reference, final(name, Config(), "gpu"), reference.loss)[0]
