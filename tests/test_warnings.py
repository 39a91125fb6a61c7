"""Warnings: one from fitways' own code fails the test that raised it; a third-party deprecation is
shown, not fatal (pyproject.toml's filterwarnings), so a dependency's new release cannot stop the tests."""

import warnings

import pytest


def warn_from(module, category):
    """Raise a warning attributed to `module`, as code in that module would."""
    code = compile("warnings.warn('retired', category)", f"<{module}>", "exec")
    exec(code, {"__name__": module, "warnings": warnings, "category": category})


@pytest.mark.parametrize("module", ["fitways.report", "impls.gradient_tape", "benchmarks.sweep_width"])
@pytest.mark.parametrize("category", [DeprecationWarning, FutureWarning, UserWarning])
def test_a_warning_in_our_own_code_is_an_error(module, category):
    with pytest.raises(category, match="retired"):
        warn_from(module, category)


@pytest.mark.parametrize("module", ["tensorflow.python.util", "keras.src.backend", "jax._src.config"])
@pytest.mark.parametrize("category", [DeprecationWarning, PendingDeprecationWarning, FutureWarning])
def test_a_third_party_deprecation_is_shown_not_fatal(module, category):
    with pytest.warns(category, match="retired"):
        warn_from(module, category)
