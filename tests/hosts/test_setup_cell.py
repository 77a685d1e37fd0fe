"""Each notebook's setup cell, run where focal_teach is missing: it installs the package and nothing else.

The cell is read from the committed notebook and run by IPython (it holds `%pip`), in a throwaway
venv that sees this environment's packages (torch, matplotlib, ipywidgets, scikit-learn, IPython,
pip) but not focal_teach, as a Colab runtime does. Its GitHub URL is pointed at a wheel built
from this checkout; everything else in the cell is as committed.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GIT_URL = re.compile(r'"git\+https://github\.com/[^"]+"')
KEPT = ["torch", "matplotlib", "ipywidgets", "scikit-learn", "numpy", "ipython"]


def setup_cell(path: Path) -> str:
    return next(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code" and c.source.strip())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """focal_teach as a wheel, built from a copy of the checkout (the build writes into its source)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(ROOT / "focal_teach", source / "focal_teach", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp / "dist"), str(source)], check=True)
    (built,) = (tmp / "dist").glob("focal_teach-*.whl")
    return built


def host(tmp: Path) -> Path:
    """A venv without focal_teach that sees every other package of this environment."""
    env = tmp / "venv"
    # From the real interpreter: a venv made from a virtualenv's python (nox's) may point back at it
    # and see its site-packages, focal_teach included.
    subprocess.run([os.path.realpath(sys.executable), "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    target = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    shared = tmp / "shared"  # this environment's site-packages, less focal_teach and its .pth hooks
    shared.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        hidden = entry.name.lower().startswith(("focal_teach", "focal-teach", "__editable__", "_focal_teach")) or entry.suffix == ".pth"
        if not hidden:
            (shared / entry.name).symlink_to(entry)
    (target / "host-packages.pth").write_text(f"{shared}\n")
    return python


def installed(python: Path) -> dict[str, str]:
    code = "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    return json.loads(subprocess.check_output([python, "-c", code, *KEPT], text=True, cwd=python.parent))


def own_packages(python: Path) -> set[str]:
    """What is installed in the venv itself (not seen through the host's packages)."""
    purelib = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True, cwd=python.parent).strip()
    return {p.name for p in Path(purelib).iterdir()} - {"host-packages.pth", "__pycache__"}


def host_environment(tmp: Path) -> dict[str, str]:
    """The throwaway venv as if activated. IPython adds $VIRTUAL_ENV's site-packages to its path,
    and under nox that variable names nox's environment, where focal_teach is installed."""
    return dict(os.environ, VIRTUAL_ENV=str(tmp / "venv"), IPYTHONDIR=str(tmp / "ipython"), MPLBACKEND="agg",
                PIP_DISABLE_PIP_VERSION_CHECK="1")


def run_cell(python: Path, source: str, tmp: Path) -> subprocess.CompletedProcess:
    script = tmp / "cell.ipy"
    script.write_text(source + "\nprint('focal_teach from', focal_teach.__file__)\n")
    env = host_environment(tmp)
    return subprocess.run([python, "-m", "IPython", "--quick", "--no-banner", "--colors=NoColor", str(script)],
                          capture_output=True, text=True, env=env, timeout=300, cwd=tmp)


# Every notebook's cell, grouped by text: the stamped notebooks share one, run once for all of them.
CELLS: dict[str, list[str]] = {}
for _path in NOTEBOOKS:
    CELLS.setdefault(setup_cell(_path), []).append(_path.stem[:2])


@pytest.mark.parametrize("cell", list(CELLS), ids=["notebooks " + ",".join(names) for names in CELLS.values()])
def test_setup_cell_installs_only_focal_teach(cell, wheel, tmp_path):
    assert GIT_URL.search(cell), "the setup cell should install focal_teach from its GitHub repository"
    assert "--no-deps" in cell
    python = host(tmp_path)
    missing = subprocess.run([python, "-m", "IPython", "--quick", "-c", "import focal_teach"], capture_output=True,
                             cwd=tmp_path, env=host_environment(tmp_path))
    assert missing.returncode != 0, "focal_teach is visible in the throwaway venv: the test would prove nothing"
    before = installed(python)
    assert before == {name: importlib.metadata.version(name) for name in KEPT}

    result = run_cell(python, GIT_URL.sub(f'"{wheel}"', cell), tmp_path)
    assert result.returncode == 0 and "Error" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert f"focal_teach from {tmp_path}/venv/" in result.stdout, result.stdout
    assert installed(python) == before, "the setup cell changed a package the host already has"
    new = own_packages(python)
    assert {n.split("-")[0] for n in new} == {"focal_teach"}, f"installed more than focal_teach: {sorted(new)}"

    again = run_cell(python, GIT_URL.sub('"/nonexistent/must-not-be-installed"', cell), tmp_path)
    assert again.returncode == 0 and "Error" not in again.stdout + again.stderr, "run twice, the cell reinstalled"
    assert own_packages(python) == new
