"""Every page of the website in Chromium: no console error, no failed request, zero serious or
critical axe-core violations (WCAG 2.1 A/AA rules); the kernel-free explorers answer the keyboard
and the mouse within 100 ms."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # needs Chromium: `make test-fast` leaves these out, as tests/e2e
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "site" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
EXPLORER_PAGES = {
    "loss": "notebooks/01_from_cross_entropy_to_focal_loss.html",
    "gradient": "notebooks/02_gradients_and_hard_examples.html",
}
LATENCY_LIMIT_MS = 100
VIEWPORTS = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    yield ctx
    ctx.close()


def open_page(context, server, path):
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    return page, problems


def test_every_page_loads_cleanly_and_passes_axe(context, server, pages, artifacts):
    """One test over all pages (one browser tab each): console, requests, and axe-core."""
    if not AXE.is_file():
        pytest.fail("site/node_modules/axe-core is missing: run `make site` (npm ci --prefix site)")
    failures, report = [], []
    for path in pages:
        page, problems = open_page(context, server, path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, n: v.nodes.length,"
            " target: v.nodes[0].target.join(' ')})); }",
            AXE_TAGS,
        )
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        report.append(f"{path}: {len(result)} violations, {len(serious)} serious/critical {[v['id'] for v in result]}")
        failures += [f"{path}: {p}" for p in problems]
        failures += [f"{path}: axe {v['impact']} {v['id']} ({v['n']}x, e.g. {v['target']})" for v in serious]
        page.close()
    (artifacts / "axe.txt").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    assert failures == []


def _prepare(page, kind):
    page.wait_for_function("(k) => window.FOCAL_EXPLORER_CHARTS && window.FOCAL_EXPLORER_CHARTS[k]", arg=kind)
    # The time of each user event, stamped in the page before the explorer's own listeners run.
    page.evaluate("""() => {
      window.__ftEvents = [];
      for (const type of ['keydown', 'pointerdown'])
        document.addEventListener(type, () => window.__ftEvents.push(performance.now()), true);
    }""")


SNAPSHOT = """(k) => { const c = window.FOCAL_EXPLORER_CHARTS[k];
  return {draws: c.draws, lastDraw: c.lastDraw, positive: c.curves.data[c.curves.data.length - 2].slice(),
          canvas: c.curves.ctx.canvas.toDataURL(), state: c.state}; }"""


def _moved(page, kind, before):
    page.wait_for_function("([k, n]) => window.FOCAL_EXPLORER_CHARTS[k].draws > n", arg=[kind, before["draws"]], timeout=2000)
    after = page.evaluate(SNAPSHOT, kind)
    event = page.evaluate("() => window.__ftEvents[window.__ftEvents.length - 1]")
    assert after["positive"] != before["positive"], "the curve's data did not change"
    assert after["canvas"] != before["canvas"], "the plotted picture did not change"
    return after, after["lastDraw"] - event


@pytest.mark.parametrize("kind", sorted(EXPLORER_PAGES))
def test_keyboard_moves_the_gamma_slider_and_the_curve(context, server, kind, artifacts, record_property):
    page, problems = open_page(context, server, EXPLORER_PAGES[kind])
    _prepare(page, kind)
    root = page.locator(f"#ft-{kind}")
    root.scroll_into_view_if_needed()
    # Start the focus navigation just before the explorer's controls (a click on its text), then Tab.
    root.locator(".ft-hint").click()
    page.keyboard.press("Tab")
    slider = root.locator('input[name="gamma"]')
    assert page.evaluate("() => document.activeElement.name") == "gamma", "Tab did not reach the γ slider"
    assert slider.get_attribute("aria-valuetext") == "γ = 2.0"
    assert page.locator(f'label[for="ft-{kind}-gamma"]').inner_text() == "γ (gamma)"
    before = page.evaluate(SNAPSHOT, kind)
    page.keyboard.press("ArrowRight")
    after, latency = _moved(page, kind, before)
    assert after["state"]["gamma"] == pytest.approx(2.1)
    assert slider.get_attribute("aria-valuetext") == "γ = 2.1"
    assert "γ = 2.1" in root.locator(".ft-summary").inner_text()
    root.screenshot(path=artifacts / "after-arrow-right.png")
    record_property("latency_ms", round(latency, 1))
    print(f"{kind}: keyboard → redrawn in {latency:.1f} ms")
    assert latency < LATENCY_LIMIT_MS
    assert problems == []
    page.close()


@pytest.mark.parametrize("kind", sorted(EXPLORER_PAGES))
def test_mouse_moves_the_sliders_and_the_curve(context, server, kind, record_property):
    page, problems = open_page(context, server, EXPLORER_PAGES[kind])
    _prepare(page, kind)
    root = page.locator(f"#ft-{kind}")
    root.scroll_into_view_if_needed()
    latencies = []
    for name, fraction, expected in (("alpha", 0.8, "alpha"), ("gamma", 0.1, "gamma")):
        box = root.locator(f'input[name="{name}"]').bounding_box()
        before = page.evaluate(SNAPSHOT, kind)
        page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)
        after, latency = _moved(page, kind, before)
        assert after["state"][expected] != before["state"][expected]
        latencies.append(latency)
    record_property("latency_ms", [round(v, 1) for v in latencies])
    print(f"{kind}: mouse → redrawn in {', '.join(f'{v:.1f}' for v in latencies)} ms")
    assert max(latencies) < LATENCY_LIMIT_MS
    assert problems == []
    page.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_screenshots_of_the_explorer_pages(browser, server, viewport, artifacts):
    """Pictures to look at (artifacts/site/): the explorers on a desktop and on a phone."""
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    for kind, path in EXPLORER_PAGES.items():
        page = context.new_page()
        page.goto(server + path)
        page.wait_for_function("(k) => window.FOCAL_EXPLORER_CHARTS && window.FOCAL_EXPLORER_CHARTS[k]", arg=kind)
        root = page.locator(f"#ft-{kind}")
        root.scroll_into_view_if_needed()
        root.screenshot(path=artifacts / f"{kind}.png")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[viewport]["width"] + 1, f"{path} scrolls sideways at {viewport} width"
        page.close()
    context.close()


def test_search_finds_the_notebooks(context, server):
    """Sphinx's own search (no server side): a query for "calibration" lists notebook 07."""
    page, problems = open_page(context, server, "search.html?q=calibration")
    page.wait_for_selector("#search-results li a", timeout=10_000)
    hrefs = page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.getAttribute('href'))")
    assert any("07_calibration" in href for href in hrefs), hrefs
    assert problems == []
    page.close()
