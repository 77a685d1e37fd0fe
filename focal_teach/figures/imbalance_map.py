"""The imbalance map's figures: paired gain against imbalance, and γ × imbalance (notebook 08).

Every figure here reads :func:`focal_teach.experiments.map_reading.detection_gains` (or
``classification_gains``): one :class:`~focal_teach.experiments.map_reading.Gain` per level and
method, a paired difference over seeds. Curves are told apart by marker and dash pattern as
well as colour; each level's sign count is written on the figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from focal_teach.experiments.imbalance_map import PAPER_NEG_PER_POS, load_imbalance_map
from focal_teach.experiments.map_reading import Gain, classification_gains, detection_gains
from focal_teach.figures.style import LINESTYLES, check_ax

__all__ = ["plot_gains", "plot_gain_grid", "mark_positions", "plot_where_on_map"]

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
METRIC_NAMES = {"test_ap": "AP", "validation_ap": "validation AP", "macro_f1": "macro-F1",
                "balanced_accuracy": "balanced accuracy", "tail_recall": "tail recall"}


def plot_gains(ax, gains: Sequence[Gain], contenders: Sequence[str], *, counts_for: str | None = None,
               colors: Sequence | None = None, title: str | None = None, paper: bool = True):
    """Each contender's mean paired gain over the baseline against negatives per positive (log axis), with its 95 % band.

    Args:
        ax: a matplotlib ``Axes``.
        gains: from ``detection_gains`` or ``classification_gains``.
        contenders: which contenders to draw (their labels), in legend order.
        counts_for: write this contender's sign count ("11/12": seeds on which it is higher)
            above each of its points.
        colors: one colour per contender (default: ``tab10``).
        title: the axes' title.
        paper: mark the paper's regime (:data:`~focal_teach.experiments.imbalance_map.PAPER_NEG_PER_POS`)
            with an arrow at the right edge when it lies beyond the axis.

    Returns:
        ``{contender: Line2D}``.
    """
    ax = check_ax(ax)
    cmap = matplotlib.colormaps["tab10"]
    colors = list(colors) if colors is not None else [cmap(i) for i in range(len(contenders))]
    lines = {}
    baseline = gains[0].baseline if gains else ""
    metric = gains[0].difference.metric if gains else ""
    for i, name in enumerate(contenders):
        mine = sorted((g for g in gains if g.contender == name), key=lambda g: g.neg_per_pos)
        if not mine:
            continue
        x = np.array([g.neg_per_pos for g in mine])
        y = np.array([g.difference.mean for g in mine])
        low, high = np.array([g.difference.interval for g in mine]).T
        (line,) = ax.plot(x, y, color=colors[i], linestyle=LINESTYLES[i % len(LINESTYLES)], marker=MARKERS[i % len(MARKERS)],
                          linewidth=1.8, markersize=6, label=name)
        ax.fill_between(x, low, high, color=colors[i], alpha=0.15, linewidth=0)
        lines[name] = line
        if name == counts_for:
            for g, xi, hi in zip(mine, x, high):
                ax.annotate(f"{g.difference.wins}/{g.difference.n}", (xi, hi), textcoords="offset points", xytext=(0, 4),
                            ha="center", fontsize=8, color=colors[i])
    ax.axhline(0.0, color="0.2", linewidth=0.9)
    ax.set_xscale("log")
    ax.set_xlabel("negative outputs per positive (log scale)")
    ax.set_ylabel(f"{METRIC_NAMES.get(metric, metric)} gain over {baseline}\n(mean paired difference, 95 % band)")
    if title:
        ax.set_title(title)
    if paper and gains and PAPER_NEG_PER_POS > max(g.neg_per_pos for g in gains):
        ax.annotate("the paper's regime\n≈ 8·10⁴ →", xy=(1.0, 0.04), xycoords="axes fraction", ha="right", va="bottom",
                    fontsize=8, color="0.25")
    ax.grid(alpha=0.3, which="both")
    return lines


def plot_gain_grid(ax, gains: Sequence[Gain], contenders: Sequence[str], *, title: str | None = None, digits: int = 2):
    """A contender × level grid of mean paired gains, each cell labelled "+0.05 / 11/12" (gain / sign count).

    Cells whose 95 % interval straddles 0 are written in parentheses: no difference measured
    there. The colour (a diverging map centred on 0) repeats what the text says.

    Returns:
        The ``AxesImage``.
    """
    ax = check_ax(ax)
    level_list = sorted({(g.level, g.neg_per_pos) for g in gains})
    by = {(g.level, g.contender): g for g in gains}
    grid = np.full((len(contenders), len(level_list)), np.nan)
    for i, name in enumerate(contenders):
        for j, (level, _) in enumerate(level_list):
            if (level, name) in by:
                grid[i, j] = by[level, name].difference.mean
    span = np.nanmax(np.abs(grid)) if np.isfinite(grid).any() else 1.0
    image = ax.imshow(grid, cmap="RdBu", norm=TwoSlopeNorm(0.0, -span, span), aspect="auto")
    for i, name in enumerate(contenders):
        for j, (level, _) in enumerate(level_list):
            g = by.get((level, name))
            if g is None:
                continue
            d = g.difference
            value = f"{d.mean:+.{digits}f}"
            text = f"{value}\n{d.wins}/{d.n}" if d.measured else f"({value})\n{d.wins}/{d.n}"
            dark = abs(d.mean) > 0.55 * span
            ax.text(j, i, text, ha="center", va="center", fontsize=7.5, color="white" if dark else "black")
    ax.set_xticks(range(len(level_list)), [f"{npp:,.0f}" for _, npp in level_list], rotation=0, fontsize=8)
    ax.set_yticks(range(len(contenders)), contenders)
    ax.set_xlabel("negative outputs per positive")
    if title:
        ax.set_title(title)
    return image


def mark_positions(ax, positions: Mapping[str, float], *, color: str = "0.35"):
    """Vertical dotted lines labelled with what sits there, e.g. ``{"notebook 06": 200}``."""
    ax = check_ax(ax)
    artists = []
    for label, x in positions.items():
        artists.append(ax.axvline(x, color=color, linestyle=":", linewidth=1.2))
        artists.append(ax.annotate(label, xy=(x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                                   textcoords="offset points", rotation=90, ha="left", va="top", fontsize=8, color=color))
    return artists


def plot_where_on_map(ax, imbalance: float, *, task: str = "detection", label: str = "this notebook",
                      rows: Sequence[dict] | None = None):
    """The imbalance map in one panel, and where a problem sits on it (notebooks 03-07).

    Detection: focal loss at γ = 1 (the map's best γ) and γ = 2 (the paper's), α tuned, against
    tuned α-balanced CE, test AP, at notebook 06's budget (120 iterations). Classification:
    focal loss (γ = 2) and logit-adjusted CE against CE, macro-F1. Both as mean paired gains
    with their 95 % bands, with a dotted line at ``imbalance`` labelled ``label``.

    Returns:
        ``{curve label: Line2D}``.
    """
    ax = check_ax(ax)
    rows = load_imbalance_map() if rows is None else rows
    if task == "detection":
        lines = plot_gains(ax, detection_gains(rows, "adam", 120), ["FL γ = 1", "FL γ = 2"], paper=True,
                           colors=["#3b528b", "#5b2c83"])
        ax.set_ylabel("AP gain over tuned α-CE\n(mean paired difference, 95 % band)")
        ax.set_xlabel("negative outputs per positive (log scale)")
    elif task == "classification":
        lines = plot_gains(ax, classification_gains(rows, "macro_f1"), ["FL γ = 2", "logit-adjusted CE"], paper=False,
                           colors=["#5b2c83", "#1f6f43"])
        ax.set_ylabel("macro-F1 gain over CE\n(mean paired difference, 95 % band)")
        ax.set_xlabel("head/tail ratio of the training counts (log scale)")
    else:
        raise ValueError(f"task must be 'detection' or 'classification'; got {task!r}")
    mark_positions(ax, {label: float(imbalance)})
    # the marker's label runs down from the top: keep the legend off it when it is near the left edge
    low, high = np.log(ax.get_xlim())
    near_left = (np.log(float(imbalance)) - low) / (high - low) < 0.25
    ax.legend(fontsize=8, loc="upper center" if near_left else "upper left")
    budget = ", 120 iterations" if task == "detection" else ""
    ax.set_title(f"Where {label} sits on the imbalance map (notebook 08{budget})", fontsize=10)
    return lines
