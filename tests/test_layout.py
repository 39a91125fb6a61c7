"""The import map: lessons depend on the frameworks and their problem definition only; a problem
definition (problem.py) on the harness's small base (fitways.problem) only; the harness names no problem
and finds the lessons by discovery; nothing runs back up — read from the source, so a stray import fails here."""

import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAMEWORKS = {"numpy", "numba", "tensorflow", "keras", "jax", "torch"}
PROBLEM_BASE = "fitways.problem"  # what a problem.py may use of the harness


def python_files(folder):
    return sorted(os.path.join(folder, name) for name in os.listdir(os.path.join(ROOT, folder)) if name.endswith(".py"))


def lesson_folders(root="impls"):
    """impls/ and every folder under it that holds Python files: each is a folder of lessons."""
    found = []
    for folder, subfolders, files in os.walk(os.path.join(ROOT, root)):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        if any(name.endswith(".py") for name in files):
            found.append(os.path.relpath(folder, ROOT))
    return found


LESSON_FILES = [path for folder in lesson_folders() for path in python_files(folder)]


def shared_problem(module):
    """A lesson may import its package and the problem definitions and loss under impls/."""
    parts = module.split(".")
    return parts[0] == "impls" and (len(parts) == 1 or parts[-1] in {"problem", "losses"} or module.endswith(".problem"))


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


def test_every_lesson_folder_is_scanned():
    assert {"impls", os.path.join("impls", "mlp")} <= set(lesson_folders())


@pytest.mark.parametrize("path", LESSON_FILES)
def test_a_lesson_imports_only_frameworks_and_the_shared_problem(path):
    """problem.py alone may also import the harness's problem base (fitways.problem), nothing else of it."""
    allowed = FRAMEWORKS | STANDARD_LIBRARY | ({PROBLEM_BASE} if os.path.basename(path) == "problem.py" else set())
    strays = {m for m in imports(path) if m not in allowed and top(m) not in FRAMEWORKS | STANDARD_LIBRARY
              and not shared_problem(m)}  # fmt: skip
    assert not strays, f"{path} imports {strays}"


@pytest.mark.parametrize("path", python_files("fitways"))
def test_the_harness_never_imports_the_command_line_tests_or_benchmarks(path):
    assert not {m for m in imports(path) if top(m) in {"compare", "tests", "benchmarks", "conftest"}}


@pytest.mark.parametrize("path", python_files("benchmarks") + python_files("tests"))
def test_benchmarks_and_tests_use_the_harness_not_the_command_lines_helpers_or_a_conftest(path):
    found = imports(path)
    assert "conftest" not in {top(m) for m in found} and "tests.conftest" not in found
    if path.startswith("benchmarks"):  # a study's script may import its study module (benchmarks.NAME)
        assert not {m for m in found if top(m) in {"compare", "tests"}}


def test_the_lessons_reach_the_harness_only_through_the_problem_base():
    reached = {m for path in LESSON_FILES for m in imports(path) if top(m) == "fitways"}
    assert reached <= {PROBLEM_BASE}, reached


# A problem or a parameter, spelled in the harness: a quoted name, or an attribute a Config or a problem has.
NAMED = re.compile(r"""["'](line|mlp|W|b|W1|b1|w2|b2|hidden)["']|\bmlp\b|\bMLP\b|\bLINE\b|\.hidden\b"""
                   r"|\btrue_W\b|\btrue_b\b|\bW0\b|\bb0\b|\bLEARNED\b")  # fmt: skip


@pytest.mark.parametrize("path", python_files("fitways"))
def test_the_harness_names_no_problem_and_no_parameter(path):
    with open(os.path.join(ROOT, path)) as source:
        found = [f"{number}: {text.strip()}" for number, text in enumerate(source, 1) if NAMED.search(text)]
    assert not found, f"{path} names a problem or a parameter:\n" + "\n".join(found)


def module_name(path):
    return path[:-3].replace(os.sep, ".").removesuffix(".__init__")


def first_party_imports(path, known):
    """The first-party modules `path` imports, anywhere in it (inside functions too), but not under
    `if TYPE_CHECKING:` (annotations only: never run). `from a import b` counts a.b where that is a module."""
    with open(os.path.join(ROOT, path)) as source:
        tree = ast.parse(source.read())
    skipped = {id(node) for stmt in ast.walk(tree) if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test)
               for node in ast.walk(stmt)}  # fmt: skip
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def import_cycles(packages=("fitways", "impls")):
    """Every cycle among the modules of `packages` (a strongly connected component of more than one module)."""
    paths = [path for package in packages for folder in lesson_folders(package) for path in python_files(folder)]
    known = {module_name(path): path for path in paths}
    graph = {module: first_party_imports(path, known) - {module} for module, path in known.items()}
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(module):  # Tarjan's strongly connected components
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycle_counting_imports_inside_functions():
    assert import_cycles() == []
