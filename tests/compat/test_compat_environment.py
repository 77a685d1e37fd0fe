"""The peers are installed at the versions constraints/peers.txt pins, or the compat tests do not run."""

import pytest
from compat_env import IN_SESSION, MISMATCHES


def test_peers_at_pinned_versions():
    if not MISMATCHES:
        return
    message = "; ".join(MISMATCHES)
    if IN_SESSION:
        pytest.fail(f"nox's compat session must run the pinned peers (constraints/peers.txt): {message}")
    pytest.skip(f"tests/compat runs in `.venv/bin/nox -s compat` (the peers of constraints/peers.txt); here {message}")
