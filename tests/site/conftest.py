"""The course website, built once per session into a temporary folder, served on 127.0.0.1.

The build is `make site`'s (site/build.py): from the committed notebooks and docs, no kernel,
no network but what `npm ci` needs (site/node_modules; `make site` runs it). The browser is
Debian's Chromium driven by Playwright, as in tests/e2e: never a downloaded one.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import http.server
import importlib.util
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE_SRC = ROOT / "site"


def ensure_node_modules() -> None:
    """site/node_modules from site/package-lock.json, as `make site` installs it (a fresh clone).

    Under pytest-xdist every worker may get here at once: one runs `npm ci`, the others wait.
    """
    lock_path = Path(tempfile.gettempdir()) / f"focal-teach-npm-ci-{hashlib.sha1(str(SITE_SRC).encode()).hexdigest()[:12]}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (SITE_SRC / "node_modules" / "uplot").is_dir() and (SITE_SRC / "node_modules" / "axe-core").is_dir():
            return
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to vendor uPlot, KaTeX and axe-core (site/package-lock.json): install Node.js")
        subprocess.run([npm, "ci", "--prefix", str(SITE_SRC), "--no-audit", "--no-fund", "--loglevel=error"], check=True)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """The site, built from the working tree; FOCAL_SITE_BUILT=DIR tests a site already built there
    (`make site` writes build/site) instead, to re-run the browser tests without rebuilding."""
    ensure_node_modules()
    if os.environ.get("FOCAL_SITE_BUILT"):
        built = Path(os.environ["FOCAL_SITE_BUILT"]).resolve()
        if not (built / "index.html").is_file():
            pytest.fail(f"FOCAL_SITE_BUILT={built}: no site there (make site builds one in build/site)")
        return built
    spec = importlib.util.spec_from_file_location("focal_site_build", SITE_SRC / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    base = tmp_path_factory.mktemp("site")
    out = base / "html"
    build.build(out, base / "src")
    return out


@pytest.fixture(scope="session")
def pages(site_dir) -> list[str]:
    """Every HTML page of the site, as a path relative to its root; not the slide decks under
    slides/ (reveal.js pages, tested at a projector's size by tests/slides and opened from the
    site by test_site_in_browser.py)."""
    return sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html")
                  if p.relative_to(site_dir).parts[0] != "slides")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site_dir):
    """`python -m http.server` in the built site: the base URL, e.g. http://127.0.0.1:PORT/."""
    handler = functools.partial(_Quiet, directory=str(site_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
