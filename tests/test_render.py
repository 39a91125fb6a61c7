"""Every figure in README.md and docs/*.md is what `python -m benchmarks.render` renders from the JSON
in docs/: a number typed by hand, or JSON regenerated without re-rendering, fails here. Fast tier:
nothing here imports a framework."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("cogapp", reason="cogapp is in requirements.txt")

from benchmarks import render  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = re.compile(r"<!-- \[\[\[cog .*?\]\]\] -->\n(?P<body>.*?)<!-- \[\[\[end\]\]\] -->", re.S)


def test_the_regions_are_up_to_date(capsys):
    assert render.main(["--check"]) == 0, capsys.readouterr().out + " — run python -m benchmarks.render"


@pytest.mark.slow  # starts a process
def test_no_framework_is_loaded_by_rendering():
    """In a fresh process: rendering and checking read JSON, they never start a framework."""
    code = "import sys, benchmarks.render as r; r.main(['--check']); print(sorted({'tensorflow', 'jax', 'torch', 'keras'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_a_number_changed_by_hand_is_stale(tmp_path, capsys):
    root = copy_tree(tmp_path)
    readme = root / "README.md"
    text = readme.read_text()
    body = next(REGION.finditer(text))
    readme.write_text(text[: body.start("body")] + "9" + text[body.start("body") :])
    assert render.main(["--check"], root=str(root)) == 1
    assert "README.md: stale" in capsys.readouterr().out
    assert render.main([], root=str(root)) == 0
    assert readme.read_text() == text


def test_a_bad_argument_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        render.main(["--bogus"])
    assert exit_info.value.code == 2 and capsys.readouterr().err.count("\n") == 1


def test_a_failing_write_leaves_the_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "chapter.md"
    path.write_text("before\n")

    def refuse(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        render.write_atomically(str(path), "after\n")
    assert path.read_text() == "before\n"
    assert os.listdir(tmp_path) == ["chapter.md"]  # no temporary file left behind


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "docs/zz.json: cannot read"),
        ("{", "docs/zz.json: not valid JSON"),
        ('{"results": NaN}', "docs/zz.json: not valid JSON"),
        ('{"results": []}', "docs/zz.json: no key baseline"),
        ('{"baseline": "gradient_tape", "results": [{"trainer": "x", "error": "boom"}]}', "results[0] (x) failed"),
        (
            '{"baseline": "b", "results": [{"trainer": "x", "device": "cpu", "placed_on": "CPU:0", '
            '"parameters": {"W": 1.0}, "loss": "a"}]}',
            "results[0].loss is 'a', not a finite number",
        ),
    ],
)
def test_bad_json_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    root = copy_tree(tmp_path)
    target = root / "docs" / "zz.json"
    chapter = root / "docs" / "zz-test.md"
    chapter.write_text(
        '<!-- [[[cog import benchmarks.render as r; cog.out(r.markdown_compare(r.load("docs/zz.json"))) ]]] -->\n'
        "<!-- [[[end]]] -->\n"
    )
    if content is not None:
        target.write_text(content)
    monkey_root(root)
    try:
        assert render.main(["--check"], root=str(root)) == 2
    finally:
        monkey_root(ROOT)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert err.startswith("error: docs/zz-test.md: ")


def test_text_from_the_json_cannot_inject_markers():
    hostile = "x]]] --> <!-- [[[end]]] --> <script>|"
    shown = render.escape(hostile)
    assert not set("<>|[]") & set(shown)
    document = render.Checked({"machine": {"cpu": hostile, "python": "3"}}, "docs/x.json")
    assert "[[[" not in render.markdown_machine(document) and "-->" not in render.markdown_machine(document)


def test_every_figure_in_the_docs_comes_from_a_region():
    """Outside regions, fenced code and inline code, no prose types a measured time or ratio."""
    figure = re.compile(r"\d[\d,.]*\s*(µs|ms\b|×)")
    for path in render.documents():
        with open(path, encoding="utf-8") as file:
            text = file.read()
        text = REGION.sub("", text)
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        text = re.sub(r"`[^`\n]*`", "", text)
        typed = [m.group(0) for m in figure.finditer(text)]
        assert typed == [], f"{os.path.relpath(path, ROOT)} types figures by hand: {typed[:5]}"


def test_every_region_is_a_whole_block():
    """A region starts on its own line, after a blank line: a whole table or paragraph, never inline."""
    for path in render.documents():
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
        for index, line in enumerate(lines):
            if "[[[cog" in line:
                assert line.startswith("<!-- [[[cog") and line.endswith("]]] -->"), f"{path}:{index + 1}"
                assert index == 0 or lines[index - 1] == "", f"{path}:{index + 1}: no blank line before the region"


def test_the_ladder_quotes_a_range_over_the_runs():
    runs = render.load_runs()
    ladder = render.markdown_ladder(runs)
    assert "| tf_xla |" in ladder and f"Median over {len(runs)} compare runs" in ladder


def test_too_few_runs_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "ROOT", str(tmp_path))
    (tmp_path / "docs").mkdir()
    shutil.copy(os.path.join(ROOT, "docs", "compare.json"), tmp_path / "docs")
    with pytest.raises(render.RenderError, match="at least 3"):
        render.load_runs()


def test_crossings_find_where_two_lines_change_order():
    numpy = {16: 15e-6, 4096: 25e-6, 2**20: 5e-3}
    xla = {16: 0.1e-6, 4096: 5e-6, 2**20: 6e-3}
    assert render.crossings(numpy, xla) == [(4096, 2**20)]
    said = render.markdown_crossovers({"numpy": numpy, "xla": xla}, "numpy", "batch")
    assert "xla and numpy change order once, between batch 4,096 and 1,048,576" in said
    assert "numpy's update is the cheaper" in said


def copy_tree(tmp_path):
    """README.md and docs/ copied, so that a test can break them."""
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "README.md"), root)
    (root / "notebooks").mkdir()
    shutil.copy(os.path.join(ROOT, "notebooks", "tour.ipynb"), root / "notebooks")
    for name in os.listdir(os.path.join(ROOT, "docs")):
        if name.endswith((".md", ".json")):
            shutil.copy(os.path.join(ROOT, "docs", name), root / "docs")
    return root


def monkey_root(root):
    render.ROOT = str(root)


def test_json_files_are_strict():
    for name in os.listdir(os.path.join(ROOT, "docs")):
        if name.endswith(".json"):
            with open(os.path.join(ROOT, "docs", name)) as file:
                json.load(file, parse_constant=render._refuse_constant)
