"""What is measured is what is labelled: a variable that switches a compiler off, or a Keras configuration
that changes the precision, is refused in one line (exit 2) before any framework loads, when a lesson it
would change runs. Before, each run converged under the compiled way's name (numba_loop at ~6,000 µs per
update still called the floor), and keras_fit trained in float16 (exit 0 both)."""

import json

import pytest

from fitways import command


def refused(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        command.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    "variable, value, trainer",
    [
        ("NUMBA_DISABLE_JIT", "1", "numba_loop"),
        ("JAX_DISABLE_JIT", "true", "jax_jit"),
        ("JAX_DISABLE_JIT", "1", "jax_loop"),
        ("TORCHDYNAMO_DISABLE", "1", "torch_compile"),
        ("TORCH_COMPILE_DISABLE", "1", "torch_compile"),
    ],
)
def test_a_variable_that_switches_a_compiler_off_is_refused(monkeypatch, capsys, variable, value, trainer):
    monkeypatch.setenv(variable, value)
    err = refused(capsys, ["--impl", trainer])
    assert err.startswith(f"error: {variable}={value} turns ") and f"and {trainer} would run uncompiled" in err


def test_a_switch_that_is_off_or_concerns_no_trainer_that_runs_is_left_alone(monkeypatch):
    from fitways.environment import check_compilers
    from tests.helpers import LINE

    monkeypatch.setenv("NUMBA_DISABLE_JIT", "0")
    check_compilers(LINE, ["numba_loop"])
    monkeypatch.setenv("JAX_DISABLE_JIT", "1")
    check_compilers(LINE, ["numpy_manual", "numba_loop"])


def test_a_keras_configuration_in_another_precision_is_refused(monkeypatch, capsys, tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({"floatx": "float16", "backend": "tensorflow"}))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    err = refused(capsys, ["--impl", "keras_fit"])
    assert "keras.json sets floatx to float16, and the Keras lessons train in float32" in err
    (tmp_path / "keras.json").write_text(json.dumps({"floatx": "float32"}))
    from fitways.environment import check_keras_precision

    check_keras_precision(["keras_fit"])  # float32: nothing to say
