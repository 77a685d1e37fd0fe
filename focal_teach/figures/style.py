"""What every figure of the course shares: its colours, and the check that it was given an ``Axes``."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
from matplotlib.axes import Axes

__all__ = ["POSITIVE_COLOR", "NEGATIVE_COLOR", "gamma_colors", "run_colors", "check_ax"]

POSITIVE_COLOR = "#c0392b"  # red: the rare class
NEGATIVE_COLOR = "#34495e"  # slate: the background


def gamma_colors(gammas: Sequence[float]) -> list[tuple]:
    """One colour per γ, from viridis in the order given (small γ dark, large γ yellow-green)."""
    cmap = matplotlib.colormaps["viridis"]
    n = len(gammas)
    return [cmap(0.85 * i / max(n - 1, 1)) for i in range(n)]


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
