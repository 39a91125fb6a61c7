"""The fast tier, `pytest -m "not slow"`, is what it says: once every other test has run, no framework
is loaded and no process was started. (A test that needs either is marked slow.)"""

import os

import pytest

from tests import session

FRAMEWORK_MODULES = ["tensorflow", "keras", "jax", "torch", "numba"]  # numba loads LLVM; each is ~0.1-1.5 GB


@pytest.mark.session_end
def test_the_fast_tier_loaded_no_framework_and_started_no_process(request):
    if " ".join((request.config.getoption("markexpr") or "").split()) != "not slow":
        pytest.skip('checks the fast tier only: pytest -m "not slow"')
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("one worker sees only its own tests: run the fast tier without -n")
    assert session.loaded(FRAMEWORK_MODULES) == [], "a test not marked slow loaded a framework"
    starters = sorted({test for test, _, _ in session.started})
    assert not starters, "not marked slow, these tests started a process:\n" + "\n".join(starters)
