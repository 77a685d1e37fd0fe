"""Each reveal.js deck in Chromium at a 1280×720 projector's size: every slide fits without
scrolling, every figure loads, and nothing is fetched from outside file:// (the course works offline)."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.e2e  # needs Chromium: `make test-fast` leaves these out, as tests/e2e and tests/site

VIEWPORT = {"width": 1280, "height": 720}

# Every slide in turn: its size against Reveal's canvas (config width × height, before Reveal's
# scale), its images, and anything inside it that would scroll.
WALK = """async () => {
  Reveal.configure({transition: "none", backgroundTransition: "none"});  // measure where slides land
  const config = Reveal.getConfig();
  const results = [];
  for (const slide of Reveal.getSlides()) {
    const {h, v} = Reveal.getIndices(slide);
    Reveal.slide(h, v === undefined ? 0 : v);
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const current = Reveal.getCurrentSlide();
    const images = [...current.querySelectorAll("img")];
    await Promise.all(images.map(img => img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })));
    const scale = Reveal.getScale();
    const box = current.getBoundingClientRect();
    const scrolling = [...current.querySelectorAll("*")].filter(el => {
      const style = getComputedStyle(el);
      const scrolls = v => v === "auto" || v === "scroll";
      return (scrolls(style.overflowY) && el.scrollHeight > el.clientHeight + 1)
          || (scrolls(style.overflowX) && el.scrollWidth > el.clientWidth + 1);
    }).map(el => el.tagName + "." + el.className);
    results.push({
      h, v: v || 0,
      title: (current.querySelector("h1, h2, h3") || {textContent: current.textContent.slice(0, 60)}).textContent.replace("¶", "").trim(),
      scrollHeight: current.scrollHeight, scrollWidth: current.scrollWidth,
      height: config.height, width: config.width, scale,
      top: box.top, bottom: box.bottom, left: box.left, right: box.right,
      images: images.length,
      broken: images.filter(img => !(img.naturalWidth > 0)).map(img => img.src.slice(0, 60)),
      unlabelled: images.filter(img => (img.getAttribute("alt") || "").trim().length < 60).length,
      scrolling,
    });
  }
  return results;
}"""


@pytest.mark.parametrize("deck", ["plan_a_45", "plan_b_90"])
def test_every_slide_fits_1280x720_and_figures_load(deck, built_decks, browser, artifacts):
    info = built_decks[deck]
    outside = []
    context = browser.new_context(viewport=VIEWPORT)
    context.route("**/*", lambda route: (outside.append(route.request.url), route.abort()) if not route.request.url.startswith(("file:", "data:")) else route.continue_())
    page = context.new_page()
    errors, failed = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: failed.append(request.url) if request.url.startswith("file:") else None)
    try:
        page.goto(info["html"].as_uri())
        page.wait_for_function("typeof Reveal !== 'undefined' && Reveal.isReady()")
        # vendor/ holds only what the template loads: the theme's font and KaTeX's must be there.
        page.evaluate("document.fonts.ready")
        fonts = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
        assert page.evaluate("Reveal.getTotalSlides()") == info["slides"], "the export has another number of slides than the deck"
        assert page.evaluate("document.querySelectorAll('.katex').length") > 0, "KaTeX rendered no math"
        results = page.evaluate(WALK)
        if os.environ.get("FOCAL_SLIDES_SCREENSHOTS"):
            for r in results:
                page.evaluate(f"Reveal.slide({r['h']}, {r['v']}, 99)")
                page.wait_for_timeout(50)
                page.screenshot(path=str(artifacts / f"{r['h']:02d}-{r['v']}.png"))
    finally:
        context.close()
    assert not outside, f"{deck}: requests outside file:// (the slides must work offline): {outside}"
    assert not errors, f"{deck}: JavaScript errors: {errors}"
    assert not failed, f"{deck}: files missing from the build (vendor/ in scripts/slides.py): {failed}"
    assert any("Source Sans Pro" in f for f in fonts) and any(f.startswith("KaTeX") for f in fonts), f"{deck}: fonts loaded: {fonts}"
    assert len(results) == info["slides"]
    problems = []
    for r in results:
        where = f"slide {r['h']}.{r['v']} ({r['title']!r})"
        if r["scrollHeight"] > r["height"] + 1 or r["scrollWidth"] > r["width"] + 1:
            problems.append(f"{where}: content {r['scrollWidth']}×{r['scrollHeight']} px on a {r['width']}×{r['height']} canvas")
        if r["top"] < -1 or r["bottom"] > VIEWPORT["height"] + 1 or r["left"] < -1 or r["right"] > VIEWPORT["width"] + 1:
            problems.append(f"{where}: outside the {VIEWPORT['width']}×{VIEWPORT['height']} viewport at scale {r['scale']:.3f}: {r}")
        if r["broken"]:
            problems.append(f"{where}: images not loaded: {r['broken']}")
        if r["unlabelled"]:
            problems.append(f"{where}: {r['unlabelled']} figure(s) without their notebook's alt text")
        if r["scrolling"]:
            problems.append(f"{where}: scrolls inside: {r['scrolling']}")
    assert not problems, f"{deck}: " + "\n".join(problems)
