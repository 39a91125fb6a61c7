"""The import map: lessons depend on the frameworks and the shared problem only, the harness on the
lessons, and nothing runs back up — read from the source, so a stray import fails here."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAMEWORKS = {"numpy", "numba", "tensorflow", "keras", "jax", "torch"}
SHARED_PROBLEM = {"impls", "impls.problem", "impls.losses", "impls.mlp.problem"}


def python_files(folder):
    return sorted(os.path.join(folder, name) for name in os.listdir(os.path.join(ROOT, folder)) if name.endswith(".py"))


def imports(path):
    """Every module `path` imports, absolute names (from-imports give the module and module.name)."""
    with open(os.path.join(ROOT, path)) as source:
        tree = ast.parse(source.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def top(module):
    return module.split(".")[0]


STANDARD_LIBRARY = {"dataclasses", "math", "os", "sys", "json", "contextlib", "importlib", "functools", "re", "time",
                    "statistics", "tempfile", "typing", "argparse", "subprocess", "signal", "socket", "io", "platform",
                    "shutil", "ast", "abc", "threading", "collections", "itertools", "textwrap", "random", "timeit",
                    "gc", "traceback", "string", "pathlib", "selectors", "errno", "struct", "warnings", "logging"}  # fmt: skip


@pytest.mark.parametrize("path", python_files("impls") + python_files("impls/mlp"))
def test_a_lesson_imports_only_frameworks_and_the_shared_problem(path):
    allowed = FRAMEWORKS | SHARED_PROBLEM | STANDARD_LIBRARY
    strays = {m for m in imports(path) if m not in allowed and top(m) not in FRAMEWORKS | STANDARD_LIBRARY}
    assert not strays, f"{path} imports {strays}"


@pytest.mark.parametrize("path", python_files("fitways"))
def test_the_harness_never_imports_the_command_line_tests_or_benchmarks(path):
    assert not {m for m in imports(path) if top(m) in {"compare", "tests", "benchmarks", "conftest"}}


@pytest.mark.parametrize("path", python_files("benchmarks") + python_files("tests"))
def test_benchmarks_and_tests_use_the_harness_not_the_command_lines_helpers_or_a_conftest(path):
    found = imports(path)
    assert "conftest" not in {top(m) for m in found} and "tests.conftest" not in found
    if path.startswith("benchmarks"):
        assert not {m for m in found if top(m) in {"compare", "tests"} or m.startswith("benchmarks.")}


def test_the_import_map_has_no_cycle_between_packages():
    edges = {}
    for package in ("impls", "fitways"):
        for path in python_files(package):
            edges.setdefault(package, set()).update(top(m) for m in imports(path) if top(m) in {"impls", "fitways"})
    assert "fitways" not in edges["impls"] and "impls" in edges["fitways"]
