"""The built site: every page there in course order, launch links, maths, search, no CDN, sizes, links."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
MAX_TOTAL_BYTES = 30_000_000


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.resources, self.images = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in ("script", "img") and a.get("src"):
            self.resources.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "icon", "preload"):
            self.resources.append(a["href"])
        if tag == "img":
            self.images.append(a)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_one_page_per_notebook_in_course_order(site_dir):
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    nav = index[index.index('class="sidebar-tree"'):]
    positions = [nav.index(f"notebooks/{name}.html") for name in NOTEBOOKS]
    assert positions == sorted(positions), "the navigation lists the notebooks out of course order"
    for page in ("docs/teaching_guide.html", "contributing.html", "search.html", "searchindex.js"):
        assert (site_dir / page).is_file(), page
    assert "Teaching guide" in (site_dir / "docs" / "teaching_guide.html").read_text(encoding="utf-8")


def test_every_notebook_page_has_launch_links_and_its_outputs(site_dir):
    for name in NOTEBOOKS:
        html = (site_dir / "notebooks" / f"{name}.html").read_text(encoding="utf-8")
        assert f"colab.research.google.com/github/focal-teach/focal-teach/blob/main/notebooks/{name}.ipynb" in html
        assert f"mybinder.org/v2/gh/focal-teach/focal-teach/main?labpath=notebooks%2F{name}.ipynb" in html
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        figures = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
        assert html.count("<img") >= figures, f"{name}: fewer images on the page than saved figures"


def test_maths_is_rendered_at_build_time(site_dir):
    html = (site_dir / "notebooks" / "01_from_cross_entropy_to_focal_loss.html").read_text(encoding="utf-8")
    assert html.count('class="katex"') > 20
    assert "<math" in html, "KaTeX's MathML (for screen readers) is missing"
    assert "katex-error" not in html


def test_nothing_is_loaded_from_another_host(site_dir, pages):
    for page in pages:
        for resource in parse(site_dir / page).resources:
            assert not urlparse(resource).netloc and not resource.startswith("//"), f"{page} loads {resource}"


def test_no_broken_internal_link(site_dir, pages):
    parsed = {page: parse(site_dir / page) for page in pages}
    broken = []
    for page, content in parsed.items():
        for href in content.links + content.resources:
            if urlparse(href).scheme or href.startswith(("//", "mailto:")):
                continue
            url, fragment = urldefrag(href)
            url = urlparse(url).path  # without ?v=...
            target = (site_dir / page).parent / unquote(url) if url else site_dir / page
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page}: {href}")
            elif fragment and target.suffix == ".html":
                key = target.relative_to(site_dir.resolve()).as_posix()
                if fragment not in parsed[key].ids:
                    broken.append(f"{page}: {href} (no id {fragment!r})")
    assert broken == []


def test_every_image_has_a_text_alternative(site_dir, pages):
    def meaningful(img) -> bool:
        alt = (img.get("alt") or "").strip()
        # docutils writes the file's address as alt when a figure has none: that says nothing.
        return len(alt) >= 20 and not re.search(r"\.(png|jpe?g|svg|gif)$", alt) and alt not in (img.get("src") or "")

    missing = [f"{page}: {img.get('src')}" for page in pages for img in parse(site_dir / page).images
               if img.get("role") != "presentation" and not meaningful(img)]
    assert missing == [], "images without alt text (notebook figure cells need metadata.mystnb.image.alt)"


def test_size_limits(site_dir, record_property):
    files = [p for p in site_dir.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    largest = max((p for p in files if p.suffix == ".html"), key=lambda p: p.stat().st_size)
    record_property("site_bytes", total)
    print(f"site: {total / 1e6:.1f} MB in {len(files)} files; largest page {largest.name} {largest.stat().st_size / 1e3:.0f} kB")
    assert total <= MAX_TOTAL_BYTES
