"""Classroom slides from the committed notebooks: the teaching guide's Plan A (45 min) and Plan B (90 min).

    python scripts/slides.py build [--out build/slides]   # `make slides`
    python scripts/slides.py check                        # every deck's selectors, no export

A deck spec (slides/*.toml) lists the slides; each slide lists its cells, either taken from a
committed notebook by a selector (`starts`: the cell's source starts with this text; `has`: the
source contains it; each must match exactly one cell) or written in the spec (`md`). Nothing is
executed: the committed outputs (figures, printouts) are kept as they are. For each deck the
builder writes

- build/slides/<deck>.ipynb: the deck notebook, `metadata.slideshow.slide_type` on every cell,
  for live presenting in JupyterLab with jupyterlab-rise (hidden inputs are collapsed there),
  and build/slides/rise.css (slides/slides.css), which RISE loads from the notebook's folder;
- build/slides/<deck>.slides.html: nbconvert's reveal.js export (SlidesExporter, what
  `jupyter nbconvert --to slides` runs), inputs removed by tag where a slide is about its
  output; reveal.js, its notes plugin and KaTeX are served from build/slides/vendor/ (copied from
  slides/node_modules, the npm packages of slides/package-lock.json), so the decks work offline.

Spec keys. Top level: `title`, `plan`, optionally `include` (another deck's name) with
`include_through` (the id of its last slide to take). `[[slide]]`: `id` (unique), `type`
("slide", the default, or "subslide"), `kind = "question"` (styled as a question), `notes`
(speaker notes), `cells` (list). A cell: `nb` (a notebook's number, "01") with `starts` or `has`,
or `md`; options `input` (code cells: show the source; default false), `output` (default true),
`fragment` (appears on the next key press), `paragraphs` (markdown: keep only these
blank-line-separated blocks, 0-based), `tags` (extra cell tags: fig-sm, fig-lg, small-text,
small-output; slides/slides.css styles them).
"""

from __future__ import annotations

import argparse
import copy
import fcntl
import hashlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SLIDES = ROOT / "slides"
NODE_MODULES = SLIDES / "node_modules"
DEFAULT_OUT = ROOT / "build" / "slides"
WIDTH, HEIGHT = 1280, 720
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class DeckError(ValueError):
    """A deck spec that does not fit the committed notebooks (names the deck, slide and selector)."""


def deck_specs() -> dict[str, Path]:
    return {p.stem: p for p in sorted(SLIDES.glob("*.toml"))}


def notebook_path(number: str) -> Path:
    found = sorted(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    if len(found) != 1:
        raise DeckError(f"notebook {number!r}: {len(found)} notebooks match notebooks/{number}_*.ipynb")
    return found[0]


_NOTEBOOK_CACHE: dict[Path, nbformat.NotebookNode] = {}


def read_notebook(path: Path) -> nbformat.NotebookNode:
    if path not in _NOTEBOOK_CACHE:
        _NOTEBOOK_CACHE[path] = nbformat.read(path, as_version=4)
    return _NOTEBOOK_CACHE[path]


def slides_of(deck: str, seen: tuple[str, ...] = ()) -> tuple[dict, list[dict]]:
    """The deck's spec and its slides, another deck's included ones first."""
    specs = deck_specs()
    if deck not in specs:
        raise DeckError(f"no deck spec slides/{deck}.toml")
    if deck in seen:
        raise DeckError(f"deck {deck}: includes itself ({' -> '.join(seen + (deck,))})")
    spec = tomllib.loads(specs[deck].read_text(encoding="utf-8"))
    slides = []
    if "include" in spec:
        _, included = slides_of(spec["include"], seen + (deck,))
        through = spec.get("include_through")
        ids = [s.get("id") for s in included]
        if through is not None:
            if through not in ids:
                raise DeckError(f"deck {deck}: include_through = {through!r} is no slide id of deck {spec['include']}")
            included = included[: ids.index(through) + 1]
        slides += included
    slides += spec.get("slide", [])
    ids = [s.get("id") for s in slides]
    for slide_id in ids:
        if not slide_id:
            raise DeckError(f"deck {deck}: a slide without an id")
        if ids.count(slide_id) > 1:
            raise DeckError(f"deck {deck}: slide id {slide_id!r} used twice")
    return spec, slides


def select(deck: str, slide_id: str, item: dict) -> tuple[nbformat.NotebookNode, Path]:
    """The one committed cell an item's selector names (a copy), and its notebook."""
    path = notebook_path(str(item["nb"]))
    keys = [k for k in ("starts", "has") if k in item]
    if len(keys) != 1:
        raise DeckError(f"deck {deck}, slide {slide_id!r}: a cell of notebook {item['nb']} needs exactly one of starts / has")
    key, text = keys[0], item[keys[0]]
    cells = read_notebook(path).cells
    if key == "starts":
        matches = [c for c in cells if c.source.lstrip().startswith(text)]
    else:
        matches = [c for c in cells if text in c.source]
    if len(matches) != 1:
        raise DeckError(
            f"deck {deck}, slide {slide_id!r}: selector {key}={text!r} matches {len(matches)} cells of "
            f"notebooks/{path.name} (it must match exactly one: edit slides/{deck}.toml)"
        )
    return copy.deepcopy(matches[0]), path


def keep_paragraphs(source: str, keep: list[int], where: str) -> str:
    blocks, current = [], []
    for line in source.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    bad = [i for i in keep if not -len(blocks) <= i < len(blocks)]
    if bad:
        raise DeckError(f"{where}: paragraphs {bad} out of range (the cell has {len(blocks)})")
    return "\n\n".join(blocks[i] for i in keep)


def deck_notebook(deck: str) -> nbformat.NotebookNode:
    """The deck as a notebook: selected cells with slide metadata and tags, committed outputs kept."""
    spec, slides = slides_of(deck)
    kernel_nb = read_notebook(notebook_path("01"))
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": copy.deepcopy(kernel_nb.metadata.get("kernelspec", {})),
        "language_info": copy.deepcopy(kernel_nb.metadata.get("language_info", {})),
        "title": spec.get("title", deck),
        # jupyterlab-rise reads its settings here: the same 1280×720 canvas as the export.
        "rise": {"width": WIDTH, "height": HEIGHT, "scroll": False, "theme": "white", "transition": "slide"},
        "focal_teach_deck": {"spec": f"slides/{deck}.toml", "plan": spec.get("plan", "")},
    }
    for number, slide in enumerate(slides):
        where = f"deck {deck}, slide {slide['id']!r}"
        items = list(slide.get("cells", []))
        if slide.get("notes"):
            items.append({"md": slide["notes"], "_notes": True})
        if not items:
            raise DeckError(f"{where}: no cells")
        for position, item in enumerate(items):
            if "md" in item:
                cell = nbformat.v4.new_markdown_cell(item["md"].strip())
                source_name = f"slides/{deck}.toml"
            elif "nb" in item:
                cell, path = select(deck, slide["id"], item)
                source_name = f"notebooks/{path.name}"
            else:
                raise DeckError(f"{where}: cell {position} has neither md nor nb")
            tags = list(item.get("tags", []))
            if slide.get("kind") == "question":
                tags.append("question")
            mystnb = cell.metadata.get("mystnb")  # the figure's alt text: the export writes it into <img alt>
            cell.metadata = {"mystnb": mystnb} if mystnb else {}
            if cell.cell_type == "markdown" and "paragraphs" in item:
                cell.source = keep_paragraphs(cell.source, item["paragraphs"], f"{where}, {source_name}")
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs if _strip_widget(o)]
                if not item.get("input", False):
                    tags.append("remove_input")
                    cell.metadata["jupyter"] = {"source_hidden": True}
                if not item.get("output", True):
                    tags.append("remove_output")
                    cell.metadata["jupyter"] = {"outputs_hidden": True}
                    cell.outputs = []
            if item.get("_notes"):
                slide_type = "notes"
            elif position == 0:
                slide_type = "slide" if number == 0 else slide.get("type", "slide")
            else:
                slide_type = "fragment" if item.get("fragment") else "-"
            cell.metadata["slideshow"] = {"slide_type": slide_type}
            if tags:
                cell.metadata["tags"] = tags
            cell.metadata["focal_teach_source"] = source_name
            cell.id = f"{deck.replace('_', '-')}-{number:02d}-{position}"
            nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def _strip_widget(output) -> bool:
    """Drop a live widget's view (it needs a kernel and a CDN); keep the output if anything else is left."""
    data = output.get("data")
    if data is not None and WIDGET_VIEW in data:
        del data[WIDGET_VIEW]
        return any(k != "text/plain" for k in data)
    return True


def slide_count(nb: nbformat.NotebookNode) -> int:
    return sum(c.metadata["slideshow"]["slide_type"] in ("slide", "subslide") for c in nb.cells)


def ensure_node_modules() -> None:
    """slides/node_modules from slides/package-lock.json (npm ci), once, even under pytest-xdist."""
    key = hashlib.sha1(str(SLIDES).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"focal-teach-slides-npm-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (NODE_MODULES / "reveal.js" / "dist" / "reveal.js").is_file() and (NODE_MODULES / "katex" / "dist").is_dir():
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to vendor reveal.js and KaTeX (slides/package-lock.json): install Node.js")
        subprocess.run([npm, "ci", "--prefix", str(SLIDES), "--no-audit", "--no-fund", "--loglevel=error"], check=True)


def vendor(out: Path) -> None:
    """reveal.js (dist, notes plugin), KaTeX (with its fonts and auto-render) and slides.css into out/vendor/."""
    ensure_node_modules()
    target = out / "vendor"
    if target.exists():
        shutil.rmtree(target)
    reveal, katex = NODE_MODULES / "reveal.js", NODE_MODULES / "katex" / "dist"
    # Only what the template loads (1.4 MB, not 3.9 MB: the decks are also published on the site):
    # the white theme and its Source Sans Pro in woff, KaTeX's fonts in woff2 (what browsers take).
    theme_fonts = Path("theme") / "fonts" / "source-sans-pro"
    for name in ("reveal.js", "reveal.css", "reset.css", "theme/white.css", f"{theme_fonts}/source-sans-pro.css",
                 *(f"{theme_fonts}/{font.name}" for font in (reveal / "dist" / theme_fonts).glob("*.woff"))):
        (target / "reveal.js" / "dist" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(reveal / "dist" / name, target / "reveal.js" / "dist" / name)
    shutil.copytree(reveal / "plugin" / "notes", target / "reveal.js" / "plugin" / "notes")
    shutil.copy2(reveal / "LICENSE", target / "reveal.js" / "LICENSE")
    (target / "katex" / "contrib").mkdir(parents=True)
    for name in ("katex.min.js", "katex.min.css"):
        shutil.copy2(katex / name, target / "katex" / name)
    shutil.copy2(katex / "contrib" / "auto-render.min.js", target / "katex" / "contrib" / "auto-render.min.js")
    (target / "katex" / "fonts").mkdir()
    for font in (katex / "fonts").glob("*.woff2"):
        shutil.copy2(font, target / "katex" / "fonts" / font.name)
    shutil.copy2(NODE_MODULES / "katex" / "LICENSE", target / "katex" / "LICENSE")
    shutil.copy2(SLIDES / "slides.css", target / "slides.css")
    shutil.copy2(ROOT / "site" / "_static" / "favicon.svg", target / "favicon.svg")  # the course site's icon


def export_html(nb: nbformat.NotebookNode, name: str) -> str:
    """nbconvert's reveal.js export (`jupyter nbconvert --to slides`), with the offline template."""
    from nbconvert.exporters import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.SlidesExporter.reveal_url_prefix = "vendor/reveal.js"
    config.SlidesExporter.reveal_width = str(WIDTH)
    config.SlidesExporter.reveal_height = str(HEIGHT)
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {"remove_input"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove_output"}
    exporter = SlidesExporter(config=config, template_name="focal_slides", extra_template_basedirs=[str(SLIDES / "templates")])
    body, _ = exporter.from_notebook_node(copy.deepcopy(nb), resources={"metadata": {"name": name}})
    return body


def build(out: Path = DEFAULT_OUT, decks: list[str] | None = None) -> dict[str, dict]:
    """Every deck (or the named ones) into out/: <deck>.ipynb, <deck>.slides.html, vendor/."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vendor(out)
    shutil.copy2(SLIDES / "slides.css", out / "rise.css")  # RISE loads rise.css from the deck notebook's folder
    built = {}
    for deck in decks or list(deck_specs()):
        nb = deck_notebook(deck)
        notebook = out / f"{deck}.ipynb"
        nbformat.write(nb, notebook)
        html = out / f"{deck}.slides.html"
        html.write_text(export_html(nb, nb.metadata["title"]), encoding="utf-8")
        built[deck] = {"notebook": notebook, "html": html, "slides": slide_count(nb)}
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build every deck into --out")
    b.add_argument("--out", type=Path, default=DEFAULT_OUT)
    b.add_argument("decks", nargs="*", help="deck names (slides/<name>.toml); default: all")
    sub.add_parser("check", help="check every deck's selectors against the committed notebooks")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            for deck in deck_specs():
                print(f"{deck}: {slide_count(deck_notebook(deck))} slides, every selector matches one cell")
            return 0
        for deck, info in build(args.out, args.decks or None).items():
            print(f"{deck}: {info['slides']} slides -> {info['html'].relative_to(Path.cwd()) if info['html'].is_relative_to(Path.cwd()) else info['html']}")
    except DeckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
