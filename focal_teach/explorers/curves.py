r"""Drag γ and α; watch the focal loss (:func:`loss_explorer`) or its gradient
(:func:`gradient_explorer`) move, and see who in a batch of easy and hard examples carries it.

Both explorers have the same layout: on the left the curves of one example, the paper's
family of γ values drawn thin and the chosen γ drawn thick, for a positive
(:math:`\alpha_t = \alpha`, solid red) and for a negative (:math:`\alpha_t = 1 - \alpha`,
dashed slate); on the right, bars of each group's share of the batch's total. Both are
:class:`~focal_teach.explorers.Explorer` s: ``.controls["gamma"]`` and ``.controls["alpha"]``
move the same lines and bars in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from focal_teach.experiments.loss_shares import EASY_AND_HARD, ExampleGroup
from focal_teach.explorers.explorer import Explorer
from focal_teach.figures.curves import ShareBars, p_t_grid, plot_gradient_curves, plot_loss_curves, x_t_grid
from focal_teach.figures.style import NEGATIVE_COLOR, POSITIVE_COLOR
from focal_teach.losses import focal_loss_grad, focal_term

__all__ = ["loss_explorer", "gradient_explorer"]

GAMMA_STEP = 0.1
ALPHA_STEP = 0.05
FIGSIZE = (9.6, 3.7)  # inches; 960 x 370 px at the explorer's 100 dpi


def loss_explorer(
    gamma: float = 2.0,
    alpha: float = 0.25,
    *,
    groups: Sequence[ExampleGroup] = EASY_AND_HARD,
    max_gamma: float = 5.0,
) -> Explorer:
    r"""Sliders for γ and α over the focal loss of one example and the shares of a batch.

    Left: :math:`\mathrm{FL}(p_t) = \alpha_t (1 - p_t)^\gamma (-\log p_t)` against :math:`p_t`:
    the paper's Figure 1 (γ ∈ {0, 0.5, 1, 2, 5}, :math:`\alpha_t = 1`) thin, and the chosen γ
    thick for a positive (:math:`\alpha_t = \alpha`) and a negative (:math:`\alpha_t = 1 - \alpha`).
    Right: each group's share of the batch's total loss, :meth:`ExampleGroup.loss`.

    Args:
        gamma: initial γ, in [0, ``max_gamma``]; the paper's default 2.
        alpha: initial α (weight of positives), in [0, 1]; the paper's default 0.25.
        groups: the batch, as :class:`~focal_teach.experiments.ExampleGroup` s; default
            notebook 01's 10,000 easy negatives and 10 hard positives.
        max_gamma: the γ slider's upper end.

    Returns:
        An :class:`~focal_teach.explorers.Explorer` with controls ``"gamma"`` (step 0.1) and
        ``"alpha"`` (step 0.05). Make it the last expression of a cell to display it.
    """
    groups, max_gamma = _check_arguments(gamma, alpha, groups, max_gamma)
    p_t = p_t_grid(400)
    return _curve_explorer(
        gamma,
        alpha,
        groups,
        max_gamma,
        draw_family=lambda ax: plot_loss_curves(ax, p_t=p_t, legend=False, lw=1.2, alpha=0.45),
        x=p_t,
        curve=lambda g, a_t: focal_term(p_t, g, a_t),
        ylim=(0.0, 5.0),
        legend_loc="upper right",
        total=ExampleGroup.loss,
        quantity="batch's loss",
        left_title="loss of one example",
    )


def gradient_explorer(
    gamma: float = 2.0,
    alpha: float = 0.25,
    *,
    groups: Sequence[ExampleGroup] = EASY_AND_HARD,
    max_gamma: float = 5.0,
) -> Explorer:
    r"""Sliders for γ and α over the focal loss's gradient and the shares of a batch's gradient.

    Left: :math:`\partial\mathrm{FL}/\partial x_t = \alpha_t (1 - p_t)^\gamma (\gamma p_t \log p_t
    + p_t - 1)` against the signed logit :math:`x_t` (Lin et al., appendix B; not their
    Figure 6, which compares CE, FL and FL*): Figure 1's γ values thin (:math:`\alpha_t = 1`),
    the chosen γ thick for a positive
    (:math:`\alpha_t = \alpha`) and a negative (:math:`\alpha_t = 1 - \alpha`). Right: each
    group's share of the batch's total gradient magnitude :math:`\sum |\partial L/\partial x|`,
    :meth:`ExampleGroup.gradient`.

    Args:
        gamma: initial γ, in [0, ``max_gamma``]; the paper's default 2.
        alpha: initial α (weight of positives), in [0, 1]; the paper's default 0.25.
        groups: the batch, as :class:`~focal_teach.experiments.ExampleGroup` s; default
            notebook 01's 10,000 easy negatives and 10 hard positives.
        max_gamma: the γ slider's upper end.

    Returns:
        An :class:`~focal_teach.explorers.Explorer` with controls ``"gamma"`` (step 0.1) and
        ``"alpha"`` (step 0.05). Make it the last expression of a cell to display it.
    """
    groups, max_gamma = _check_arguments(gamma, alpha, groups, max_gamma)
    x_t = x_t_grid(400)
    # The steepest the gradient gets for any γ on the slider (at α_t = 1) fixes the y axis.
    lowest = min(focal_loss_grad(x_t, g).min().item() for g in np.linspace(0.0, max_gamma, 26))
    return _curve_explorer(
        gamma,
        alpha,
        groups,
        max_gamma,
        draw_family=lambda ax: plot_gradient_curves(ax, x_t=x_t, legend=False, lw=1.2, alpha=0.45),
        x=x_t,
        curve=lambda g, a_t: focal_loss_grad(x_t, g, a_t),
        ylim=(1.05 * lowest, 0.05),
        legend_loc="lower right",
        total=ExampleGroup.gradient,
        quantity="batch's |gradient|",
        left_title="gradient of one example",
    )


def _curve_explorer(
    gamma: float,
    alpha: float,
    groups: tuple[ExampleGroup, ...],
    max_gamma: float,
    *,
    draw_family: Callable,
    x: torch.Tensor,
    curve: Callable[[float, float], torch.Tensor],
    ylim: tuple[float, float],
    legend_loc: str,
    total: Callable[[ExampleGroup, float, float], float],
    quantity: str,
    left_title: str,
) -> Explorer:
    figure = Figure(figsize=FIGSIZE, layout="constrained")
    curves_ax, bars_ax = figure.subplots(1, 2, width_ratios=(1.45, 1))

    draw_family(curves_ax)
    xs = x.numpy()
    positive_label = r"your $\gamma$, positive ($\alpha_t = \alpha$)"
    negative_label = r"your $\gamma$, negative ($\alpha_t = 1 - \alpha$)"
    (positive,) = curves_ax.plot(xs, xs, color=POSITIVE_COLOR, lw=2.8, label=positive_label)
    (negative,) = curves_ax.plot(xs, xs, color=NEGATIVE_COLOR, lw=2.8, ls="--", label=negative_label)
    positive.set_gid("positive")
    negative.set_gid("negative")
    curves_ax.set_ylim(*ylim)
    curves_ax.legend(loc=legend_loc, fontsize=8)
    title = curves_ax.set_title(" ", fontsize=11)

    bars = ShareBars.for_groups(bars_ax, groups, quantity=quantity)
    count = sum(g.count for g in groups)
    bars_ax.set_title(f"who carries it, in a batch of {count:,}", fontsize=11)

    def update(gamma: float, alpha: float) -> None:
        positive.set_ydata(curve(gamma, alpha).numpy())
        negative.set_ydata(curve(gamma, 1.0 - alpha).numpy())
        bars.set_totals([total(g, gamma, alpha) for g in groups])
        # Plain text, not mathtext: a new mathtext string is parsed anew on every draw.
        title.set_text(f"{left_title}: γ = {gamma:.1f}, α = {alpha:.2f}")

    update(gamma, alpha)
    # Lay the figure out once, at the initial values, then freeze it: the axes must not move
    # when the title's text changes (the explorer keeps a picture of everything static), and a
    # constrained layout re-solved at each draw costs about as much as the drawing.
    figure.draw_without_rendering()
    figure.set_layout_engine("none")

    controls = {
        "gamma": widgets.FloatSlider(
            value=gamma, min=0.0, max=max_gamma, step=GAMMA_STEP, description="γ (gamma)", readout_format=".1f",
            style={"description_width": "initial"},
        ),
        "alpha": widgets.FloatSlider(
            value=alpha, min=0.0, max=1.0, step=ALPHA_STEP, description="α (alpha)", readout_format=".2f",
            style={"description_width": "initial"},
        ),
    }
    # Only the highlighted curves, the bars, their labels and the title move: the rest is drawn
    # once, and each slider move redraws just these over it. The spines are redrawn too, so
    # that they stay on top of the curves and bars that touch them, as in a full drawing.
    spines = [*curves_ax.spines.values(), *bars_ax.spines.values()]
    animated = [positive, negative, title, *bars.bars, *bars.texts, *spines]
    return Explorer(figure, controls, update, animated=animated)


def _check_arguments(gamma, alpha, groups, max_gamma) -> tuple[tuple[ExampleGroup, ...], float]:
    if not isinstance(max_gamma, Real) or isinstance(max_gamma, bool) or not math.isfinite(max_gamma) or max_gamma <= 0:
        raise ValueError(f"max_gamma must be a finite number > 0 (the γ slider's upper end); got {max_gamma!r}")
    if not isinstance(gamma, Real) or isinstance(gamma, bool) or not 0.0 <= gamma <= max_gamma:
        raise ValueError(f"gamma must be a number in [0, max_gamma={max_gamma:g}]; got {gamma!r}")
    if not isinstance(alpha, Real) or isinstance(alpha, bool) or not 0.0 <= alpha <= 1.0:
        raise ValueError(
            f"alpha must be a number in [0, 1] (the weight of positives; negatives get 1 - alpha); got {alpha!r}"
        )
    if isinstance(groups, ExampleGroup) or not isinstance(groups, Sequence) or not groups:
        raise TypeError(
            f"groups must be a non-empty sequence of ExampleGroup, e.g. focal_teach.experiments.EASY_AND_HARD; "
            f"got {groups!r}"
        )
    for group in groups:
        if not isinstance(group, ExampleGroup):
            raise TypeError(f"groups must hold ExampleGroup objects; got {type(group).__name__}")
    return tuple(groups), float(max_gamma)
