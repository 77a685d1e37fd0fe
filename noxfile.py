"""The environments the notebooks are tested in, one nox session each (`make test` runs them all).

    nox                 # every session, in order: classroom, colab, binder, oldest, other_cpu, compat
    nox -s colab        # one of them
    nox -l              # the list

- classroom: requirements.txt, the pinned environment of `make lab`: the `.venv` that `make`
  installs (this session runs nox's own interpreter, so run nox from it: `make test` does).
  Everything: the package's tests, every notebook under nbval, and the browser tests in
  JupyterLab and Jupyter Notebook 7.
- colab: Google Colab's runtime (constraints/colab.txt, which names its source and commit), the
  package installed with --no-deps exactly as the notebooks' setup cell does. Every notebook
  under nbval, the explorers driven from Python (tests/explorers), and tests/hosts.
- binder: binder/requirements.txt installed from the repository's root, as repo2docker does.
  Every notebook under nbval.
- oldest: the lower bounds pyproject.toml declares, each installed at exactly that version.
  The package's tests (without the findings re-trained on unseen seeds: classroom and
  other_cpu run those) and every notebook under nbval.
- other_cpu: the classroom environment again, with the kernels another CPU would pick
  (ATEN_CPU_CAPABILITY=default: no AVX2/AVX-512 code paths; OMP_NUM_THREADS=1). Every
  notebook under nbval and the tests marked `other_cpu`: every printed finding must hold there
  too, or it was a finding about this CPU's rounding.
- compat: focal_teach beside the peers a user switches from (torchvision, kornia, MONAI,
  segmentation_models_pytorch, Keras 3 on torch), each at the version constraints/peers.txt pins:
  their own focal-loss tests ported to focal_teach, and the semantics table of docs/peers.md,
  measured (tests/compat).

torch always comes from this machine's local CPU wheel (pip's find-links, /opt/wheels): an
unpinned torch would pull a multi-GB CUDA build. (compat's torch 2.14.1 and torchvision 0.29.1,
the pair that imports together, are on this machine's disk too: a CUDA build, run on the CPU.)
Environments are built with pip, from scratch when .nox/ is absent (a fresh clone); pip's cache
is reused.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path

import nox
import nox.command

ROOT = Path(__file__).resolve().parent
TORCH = "torch==2.13.0"  # the local CPU wheel; see the docstring
PYTHON = "3.11"  # Colab's is 3.13, Binder's binder/runtime.txt says 3.11: the nearest this machine has
# pytest's own tools, at versions that run with every environment's pytest and kernel.
TEST_TOOLS = ["nbval==0.11.0", "pytest-xdist==3.8.0", "hypothesis==6.170.15"]
# Two workers, one notebook (one kernel) per worker: a notebook's cells stay together.
PARALLEL = ["-n", "2", "--dist", "loadscope"]
# ipykernel 6's debugger warns on every kernel start that Python's modules are frozen.
QUIET_KERNEL = {"PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONHASHSEED": "0"}
# The kernels another CPU would pick: ATen's portable (non-vectorised) code paths, one thread.
OTHER_CPU = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1"}

nox.options.sessions = ["classroom", "colab", "binder", "oldest", "other_cpu", "compat"]
# No bytecode compilation at install time (torch alone has thousands of modules): imports compile
# what they use. Saves about a quarter of each environment's build.
os.environ.setdefault("PIP_NO_COMPILE", "1")
nox.options.error_on_missing_interpreters = True


def pytest(session: nox.Session, *args: str) -> None:
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *PARALLEL, *args, env=QUIET_KERNEL)


@nox.session(venv_backend="none")
def classroom(session: nox.Session) -> None:
    """requirements.txt (the .venv `make` installs): every test, browser tests included."""
    run = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *PARALLEL]
    if session.posargs:
        session.run(*run, *session.posargs, env=QUIET_KERNEL, external=True)
        return
    # The browser tests in a pytest process of their own: another suite's Playwright session
    # (tests/site) alive in the same worker makes Playwright's sync API refuse to start.
    failed = []
    for part in (["--ignore=tests/e2e"], ["tests/e2e"]):
        try:
            session.run(*run, *part, env=QUIET_KERNEL, external=True)
        except nox.command.CommandFailed:
            failed.append(" ".join(part))  # run the other part all the same
    if failed:
        session.error(f"failed: pytest {' and pytest '.join(failed)}")


@nox.session(python=PYTHON)
def colab(session: nox.Session) -> None:
    """Colab's runtime; focal_teach installed --no-deps, as the setup cell does."""
    session.install("-r", "constraints/colab.txt")
    session.install("-c", "constraints/colab.txt", *TEST_TOOLS)
    session.install("--no-deps", "--force-reinstall", ".")  # a copy, not editable: as from GitHub
    versions(session, "ipython", "ipywidgets", "matplotlib", "numpy", "torch")
    pytest(session, "notebooks", "tests/explorers", "tests/hosts", *session.posargs)


@nox.session(python=PYTHON)
def binder(session: nox.Session) -> None:
    """binder/requirements.txt, installed from the repository's root as repo2docker does."""
    # binder/requirements.txt names PyTorch's CPU index, which this machine cannot reach (only PyPI):
    # the same file without that one line, so that its torch==X+cpu pin comes from the local wheel.
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    kept = [line for line in lines if not line.startswith("--extra-index-url https://download.pytorch.org/")]
    assert len(kept) == len(lines) - 1, "binder/requirements.txt should name PyTorch's CPU index once"
    requirements = Path(session.create_tmp()) / "binder-requirements.txt"
    requirements.write_text("\n".join(kept) + "\n")
    session.install("-r", str(requirements))  # cwd is the repository's root: "." there is the repo
    session.install(*TEST_TOOLS)
    versions(session, "ipython", "ipywidgets", "matplotlib", "numpy", "torch")
    pytest(session, "notebooks", *session.posargs)


@nox.session(python=PYTHON)
def oldest(session: nox.Session) -> None:
    """The lower bounds pyproject.toml declares, exactly: the package's tests and every notebook."""
    bounds = Path(session.create_tmp()) / "lower-bounds.txt"
    bounds.write_text("\n".join(lower_bounds()) + "\n")
    session.install("-c", str(bounds), "-e", ".[notebooks]", "ipykernel", "pytest", *TEST_TOOLS)
    versions(session, *(re.split("==", line)[0] for line in lower_bounds()))
    # The package's tests (tests/site belongs to the website, not to the package), but not the
    # notebooks' findings re-trained on unseen seeds (marked other_cpu): classroom and other_cpu
    # run those, and the notebooks themselves run here under nbval.
    pytest(session, "tests", "notebooks", "-m", "not e2e and not other_cpu", "--ignore=tests/e2e", "--ignore=tests/site",
           *session.posargs)


@nox.session(venv_backend="none")
def other_cpu(session: nox.Session) -> None:
    """The classroom environment with another CPU's kernels: every notebook, and the tests marked other_cpu."""
    env = {**QUIET_KERNEL, **OTHER_CPU}
    run = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *PARALLEL]
    if session.posargs:
        session.run(*run, *session.posargs, env=env, external=True)
        return
    session.run(*run, "notebooks", env=env, external=True)
    session.run(*run, "tests", "-m", "other_cpu", env=env, external=True, success_codes=[0, 5])  # 5: none marked


@nox.session(python=PYTHON)
def compat(session: nox.Session) -> None:
    """The peers of constraints/peers.txt beside focal_teach: their ported tests, and docs/peers.md checked."""
    session.install("-r", "constraints/peers.txt")
    session.install("-c", "constraints/peers.txt", "-e", ".")  # editable: the checkout as it is; torch is the peers' own
    versions(session, "torch", "torchvision", "kornia", "monai", "segmentation-models-pytorch", "keras")
    # pyproject's addopts name nbval, which this session does not install.
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=-rfE", *PARALLEL, "tests/compat",
                *session.posargs, env={**QUIET_KERNEL, "FOCAL_TEACH_COMPAT": "1", "KERAS_BACKEND": "torch"})


def lower_bounds() -> list[str]:
    """`name==version` for every `name>=version` of [project] dependencies and their extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pins = []
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)", requirement.replace(" ", ""))
        if not match:
            raise SystemExit(f"pyproject.toml: {requirement!r} is not 'name>=version', the only form `oldest` tests")
        pins.append(f"{match[1]}=={match[2]}")
    return pins


def versions(session: nox.Session, *names: str) -> None:
    """Print the versions the session runs with (in its log, for the README's host table)."""
    session.run("python", "-c", "import importlib.metadata as m, sys; "
                "print('python', sys.version.split()[0], *(f'{n} {m.version(n)}' for n in sys.argv[1:]))", *names,
                silent=False)
