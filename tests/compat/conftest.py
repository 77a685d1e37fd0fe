"""tests/compat runs in nox's `compat` session, beside the peers at the versions constraints/peers.txt names.

Elsewhere (the classroom .venv, the other sessions) the peers are missing or at other versions,
and these tests would compare against something else than what docs/peers.md names: only
``test_compat_environment.py`` is collected there, and it skips, saying how to run them.
The session sets FOCAL_TEACH_COMPAT=1; there a peer at the wrong version is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

os.environ["KERAS_BACKEND"] = "torch"  # before anything imports keras: Keras 3 on torch tensors

from compat_env import IN_SESSION, MISMATCHES, cpu_and_cuda  # noqa: E402

if MISMATCHES and not IN_SESSION:
    collect_ignore_glob = [name.name for name in Path(__file__).parent.glob("test_*.py") if name.name != "test_compat_environment.py"]


@pytest.fixture(params=cpu_and_cuda())
def device(request):
    """kornia's device fixture (its conftest.py): the device to test on."""
    return torch.device(request.param)


@pytest.fixture(params=["float32", "float64"])
def dtype(request):
    """kornia's dtype fixture; its CI runs the suite with float32 and with float64 (pr_test_cpu.yml)."""
    return getattr(torch, request.param)


def pytest_configure(config):
    config.addinivalue_line("markers", "grad: kornia's marker of its gradient checks (tests/compat/test_ported_kornia.py)")
