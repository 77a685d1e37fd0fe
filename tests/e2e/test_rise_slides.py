"""The slide decks presented live with RISE (jupyterlab-rise, requirements.txt) in the classroom's
JupyterLab: the deck notebook that `make slides` builds opens as a slideshow with every slide of
the deck and its figures loaded, the arrow key moves on, and every slide fits a 1280×720 projector
with the deck's rise.css (RISE lays cells out itself: the export's check does not cover it).
tests/slides checks the reveal.js export."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
DECKS = sorted(p.stem for p in (ROOT / "slides").glob("*.toml"))

VIEWPORT = {"width": 1280, "height": 720}

# RISE's page: the slides are the leaf <section>s (a slide with subslides is a <section> of
# <section>s); the current one is the leaf shown.
CURRENT = """
  const leaves = [...document.querySelectorAll('.reveal .slides section')].filter(s => !s.querySelector('section'));
  const current = document.querySelector('.reveal .slides section.present:not(.stack)')
               || document.querySelector('.reveal .slides section.present');
  const heading = (current.querySelector('h1, h2, h3') || {textContent: ''}).textContent.replace('¶', '').trim().slice(0, 60);
"""

# The deck as a whole: its slides, the current one, and its images once every image has settled.
STATE = """async () => {""" + CURRENT + """
  const images = [...document.querySelectorAll('.reveal .slides img')];
  await Promise.all(images.map(img => img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })));
  return {slides: leaves.length, current: leaves.indexOf(current), heading, images: images.length,
          broken: images.filter(img => !(img.naturalWidth > 0)).length};
}"""

# The current slide's extent: how far any of its visible elements reaches on each side.
EXTENT = """() => {""" + CURRENT + """
  let right = 0, bottom = 0, left = Infinity, top = Infinity;
  for (const el of [current, ...current.querySelectorAll('*')]) {
    const box = el.getBoundingClientRect();
    if (box.width && box.height) {
      right = Math.max(right, box.right); bottom = Math.max(bottom, box.bottom);
      left = Math.min(left, box.left); top = Math.min(top, box.top);
    }
  }
  return {heading, index: leaves.indexOf(current), left, top, right, bottom};
}"""


def outside(extent: dict) -> bool:
    """Whether a slide reaches past the projector's 1280×720 (1 px of rounding allowed)."""
    return (extent["left"] < -1 or extent["top"] < -1
            or extent["right"] > VIEWPORT["width"] + 1 or extent["bottom"] > VIEWPORT["height"] + 1)


@pytest.fixture(scope="module")
def decks(lab):
    """{deck: (path in the server's root, slide count, figures)}: `make slides`'s output in the
    server's root, as a teacher would open it (rise.css beside the deck notebooks). Slide
    transitions off, so that each slide is measured where it lands, not on its way."""
    spec = importlib.util.spec_from_file_location("focal_slides_build", ROOT / "scripts" / "slides.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    built = builder.build(lab.root / "slides")
    assert (lab.root / "slides" / "rise.css").is_file(), "make slides writes no rise.css beside the deck notebooks"
    found = {}
    for deck, info in built.items():
        nb = json.loads(info["notebook"].read_text(encoding="utf-8"))
        nb["metadata"]["rise"]["transition"] = "none"
        info["notebook"].write_text(json.dumps(nb), encoding="utf-8")
        figures = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
        found[deck] = (f"slides/{info['notebook'].name}", info["slides"], figures)
    return found


@pytest.mark.parametrize("deck", DECKS)
def test_rise_presents_the_deck_notebook(browser, lab, decks, deck, artifacts):
    name, count, figures = decks[deck]
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(120_000)
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{lab.port}/rise/{name}?token={lab.token}")
        page.wait_for_selector(".reveal .slides section.present")
        first = page.evaluate(STATE)
        page.screenshot(path=artifacts / f"{deck}-first.png")
        extents = []
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(150)
        second = page.evaluate(STATE)
        page.keyboard.press("ArrowLeft")
        # Space walks every slide in order, subslides included (the arrows skip a stack's
        # subslides), and each fragment of a slide first (hidden fragments keep their place).
        for number in range(count):
            for _ in range(12 if number else 0):
                page.keyboard.press("Space")
                page.wait_for_timeout(100)
                if page.evaluate(EXTENT)["index"] != number - 1:
                    break
            extents.append(page.evaluate(EXTENT))
            if extents[-1]["index"] != number:
                pytest.fail(f"{deck}: the space bar went to slide {extents[-1]['index']}, not {number}")
            if outside(extents[-1]):
                page.screenshot(path=artifacts / f"{deck}-{number:02d}-outside.png")
            elif os.environ.get("FOCAL_SLIDES_SCREENSHOTS"):  # as tests/slides: a PNG of every slide
                page.screenshot(path=artifacts / f"{deck}-{number:02d}.png")
    finally:
        context.close()
    assert first["slides"] == count, f"{deck}: RISE shows {first['slides']} slides, the deck has {count}"
    assert first["current"] == 0 and first["heading"], f"{deck}: RISE did not open on the title slide: {first}"
    assert first["images"] == figures and first["broken"] == 0, f"{deck}: {first['broken']} of {first['images']} figures not loaded ({figures} in the deck)"
    assert second["current"] == 1, f"{deck}: the right arrow went to slide {second['current']}, not 1"
    beyond = [f"slide {n} ({e['heading']!r}): {e['left']:.0f}–{e['right']:.0f} × {e['top']:.0f}–{e['bottom']:.0f} px"
              for n, e in enumerate(extents) if outside(e)]
    assert beyond == [], f"{deck}: slides that do not fit {VIEWPORT['width']}×{VIEWPORT['height']} in RISE:\n" + "\n".join(beyond)
