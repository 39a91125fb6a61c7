"""The course's shape, checked: every chapter opens with the question it answers, links the glossary,
and ends with what the reader can now explain and two or three exercises, each checked by a command;
the site's nav lists the chapters in learning order; every glossary link lands on an entry."""

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
CHAPTERS = [
    "01-the-textbook-fit.md", "02-why-autodiff.md", "03-depth.md", "04-reverse-mode.md", "05-compilation.md",
    "06-how-fast.md", "07-the-physical-limit.md", "08-other-frameworks.md", "09-scaling-out.md",
    "10-trusting-the-numbers.md",
]  # fmt: skip
OURS = [name for name in CHAPTERS if name not in ("03-depth.md", "07-the-physical-limit.md")]  # others' branches
PRESENT = [name for name in CHAPTERS if os.path.exists(os.path.join(DOCS, name))]


def read(name):
    with open(os.path.join(DOCS, name), encoding="utf-8") as file:
        return file.read()


def glossary_ids():
    return set(re.findall(r"\{#([a-z0-9-]+)\}", read("glossary.md")))


@pytest.mark.parametrize("name", PRESENT)
def test_a_chapter_opens_with_its_question_and_ends_with_exercises(name):
    text = read(name)
    assert text.startswith("# "), "the chapter's title first"
    assert "**The question:**" in text.split("\n## ")[0], "the question comes before the first section"
    assert "## What you can now explain" in text
    exercises = text.split("## Exercises", 1)[1]
    items = re.findall(r"^\d+\. (.*?)(?=^\d+\. |\Z)", exercises, re.M | re.S)
    assert 2 <= len(items) <= 3, f"{len(items)} exercises"
    for item in items:
        assert re.search(r"`(python|diff|KERAS_BACKEND|pytest)[^`]*`", item), (
            f"an exercise without a command: {item[:60]}"
        )


@pytest.mark.parametrize("name", [*PRESENT, "index.md"])
def test_every_glossary_link_lands_on_an_entry(name):
    ids = glossary_ids()
    links = re.findall(r"\]\(glossary\.md#([^)]+)\)", read(name))
    assert set(links) <= ids, set(links) - ids


def test_the_chapters_are_numbered_and_link_the_glossary():
    for name in OURS:
        assert read(name).startswith(f"# {int(name[:2])}. "), name
        assert "glossary.md#" in read(name), name


def test_the_site_lists_the_chapters_in_learning_order():
    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as file:
        nav = re.findall(r":\s*(\S+\.md)\s*$", file.read(), re.M)
    chapters = [name for name in nav if name in CHAPTERS]
    assert chapters == CHAPTERS and nav[0] == "index.md" and "glossary.md" in nav
