"""The package: pyproject.toml installs what requirements*.txt install, and its `fitways` command is compare.py's."""

import importlib
import os
import re

import pytest

import compare

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def requirements(name):
    """The requirement lines of a requirements file, comments and blank lines left out."""
    with open(os.path.join(ROOT, name)) as file:
        return [line.split("#")[0].strip() for line in file if line.split("#")[0].strip()]


def project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as file:
        return tomllib.load(file)


def test_dependencies_are_the_requirements_files():
    table = project()
    assert table["build-system"]["build-backend"]
    assert table["project"]["dependencies"] == requirements("requirements.txt")
    assert table["project"]["optional-dependencies"]["torch"] == requirements("requirements-torch.txt")


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
