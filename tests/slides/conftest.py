"""The slide decks, built once per session into a temporary folder by scripts/slides.py (as `make slides`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_builder():
    spec = importlib.util.spec_from_file_location("focal_slides_build", ROOT / "scripts" / "slides.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def builder():
    return load_builder()


@pytest.fixture(scope="session")
def built_decks(builder, tmp_path_factory) -> dict[str, dict]:
    """{deck: {"notebook", "html", "slides"}} for every slides/*.toml, built from the working tree."""
    return builder.build(tmp_path_factory.mktemp("slides"))
