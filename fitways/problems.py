"""The problems, found: every folder of lessons with a problem.py, in the package impls (the folder itself,
then each folder under it, by name) and in any package named in $FITWAYS_PROBLEMS (comma-separated).

Each problem.py exports PROBLEM, a fitways.problem.Problem whose `trainers` is its trainer table
(README.md's "Add a problem": the recipe). The first problem found is the default: impls/problem.py's.
Nothing here names a problem: add a folder, and compare.py, the tests and the benchmarks run it.
"""

import importlib
import importlib.util
import os
import sys

from fitways.problem import Problem

ROOT_PACKAGE = "impls"


class NoSuchPackage(ImportError):
    """A package to search that is not there: the user's to fix (a bug inside a problem.py keeps its traceback)."""


def packages():
    """The root packages searched: impls, then those named in $FITWAYS_PROBLEMS."""
    extra = [name.strip() for name in os.environ.get("FITWAYS_PROBLEMS", "").split(",") if name.strip()]
    return [ROOT_PACKAGE, *extra]


def problem_modules(package):
    """`package`.problem, if the folder has one, then `package`.SUB.problem for each folder SUB under it."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        raise NoSuchPackage(f"$FITWAYS_PROBLEMS names {package!r}, which is no package on the path")
    found = []
    for folder in dict.fromkeys(os.path.realpath(f) for f in spec.submodule_search_locations):  # once each
        if os.path.isfile(os.path.join(folder, "problem.py")):
            found.append(f"{package}.problem")
        for sub in sorted(os.listdir(folder)):
            if os.path.isfile(os.path.join(folder, sub, "problem.py")) and sub.isidentifier():
                found.append(f"{package}.{sub}.problem")
    return found


def discover(roots: list[str] | None = None) -> dict[str, Problem]:
    """{name: Problem} for every problem.py found under `roots` (default: packages())."""
    found: dict[str, Problem] = {}
    for root in roots or packages():
        for module_name in problem_modules(root):
            problem = importlib.import_module(module_name).PROBLEM
            if not isinstance(problem, Problem):
                raise TypeError(f"{module_name}.PROBLEM is not a fitways.problem.Problem")
            if problem.name in found and found[problem.name] is not problem:
                raise ValueError(f"{module_name}: a second problem named {problem.name!r}")
            found[problem.name] = problem
    return found


try:
    PROBLEMS = discover()
except NoSuchPackage as error:  # bad input: one line, exit 2
    print(f"error: {error}", file=sys.stderr)
    raise SystemExit(2) from None
DEFAULT = next(iter(PROBLEMS))
