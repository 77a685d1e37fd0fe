"""Hygiene of the committed notebooks (nbval executes them; see pyproject.toml)."""

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import nbtools  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_ready_to_commit(path):
    assert nbtools.problems(nbformat.read(path, as_version=4), path.name) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_badges_point_at_this_very_notebook(path):
    first = nbformat.read(path, as_version=4).cells[0].source
    links = re.findall(r"\]\((https://[^)]+)\)", first)
    colab = [u for u in links if u.startswith("https://colab.research.google.com/github/")]
    binder = [u for u in links if u.startswith("https://mybinder.org/v2/gh/")]
    assert len(colab) == 1 and colab[0].endswith(f"/notebooks/{path.name}")
    assert len(binder) == 1 and binder[0].endswith(f"labpath=notebooks%2F{path.name}")


def test_readme_lists_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}" in readme, f"README's table misses {path.name}"


def test_setup_cell_installs_only_the_package():
    cell = nbtools.setup_cell()
    assert "--no-deps" in cell and "git+https://github.com/" in cell
    for package in ("torch", "matplotlib", "ipywidgets", "scikit-learn"):
        assert f"install {package}" not in cell


def good_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Demo"), nbformat.v4.new_code_cell(""), nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)")]
    nbtools.stamp(nb, "demo.ipynb")
    for i, cell in enumerate(nb.cells[1:], 1):
        cell.execution_count = i
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    return nb


def test_stamping_is_idempotent_and_gives_a_clean_notebook():
    nb = good_notebook()
    once = nbformat.writes(nb)
    assert nbformat.writes(nbtools.stamp(nb, "demo.ipynb")) == once
    assert nbtools.problems(nb, "demo.ipynb") == []


@pytest.mark.parametrize(
    "spoil, complaint",
    [
        (lambda nb: setattr(nb.cells[2], "execution_count", 5), "execution counts"),
        (lambda nb: nb.cells[2].outputs.append(nbformat.v4.new_output("error", ename="ValueError", evalue="", traceback=[])), "error output"),
        (lambda nb: nb.cells[2].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="saved to /home/ann/work/x.png\n")), "machine path"),
        (lambda nb: setattr(nb.cells[0], "source", "# Demo\n\nno badges"), "badges"),
        (lambda nb: setattr(nb.cells[1], "source", "import focal_teach"), "setup cell"),
        (lambda nb: setattr(nb.cells[2], "source", "print(1)"), "NBVAL_CHECK_OUTPUT"),
        (lambda nb: nb.metadata.update(widgets={nbtools.WIDGET_STATE: {"version_major": 2}}), "lacks its state"),
        (lambda nb: nb.metadata.update(kernelspec={"name": "venv"}), "kernelspec"),
    ],
)
def test_problems_finds_each_defect(spoil, complaint):
    nb = good_notebook()
    spoil(nb)
    assert any(complaint in p for p in nbtools.problems(nb, "demo.ipynb"))
