import os
import shutil
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ---------------------------------------------------------------- the browser (tests/e2e, tests/site)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def browser():
    """The system's Chromium driven by Playwright (never a downloaded browser); one per session."""
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail(
            "Chromium is not installed, so the browser tests cannot run. `make test` installs Debian's package "
            "(scripts/chromium.sh says how elsewhere; CHROMIUM=/path names another), or run `make test-fast` "
            "to leave them out."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts(request) -> Path:
    """artifacts/<suite>/<test>/ (git-ignored): screenshots of what a browser test saw."""
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    path = ARTIFACTS / request.path.parent.name / name
    path.mkdir(parents=True, exist_ok=True)
    return path
