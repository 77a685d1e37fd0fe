"""Render docs/peers.md from the findings that tests/compat measures (never edit docs/peers.md by hand).

    .venv/bin/nox -s compat                  # runs the probes; writes build/compat/peers.json
    python scripts/peer_table.py             # build/compat/peers.json -> docs/peers.md
    python scripts/peer_table.py --check     # exit 1 if docs/peers.md differs from the rendering

Every statement about a peer's semantics in the page is a finding of that run
(tests/compat/compat_findings.py: each question's possible answers, computed, and the one the
peer's numbers reproduce). What this script adds is prose around them: the "Switching from"
snippets (tests/compat executes each one and checks that both numbers agree), the reasons for the
differences between the peers' own tests and focal_teach, and why mmdet is absent. Standard
library only: it runs anywhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINDINGS = ROOT / "build" / "compat" / "peers.json"
PAGE = ROOT / "docs" / "peers.md"

ASPECTS = [  # (key in the findings, row label)
    ("activation", "activation"),
    ("inputs", "takes"),
    ("probabilities", "probabilities as input"),
    ("targets", "targets"),
    ("alpha", "α, one number (0.25)"),
    ("class alpha", "α per class ([0.2, 0.3, 0.5])"),
    ("mean", '"mean" divides the sum by'),
    ("mean with class alpha", '"mean" with per-class α divides by'),
    ("sum", '"sum" is'),
    ("none", '"none" returns'),
    ("ignore_index", "ignore_index (-100 at 30 % of the positions)"),
    ("soft labels", "soft labels y ∈ (0, 1)"),
]

CLASS_ALPHA_ARGUMENT = {  # how each peer takes per-class weights (the probes pass them so)
    "kornia": "weight=",
    "smp": "class_weights=",
}

PEER_NAMES = {
    "torchvision": "torchvision",
    "kornia": "kornia",
    "monai": "MONAI",
    "segmentation-models-pytorch": "segmentation_models_pytorch",
    "keras": "Keras 3 (torch backend)",
    "focal-teach": "focal_teach",
}

# ---------------------------------------------------------------- "Switching from X": executed by tests/compat

SNIPPETS = {
    "torchvision": (
        "`sigmoid_focal_loss` is the same loss as `binary_focal_loss`. Name `alpha` and `reduction`: torchvision's "
        "defaults are `alpha=0.25` and `reduction=\"none\"`, ours `alpha=None` and `\"mean\"`; its `alpha=-1` "
        "(no weighting) is our `alpha=None`.",
        """\
import torch, torchvision, focal_teach

logits = torch.randn(8, 80)                     # 8 anchors, 80 classes, one sigmoid each
labels = torch.randint(2, (8, 80)).float()
theirs = torchvision.ops.sigmoid_focal_loss(logits, labels, alpha=0.25, gamma=2.0, reduction="mean")
ours = focal_teach.binary_focal_loss(logits, labels, gamma=2.0, alpha=0.25, reduction="mean")
torch.testing.assert_close(ours, theirs)
""",
    ),
    "kornia": (
        "kornia's single α weighs class 0 by 1 − α and every other class by α: give focal_teach that per-class "
        "list. Its `\"mean\"` divides by every entry of its `[N, C, *]` map, ignored positions included: take our "
        "sum and divide by `logits.numel()`.",
        """\
import torch, kornia, focal_teach

logits = torch.randn(2, 4, 8, 8)                # [N, C, H, W]
target = torch.randint(4, (2, 8, 8))
target[0, :2] = -100                            # ignored
theirs = kornia.losses.focal_loss(logits, target, alpha=0.25, gamma=2.0, reduction="mean")
alpha = [1 - 0.25] + [0.25] * 3                 # 1 - alpha for class 0, alpha for the others
ours = focal_teach.focal_loss(logits, target, gamma=2.0, alpha=alpha, reduction="sum") / logits.numel()
torch.testing.assert_close(ours, theirs)
""",
    ),
    "kornia-binary": (
        "For labels 0/1 the same loss. A soft label y gives another number: kornia weighs the two hard-label "
        "losses by y and 1 − y, focal_teach (as torchvision) uses (1 − p_t)^γ·BCE(x, y). kornia's `ignore_index`, "
        "`weight` and `pos_weight` have no argument here: weigh our `reduction=\"none\"` output.",
        """\
import torch, kornia, focal_teach

logits = torch.randn(2, 3, 16)                  # [B, C, *], one sigmoid per element
labels = torch.randint(2, (2, 3, 16)).float()
theirs = kornia.losses.binary_focal_loss_with_logits(logits, labels, alpha=0.25, gamma=2.0, reduction="mean")
ours = focal_teach.binary_focal_loss(logits, labels, gamma=2.0, alpha=0.25, reduction="mean")
torch.testing.assert_close(ours, theirs)
""",
    ),
    "monai": (
        "MONAI's `FocalLoss` is a sigmoid per class unless `use_softmax=True`: with `to_onehot_y=True` it is our "
        "`binary_focal_loss` on the one-hot target. It computes in float32 whatever the input's dtype.",
        """\
import torch, focal_teach
from monai.losses import FocalLoss

logits = torch.randn(2, 4, 8, 8)                # [B, C, H, W]
target = torch.randint(4, (2, 1, 8, 8))         # class indices, one channel
theirs = FocalLoss(to_onehot_y=True, gamma=2.0, alpha=0.25)(logits, target)
one_hot = torch.nn.functional.one_hot(target[:, 0], 4).movedim(-1, 1).float()
ours = focal_teach.binary_focal_loss(logits, one_hot, gamma=2.0, alpha=0.25, reduction="mean")
torch.testing.assert_close(ours, theirs)
""",
    ),
    "monai-softmax": (
        "With `use_softmax=True` its single α weighs class 0 (background) by 1 − α and the others by α, and "
        "`\"mean\"` divides by every entry of the `[B, C, H, W]` map. With `include_background=False` its softmax "
        "runs over classes 1…C−1 only and a single α is dropped (see the notes above); the same numbers, without "
        "α, are `focal_loss(logits[:, 1:], torch.where(target == 0, -100, target - 1), reduction=\"sum\") / "
        "logits[:, 1:].numel()` (target without its channel dimension).",
        """\
import torch, focal_teach
from monai.losses import FocalLoss

logits = torch.randn(2, 4, 8, 8)
target = torch.randint(4, (2, 1, 8, 8))
theirs = FocalLoss(to_onehot_y=True, use_softmax=True, gamma=2.0, alpha=0.25)(logits, target)
alpha = [1 - 0.25] + [0.25] * 3                 # 1 - alpha for class 0, alpha for the others
ours = focal_teach.focal_loss(logits, target[:, 0], gamma=2.0, alpha=alpha, reduction="sum") / logits.numel()
torch.testing.assert_close(ours, theirs)
""",
    ),
    "smp-binary": (
        "The same loss for labels 0/1 (a soft label gives another number: it takes (1 − exp(−BCE))^γ for the "
        "focal term). Its `ignore_index` drops those elements from the mean: weigh our `reduction=\"none\"` output.",
        """\
import torch, focal_teach
from segmentation_models_pytorch.losses import FocalLoss

logits = torch.randn(2, 1, 16, 16)
labels = torch.randint(2, (2, 1, 16, 16)).float()
theirs = FocalLoss("binary", alpha=0.25, gamma=2.0)(logits, labels)
ours = focal_teach.binary_focal_loss(logits, labels, gamma=2.0, alpha=0.25, reduction="mean")
torch.testing.assert_close(ours, theirs)
""",
    ),
    "smp": (
        "`mode=\"multiclass\"` is not a softmax: every class gets its own sigmoid against `target == c`, and the "
        "mean runs over all classes and positions. That is our `binary_focal_loss` on the one-hot target. Its "
        "`reduction=\"none\"` still returns the mean, and `\"sum\"` the sum divided by C.",
        """\
import torch, focal_teach
from segmentation_models_pytorch.losses import FocalLoss

logits = torch.randn(2, 4, 16, 16)
target = torch.randint(4, (2, 16, 16))          # class indices
theirs = FocalLoss("multiclass", alpha=0.25, gamma=2.0)(logits, target)
one_hot = torch.nn.functional.one_hot(target, 4).movedim(-1, 1).float()
ours = focal_teach.binary_focal_loss(logits, one_hot, gamma=2.0, alpha=0.25, reduction="mean")
torch.testing.assert_close(ours, theirs)
""",
    ),
    "keras-binary": (
        "Keras ignores `alpha` unless `apply_class_balancing=True`, takes probabilities unless `from_logits=True`, "
        "and puts `y_true` first. It clips probabilities to [1e-7, 1 − 1e-7] and computes in float32: from a "
        "logit of about ±16 on, its loss and gradient differ from the exact ones (see the saturation table), so "
        "the numbers agree only for moderate logits, to float32 rounding.",
        """\
import os
os.environ["KERAS_BACKEND"] = "torch"           # before keras is imported
import keras, torch, focal_teach

logits = torch.randn(8, 5)
labels = torch.randint(2, (8, 5)).float()
theirs = keras.losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True, alpha=0.25, gamma=2.0)(labels, logits)
ours = focal_teach.binary_focal_loss(logits, labels, gamma=2.0, alpha=0.25, reduction="mean")
torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)   # Keras works from clipped probabilities
""",
    ),
    "keras": (
        "Keras's single `alpha` multiplies every class's term: it rescales the loss (focal_teach refuses a single "
        "α for softmax for that reason). Its targets are one-hot with classes last; ours are class indices with "
        "classes along dim 1. Clipped probabilities, as for the binary loss: moderate logits only.",
        """\
import os
os.environ["KERAS_BACKEND"] = "torch"           # before keras is imported
import keras, torch, focal_teach

logits = torch.randn(8, 5)                      # [N, C]: classes last and along dim 1 at once
target = torch.randint(5, (8,))
one_hot = torch.nn.functional.one_hot(target, 5).float()
theirs = keras.losses.CategoricalFocalCrossentropy(from_logits=True, alpha=0.25, gamma=2.0)(one_hot, logits)
ours = 0.25 * focal_teach.focal_loss(logits, target, gamma=2.0)
torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)   # Keras works from clipped probabilities
""",
    ),
}

# ---------------------------------------------------------------- the peers' own tests, ported (tests/compat/test_ported_*.py)

PORTED = [
    (
        "torchvision",
        "pytorch/vision, test/test_ops.py, class TestFocalLoss",
        "00673be3960268a837860cd6a05373d9861221d3 (the newest stored copy; the repository's snapshot was too large to "
        "fetch, so the tag v0.29.1 could not be checked out)",
        "tests/compat/test_ported_torchvision.py",
    ),
    (
        "kornia",
        "kornia/kornia, tests/losses/test_focal_loss.py, classes TestBinaryFocalLossWithLogits and TestFocalLoss",
        "3695153f40186723662fc229e81566ee1a8cdf4d, tag v0.9.0rc1 (the file is unchanged to b4f5a78, 2026-08-18, the "
        "newest fetchable; the v0.9.0 tag is not in that snapshot and the sdist ships no tests)",
        "tests/compat/test_ported_kornia.py",
    ),
]

DIFFERENCES = [  # (test, difference, reason and resolution)
    (
        "torchvision `test_correct_ratio` (16 cases)",
        "asserts `focal ≤ F.binary_cross_entropy_with_logits` element by element, and the ratio focal / CE to "
        "1e-5; at γ = 0 focal_teach's loss is above torch's float32 CE in {ours above torch's CE} of elements "
        "(100,000 logits, scale 4), by rounding, and the ratio misses 1e-5 where torch's CE is inexact",
        "Accuracy, documented. torchvision's loss *is* torch's CE times factors ≤ 1, so it can never exceed it. "
        "focal_teach computes its own CE, within {ours, max error in ulps} ulps of the exact value there, where "
        "torch's float32 CE is off by up to {torch's CE, max error in ulps} ulps (it returns 0 for a target 0 "
        "below a logit of about −16.6). The port compares focal_teach with the exact CE (float64, rounded to the "
        "input's dtype) and allows 4 ε in `≤`.",
    ),
    (
        "torchvision `test_jit` (48 cases)",
        "upstream scripts `sigmoid_focal_loss` and compares it with eager; `torch.jit.script(binary_focal_loss)` "
        "raises a RuntimeError instead",
        "focal_teach's decision (d5ee076): its gradient is a custom `torch.autograd.Function`, which TorchScript "
        "can neither script nor save, and TorchScript is deprecated. The error names what to use: "
        "`torch.compile` (tested in tests/losses/test_compile.py) or `torch.export`; the port checks that it does.",
    ),
    (
        "torchvision `test_correct_ratio`, `test_equal_ce_loss`, `test_jit`, `test_reduction_mode` in float16",
        "skipped on the CPU, for torchvision and focal_teach alike",
        "Upstream skips them (\"torch.half is not fully supported on cpu\"); they run where CUDA is present.",
    ),
    (
        "kornia `test_dynamo` with `torch_optimizer=\"jit\"` (2 tests × 2 dtypes)",
        "TorchScript of `focal_loss` and `binary_focal_loss` is refused",
        "As torchvision's `test_jit`: the port checks the refusal's message, then compares eager with eager. With "
        "\"inductor\" (what kornia's CI runs, float32) both losses compile and agree.",
    ),
    (
        "kornia `TestFocalLoss` (every test)",
        "kornia's `alpha` is one number, its `\"none\"` a `[N, C, *]` map, its `\"mean\"` over all N·C·d entries",
        "Conventions, mapped in tests/compat/compat_mapping.py (α → `[1 − α, α, …]`, the map rebuilt from our "
        "per-position loss, the mean as our sum ÷ numel); every test passes through the mapping.",
    ),
    (
        "kornia `TestBinaryFocalLossWithLogits` with soft labels, `pos_weight`, `weight`, `ignore_index`",
        "no such arguments in `binary_focal_loss`; soft labels follow torchvision's formula, not kornia's",
        "Conventions: the mapping weighs our `\"none\"` output and, for soft labels, combines our two hard-label "
        "losses as kornia does; every test passes through it.",
    ),
]

MMDET = (
    "mmdet 3.3.0 (the newest on PyPI) requires mmcv ≥ 2.0.0rc4 and < 2.2.0, and its focal loss module "
    "(`mmdet/models/losses/focal_loss.py`) imports mmcv's compiled ops at import time. PyPI has only source "
    "archives of mmcv (OpenMMLab's wheels are on its own index, which this machine cannot reach). Building "
    "mmcv 2.1.0 here fails twice over: its `setup.py` imports `pkg_resources`, which setuptools ≥ 81 no longer "
    "ships (pip's build stops at \"No module named 'pkg_resources'\"); with setuptools 80.10.2 it compiles its 77 "
    "C++ ops with `-std=c++17`, and torch 2.14.1's headers stop at `#error C++20 or later compatible compiler is "
    "required to use ATen`. So `py_sigmoid_focal_loss` is not compared here. Read from its source (mmdet 3.3.0), "
    "not run: it computes torchvision's formula, α-balanced, with an optional per-element `weight` and "
    "`avg_factor` (the mean divides by it), i.e. `binary_focal_loss(..., reduction=\"sum\") / avg_factor`."
)

# ---------------------------------------------------------------- rendering


def status_text(s: dict) -> str:
    kind = s["is"]
    if kind in ("exact", "NaN", "inf"):
        return kind
    if kind == "0":
        return f"0 (exact {s['exact']:.1e})"
    if kind == "1 %":
        return f"within 1 % (relative error {s['error']:.1e})"
    return f"×{s['ratio']:g} of exact ({s['exact']:.1e})"


def category(s: dict) -> str | None:
    """A saturation status, in the words of the summary (None: exact)."""
    kind = s["is"]
    if kind == "exact":
        return None
    if kind in ("NaN", "inf"):
        return kind
    if kind == "0":
        return "underflows to 0" if abs(s["exact"]) < 1e-6 else "0"
    if kind == "1 %":
        return "within 1 %"
    return "wrong"


def saturation_summary(rows: list[dict]) -> str:
    groups = defaultdict(lambda: {"gammas": set(), "ratios": [], "exact": [], "errors": []})
    for row in rows:
        for quantity in ("loss", "grad"):
            cat = category(row[quantity])
            if cat is None:
                continue
            group = groups[(quantity, cat, "easy" if row["easy"] else "hard")]
            group["gammas"].add(row["gamma"])
            if "ratio" in row[quantity]:
                group["ratios"].append(row[quantity]["ratio"])
            if "exact" in row[quantity]:
                group["exact"].append(abs(row[quantity]["exact"]))
            if "error" in row[quantity]:
                group["errors"].append(row[quantity]["error"])
    if not groups:
        return "exact"
    parts = []
    for (quantity, cat, ease), group in sorted(groups.items(), key=lambda item: (item[0][0] != "loss", item[0])):
        what = "gradient" if quantity == "grad" else "loss"
        gammas = "" if len(group["gammas"]) == 2 else f", γ = {next(iter(group['gammas'])):g}"
        if cat == "wrong":
            low, high = min(group["ratios"]), max(group["ratios"])
            cat = f"×{low:.3g}" + ("" if low == high else f"–{high:.3g}") + " of exact"
        elif cat == "underflows to 0":
            cat = f"underflows to 0 (exact ≤ {max(group['exact']):.0e})"
        elif cat == "within 1 %":
            cat = f"within 1 % of exact (relative error ≤ {max(group['errors']):.0e})"
        elif cat == "0":
            cat = f"0 (exact up to {max(group['exact']):.1g})"
        parts.append(f"{what} {cat} ({ease}{gammas})")
    return "; ".join(parts)


def md(text) -> str:
    return "—" if text is None else str(text).replace("|", "\\|")


def render(data: dict) -> str:
    entries = data["entries"]
    versions = data["versions"]
    out = []
    add = out.append
    add("# Switching from another library: what each peer's focal loss computes")
    add("")
    add("<!-- Generated by scripts/peer_table.py from the findings of tests/compat (`nox -s compat`). Do not edit. -->")
    add("")
    add(
        "Every entry below was measured: `tests/compat/compat_findings.py` puts the same logits and targets "
        "through the peer and through focal_teach, lists the possible answers to each question (what α means, "
        "what \"mean\" divides by, …) as computations, and records the one the peer's numbers reproduce. A "
        "test checks that this page is what `scripts/peer_table.py` renders from a fresh run, so it changes "
        "when a peer's behaviour does. Versions: "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
        + ", on the CPU."
    )
    add("")
    add("Probes: logits of shape [N, C, d] = [4, 3, 5] (scale 2), targets as class indices [N, d] or 0/1 labels "
        "of the logits' shape, γ = 2. \"Exact\" means within 1e-4 (relative) of the same loss in exact float64 "
        "arithmetic (values below float32's normal range, 1e-37, count as exact).")
    add("")
    add("## At a glance")
    add("")
    add("| call | version | activation | α, one number | \"mean\" divides by | ignore_index | float32 at ±20, ±30 |")
    add("|---|---|---|---|---|---|---|")
    for e in entries:
        f = e["findings"]
        add(f"| `{md(e['call'])}` | {e['version']} | {md(f['activation'])} | {md(f['alpha'])} | {md(f['mean'])} | "
            f"{md(f['ignore_index'])} | {md(saturation_summary(e['saturation']))} |")
    add("")
    add("\"Easy\": the target's logit is the larger one (p_t → 1); \"hard\": it is the smaller (p_t → 0). "
        "Gradients that underflow to 0 or a loss of 1e-26 that becomes 0 change no training step; a NaN gradient "
        "(γ < 1, where (1 − p_t)^γ has an infinite derivative at p_t = 1) or a zero gradient on a hard "
        "example does.")
    add("")
    add("## float16, bfloat16, float64")
    add("")
    add("Loss and gradient of a moderate batch against exact float64 values computed on the same (rounded) "
        "logits; \"saturated\": NaN or inf anywhere in loss or gradient at the points ±20, ±30 (γ = 2 and 0.5) "
        "in that dtype.")
    add("")
    add("| call | float16 | bfloat16 | float64 |")
    add("|---|---|---|---|")
    for e in entries:
        cells = []
        for dtype in ("float16", "bfloat16", "float64"):
            d = e["dtypes"][dtype]
            if d["accepted"] != "yes":
                cells.append(md(d["accepted"]))
                continue
            cells.append(f"returns {d['returns']}; loss {d['loss error']}, gradient {d['grad error']}; saturated: {d['saturated']}")
        add(f"| `{md(e['call'])}` | " + " | ".join(cells) + " |")
    add("")
    for e in entries:
        if e["peer"] == "focal-teach":
            continue
        add(f"## {PEER_NAMES[e['peer']]} {e['version']}: `{e['call']}`")
        add("")
        add("| question | finding |")
        add("|---|---|")
        for key, label in ASPECTS:
            value = e["findings"][key]
            if value is None:
                continue
            if key == "class alpha" and e["key"] in CLASS_ALPHA_ARGUMENT:
                label = label.replace("α per class", f"α per class (as `{CLASS_ALPHA_ARGUMENT[e['key']]}`)")
            add(f"| {label} | {md(value)} |")
        for question, answer in e["notes"].items():
            add(f"| {md(question)} | {md(answer)} |")
        add("")
        wrong = [r for r in e["saturation"] if r["loss"]["is"] != "exact" or r["grad"]["is"] != "exact"]
        add(f"float32 at saturation ({len(e['saturation']) - len(wrong)} of {len(e['saturation'])} points exact"
            + ("" if not wrong else "; the others:") + ")")
        if wrong:
            add("")
            add("| γ | point | loss | gradient |")
            add("|---|---|---|---|")
            for r in wrong:
                add(f"| {r['gamma']:g} | {r['point']} ({'easy' if r['easy'] else 'hard'}) | {status_text(r['loss'])} | {status_text(r['grad'])} |")
        add("")
        text, code = SNIPPETS[e["key"]]
        add(f"### Switching from {e['call']}")
        add("")
        add(text)
        add("")
        add("```python")
        add(code.rstrip())
        add("```")
        add("")
    add("## focal_teach itself, probed the same way")
    add("")
    ours = [e for e in entries if e["peer"] == "focal-teach"]
    add("| question | " + " | ".join(f"`{e['call']}`" for e in ours) + " |")
    add("|---" * (len(ours) + 1) + "|")
    for key, label in ASPECTS:
        add(f"| {label} | " + " | ".join(md(e["findings"][key]) for e in ours) + " |")
    add("")
    for e in ours:
        wrong = [r for r in e["saturation"] if r["loss"]["is"] != "exact" or r["grad"]["is"] != "exact"]
        add(f"`{e['call']}` in float32 at saturation: {len(e['saturation']) - len(wrong)} of {len(e['saturation'])} points "
            "exact" + ("." if not wrong else "; the others:"))
        add("")
        if wrong:
            add("| γ | point | loss | gradient |")
            add("|---|---|---|---|")
            for r in wrong:
                add(f"| {r['gamma']:g} | {r['point']} ({'easy' if r['easy'] else 'hard'}) | {status_text(r['loss'])} | {status_text(r['grad'])} |")
            add("")
    add("## mmdet / mmcv: not compared")
    add("")
    mmdet = data["not_installed"]["mmdet"]
    add(MMDET if not mmdet["importable"] else "mmdet is importable in this environment, but no probe compares it yet.")
    add("")
    add("## The peers' own tests, ported")
    add("")
    add("Each upstream test runs twice, against the peer and against focal_teach through the argument mapping "
        "of `tests/compat/compat_mapping.py` (except kornia's `test_dynamo` compiled with inductor, which runs "
        "for focal_teach only: compiling kornia itself is kornia's CI's test, and the slowest here): a test that "
        "passes for the peer and fails for focal_teach is a difference, listed below with its reason.")
    add("")
    add("| suite | upstream | commit | port |")
    add("|---|---|---|---|")
    for name, where, commit, port in PORTED:
        add(f"| {name} | {where} | {commit} | `{port}` |")
    add("")
    add("| test | difference | reason / resolution |")
    add("|---|---|---|")
    accuracy = data["cross_entropy_accuracy"]
    for test, difference, reason in DIFFERENCES:
        add(f"| {md(test)} | {md(difference.format_map(accuracy))} | {md(reason.format_map(accuracy))} |")
    add("")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("findings", nargs="?", type=Path, default=FINDINGS)
    parser.add_argument("--output", type=Path, default=PAGE)
    parser.add_argument("--check", action="store_true", help="exit 1 if the page differs from the rendering")
    args = parser.parse_args(argv)
    if not args.findings.exists():
        parser.error(f"{args.findings} does not exist: run `.venv/bin/nox -s compat` first (it writes it)")
    page = render(json.loads(args.findings.read_text()))
    if args.check:
        if args.output.read_text() != page:
            print(f"{args.output} differs from the rendering of {args.findings}: run python scripts/peer_table.py", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(page)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
