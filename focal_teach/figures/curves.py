r"""The paper's curves on a matplotlib ``Axes``: for the notebooks' static figures and the explorers.

Each ``plot_*`` function draws on an ``Axes`` it is given (from pyplot or from a bare
``matplotlib.figure.Figure``), labels it, and returns the lines it drew as a dict
``gamma -> Line2D``, so an explorer can later move them in place with ``line.set_ydata``.

- :func:`plot_loss_curves`: :math:`\alpha_t (1 - p_t)^\gamma (-\log p_t)` against :math:`p_t`
  (Lin et al., Figure 1).
- :func:`plot_modulating_factor`: :math:`(1 - p_t)^\gamma` against :math:`p_t`.
- :func:`plot_gradient_curves`: :math:`\partial\mathrm{FL}/\partial x_t` against :math:`x_t`, for
  Figure 1's values of γ (the paper's own Figure 6 is the derivative of its Figure 5's curves,
  CE, FL and FL*, which notebook 06 draws).
- :class:`ShareBars`: each group's share of a batch's loss or gradient, as bars.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from numbers import Real

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from focal_teach.experiments.loss_shares import shares
from focal_teach.figures.style import NEGATIVE_COLOR, POSITIVE_COLOR, check_ax, gamma_colors, gamma_linestyles
from focal_teach.losses import focal_loss_grad, focal_term, modulating_factor
from focal_teach.losses._validation import check_gamma

__all__ = [
    "PAPER_GAMMAS",
    "gamma_label",
    "p_t_grid",
    "x_t_grid",
    "plot_loss_curves",
    "plot_modulating_factor",
    "plot_gradient_curves",
    "ShareBars",
    "format_share",
]

PAPER_GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)
"""The γ values of the paper's Figure 1."""

def p_t_grid(num: int = 500) -> torch.Tensor:
    r"""``num`` probabilities from 0.001 to 1 (float64): :math:`-\log p_t` is infinite at 0."""
    _check_num(num)
    return torch.linspace(1e-3, 1.0, num, dtype=torch.float64)


def x_t_grid(num: int = 500, limit: float = 6.0) -> torch.Tensor:
    r"""``num`` signed logits :math:`x_t` from ``-limit`` to ``limit`` (float64)."""
    _check_num(num)
    if not isinstance(limit, Real) or not math.isfinite(limit) or limit <= 0:
        raise ValueError(f"limit must be a finite number > 0 (half-width of the x_t axis); got {limit!r}")
    return torch.linspace(-float(limit), float(limit), num, dtype=torch.float64)


def _check_num(num) -> None:
    if not isinstance(num, int) or isinstance(num, bool) or num < 2:
        raise ValueError(f"num must be an int ≥ 2 (points on the curve); got {num!r}")


def _as_grid(values, name: str) -> torch.Tensor:
    try:
        grid = torch.as_tensor(values, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a 1-D tensor or array of numbers; got {type(values).__name__}") from err
    if grid.dim() != 1 or grid.numel() < 2:
        raise ValueError(f"{name} must be 1-D with at least 2 points; got shape {tuple(grid.shape)}")
    return grid


def _check_gammas(gammas) -> tuple[float, ...]:
    if isinstance(gammas, (Real, torch.Tensor)) or not isinstance(gammas, Sequence) or not gammas:
        raise TypeError(f"gammas must be a non-empty sequence of numbers ≥ 0, e.g. (0, 0.5, 1, 2, 5); got {gammas!r}")
    return tuple(check_gamma(g) for g in gammas)


def gamma_label(gamma: float) -> str:
    r"""``"γ = 2"``; ``"γ = 0 (CE)"`` for the cross-entropy."""
    return rf"$\gamma$ = {gamma:g}" + (" (CE)" if gamma == 0 else "")


def _plot_family(ax, x, curve, gammas, line_kwargs) -> dict[float, Line2D]:
    lines = {}
    for gamma, color, style in zip(gammas, gamma_colors(gammas), gamma_linestyles(gammas)):
        kwargs = {"color": color, "ls": style, "lw": 2, "label": gamma_label(gamma), **line_kwargs}
        (lines[gamma],) = ax.plot(x.numpy(), curve(gamma).numpy(), **kwargs)
    return lines


def plot_loss_curves(
    ax: Axes,
    gammas: Sequence[float] = PAPER_GAMMAS,
    *,
    alpha_t: float = 1.0,
    p_t: torch.Tensor | None = None,
    legend: bool = True,
    **line_kwargs,
) -> dict[float, Line2D]:
    r"""The paper's Figure 1: the focal loss of one example against the probability of its class.

    .. math:: \mathrm{FL}(p_t) = \alpha_t\,(1 - p_t)^{\gamma}\,(-\log p_t)

    one line per γ (γ = 0 is the cross-entropy), on :math:`p_t \in [0, 1]` and loss
    :math:`\in [0, 5]` nats, with the well-classified examples (:math:`p_t > 0.5`) shaded.

    Args:
        ax: the matplotlib ``Axes`` to draw on.
        gammas: the γ values, one line each; default the paper's (0, 0.5, 1, 2, 5).
        alpha_t: weight of the example, a number (the paper's Figure 1 has none: 1).
        p_t: 1-D tensor of the probabilities to evaluate at; default :func:`p_t_grid`.
        legend: whether to draw the legend.
        **line_kwargs: passed to ``ax.plot`` for every line (e.g. ``lw=1, alpha=0.5``).

    Returns:
        dict ``gamma -> Line2D``.
    """
    check_ax(ax)
    gammas = _check_gammas(gammas)
    p_t = p_t_grid() if p_t is None else _as_grid(p_t, "p_t")
    lines = _plot_family(ax, p_t, lambda g: focal_term(p_t, g, alpha_t), gammas, line_kwargs)
    ax.axvspan(0.5, 1.0, color="0.94", zorder=0, lw=0)
    ax.text(0.75, 1.0, "well-classified\nexamples", fontsize=9, color="0.4", ha="center", va="bottom")
    ax.set(xlim=(0, 1), ylim=(0, 5), xlabel=r"$p_t$, probability of the true class", ylabel="loss (nats)")
    if legend:
        ax.legend(loc="upper right")
    return lines


def plot_modulating_factor(
    ax: Axes,
    gammas: Sequence[float] = PAPER_GAMMAS,
    *,
    p_t: torch.Tensor | None = None,
    log: bool = False,
    legend: bool = True,
    **line_kwargs,
) -> dict[float, Line2D]:
    r"""The modulating factor :math:`(1 - p_t)^\gamma` against :math:`p_t`, one line per γ.

    It is the fraction of its cross-entropy that an example keeps: :math:`1/(1 - p_t)^\gamma`
    is how many times less loss the focal loss gives it.

    Args:
        ax: the matplotlib ``Axes`` to draw on.
        gammas: the γ values, one line each; default the paper's (0, 0.5, 1, 2, 5).
        p_t: 1-D tensor of probabilities; default :func:`p_t_grid`.
        log: logarithmic y axis (from 1e-4 to 1), where "100× less" is a fixed distance.
        legend: whether to draw the legend.
        **line_kwargs: passed to ``ax.plot`` for every line.

    Returns:
        dict ``gamma -> Line2D``.
    """
    check_ax(ax)
    gammas = _check_gammas(gammas)
    p_t = p_t_grid() if p_t is None else _as_grid(p_t, "p_t")
    lines = _plot_family(ax, p_t, lambda g: modulating_factor(p_t, g), gammas, line_kwargs)
    ax.set(xlim=(0, 1), xlabel=r"$p_t$, probability of the true class", ylabel=r"$(1 - p_t)^\gamma$")
    if log:
        ax.set(yscale="log", ylim=(1e-4, 1.5))
    else:
        ax.set_ylim(0, 1.05)
    if legend:
        ax.legend(loc="lower left" if log else "best")
    return lines


def plot_gradient_curves(
    ax: Axes,
    gammas: Sequence[float] = PAPER_GAMMAS,
    *,
    alpha_t: float = 1.0,
    x_t: torch.Tensor | None = None,
    legend: bool = True,
    **line_kwargs,
) -> dict[float, Line2D]:
    r"""The focal loss's derivative with respect to the signed logit, one line per γ.

    Drawn for Figure 1's γ values by default. This is not the paper's Figure 6, which plots the
    derivatives of its Figure 5's curves (CE, FL with γ = 2, FL* with (γ, β) = (2, 1) and (4, 0)).

    .. math::

        \frac{\partial\,\mathrm{FL}}{\partial x_t}
        = \alpha_t\,(1 - p_t)^{\gamma}\,(\gamma\, p_t \log p_t + p_t - 1), \qquad p_t = \sigma(x_t)

    one line per γ, from :func:`focal_teach.losses.focal_loss_grad`. Right of
    :math:`x_t = 0` the model is right; the further right, the more confidently.

    Args:
        ax: the matplotlib ``Axes`` to draw on.
        gammas: the γ values, one line each; default the paper's (0, 0.5, 1, 2, 5).
        alpha_t: weight of the example, a number.
        x_t: 1-D tensor of signed logits; default :func:`x_t_grid` (from -6 to 6).
        legend: whether to draw the legend.
        **line_kwargs: passed to ``ax.plot`` for every line.

    Returns:
        dict ``gamma -> Line2D``.
    """
    check_ax(ax)
    gammas = _check_gammas(gammas)
    x_t = x_t_grid() if x_t is None else _as_grid(x_t, "x_t")
    lines = _plot_family(ax, x_t, lambda g: focal_loss_grad(x_t, g, alpha_t), gammas, line_kwargs)
    ax.axvspan(0.0, float(x_t.max()), color="0.94", zorder=0, lw=0)
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=1)
    ax.set(
        xlim=(float(x_t.min()), float(x_t.max())),
        xlabel=r"$x_t = y\,x$, signed logit (right of 0: correct)",
        ylabel=r"$\partial\,\mathrm{FL} / \partial x_t$",
    )
    if legend:
        ax.legend(loc="lower right")
    return lines


class ShareBars:
    r"""Bars of each group's share of a batch's total, annotated with the totals, updated in place.

    Bar heights are percentages of the sum (the axis stays 0-100 % whatever γ and α do); the
    text above each bar gives the share and the group's total. :meth:`set_totals` moves the
    same ``Rectangle`` and ``Text`` artists: no new artists, no new axes.

    Args:
        ax: the matplotlib ``Axes`` to draw on.
        labels: one tick label per group, e.g. ``[g.label for g in groups]``.
        totals: optional initial totals, one per group (see :meth:`set_totals`).
        quantity: what is shared, for the y label: ``"loss"`` gives "share of the loss (%)".
        colors: one bar colour per group (default matplotlib's cycle).

    Attributes:
        bars: the ``BarContainer``; ``texts``: the annotations, one per bar.
    """

    def __init__(
        self,
        ax: Axes,
        labels: Sequence[str],
        totals: Sequence[float] | None = None,
        *,
        quantity: str = "loss",
        colors: Sequence | None = None,
    ):
        self.ax = check_ax(ax)
        if isinstance(labels, str) or not isinstance(labels, Sequence) or not labels:
            raise TypeError(f"labels must be a non-empty sequence of strings, one per group; got {labels!r}")
        if colors is not None and len(colors) != len(labels):
            raise ValueError(f"colors must give one colour per group ({len(labels)}); got {len(colors)}")
        positions = np.arange(len(labels))
        self.bars = ax.bar(positions, np.zeros(len(labels)), width=0.6, color=colors)
        self.texts = [ax.text(x, 0.0, "", ha="center", va="bottom", fontsize=9) for x in positions]
        ax.set_xticks(positions, list(labels))
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.set_ylim(0, 122)
        ax.set_yticks(range(0, 101, 25))
        ax.set_ylabel(f"share of the {quantity} (%)")
        ax.spines[["top", "right"]].set_visible(False)
        if totals is not None:
            self.set_totals(totals)

    @classmethod
    def for_groups(cls, ax: Axes, groups: Sequence, totals: Sequence[float] | None = None, *, quantity: str = "loss"):
        """Bars for :class:`~focal_teach.experiments.ExampleGroup` s: labelled with their count,
        name and p_t, red for positives and slate for negatives."""
        colors = [POSITIVE_COLOR if group.positive else NEGATIVE_COLOR for group in groups]
        return cls(ax, [group.label for group in groups], totals, quantity=quantity, colors=colors)

    def set_totals(self, totals: Sequence[float] | Mapping) -> None:
        """Show ``totals`` (one finite number ≥ 0 per group): bar heights become their shares."""
        totals = list(totals.values()) if isinstance(totals, Mapping) else list(totals)
        if len(totals) != len(self.bars):
            raise ValueError(f"totals must give one number per group ({len(self.bars)}); got {len(totals)}")
        for bar, text, total, share in zip(self.bars, self.texts, totals, shares(totals)):
            bar.set_height(100.0 * share)
            text.set_y(100.0 * share + 2.0)
            text.set_text(f"{format_share(share)}\ntotal {total:.4g}")


def format_share(share: float) -> str:
    """A share as a percentage that never rounds a small part away.

    0.8138 -> '81.4 %'; below 1 % and above 99 %, two significant digits of the small part:
    0.000537 -> '0.054 %', 0.99946 -> '99.946 %', 0.9998 -> '99.98 %'. Exactly 0 and 1 give
    '0 %' and '100 %'.
    """
    if not isinstance(share, Real) or not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be a number in [0, 1] (a fraction, not a percentage); got {share!r}")
    pct = 100.0 * share
    if pct in (0.0, 100.0):
        return f"{pct:.0f} %"
    if pct < 1:
        return f"{pct:.2g} %"
    if pct > 99:  # as many decimals as the remainder's two significant digits need
        remainder = Decimal(f"{100.0 - pct:.2g}").normalize()
        return f"{pct:.{max(1, -remainder.as_tuple().exponent)}f} %"
    return f"{pct:.1f} %"
