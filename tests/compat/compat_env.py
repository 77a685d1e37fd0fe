"""Whether this interpreter has the peers at the versions constraints/peers.txt pins (see conftest.py)."""

from __future__ import annotations

import importlib.metadata
import os
import re
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
PINS_FILE = ROOT / "constraints" / "peers.txt"
PEERS = ("torch", "torchvision", "kornia", "monai", "segmentation-models-pytorch", "keras")


def pinned_versions() -> dict[str, str]:
    pins = {}
    for line in PINS_FILE.read_text().splitlines():
        match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)==([^\s#;]+).*", line)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def version_mismatches() -> list[str]:
    """The peers that are missing or at another version than constraints/peers.txt pins."""
    pins = pinned_versions()
    wrong = []
    for name in PEERS:
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name} is not installed (pinned: {pins[name]})")
            continue
        if installed.split("+")[0] != pins[name]:  # torch's "+cu130" build tag is not part of the version
            wrong.append(f"{name} {installed} is installed, {pins[name]} is pinned")
    return wrong


IN_SESSION = os.environ.get("FOCAL_TEACH_COMPAT") == "1"
MISMATCHES = version_mismatches()


_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


def cpu_and_cuda():
    """torchvision's common_utils.cpu_and_cuda(): "cpu", and "cuda" where a GPU is present."""
    return ("cpu", pytest.param("cuda", marks=_CUDA))
