"""Every number in the README's marked regions is what fitways.readme renders from the JSON in docs/:
a number typed by hand, or JSON regenerated without re-rendering, fails here."""

import os

import pytest

from benchmarks.sweep import crossings

# fitways/readme.py imports the studies from their old places; the course engineer replaces it with cogapp
# and deletes it (and this file): until that merges, these tests are skipped on this branch.
readme_module = pytest.importorskip("fitways.readme", reason="fitways.readme is being replaced by cogapp",
                                    exc_type=ImportError)  # fmt: skip
RenderError, cheapest, differences = readme_module.RenderError, readme_module.cheapest, readme_module.differences
main, render = readme_module.main, readme_module.render

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


@pytest.fixture(scope="module")
def readme():
    with open(os.path.join(ROOT, "README.md")) as file:
        text = file.read()
    return text, render(text, DOCS)


def test_every_region_is_what_the_json_renders(readme):
    text, rendered = readme
    assert "<!-- fitways:begin compare-table -->" in text and "<!-- fitways:begin benchmark-table -->" in text
    assert differences(text, rendered) == [], "run `python -m fitways.readme` after regenerating docs/"


def test_a_number_changed_by_hand_is_caught(readme):
    text, rendered = readme
    start = text.index("<!-- fitways:begin runs -->") + len("<!-- fitways:begin runs -->")
    edited = text[:start] + "9" + text[start:]  # "3" becomes "93"
    assert differences(edited, rendered) == ["runs"]


def test_check_exits_1_on_a_stale_readme_and_0_on_a_fresh_one(tmp_path, capsys, readme):
    text, rendered = readme
    path = tmp_path / "README.md"
    path.write_text(rendered)
    assert main(["--check", "--readme", str(path), "--docs", DOCS]) == 0
    path.write_text(rendered.replace("<!-- fitways:begin runs -->", "<!-- fitways:begin runs -->1", 1))
    assert main(["--check", "--readme", str(path), "--docs", DOCS]) == 1
    assert "region runs differs" in capsys.readouterr().out


@pytest.mark.parametrize(
    "text, message",
    [
        ("<!-- fitways:begin nonsense --><!-- fitways:end nonsense -->", "unknown region"),
        ("<!-- fitways:begin runs -->", "no matching fitways:end"),
        ("<!-- fitways:begin per-call:no_such_trainer --><!-- fitways:end per-call:no_such_trainer -->",
         "not in every compare run"),
    ],
)  # fmt: skip
def test_a_region_it_cannot_render_is_an_error(text, message):
    with pytest.raises(RenderError, match=message):
        render(text, DOCS)


def test_too_few_runs_is_an_error_not_a_range(tmp_path):
    with open(os.path.join(DOCS, "compare.json")) as file:
        (tmp_path / "compare.json").write_text(file.read())
    with pytest.raises(RenderError, match="at least 3"):
        render("<!-- fitways:begin runs --><!-- fitways:end runs -->", str(tmp_path))


def test_crossings_find_where_two_lines_change_order():
    numpy = {16: 15e-6, 4096: 25e-6, 2**20: 5e-3}
    xla = {16: 0.1e-6, 4096: 5e-6, 2**20: 6e-3}
    assert crossings(numpy, xla) == [(4096, 2**20)]
    assert crossings(numpy, {size: seconds / 2 for size, seconds in numpy.items()}) == []
    assert cheapest({"numpy": numpy, "xla": xla}) == [("xla", [16, 4096]), ("numpy", [2**20])]
