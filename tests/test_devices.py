"""Device plumbing without a GPU: the conftest splits the CPU into two logical devices, CPU:0 and
CPU:1, and every TensorFlow trainer asked for CPU:1 must put its parameters — and its work — there."""

import numpy as np
import pytest

from impls import TRAINERS, trainer_class
from impls.tf_setup import gpus_visible, tf

TF_TRAINERS = [n for n in TRAINERS if "gpu" in trainer_class(n).devices]


def test_two_logical_cpus_exist():
    assert [d.name.rsplit(":", 2)[-2:] for d in tf.config.list_logical_devices("CPU")] == [["CPU", "0"], ["CPU", "1"]]


@pytest.mark.parametrize("name", TF_TRAINERS)
@pytest.mark.parametrize("device", ["/CPU:0", "/CPU:1"])
def test_parameters_and_results_land_on_the_requested_device(train, name, device):
    from impls.problem import Config
    from tests.conftest import build

    config = Config(steps=30)
    trainer = build(name, config, device)
    assert trainer.placed_on() == device.lstrip("/")
    history = trainer.train()
    assert trainer.placed_on() == device.lstrip("/")  # still there after fit() and the graph loop
    other = train(name, config, "/CPU:1" if device == "/CPU:0" else "/CPU:0")
    np.testing.assert_array_equal(history.W, other.W)  # same ops, other device: the same bits


def test_numpy_runs_on_the_cpu_only():
    assert trainer_class("numpy_manual").devices == ("cpu",)


@pytest.mark.skipif(not gpus_visible(), reason="TensorFlow sees no GPU on this machine")
@pytest.mark.parametrize("name", TF_TRAINERS)
def test_gpu_run_lands_on_the_gpu_and_converges(train, name):
    from impls.problem import Config, converged
    from tests.conftest import build

    trainer = build(name, Config(), "gpu")
    assert trainer.placed_on().startswith("GPU")
    assert converged(Config(), *trainer.train().final)
