"""Lines by hand, counted from the lessons: what backpropagation by hand costs as the model grows from
the line to one tanh layer to L of them, and what the autodiff lessons change for the same growth.

    python -m benchmarks.lines_by_hand --json docs/lines_by_hand.json

What is counted, from the source files (impls/NAME.py, impls/mlp/NAME.py, impls/deep/NAME.py):

- a code line: a physical line of a function's body that holds code once comments are removed; the
  docstring, comments and blank lines are not counted, and a statement over two lines counts two.
- hand-written gradient code (numpy_manual only): the code lines of `mse`, the function that turns
  the forward pass's values (the residual, the kept layer outputs) into the loss and its gradient.
- the loss-and-gradient code of a lesson: `Trainer.loss_and_gradient`, with `mse` for numpy_manual,
  and for jax_loop the module-level `loss_and_grad` (its Trainer's method only unpacks what it returns).
- changed lines from one problem to the next: code lines of the newer problem's loss-and-gradient
  code that have no equal line in the older one's (difflib.SequenceMatcher over the lines, each with
  its comment and its indentation removed): replaced or added lines, not removed ones.
- differentiation calls: changed lines that call the framework's reverse mode (tape.gradient,
  value_and_grad, autograd.grad); every other changed line of an autodiff lesson is forward pass.
"""

import ast
import difflib
import io
import os
import sys
import tokenize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBLEMS = {"line": "impls", "mlp": "impls/mlp", "deep": "impls/deep"}  # in the order the model grows
LESSONS = {  # lesson: the functions that compute the loss and its gradient from a batch
    "numpy_manual": ("Trainer.loss_and_gradient", "mse"),
    "gradient_tape": ("Trainer.loss_and_gradient",),
    "jax_loop": ("loss_and_grad",),
    "torch_eager": ("Trainer.loss_and_gradient",),
}
HAND_WRITTEN = "mse"
DIFFERENTIATION = ("tape.gradient", "value_and_grad", "autograd.grad")


def function_node(tree, qualname):
    """The FunctionDef for "name" (module level) or "Class.name"."""
    scope = tree
    for part in qualname.split("."):
        scope = next(node for node in scope.body if getattr(node, "name", None) == part)
    return scope


def code_lines(source, qualname):
    """The code lines of a function's body, each stripped of its comment and surrounding whitespace."""
    node = function_node(ast.parse(source), qualname)
    body = node.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]  # the docstring
    if not body:
        return []
    first, last = body[0].lineno, body[-1].end_lineno
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and first <= token.start[0] <= last:
            row, column = token.start
            lines[row - 1] = lines[row - 1][:column]
    return [line.strip() for line in lines[first - 1 : last] if line.strip()]


def changed_lines(older, newer):
    """The lines of `newer` that SequenceMatcher finds no equal for in `older` (replaced or added)."""
    matcher = difflib.SequenceMatcher(a=older, b=newer, autojunk=False)
    return [line for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal" for line in newer[j1:j2]]


def count(sources):
    """{"hand_written": {problem: lines}, "lessons": {lesson: {problem: {"lines", "changed",
    "differentiation_calls_changed"}}}} from {(problem, lesson): source text}."""
    hand = {problem: len(code_lines(sources[problem, "numpy_manual"], HAND_WRITTEN)) for problem in PROBLEMS}
    lessons = {}
    for lesson, functions in LESSONS.items():
        rows, previous = {}, None
        for problem in PROBLEMS:
            lines = [line for qualname in functions for line in code_lines(sources[problem, lesson], qualname)]
            row = {"lines": len(lines)}
            if previous is not None:
                changed = changed_lines(previous, lines)
                row["changed"] = len(changed)
                row["differentiation_calls_changed"] = sum(
                    any(call in line for call in DIFFERENTIATION) for line in changed
                )
            rows[problem], previous = row, lines
        lessons[lesson] = rows
    return {"hand_written": hand, "lessons": lessons}


def read_sources(root=ROOT):
    sources = {}
    for problem, folder in PROBLEMS.items():
        for lesson in LESSONS:
            with open(os.path.join(root, folder, f"{lesson}.py"), encoding="utf-8") as file:
                sources[problem, lesson] = file.read()
    return sources


def measure(root=ROOT):
    return {
        "files": {problem: f"{folder}/NAME.py" for problem, folder in PROBLEMS.items()},
        **count(read_sources(root)),
    }


def markdown_table(data):
    """A table: per lesson, the loss-and-gradient code's lines for each problem and how many changed from
    the one before (the hand-written gradient's lines first)."""
    problems = list(data["hand_written"])
    names = {"line": "line", "mlp": "one tanh layer", "deep": "L tanh layers"}
    lines = [
        "| lesson | " + " | ".join(names.get(problem, problem) for problem in problems) + " |",
        "|---|" + "---:|" * len(problems),
        "| numpy_manual: gradient code written by hand | "
        + " | ".join(str(data["hand_written"][problem]) for problem in problems) + " |",
    ]  # fmt: skip
    for lesson, rows in data["lessons"].items():
        cells = []
        for problem in problems:
            row = rows[problem]
            if "changed" not in row:
                cells.append(f"{row['lines']}")
                continue
            calls = row["differentiation_calls_changed"]
            of_which = f", {calls} of them the gradient call" if calls else ""
            cells.append(f"{row['lines']} ({row['changed']} changed{of_which})")
        lines.append(f"| {lesson}: loss and gradient | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    from benchmarks import docstring
    from fitways.cli import Parser, UsageError
    from fitways.output import path_problem
    from fitways.report import write_json

    parser = Parser(description=docstring(__file__).split("\n\n")[0])
    parser.add_argument("--json", metavar="PATH", help="write the counts as JSON")
    args = parser.parse_args(argv)
    bad_path = args.json is not None and path_problem(args.json, ".json")
    if bad_path:
        raise UsageError(f"--json {bad_path}")
    data = measure()
    sys.stdout.write(markdown_table(data))
    if args.json:
        write_json(args.json, data)
    return 0


if __name__ == "__main__":
    from fitways.signals import run_command

    sys.exit(run_command(main))
