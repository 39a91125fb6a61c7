"""The notebook tour: tour.ipynb is tour.py (jupytext) stored with its outputs, it uses only what a
student would (the lessons, compare.py, the committed JSON), and it runs top to bottom.

After editing notebooks/tour.py, store the notebook with its outputs: `python tests/test_notebook.py`
(it executes the text and writes tour.ipynb, leaving out the frameworks' start-up lines on stderr), then
`python -m benchmarks.render` (docs/tour.md shows what the stored notebook printed)."""

import os
import re

import pytest

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "notebooks", "tour.ipynb")
TEXT = os.path.join(ROOT, "notebooks", "tour.py")
IMAGES = 4  # the cost of a gradient, the timeline, the batch sweep, the grown model


def cells(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def outputs(notebook):
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def test_the_notebook_and_its_text_are_in_sync_and_stored_with_outputs():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert cells(stored) == cells(jupytext.read(TEXT)), "run the notebook and save it (see tests/test_notebook.py)"
    code = [cell for cell in stored.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in code), "stored without running every cell"
    assert not [output for output in outputs(stored) if output.get("output_type") == "error"]
    assert sum("image/png" in output.get("data", {}) for output in outputs(stored)) == IMAGES
    # control: a changed cell is noticed
    changed = jupytext.read(TEXT)
    changed.cells[1].source += "\nprint()"
    assert cells(stored) != cells(changed)


def test_the_notebook_uses_the_public_surface_only():
    """The lessons (impls), compare.py and docs/*.json: never the harness's internals."""
    with open(TEXT, encoding="utf-8") as file:
        source = file.read()
    assert not re.search(r"^\s*(from|import)\s+fitways\b", source, re.M)
    assert ".trainer." not in source and "Runner" not in source and "gradcheck" not in source


@pytest.mark.slow
def test_the_tour_runs_top_to_bottom(tmp_path, monkeypatch):
    """From a working directory outside the checkout, fitways importable through PYTHONPATH."""
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    monkeypatch.chdir(tmp_path)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(output.get("text", "") for output in outputs(notebook))
    assert text.count("At step") == 10  # the textbook's ten log lines
    assert "+    @tf.function" in text  # the diff of gradient_tape and tf_function
    assert "old MSE formula" in text and "GradientTape" in text and "PASS" in text
    assert sum("image/png" in output.get("data", {}) for output in outputs(notebook)) == IMAGES


def store():
    """Execute tour.py and write tour.ipynb with its outputs (stderr's start-up noise left out)."""
    from nbclient import NotebookClient

    notebook = jupytext.read(TEXT)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": ROOT}}).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                out for out in cell.outputs if not (out.get("output_type") == "stream" and out.get("name") == "stderr")
            ]
    jupytext.write(notebook, NOTEBOOK, fmt="ipynb")


if __name__ == "__main__":
    store()
