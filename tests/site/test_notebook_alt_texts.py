"""Every figure of every notebook carries a text alternative in its cell's metadata.

MyST-NB renders ``metadata.mystnb.image.alt`` as the figure's ``alt`` on the website (and it is
there, in the .ipynb, for any other tool). An alt text says what the figure shows, the trend or
the finding, not "a plot": the minimum length below only catches the placeholders.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PLACEHOLDERS = ("a plot", "a figure", "an image", "figure", "plot", "image", "chart")


def figure_cells(nb):
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(
            key.startswith("image/") for out in cell.get("outputs", []) for key in out.get("data", {})
        ):
            yield index, cell


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_cell_has_alt_text(path):
    nb = nbformat.read(path, as_version=4)
    missing = []
    for index, cell in figure_cells(nb):
        alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
        if len(alt.strip()) < 60 or alt.strip().lower().rstrip(".") in PLACEHOLDERS:
            missing.append(f"cell {index}: {cell.source.splitlines()[0][:60] if cell.source else ''!r}")
    assert missing == [], f"{path.name}: figure cells without a real alt text in metadata.mystnb.image.alt"
