"""The course builds as a site: `mkdocs build --strict` fails on a broken link, a missing page or an
unknown anchor, and so does this test."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Chapters written on other branches (depth, limit); until they are merged the build gets a title only.
OTHER_BRANCHES = {"03-depth.md": "# 3. Depth\n", "07-the-physical-limit.md": "# 7. The physical limit\n"}


@pytest.mark.slow
def test_the_site_builds_in_strict_mode(tmp_path):
    pytest.importorskip("mkdocs")
    shutil.copytree(os.path.join(ROOT, "docs"), tmp_path / "docs")
    shutil.copy(os.path.join(ROOT, "mkdocs.yml"), tmp_path)
    for name, title in OTHER_BRANCHES.items():
        if not (tmp_path / "docs" / name).exists():
            (tmp_path / "docs" / name).write_text(title)
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    for page in ("index.html", "glossary/index.html", "05-compilation/index.html", "tour/index.html"):
        assert (tmp_path / "site" / page).exists(), page
