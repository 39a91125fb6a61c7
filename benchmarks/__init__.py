"""The studies: each measures or explains one thing, in a module beside its script (python -m benchmarks.NAME),
using the harness (fitways) for problems, timing and checks."""

import ast
import textwrap

from fitways.output import warn
from fitways.report import WIDTH, write_json


def finish(json_path, document, failures, what="did not converge"):
    """How a measuring script ends: the JSON asked for (if any), one line naming what failed its check,
    and the exit status (1 when anything did). OutputError when the JSON cannot be written."""
    if json_path:
        write_json(json_path, document)
        warn(f"wrote {json_path}")
    if failures:
        print(textwrap.fill(f"{what}: {', '.join(failures)}", WIDTH, subsequent_indent="  ", break_on_hyphens=False))
        return 1
    return 0


def docstring(path):
    """The docstring of the module at `path`, read from its source (`python -OO` strips __doc__): a
    script's --help."""
    with open(path, encoding="utf-8") as source:
        return ast.get_docstring(ast.parse(source.read())) or ""
