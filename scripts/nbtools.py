"""The notebooks' conventions in one place: stamp them, execute them, check them.

    python scripts/nbtools.py stamp   [NOTEBOOK ...]   # badges + Colab setup cell
    python scripts/nbtools.py execute [NOTEBOOK ...]   # stamp, then run top to bottom in place
    python scripts/nbtools.py check   [NOTEBOOK ...]   # hygiene of the committed notebooks

Default: every notebooks/*.ipynb. The repository is named in one place, pyproject.toml's
[project.urls] Repository; every badge and every setup cell is derived from it here.
Each notebook opens with a markdown cell whose first line is its "# Title"; the badges go on
the line after it. The first code cell is the setup cell. tests/test_notebooks.py runs
`problems()` on every committed notebook.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import quote

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BRANCH = "main"
BADGE_LINE_START = "[![Open In Colab]"


def repository() -> tuple[str, str]:
    """(owner, name) of the GitHub repository, from pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^Repository\s*=\s*"https://github\.com/([^/"]+)/([^/"]+?)/?"', text, re.M)
    if not match:
        raise SystemExit("pyproject.toml needs [project.urls] Repository = \"https://github.com/OWNER/NAME\"")
    return match.group(1), match.group(2)


def colab_url(name: str) -> str:
    owner, repo = repository()
    return f"https://colab.research.google.com/github/{owner}/{repo}/blob/{BRANCH}/notebooks/{name}"


def binder_url(name: str) -> str:
    owner, repo = repository()
    return f"https://mybinder.org/v2/gh/{owner}/{repo}/{BRANCH}?labpath={quote('notebooks/' + name, safe='')}"


def badge_line(name: str) -> str:
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(name)}) "
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(name)})"
    )


def setup_cell() -> str:
    owner, repo = repository()
    return f"""\
# Setup. In Colab, or wherever focal_teach is missing, install it from GitHub. --no-deps:
# torch, matplotlib, ipywidgets and scikit-learn come with Colab and must not be replaced.
try:
    import focal_teach
except ImportError:
    %pip install --quiet --no-deps "git+https://github.com/{owner}/{repo}"
    import focal_teach

import torch

torch.set_num_threads(1)  # tiny models: fastest on one thread, and numbers independent of the core count
%matplotlib inline"""


def stamp(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "markdown" or not first.source.startswith("# "):
        raise ValueError(f"{name}: the first cell must be markdown starting with '# Title'")
    title, *rest = [line for line in first.source.split("\n") if not line.startswith(BADGE_LINE_START)]
    while rest and not rest[0].strip():
        rest.pop(0)
    first.source = "\n".join([title, "", badge_line(name)] + (["", *rest] if rest else []))
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if not code:
        raise ValueError(f"{name}: no code cell for the setup")
    code[0].source = setup_cell()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata.setdefault("colab", {})["provenance"] = []
    return nb


# A path with at least three components, as in an output that leaked "/home/me/project/x".
MACHINE_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.-]+/){2,}")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def problems(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """What is wrong with a committed notebook: empty when it is ready to commit."""
    found = []
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "markdown" or not first.source.startswith("# "):
        found.append("does not open with a markdown '# Title' cell")
    elif badge_line(name) not in first.source:
        found.append("badges missing or not pointing at this notebook (run: scripts/nbtools.py stamp)")
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    if not code or code[0].source != setup_cell():
        found.append("first code cell is not the setup cell (run: scripts/nbtools.py stamp)")
    counts = [c.execution_count for c in code]
    if counts != list(range(1, len(code) + 1)):
        found.append(f"not executed top to bottom in a fresh kernel: execution counts {counts}")
    for i, cell in enumerate(code, 1):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"code cell {i} has an error output ({out.get('ename')})")
            if out.output_type == "stream" and out.get("name") == "stderr" and "Traceback" in out.get("text", ""):
                found.append(f"code cell {i} prints a traceback to stderr")
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items() if k.startswith("text/")]
            if any(MACHINE_PATH.search(t if isinstance(t, str) else "".join(t)) for t in texts):
                found.append(f"code cell {i} shows a machine path")
    if not any("# NBVAL_CHECK_OUTPUT" in c.source.split("\n") and c.get("outputs") for c in code):
        found.append("no '# NBVAL_CHECK_OUTPUT' cell states the notebook's findings")
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        found.append("kernelspec is not python3")
    widgets = nb.metadata.get("widgets")
    if widgets is not None and "state" not in widgets.get(WIDGET_STATE, {}):
        found.append("metadata.widgets lacks its state: GitHub will refuse to render the notebook")
    return found


def execute(path: Path, timeout: int = 600) -> float:
    """Stamp, then run top to bottom in a fresh kernel; write outputs in place. Returns seconds."""
    from nbclient import NotebookClient

    nb = stamp(nbformat.read(path, as_version=4), path.name)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        store_widget_state=True,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    widgets = nb.metadata.get("widgets")
    if widgets is not None and "state" not in widgets.get(WIDGET_STATE, {}):
        del nb.metadata["widgets"]
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["stamp", "execute", "check"])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    targets = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    failed = False
    for path in targets:
        if args.command == "stamp":
            nb = nbformat.read(path, as_version=4)
            before = nbformat.writes(nb)
            if nbformat.writes(stamp(nb, path.name)) != before:
                nbformat.write(nb, path)
                print(f"stamped {path.name}")
            continue
        if args.command == "execute":
            os.environ.setdefault("PYTHONHASHSEED", "0")
            print(f"{path.name}: {execute(path):.1f} s", flush=True)
        found = problems(nbformat.read(path, as_version=4), path.name)
        for problem in found:
            print(f"{path.name}: {problem}", file=sys.stderr)
        failed |= bool(found)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
