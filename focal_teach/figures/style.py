"""What every figure of the course shares: its colours and line styles, and the check that it was given an ``Axes``.

Colour is never the only thing that tells two curves apart (WCAG 2.1, 1.4.1 "Use of Color"):
each γ also has its own dash pattern (:func:`gamma_linestyles`), so the curves stay distinct in
greyscale, on a projector and for readers who do not see the colours.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
from matplotlib.axes import Axes

__all__ = ["POSITIVE_COLOR", "NEGATIVE_COLOR", "LINESTYLES", "gamma_colors", "gamma_linestyles", "run_colors", "check_ax"]

POSITIVE_COLOR = "#c0392b"  # red: the rare class
NEGATIVE_COLOR = "#34495e"  # slate: the background


def gamma_colors(gammas: Sequence[float]) -> list[tuple]:
    """One colour per γ, from the dark half of viridis in the order given (small γ purple, large γ teal).

    The dark half only: its lightest colour (#21918c) still has 3.8:1 against white, where
    viridis's yellow-green end has 1.7:1 (WCAG 2.1, 1.4.11, asks 3:1 for the parts of a graphic
    needed to understand it). The course website's explorers use the same colours.
    """
    cmap = matplotlib.colormaps["viridis"]
    n = len(gammas)
    return [cmap(0.5 * i / max(n - 1, 1)) for i in range(n)]


# Dash patterns in matplotlib's (offset, (on, off, ...)) form, in units of the line width: solid,
# dashed, dotted, dash-dot, long dash, dash-dot-dot. Distinct at lw 1.2-2 and in a small legend.
LINESTYLES = (
    "solid",
    (0, (4.0, 1.6)),
    (0, (1.0, 1.4)),
    (0, (5.0, 1.6, 1.0, 1.6)),
    (0, (9.0, 2.5)),
    (0, (5.0, 1.6, 1.0, 1.6, 1.0, 1.6)),
)


def gamma_linestyles(gammas: Sequence[float]) -> list:
    """One dash pattern per γ, in the order given (the first solid), from :data:`LINESTYLES`, cycling.

    Paired with :func:`gamma_colors`, so that the γ of a curve can be read without its colour.
    """
    return [LINESTYLES[i % len(LINESTYLES)] for i in range(len(gammas))]


def run_colors(names: Sequence[str]) -> dict[str, tuple]:
    """One colour per run name, from matplotlib's ``tab10`` in the order given (so a loss keeps its colour)."""
    cmap = matplotlib.colormaps["tab10"]
    return {name: cmap(i % 10) for i, name in enumerate(names)}


def check_ax(ax) -> Axes:
    """``ax`` itself, if it is a matplotlib ``Axes``; a ``TypeError`` that says where to get one otherwise."""
    if not isinstance(ax, Axes):
        raise TypeError(
            f"ax must be a matplotlib Axes (e.g. from plt.subplots() or figure.add_subplot()); got {type(ax).__name__}"
        )
    return ax
