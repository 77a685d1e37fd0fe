"""Build the course website from the committed notebooks and docs: `make site` runs this.

    python site/build.py [--out build/site] [--staging build/site-src]

1. Stage: copy the pages into ``--staging`` in the site's layout, never touching the originals:
   README.md → index.md (the home page and learning path), notebooks/*.ipynb (their saved
   outputs, never executed), docs/teaching_guide.md, CONTRIBUTING.md. On the way:
   - relative links to another page stay relative (Sphinx checks them); links to any other file
     of the repository (solutions/, benchmarks/, ...) become links to it on GitHub;
   - each notebook's Colab/Binder badges (images on other hosts) become plain text links;
   - frozen ipywidgets (sliders that move nothing without a kernel) are removed: in 01 and 02
     the kernel-free explorer takes their place (``{explorer}``, site/_ext/focal_site.py), in the
     other notebooks a note says where the explorer runs;
   - after each code cell that asks a prediction question (``check_answer("ID", ...)``) comes a
     quiz that answers in the page (``{quiz} ID``, from focal_teach.exercises.QUESTIONS);
   - in notebook 08, after the first code cell that calls ``will_focal_loss_help(...)`` comes the
     form that answers "Will focal loss help my problem?" in the page (``{advice}``);
   - test markers (``# NBVAL_CHECK_OUTPUT``) are dropped from the code shown, and sentences
     about the notebooks' badges speak of the site's links (``SITE_WORDING``);
   - each page's "Edit this page" names its real source file (README.md, CONTRIBUTING.md, ...).
2. Vendor the browser packages from site/node_modules (``npm ci`` in site/, from package-lock):
   uPlot, KaTeX's CSS and fonts. Nothing is loaded from a CDN.
3. Generate the widgets' data with focal_teach (``DATA_WRITERS``): the explorers'
   (site/explorer_data.py), the quizzes' (the question bank, ``_quizzes.json``) and the advice
   form's (the package's reports level by level, site/advice_data.py).
4. ``sphinx-build`` (MyST-NB, furo, KaTeX prerendered) into ``--out``: plain files that
   ``python -m http.server`` serves; then ``fix_html`` (accessibility, figures' full-size links).
5. The teaching guide's slide decks, as `make slides` builds them (scripts/slides.py: the
   reveal.js exports, their deck notebooks for RISE, reveal.js and KaTeX from slides/node_modules),
   into ``--out``/slides/; the teaching guide's page links them (``SITE_LINKS``).

A new page with a widget of its own: a directive in site/_ext (``register_widget`` names the
scripts and styles only its pages load), its data written by a function of ``DATA_WRITERS``
from the package at build time, and the page added to ``pages()``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from focal_teach.exercises.questions import QUESTIONS, accepted_interval

SITE = Path(__file__).resolve().parent
ROOT = SITE.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Which kernel-free explorer replaces the frozen widget of which notebook, and the function of
# focal_teach.explorers that the notebook's widget comes from (checked: they must match).
EXPLORERS = {"01": ("loss", "loss_explorer("), "02": ("gradient", "gradient_explorer(")}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg"}
# The notebooks' test markers (nbval): for the tests, not for a reader.
TEST_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*(?:\n|$)", re.M)
# A code cell that asks a prediction question; the quiz goes right after it.
ASKS = re.compile(r"""\bcheck_answer\(\s*["']([^"']+)["']""")
# The notebooks whose first call of will_focal_loss_help(...) is followed by the advice form.
ADVICE_PAGES = ("08",)
ADVISES = re.compile(r"\bwill_focal_loss_help\(")
# The repository's pages speak of the notebooks' badges; the site shows plain links instead.
SITE_WORDING = (
    ("click the *Open in Colab* badge at the top of any notebook", "follow the *open it in Colab* link at the top of any notebook"),
    ("click the *launch binder* badge", "follow the *launch it on Binder* link"),
    ("from the badges at its top", "from the links at its top"),
    ("(badges at the top of each notebook)", "(links at the top of each notebook)"),
)


# What a page links to only on the site: the slide decks are built with it, not committed.
SITE_LINKS = {
    "docs/teaching_guide.md": (
        ("(open `build/slides/plan_a_45.slides.html`)",
         '(on this site: <a href="../slides/plan_a_45.slides.html">Plan A\'s slides</a>, '
         '<a href="../slides/plan_b_90.slides.html">Plan B\'s slides</a>; the arrow keys move, '
         '<kbd>S</kbd> opens the speaker view)'),
    ),
}


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NBTOOLS = _load("nbtools", ROOT / "scripts" / "nbtools.py")


def pages() -> dict[str, str]:
    """Repository path -> staged path of every page of the site, in course order."""
    found = {"README.md": "index.md"}
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        found[f"notebooks/{notebook.name}"] = f"notebooks/{notebook.name}"
    found["docs/teaching_guide.md"] = "docs/teaching_guide.md"
    found["CONTRIBUTING.md"] = "contributing.md"
    return found


def github_url(path: str, is_dir: bool, action: str | None = None) -> str:
    owner, repo = NBTOOLS.repository()
    action = action or ("tree" if is_dir else "blob")
    return f"https://github.com/{owner}/{repo}/{action}/{NBTOOLS.BRANCH}/{path.rstrip('/')}"


def site_wording(text: str) -> str:
    for repository_words, site_words in SITE_WORDING:
        text = text.replace(repository_words, site_words)
    return text


LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def rewrite_links(text: str, source: str, staged: str, page_map: dict[str, str], staging: Path) -> str:
    """Relative links of ``text`` (from repo file ``source``, staged at ``staged``), rewritten."""

    def replace(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
        if resolved.startswith(".."):
            return match.group(0)
        if resolved in page_map:
            new = posixpath.relpath(page_map[resolved], posixpath.dirname(staged) or ".")
        elif (ROOT / resolved).is_file() and Path(resolved).suffix.lower() in IMAGE_SUFFIXES:
            destination = staging / posixpath.normpath(posixpath.join(posixpath.dirname(staged), path))
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / resolved, destination)
            return match.group(0)
        elif (ROOT / resolved).exists():
            new = github_url(resolved, (ROOT / resolved).is_dir())
        else:
            raise SystemExit(f"{source}: broken link {target!r} (no such file in the repository)")
        return f"{match.group(1)}{new}{'#' + anchor if anchor else ''}{match.group(3)}"

    return LINK.sub(replace, text)


TOC = """

```{toctree}
:hidden:
:caption: The course

%s
```

```{toctree}
:hidden:
:caption: For teachers and contributors

docs/teaching_guide
contributing
```
"""


def launch_links(name: str) -> str:
    return (
        f"**Run this notebook:** [open it in Colab]({NBTOOLS.colab_url(name)}) · "
        f"[launch it on Binder]({NBTOOLS.binder_url(name)}) · "
        f"[the .ipynb file on GitHub]({github_url('notebooks/' + name, False)}). "
        "The sliders of the notebook need a live kernel"
        + (", except the explorer below, which runs in this page." if name[:2] in EXPLORERS else ".")
    )


def stage_notebook(source: Path, destination: Path, page_map: dict[str, str], staging: Path) -> None:
    nb = nbformat.read(source, as_version=4)
    name = source.name
    nb.metadata.pop("widgets", None)  # no ipywidgets state: nothing to load from a CDN
    first = nb.cells[0]
    lines = first.source.split("\n")
    badge = [i for i, line in enumerate(lines) if line.startswith(NBTOOLS.BADGE_LINE_START)]
    if badge:
        lines[badge[0]] = launch_links(name)
    else:
        lines[1:1] = ["", launch_links(name)]
    first.source = "\n".join(lines)
    explorer = EXPLORERS.get(name[:2])
    if explorer and not any(explorer[1] in c.source for c in nb.cells if c.cell_type == "code"):
        raise SystemExit(f"{name}: expected its explorer to come from focal_teach.explorers.{explorer[1][:-1]}")
    cells, replaced = [], False
    advice = name[:2] in ADVICE_PAGES
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source, f"notebooks/{name}", page_map[f"notebooks/{name}"], page_map, staging)
            cell.source = site_wording(cell.source)
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        cell.source = TEST_MARKER.sub("", cell.source)
        for question in ASKS.findall(cell.source):
            if question not in QUESTIONS:
                raise SystemExit(f"{name}: check_answer({question!r}, ...) asks no question of focal_teach.exercises.QUESTIONS")
            cells.append(nbformat.v4.new_markdown_cell(f"```{{quiz}} {question}\n```"))
        if advice and ADVISES.search(cell.source):
            cells.append(nbformat.v4.new_markdown_cell("```{advice}\n```"))
            advice = False
        outputs = cell.get("outputs", [])
        widget = [o for o in outputs if WIDGET_VIEW in o.get("data", {})]
        if not widget:
            continue
        cell.outputs = [o for o in outputs if WIDGET_VIEW not in o.get("data", {})]
        if explorer and not replaced:
            text = f"```{{explorer}} {explorer[0]}\n```"
            replaced = True
        else:
            text = (
                ":::{note}\nThe notebook shows an interactive explorer here. It needs a live kernel: "
                "run the notebook in Colab, on Binder or locally (links at the top of this page).\n:::"
            )
        cells.append(nbformat.v4.new_markdown_cell(text))
    if explorer and not replaced:
        raise SystemExit(f"{name}: no saved ipywidgets output for the {explorer[0]} explorer to replace")
    if advice:
        raise SystemExit(f"{name}: no code cell calls will_focal_loss_help(...), which the advice form follows")
    nb.cells = cells
    nbformat.write(nb, destination)


def stage(staging: Path) -> None:
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for item in ("conf.py", "_ext", "_static"):
        src = SITE / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, staging / item)
    page_map = pages()
    for source, staged in page_map.items():
        destination = staging / staged
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.endswith(".ipynb"):
            stage_notebook(ROOT / source, destination, page_map, staging)
            continue
        text = rewrite_links((ROOT / source).read_text(encoding="utf-8"), source, staged, page_map, staging)
        text = site_wording(text)
        for repository_words, site_words in SITE_LINKS.get(source, ()):
            if repository_words not in text:
                raise SystemExit(f"{source}: expected the words {repository_words!r}, which the site links (SITE_LINKS)")
            text = text.replace(repository_words, site_words)
        if staged == "index.md":
            text += TOC % "\n".join(p[: -len(".ipynb")] for p in page_map.values() if p.endswith(".ipynb"))
        destination.write_text(text, encoding="utf-8")
    # "Edit this page" opens the file the page comes from (site/_ext/focal_site.py reads this).
    edit = {posixpath.splitext(staged)[0]: github_url(source, False, "edit") for source, staged in page_map.items()}
    (staging / "_edit_links.json").write_text(json.dumps(edit, indent=1), encoding="utf-8")


def quiz_data() -> dict[str, dict]:
    """Every question of the bank as the page's quiz needs it: text, hint, and the exact interval
    of the numbers check_answer accepts (the quiz directive reads it; Sphinx need not import torch)."""
    data = {}
    for question, q in QUESTIONS.items():
        lo, hi = accepted_interval(question)
        data[question] = {"id": question, "kind": "number", "text": q.text, "hint": q.hint, "lo": lo, "hi": hi}
    return data


def vendor(static: Path) -> None:
    modules = SITE / "node_modules"
    if not (modules / "uplot").is_dir() or not (modules / "katex").is_dir():
        raise SystemExit("site/node_modules is missing: run `npm ci --prefix site` (make site does)")
    uplot = static / "vendor" / "uplot"
    uplot.mkdir(parents=True)
    for name in ("uPlot.iife.min.js", "uPlot.min.css"):
        shutil.copy(modules / "uplot" / "dist" / name, uplot / name)
    shutil.copy(modules / "uplot" / "LICENSE", uplot / "LICENSE")
    katex = static / "vendor" / "katex"
    (katex / "fonts").mkdir(parents=True)
    shutil.copy(modules / "katex" / "dist" / "katex.min.css", katex / "katex.min.css")
    shutil.copy(modules / "katex" / "LICENSE", katex / "LICENSE")
    for font in (modules / "katex" / "dist" / "fonts").glob("*.woff2"):  # every browser that runs the site reads woff2
        shutil.copy(font, katex / "fonts" / font.name)


FIGURE = re.compile(r'<img (alt="[^"]*" )src="((?:\.\./)*_images/[^"]+\.(?:png|jpe?g|gif|svg))" />')


def _image_size(path: Path) -> tuple[int, int] | None:
    if path.suffix != ".png":
        return None
    head = path.read_bytes()[:24]
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def fix_html(out: Path) -> None:
    """Fixes to what Sphinx writes (accessibility: axe-core, WCAG 2.1 AA), on every page:

    - the navigation's captions have ``role="heading"`` without the ``aria-level`` it requires;
    - code blocks that scroll sideways must be reachable from the keyboard: ``tabindex="0"``;
    - wide tables and equations are marked ``ft-scroll``: site.js makes those that overflow
      focusable, names them and shows a "scroll sideways" hint (a narrow screen clipped them);
    - every figure links to its full-size image (a multi-panel figure shrinks to a quarter on a
      phone), with its pixel size; site.js shows that note when the figure is shown shrunk.
    """

    def figure(page: Path):
        def link(match: re.Match) -> str:
            alt, src = match.groups()
            size = _image_size((page.parent / src).resolve())
            note = f"Full-size figure ({size[0]} × {size[1]} px)" if size else "Full-size figure"
            return (f'<a class="ft-full-size" href="{src}"><img {alt}src="{src}" />'
                    f'<span class="ft-full-size-note">{note}</span></a>')

        return link

    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        fixed = html.replace('class="caption" role="heading">', 'class="caption" role="heading" aria-level="2">')
        fixed = fixed.replace('<div class="highlight"><pre>', '<div class="highlight"><pre tabindex="0">')
        fixed = fixed.replace('<div class="table-wrapper ', '<div class="ft-scroll table-wrapper ')
        fixed = fixed.replace('<div class="math-wrapper ', '<div class="ft-scroll math-wrapper ')
        fixed = FIGURE.sub(figure(page), fixed)
        if fixed != html:
            page.write_text(fixed, encoding="utf-8")


def write_explorers(staging: Path) -> None:
    sys.path.insert(0, str(SITE))
    import explorer_data

    explorer_data.write(staging / "_static" / "explorers")


def write_quizzes(staging: Path) -> None:
    (staging / "_quizzes.json").write_text(json.dumps(quiz_data(), ensure_ascii=False, indent=1), encoding="utf-8")


def write_advice(staging: Path) -> None:
    """The advice form's data for the page (``_static/advice/``) and its tasks and metrics for the directive."""
    sys.path.insert(0, str(SITE))
    import advice_data

    data = advice_data.write(staging / "_static" / "advice" / "imbalance_map.js")
    form = {task: {"description": entry["description"], "metrics": entry["metric_names"], "levels": entry["levels"]}
            for task, entry in data["tasks"].items()}
    (staging / "_advice.json").write_text(json.dumps(form, ensure_ascii=False, indent=1), encoding="utf-8")


# What the widgets read, computed from the package at build time: each writes into the staging
# folder (under _static/ for what the browser loads, at its root for what a directive reads).
DATA_WRITERS = (write_explorers, write_quizzes, write_advice)


def build(out: Path, staging: Path, quiet: bool = True) -> float:
    start = time.perf_counter()
    stage(staging)
    vendor(staging / "_static")
    for write in DATA_WRITERS:
        write(staging)
    if out.exists():
        shutil.rmtree(out)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-E",
               "-d", str(staging / ".doctrees"), str(staging), str(out)]
    if quiet:
        command.insert(3, "-q")
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(command, check=True, env=env)
    fix_html(out)
    _load("focal_slides_build", ROOT / "scripts" / "slides.py").build(out / "slides")
    (out / ".nojekyll").touch()  # GitHub Pages: serve _static/ and _images/ as they are
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--staging", type=Path, default=ROOT / "build" / "site-src")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    seconds = build(args.out.resolve(), args.staging.resolve(), quiet=not args.verbose)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"site built in {seconds:.1f} s: {args.out} ({size / 1e6:.1f} MB); serve it with "
          f"`python -m http.server -d {args.out}`")


if __name__ == "__main__":
    main()
