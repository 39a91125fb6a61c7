"""The grown problem: every network lesson follows numpy's hand-written backpropagation update by
update, from the same seeded start on the same batches, to the float64 reference's answer.

Drift, measured (python compare.py --problem mlp, and the trajectories here): over 150 updates the
float32 lessons stay within 5e-7 of numpy_manual in every parameter and 5e-6 relative in the batch
loss; over 3000 updates within 3e-6. tanh is computed by different code in each framework (libm in
numpy, Eigen in TensorFlow, XLA's own rational approximation under jit, ATen in PyTorch) and the
hidden layer's sums run in different orders, so each update differs by float32 rounding; SGD near
this minimum shrinks such differences rather than growing them. The tolerances below are 20×
that drift: a real mistake (a dropped factor, another batch order) is off by 1e-2 or more.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from fitways import command
from fitways.checks import verdict
from impls.mlp import numpy_manual as mlp_numpy
from impls.mlp.problem import sgd_float64
from tests.helpers import MLP, MLP_INSTALLED, final, logged

RTOL, ATOL = MLP.equivalence
CONFIGS = {
    "default": MLP.Config(),
    "two epochs, uneven pass, 7 units": MLP.Config(samples=1000, batch_size=36, updates=60, seed=3, hidden=7),
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def assert_same_trajectory(ours, numpy_run):
    for name in MLP.parameters:
        np.testing.assert_allclose(ours[name], numpy_run[name], rtol=RTOL, atol=ATOL, err_msg=name)
    np.testing.assert_allclose(ours.loss, numpy_run.loss, rtol=1e-4, atol=1e-7)


@pytest.mark.slow
@pytest.mark.parametrize("config", list(CONFIGS.values())[1:], ids=list(CONFIGS)[1:])  # the default: test_every_problem
@pytest.mark.parametrize("name", [n for n in MLP_INSTALLED if n != "numpy_manual"])
def test_same_trajectory_as_numpys_backpropagation(name, config):
    ours, numpy_run = logged(name, config), logged("numpy_manual", config)
    assert ours.updates.tolist() == list(range(1, config.updates + 1)) and ours.diverged_at is None
    assert_same_trajectory(ours, numpy_run)


@pytest.mark.slow
@pytest.mark.parametrize("name", MLP_INSTALLED)
def test_the_timed_run_ends_where_the_recorded_run_ends_and_converges(name):
    config = CONFIGS["default"]
    timed, logged_final = final(name, config), logged(name, config).final
    for parameter in MLP.parameters:
        np.testing.assert_allclose(timed[parameter], logged_final[parameter], rtol=1e-6, atol=1e-6)
    data = MLP.make_data(config)
    reference = MLP.reference(config, data)
    assert verdict(reference, timed, MLP.loss(config, timed, *MLP.trained(config, data)))[0]


def test_the_comparison_fails_for_a_backpropagation_with_a_factor_dropped(monkeypatch):
    """The control: numpy's backprop without tanh′ = 1 − h² runs, but leaves the others' path."""
    config = CONFIGS["default"]
    right, numpy_run = mlp_numpy.mse, logged("numpy_manual", config)  # before the patch: it would use it too
    monkeypatch.setattr(mlp_numpy, "mse", lambda r, x, h, w2: right(r, x, np.zeros_like(h), w2)[:3] + right(r, x, h, w2)[3:])
    broken = mlp_numpy.Trainer(config, MLP.make_data(config))
    rows = []
    broken.train(log=lambda update, loss, *params: rows.append([np.array(p, np.float64) for p in params]))
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(rows[-1][0], numpy_run["W1"][-1], rtol=RTOL, atol=ATOL)


def test_the_float64_reference_is_an_independent_replay_of_the_same_updates():
    """sgd_float64 (the harness's own float64 code) and numpy_manual run in float64 agree to 1e-12."""
    config = MLP.Config(hidden=5, updates=40)
    data = MLP.make_data(config)
    x, y = MLP.trained(config, data)
    replay = sgd_float64(config, MLP.start(config), x, y)
    lesson = mlp_numpy.Trainer(config, data)  # then made float64 throughout: reset() would round to float32
    lesson.W1, lesson.b1, lesson.w2, lesson.b2 = (np.asarray(v, np.float64) for v in MLP.initial_parameters(config))
    lesson.lr = np.float64(config.lr)
    lesson.batches = [(bx.astype(np.float64), by.astype(np.float64)) for bx, by in lesson.batches]
    ours = MLP.named(config, lesson.train())
    for name in MLP.parameters:
        np.testing.assert_allclose(ours[name], replay[name], rtol=1e-12, atol=1e-12)


def test_a_line_fits_the_target_badly_and_the_network_well():
    config = MLP.Config()
    reference = MLP.reference(config, MLP.make_data(config))
    noise_floor = config.noise**2 / 12  # the variance of noise·U[0, 1)
    assert reference.ceiling * MLP.LEARNED > 1000 * noise_floor  # the best line: ~0.5
    assert reference.loss < reference.ceiling / 10


@pytest.mark.slow
def test_compare_trains_every_network_lesson_converged(capsys):
    assert command.main(["--problem", "mlp", "--repeat", "1", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert f"verdict:          all {len(MLP_INSTALLED)} runs converged" in out
    assert "16 tanh units, 49 parameters" in out


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--hidden", "4"], "; --problem line has no such setting"),  # the problems that have it: any number
        (["--problem", "mlp", "--hidden", "0"], "--hidden must be between 1 and 65536, got 0"),
        (["--problem", "mlp", "--impl", "tf_multiworker"], "--impl tf_multiworker: --problem mlp has no lesson of that name"),
        (["--problem", "mlp", "--hidden", "65536", "--batch-size", "3000"], "activations per layer, more than"),
        (["--problem", "mlp", "--loss", "huber"], "--loss huber: the mlp lessons minimise mse only"),
        (["--problem", "mlp", "--replicas", "2"], "--replicas applies to the data-parallel trainers"),
    ],
)
def test_bad_network_input_is_one_line_and_exit_2_before_any_framework_loads(argv, message):
    done = subprocess.run([sys.executable, "-X", "importtime", "compare.py", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60)
    errors = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert done.returncode == 2 and len(errors) == 1 and errors[0].startswith("error: ") and message in errors[0]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert not {"tensorflow", "jax", "torch"} & set(imported)  # rejected before any slow import


@pytest.mark.slow
@pytest.mark.parametrize("name", ["numpy_manual", "jax_loop"])
def test_a_network_lesson_runs_alone_and_prints_its_log(name):
    done = subprocess.run([sys.executable, "-m", f"impls.mlp.{name}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == 10 and lines[0] == "At step 0, loss = 0.5470", done.stdout
