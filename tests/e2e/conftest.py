"""A real JupyterLab, and a real Jupyter Notebook 7, each with its own temporary root and random
port, driven by the system's Chromium via Playwright.

The notebooks are copied into the server's root, so autosave never touches the committed ones.
Screenshots go to artifacts/e2e/ (git-ignored). Never downloads a browser: Chromium comes from
the system (`make test` installs Debian's package through scripts/chromium.sh), or from
$CHROMIUM.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# JupyterLab settings for a quiet, fully rendered page: no news/update popups, and every cell
# in the DOM (windowing off), so widgets far down a notebook can be found and screenshotted.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """JupyterLab (``app="lab"``, URL /lab/...) or Jupyter Notebook 7 (``app="notebook"``, URL /notebooks/...)."""

    MODULES = {"lab": ("jupyterlab", "LabApp"), "notebook": ("notebook", "JupyterNotebookApp")}

    def __init__(self, root: Path, app: str = "lab"):
        self.app = app
        module, app_class = self.MODULES[app]
        self.root = root
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        settings = root / ".lab-settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(root / ".lab-workspaces"))
        self.log = open(root / "jupyterlab.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={root}", f"--{app_class}.expose_app_in_browser=True"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/status?token={self.token}", timeout=2)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{module} did not start; see {root / 'jupyterlab.log'}")
                time.sleep(0.2)

    def url(self, notebook: str) -> str:
        if self.app == "notebook":  # one notebook per page: no workspaces
            return f"http://127.0.0.1:{self.port}/notebooks/{notebook}?token={self.token}"
        # One workspace per notebook, new in this server's own workspaces directory: tabs sharing
        # JupyterLab's default workspace restore each other's notebooks, and the current widget may
        # then be another notebook. No `?reset`: it makes JupyterLab reload the page after it has
        # appeared, which raced the first checks in CI.
        workspace = Path(notebook).stem
        return f"http://127.0.0.1:{self.port}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _server(tmp_path_factory, app: str):
    root = tmp_path_factory.mktemp(app)
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, root / notebook.name)
    return Lab(root, app)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    server = _server(tmp_path_factory, "lab")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory):
    server = _server(tmp_path_factory, "notebook")
    yield server
    server.stop()
