"""The deck specs against the committed notebooks: fast, no browser, no export.

A notebook edit that moves or rewrites a cell a deck takes fails here, naming the deck, the slide
and the selector (scripts/slides.py's DeckError).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("focal_slides_build", Path(__file__).resolve().parents[2] / "scripts" / "slides.py")
BUILDER = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(BUILDER)
DECKS = sorted(BUILDER.deck_specs())


def test_both_plans_have_a_deck():
    assert {"plan_a_45", "plan_b_90"} <= set(DECKS)


@pytest.mark.parametrize("deck", DECKS)
def test_every_selector_matches_exactly_one_cell(deck):
    _, slides = BUILDER.slides_of(deck)
    for slide in slides:
        for item in slide.get("cells", []):
            if "nb" in item:
                BUILDER.select(deck, slide["id"], item)  # raises DeckError naming deck, slide, selector


@pytest.mark.parametrize("deck", DECKS)
def test_deck_notebook_has_slide_metadata_and_committed_outputs(deck):
    nb = BUILDER.deck_notebook(deck)
    allowed = {"slide", "subslide", "fragment", "-", "skip", "notes"}
    assert all(c.metadata["slideshow"]["slide_type"] in allowed for c in nb.cells)
    assert nb.cells[0].metadata["slideshow"]["slide_type"] == "slide"
    figures = [c for c in nb.cells if c.cell_type == "code" and any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert figures, f"deck {deck}: no committed figure was taken"
    for cell in figures:
        assert "remove_input" in cell.metadata.get("tags", []), f"deck {deck}: a figure slide shows its code ({cell.id})"
    assert not any(BUILDER.WIDGET_VIEW in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "widgets" not in nb.metadata


def test_a_broken_selector_names_deck_slide_and_selector():
    with pytest.raises(BUILDER.DeckError, match=r"deck plan_a_45, slide 'x': selector has='no such cell text' matches 0 cells"):
        BUILDER.select("plan_a_45", "x", {"nb": "01", "has": "no such cell text"})


def test_plan_b_starts_with_plan_a_first_35_minutes():
    _, a = BUILDER.slides_of("plan_a_45")
    _, b = BUILDER.slides_of("plan_b_90")
    ids_a = [s["id"] for s in a]
    shared = ids_a[: ids_a.index("alpha-gamma-question") + 1]
    assert [s["id"] for s in b][: len(shared)] == shared
