"""One meaning per word, checked: trace is not compile, an update is not a step, a trainer is not an
"impl", and "record" belongs to autodiff's tape. Scans the lessons' docstrings and comments, the
text of compare.py --help (the argparse help and the trainer summaries), the notebook, README.md and
docs/*.md for the misuses known to creep back. Fast tier: files are read as text, nothing imported."""

import glob
import io
import os
import re
import tokenize

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MISUSES = {
    "tracing called compiling (tf.function traces into a graph; XLA compiles)": re.compile(
        r"compil\w*\s+(in)?to\s+a\s+graph|compil\w*\s+(with|by)\s+`?tf\.function|what compilation changes", re.I
    ),
    '"step" for an update (the textbook\'s log line aside)': re.compile(
        r"\b(the|that|this|each|every|one|per|a|training|train)\s+steps?\b(?!\s+(h\b|size|grows|of\s+h))", re.I
    ),
    '"impl" as a noun (say trainer, or lesson)': re.compile(
        r"\b(an|the|every|each|one|this|that|new|your|my)\s+impls?\b", re.I
    ),
    '"record" for tracing or logging (it is autodiff\'s tape only)': re.compile(
        r"record\w*\s+(the\s+)?(\w+\s+)?ops\s+(it\s+runs\s+)?into\s+a\s+graph|keeps\s+a\s+record|record\w*\s+"
        r"(TensorFlow's\s+)?profiler|profiler\s+recorded|record\w*\s+(the|a|its)\s+trajector|recorded\s+trajector",
        re.I,
    ),
}


def python_text(path):
    """The docstrings, string literals and comments of a Python file: the prose a reader sees."""
    with open(path, encoding="utf-8") as file:
        source = file.read()
    kept = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.STRING, tokenize.COMMENT):
            kept.append((token.start[0], token.string))
    return kept


def markdown_text(path):
    """Prose of a markdown file: fenced code and inline code removed (commands are not prose)."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    text = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [(number, line) for number, line in enumerate(text.splitlines(), 1)]


def sources():
    python = sorted(glob.glob(os.path.join(ROOT, "impls", "**", "*.py"), recursive=True))
    python += [os.path.join(ROOT, *name) for name in (("fitways", "command.py"), ("fitways", "cli.py"),
                                                      ("fitways", "registry.py"), ("notebooks", "tour.py"))]  # fmt: skip
    markdown = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    return [(path, python_text) for path in python if os.path.exists(path)] + [
        (path, markdown_text) for path in markdown
    ]


def misuses(lines):
    found = []
    for number, text in lines:
        flat = " ".join(text.split())
        for what, pattern in MISUSES.items():
            found += [(number, what, match.group(0)) for match in pattern.finditer(flat)]
    return found


@pytest.mark.parametrize(
    "path, read", sources(), ids=lambda value: os.path.relpath(value, ROOT) if isinstance(value, str) else ""
)
def test_one_meaning_per_word(path, read):
    found = misuses(read(path))
    assert not found, "\n".join(f"{os.path.relpath(path, ROOT)}:{n}: {what}: {text!r}" for n, what, text in found)


@pytest.mark.parametrize(
    "sentence",
    [
        "gradient_tape's update compiled into a graph with tf.function",
        "the same step compiled with tf.function",
        "## 2. What compilation changes",
        "every impl follows numpy",
        "TorchDynamo records the torch ops it runs into a graph",
        "also record TensorFlow's profiler trace",
        "one step costs 3 µs",
    ],
)
def test_the_known_misuses_are_found(sentence):
    assert misuses([(1, sentence)])


@pytest.mark.parametrize(
    "sentence",
    [
        "At step 300, loss = 0.0028",  # the textbook's log line
        "the tape records the forward pass",  # autodiff's tape
        "a central difference with step h = 1e-6",  # a finite difference's step
        "the whole loop compiled by XLA",
        "the update traced into a graph by tf.function",
        "python compare.py --impl numpy_manual",
    ],
)
def test_the_right_uses_pass(sentence):
    assert not misuses([(1, sentence)])
