"""The package: the lock (requirements*.txt) pins what pyproject.toml accepts, and its `fitways` command is compare.py's."""

import importlib
import os
import re

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import compare

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pins(name):
    """{package: version} of a lock file (uv's `name==version` lines, comments and blank lines left out)."""
    with open(os.path.join(ROOT, name)) as file:
        lines = [line.split("#")[0].strip() for line in file]
    return {canonicalize_name(line.split("==")[0]): Version(line.split("==")[1]) for line in lines if line}


def project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as file:
        return tomllib.load(file)


LOCKS = {  # lock file -> the extras it was compiled with (its first comment says the command)
    "requirements.txt": ["dev"],
    "requirements-torch.txt": ["dev", "torch"],
}


@pytest.mark.parametrize("lock, extras", LOCKS.items())
def test_the_lock_pins_every_dependency_within_pyprojects_range(lock, extras):
    table, pinned = project()["project"], pins(lock)
    wanted = table["dependencies"] + [r for extra in extras for r in table["optional-dependencies"][extra]]
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{lock} does not pin {name}: refresh it (pyproject.toml says how)"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name}=={pinned[name]}, outside pyproject's {requirement.specifier}"
        )


@pytest.mark.parametrize("lock, extras", LOCKS.items())
def test_the_lock_says_the_command_that_made_it_and_pyproject_says_the_same(lock, extras):
    with open(os.path.join(ROOT, lock)) as file:
        header = file.read().split("\n")[1].lstrip("# ").strip()
    with open(os.path.join(ROOT, "pyproject.toml")) as file:
        assert header in file.read(), f"pyproject.toml's refresh commands do not include {header!r}"
    assert header.startswith("uv pip compile pyproject.toml") and header.endswith(f"-o {lock}")
    assert all(f"--extra {extra}" in header for extra in extras)


def test_the_torch_lock_is_the_base_lock_plus_torch():
    base, torch = pins("requirements.txt"), pins("requirements-torch.txt")
    assert {name: torch.get(name) for name in base} == base
    assert "torch" in torch and "torch" not in base


def test_the_fitways_command_is_compare_py():
    module, function = project()["project"]["scripts"]["fitways"].split(":")
    assert getattr(importlib.import_module(module), function) is compare.run  # compare.py's own


def test_every_module_the_command_needs_is_packaged():
    """Every package of this repository that the packaged modules import is in the wheel too."""
    packages = project()["tool"]["setuptools"]["packages"]
    local = set()
    for folder, _, files in os.walk(ROOT):
        if "__init__.py" in files and ".git" not in folder:
            local.add(os.path.relpath(folder, ROOT).replace(os.sep, "."))
    imported = set()
    for package in packages:
        folder = os.path.join(ROOT, *package.split("."))
        for file in os.listdir(folder):
            if file.endswith(".py"):
                with open(os.path.join(folder, file)) as source:
                    imported |= set(re.findall(r"^\s*(?:from|import) ([\w.]+)", source.read(), re.M))
    needed = {name for name in local if any(module == name or module.startswith(name + ".") for module in imported)}
    assert needed - {"benchmarks", "tests"} <= set(packages)
