"""The semantics table, executed: each peer beside focal_teach on the same logits and targets.

``findings`` runs every probe of compat_findings.py once per process (each probe fails if no
possible answer, or more than one, reproduces the peer's numbers) and writes
build/compat/peers.json; docs/peers.md must be exactly what scripts/peer_table.py renders from it,
and every "Switching from" snippet in the page must run and agree.
"""

from __future__ import annotations

import importlib.util
import json
import re
import warnings

import pytest
import torch

import compat_findings
from compat_env import ROOT

def _peer_table():
    spec = importlib.util.spec_from_file_location("peer_table", ROOT / "scripts" / "peer_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peer_table = _peer_table()


@pytest.fixture(scope="module")
def findings():
    data = compat_findings.collect()
    out = ROOT / "build" / "compat" / "peers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    return data


def entry(findings, key):
    return next(e for e in findings["entries"] if e["key"] == key)


def test_every_peer_is_probed(findings):
    assert [e["key"] for e in findings["entries"]] == [e.key for e in compat_findings.ENTRIES]
    for e in findings["entries"]:
        assert e["version"].split("+")[0] == findings["versions"].get(e["peer"], e["version"]).split("+")[0]
        assert e["saturation"] and set(e["dtypes"]) == {"float16", "bfloat16", "float64"}


def test_page_is_rendered_from_this_run(findings):
    page = (ROOT / "docs" / "peers.md").read_text()
    rendered = peer_table.render(findings)
    assert page == rendered, (
        "docs/peers.md is not what this run renders: regenerate it with `python scripts/peer_table.py` after "
        "`.venv/bin/nox -s compat` (which writes build/compat/peers.json), and review the diff"
    )


def snippets() -> dict[str, str]:
    """The "Switching from" code blocks of the committed docs/peers.md, by heading."""
    path = ROOT / "docs" / "peers.md"
    page = path.read_text() if path.exists() else ""  # (missing: test_every_peer_has_a_snippet says so)
    found = {}
    for heading, code in re.findall(r"^### (Switching from [^\n]+)\n.*?```python\n(.*?)```", page, flags=re.S | re.M):
        found[heading] = code
    return found


def test_every_peer_has_a_snippet():
    headings = set(snippets())
    calls = {e.call for e in compat_findings.ENTRIES if e.peer != "focal-teach"}
    assert headings == {f"Switching from {call}" for call in calls}


@pytest.mark.parametrize("heading", sorted(snippets()))
def test_snippet_gives_identical_numbers(heading):
    code = snippets()[heading]
    assert "assert_close(ours, theirs" in code, "a snippet ends by comparing the two numbers"
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, heading, "exec"), {"__name__": "snippet"})  # noqa: S102  (the page's own code)


def test_focal_teach_refuses_a_single_alpha_for_softmax(findings):
    assert entry(findings, "focal_teach")["findings"]["alpha"] == "refused (ValueError)"


@pytest.mark.parametrize("key", ["focal_teach-binary", "focal_teach"])
def test_focal_teach_agrees_with_exact_values_at_saturation(findings, key):
    """Within 1 % (tests/losses/test_saturation.py's criterion) at every saturated point, loss and gradient."""
    rows = entry(findings, key)["saturation"]
    wrong = [r for r in rows if r["loss"]["is"] not in ("exact", "1 %") or r["grad"]["is"] not in ("exact", "1 %")]
    assert not wrong, wrong


@pytest.mark.parametrize("key", ["focal_teach-binary", "focal_teach"])
def test_focal_teach_keeps_the_dtype_and_stays_finite(findings, key):
    for dtype, found in entry(findings, key)["dtypes"].items():
        assert found["accepted"] == "yes" and found["returns"] == dtype and found["saturated"] == "finite", (dtype, found)
