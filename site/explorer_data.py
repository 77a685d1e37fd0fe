r"""The numbers behind the site's kernel-free explorers, computed by ``focal_teach`` at build time.

The notebooks' explorers (``focal_teach.explorers.loss_explorer`` and ``gradient_explorer``)
recompute their curves in a kernel whenever γ or α moves. The site has no kernel, so this script
evaluates every curve the page can show, on the sliders' own grid (γ from 0 to 5 in steps of
0.1, α from 0 to 1 in steps of 0.05, as in the notebooks), with the same package functions:

- the curve of one example, for every γ on the grid and every weight α_t on the grid (a
  positive has α_t = α, a negative α_t = 1 - α, both on the same grid):
  ``focal_teach.losses.focal_term(p_t, γ, α_t)`` against p_t, or
  ``focal_teach.losses.focal_loss_grad(x_t, γ, α_t)`` against x_t;
- for every (γ, α), each group's total and share of the batch
  (``ExampleGroup.loss`` / ``ExampleGroup.gradient``, ``shares``), and the bar labels as the
  notebook writes them (``format_share``).

The page only looks values up: it computes no loss. ``tests/site/test_explorer_data.py`` decodes
the files written here and checks every value against the package.

Curves are stored to a relative precision, because the chart shows values from 5 nats down to
the 1e-30 of γ = 5 near p_t = 1: each value v is one unsigned 16-bit code, 0 for an exact zero,
else ``sign * exp(ln_lo + (code - 1) * ln_step)``, base64-encoded. With the explorers' range of
magnitudes, every stored value is the package's to a relative 6e-4 or better (``RELATIVE_ERROR``,
checked when written and by the tests). The p_t grid is the notebook's (``p_t_grid``, linear from
0.001 to 1) made denser where the curves change fastest: log-spaced in p_t near 0 and in
1 - p_t near 1 (down to 1 - p_t = 1e-5, beyond the last pixel of any screen).

The colours of the thin γ curves are the notebooks' (``focal_teach.figures.style.gamma_colors``,
viridis from 0 to 0.5): each has at least 3:1 against white and against the chart's grey shading
(WCAG 1.4.11, checked here), and each γ keeps its own line style.

    python site/explorer_data.py OUTDIR      # writes OUTDIR/loss.js and OUTDIR/gradient.js
"""

from __future__ import annotations

import base64
import json
import math
import sys
from pathlib import Path

import matplotlib.colors
import numpy as np
import torch

from focal_teach.experiments.loss_shares import EASY_AND_HARD, shares
from focal_teach.explorers.curves import ALPHA_STEP, GAMMA_STEP
from focal_teach.figures.curves import PAPER_GAMMAS, format_share, p_t_grid, x_t_grid
from focal_teach.figures.style import (
    LINESTYLES,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    gamma_colors,
    gamma_linestyles,
)
from focal_teach.losses import focal_loss_grad, focal_term

MAX_GAMMA = 5.0
POINTS = 101  # the uniform part of each grid; the notebook's explorer uses 400 (a PNG)
DEFAULT_GAMMA, DEFAULT_ALPHA = 2.0, 0.25  # the paper's, and the explorers' defaults
LEVELS = 65535
RELATIVE_ERROR = 1e-3  # the most any stored value may differ from the package's, relative to it
BACKGROUNDS = ("#ffffff", "#f0f0f0")  # the chart's background and its shading (explorer.js)
MIN_CONTRAST = 3.0  # WCAG 1.4.11, graphical objects
# How the legend names focal_teach.figures.style.LINESTYLES, in order.
STYLE_NAMES = ("solid", "dashed", "dotted", "dash-dot", "long dash", "dash-dot-dot")
assert len(STYLE_NAMES) == len(LINESTYLES)


def gamma_grid() -> list[float]:
    return [round(i * GAMMA_STEP, 10) for i in range(round(MAX_GAMMA / GAMMA_STEP) + 1)]


def alpha_grid() -> list[float]:
    return [round(i * ALPHA_STEP, 10) for i in range(round(1.0 / ALPHA_STEP) + 1)]


def loss_x() -> np.ndarray:
    """The loss explorer's p_t: the notebook's grid, plus log-spaced points near 0 and near 1."""
    near_zero = np.logspace(-3, -1.5, 8)
    near_one = 1.0 - np.logspace(-1.5, -5, 15)
    return np.unique(np.concatenate([p_t_grid(POINTS).numpy(), near_zero, near_one]))


def gradient_x() -> np.ndarray:
    return x_t_grid(POINTS).numpy()


def _encode(values: np.ndarray) -> dict:
    """Log-scaled 16-bit codes (module docstring): a relative error, whatever the magnitude."""
    signs = np.unique(np.sign(values[values != 0]))
    if len(signs) != 1:
        raise ValueError("the curves of one explorer must share one sign (the loss ≥ 0, its gradient ≤ 0)")
    magnitude = np.abs(values)
    ln = np.log(magnitude[magnitude > 0])
    ln_lo, ln_hi = float(ln.min()), float(ln.max())
    ln_step = (ln_hi - ln_lo) / (LEVELS - 1)
    worst = math.expm1(ln_step / 2)
    if worst > RELATIVE_ERROR:
        raise ValueError(f"the curves span e^{ln_hi - ln_lo:.0f}: 16 bits give {worst:.1e} > {RELATIVE_ERROR}")
    codes = np.zeros(values.shape, dtype="<u2")
    with np.errstate(divide="ignore"):
        codes[magnitude > 0] = 1 + np.round((np.log(magnitude[magnitude > 0]) - ln_lo) / ln_step).astype(np.int64)
    return {"sign": int(signs[0]), "ln_lo": ln_lo, "ln_step": ln_step, "shape": list(values.shape),
            "relative_error": worst, "base64": base64.b64encode(codes.tobytes()).decode("ascii")}


def decode(curves: dict) -> np.ndarray:
    """The inverse of the encoding (for the tests): float64 array of ``curves["shape"]``, as explorer.js decodes it."""
    codes = np.frombuffer(base64.b64decode(curves["base64"]), dtype="<u2").astype(np.float64)
    values = curves["sign"] * np.exp(curves["ln_lo"] + (codes - 1) * curves["ln_step"])
    return np.where(codes == 0, 0.0, values).reshape(curves["shape"])


def contrast(color: str, background: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two colours (1 to 21)."""

    def luminance(c: str) -> float:
        channels = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in matplotlib.colors.to_rgb(c)]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    high, low = sorted((luminance(color), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def family_colors(gammas) -> list[str]:
    """One colour per γ curve, dark to light as in the notebooks, each ≥ 3:1 on the chart (docstring)."""
    colors = [matplotlib.colors.to_hex(c) for c in gamma_colors(gammas)]  # the notebooks' own
    for color in colors:
        worst = min(contrast(color, bg) for bg in BACKGROUNDS)
        if worst < MIN_CONTRAST:
            raise ValueError(f"curve colour {color} has {worst:.2f}:1 on the chart, below {MIN_CONTRAST}:1")
    return colors


def _dash(style, lw: float) -> list[float]:
    """A matplotlib line style as a canvas dash array in pixels (empty: solid)."""
    if style == "solid":
        return []
    if style == "--":
        return [3.7 * lw, 1.6 * lw]
    _, pattern = style
    return [round(v * lw, 2) for v in pattern]


def explorer(kind: str) -> dict:
    """Everything the page's explorer of ``kind`` ("loss" or "gradient") shows, as plain data."""
    gammas, alphas = gamma_grid(), alpha_grid()
    if kind == "loss":
        x = torch.from_numpy(loss_x())
        curve = lambda g, a_t: focal_term(x, g, a_t)
        total = lambda group, g, a: group.loss(g, a)
        xlabel, ylabel = "p_t, probability of the true class", "loss (nats)"
        xlim, ylim = [0.0, 1.0], [0.0, 5.0]
        quantity, title = "loss", "loss of one example"
        shade = [0.5, 1.0]
    elif kind == "gradient":
        x = torch.from_numpy(gradient_x())
        curve = lambda g, a_t: focal_loss_grad(x, g, a_t)
        total = lambda group, g, a: group.gradient(g, a)
        xlabel, ylabel = "x_t = y·x, signed logit (right of 0: correct)", "∂FL/∂x_t"
        xlim = [float(x.min()), float(x.max())]
        # As gradient_explorer: the steepest the gradient gets for any γ (at α_t = 1) fixes the y axis.
        lowest = min(focal_loss_grad(x_t_grid(400), g).min().item() for g in np.linspace(0.0, MAX_GAMMA, 26))
        ylim = [1.05 * lowest, 0.05]
        quantity, title = "|gradient|", "gradient of one example"
        shade = [0.0, xlim[1]]
    else:
        raise ValueError(f"kind must be 'loss' or 'gradient'; got {kind!r}")

    with torch.no_grad():
        values = np.stack([np.stack([curve(g, a_t).numpy() for a_t in alphas]) for g in gammas])
    bar_shares, bar_labels = [], []  # flat, in the order [γ][α][group]
    for g in gammas:
        for a in alphas:
            totals = [total(group, g, a) for group in EASY_AND_HARD]
            fractions = shares(totals)
            bar_shares += [round(100.0 * f, 4) for f in fractions]
            bar_labels += [f"{format_share(f)}, total {t:.4g}" for f, t in zip(fractions, totals)]
    return {
        "kind": kind,
        "title": title,
        "quantity": quantity,
        "gammas": gammas,
        "alphas": alphas,
        "default": {"gamma": DEFAULT_GAMMA, "alpha": DEFAULT_ALPHA},
        "x": [float(v) for v in x],  # exactly: near p_t = 1 a rounded p_t would move FL by far more than 1e-3
        "xlabel": xlabel,
        "ylabel": ylabel,
        "xlim": xlim,
        "ylim": ylim,
        "shade": shade,
        "curves": _encode(values),  # [γ][α_t][x]
        "family": [
            {"gamma": g, "label": f"γ = {g:g}" + (" (CE)" if g == 0 else ""), "color": c, "dash": _dash(s, 1.4),
             "style": STYLE_NAMES[LINESTYLES.index(s)]}
            for g, c, s in zip(PAPER_GAMMAS, family_colors(PAPER_GAMMAS), gamma_linestyles(PAPER_GAMMAS))
        ],
        "positive": {"color": POSITIVE_COLOR, "dash": [], "label": "your γ, positive (α_t = α)"},
        "negative": {"color": NEGATIVE_COLOR, "dash": _dash("--", 2.8), "label": "your γ, negative (α_t = 1 − α)"},
        "groups": [
            {"name": f"{group.count:,} {group.name}", "p_t": f"{group.p_t:g}", "positive": group.positive,
             "color": POSITIVE_COLOR if group.positive else NEGATIVE_COLOR}
            for group in EASY_AND_HARD
        ],
        "batch": sum(group.count for group in EASY_AND_HARD),
        "bar_shares": bar_shares,  # percent of the batch's total
        "bar_labels": bar_labels,
    }


def write(outdir: Path) -> list[Path]:
    """Write ``loss.js`` and ``gradient.js`` into ``outdir``; return their paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in ("loss", "gradient"):
        data = json.dumps(explorer(kind), ensure_ascii=False, separators=(",", ":"))
        path = outdir / f"{kind}.js"
        path.write_text(
            "// Generated by site/explorer_data.py from focal_teach at build time: do not edit.\n"
            f"(window.FOCAL_EXPLORERS = window.FOCAL_EXPLORERS || {{}})[{json.dumps(kind)}] = {data};\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def read(path: Path) -> dict:
    """The data of a file written by :func:`write` (for the tests)."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("= {") + 2 : text.rstrip().rindex(";")])


if __name__ == "__main__":
    for written in write(Path(sys.argv[1])):
        print(f"{written}: {written.stat().st_size / 1000:.0f} kB")
