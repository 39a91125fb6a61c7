"""The notebook tour: it runs top to bottom, and tour.ipynb is tour.py (jupytext) with no outputs."""

import os

import pytest

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "notebooks", "tour.ipynb")
TEXT = os.path.join(ROOT, "notebooks", "tour.py")


def cells(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_the_notebook_and_its_text_are_in_sync_and_stripped():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert cells(stored) == cells(jupytext.read(TEXT))
    assert all(
        not cell.get("outputs") and not cell.get("execution_count") for cell in stored.cells if cell.cell_type == "code"
    )
    # control: a changed cell is noticed
    changed = jupytext.read(TEXT)
    changed.cells[1].source += "\nprint()"
    assert cells(stored) != cells(changed)


@pytest.mark.slow
def test_the_tour_runs_top_to_bottom(tmp_path, monkeypatch):
    """From a working directory outside the checkout, fitways importable (before, the tour took the
    working directory's parent for the repository and failed)."""
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    monkeypatch.chdir(tmp_path)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))
    assert text.count("At step") == 10  # the textbook's ten log lines
    assert "+    @tf.function" in text  # the diff of gradient_tape and tf_function
    assert "old MSE formula" in text and "GradientTape" in text
    images = [
        output for cell in notebook.cells for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
    ]
    assert len(images) == 3  # the timeline, the benchmark figure, the grown model
