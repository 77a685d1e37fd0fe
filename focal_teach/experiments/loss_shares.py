r"""Who carries the loss in an imbalanced batch: groups of identical examples, and the paper's Figure 4.

A dense detector scores about 100,000 anchors per image, nearly all of them easy background.
The notebooks summarise such a batch as a few :class:`ExampleGroup` s, each ``count`` examples
with the same label and the same probability :math:`p_t` of their true class, and ask how
much of the batch's loss, and of its gradient, each group carries:

.. math::

    L_{\text{group}} = n\,\alpha_t\,(1 - p_t)^{\gamma}\,(-\log p_t), \qquad
    G_{\text{group}} = n\,\Bigl|\frac{\partial\,\mathrm{FL}}{\partial x}\Bigr|
    = n\,\alpha_t\,(1 - p_t)^{\gamma}\,\bigl(1 - p_t - \gamma\, p_t \log p_t\bigr).

:data:`EASY_AND_HARD` is the batch of notebook 01: 10,000 easy negatives and 10 hard positives.

For a trained model's real per-example losses, :func:`cumulative_loss_share` and
:func:`loss_share_of_hardest` give the cumulative distribution of Lin et al.'s Figure 4.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch
from torch import Tensor

from focal_teach.losses import focal_loss_grad, focal_term
from focal_teach.losses._validation import check_binary_alpha, check_gamma, check_real

__all__ = [
    "ExampleGroup",
    "EASY_NEGATIVES",
    "HARD_NEGATIVES",
    "HARD_POSITIVES",
    "EASY_AND_HARD",
    "shares",
    "cumulative_loss_share",
    "loss_share_of_hardest",
]


@dataclass(frozen=True)
class ExampleGroup:
    r"""``count`` examples that share a label and the probability ``p_t`` of their true class.

    Args:
        name: what to call them in tables and plots, e.g. ``"easy negatives"``.
        count: how many examples, an int ≥ 0.
        p_t: probability the model gives their true class, in (0, 1].
        positive: ``True`` for the rare class (:math:`\alpha_t = \alpha`), ``False`` for the
            background (:math:`\alpha_t = 1 - \alpha`).
    """

    name: str
    count: int
    p_t: float
    positive: bool

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string; got {self.name!r}")
        if not isinstance(self.count, Integral) or isinstance(self.count, bool) or self.count < 0:
            raise ValueError(f"count must be an int ≥ 0 (how many examples); got {self.count!r}")
        if not isinstance(self.p_t, Real) or isinstance(self.p_t, bool) or not 0.0 < self.p_t <= 1.0:
            raise ValueError(
                f"p_t must be a probability in (0, 1] (p_t = 0 would be an infinite loss); got {self.p_t!r}"
            )
        if not isinstance(self.positive, bool):
            raise TypeError(f"positive must be True (rare class) or False (background); got {self.positive!r}")

    @property
    def label(self) -> str:
        """``"10,000 easy negatives"`` and, on a second line, ``"p_t = 0.99"``: for plots."""
        return f"{self.count:,} {self.name}\n$p_t$ = {self.p_t:g}"

    def alpha_t(self, alpha: float | None) -> float:
        r""":math:`\alpha_t`: ``alpha`` for positives, ``1 - alpha`` for negatives, 1 if ``alpha`` is None."""
        alpha = check_binary_alpha(alpha)
        if alpha is None:
            return 1.0
        return alpha if self.positive else 1.0 - alpha

    def loss(self, gamma: float = 0.0, alpha: float | None = None) -> float:
        r"""The group's total α-balanced focal loss, :math:`n\,\alpha_t (1 - p_t)^\gamma (-\log p_t)`.

        ``gamma=0, alpha=None`` is the cross-entropy; ``gamma=0`` with an ``alpha`` is the
        α-balanced cross-entropy. Computed in float64.
        """
        p_t = torch.tensor(self.p_t, dtype=torch.float64)
        alpha_t = torch.tensor(self.alpha_t(alpha), dtype=torch.float64)
        return self.count * focal_term(p_t, check_gamma(gamma), alpha_t).item()

    def gradient(self, gamma: float = 0.0, alpha: float | None = None) -> float:
        r"""The group's total learning signal :math:`n\,|\partial\mathrm{FL}/\partial x|`, the
        sum of the magnitudes of its examples' gradients with respect to their logits.

        See :func:`focal_teach.losses.focal_loss_grad`; computed in float64.
        """
        x_t = torch.logit(torch.tensor(self.p_t, dtype=torch.float64))  # +inf for p_t = 1: gradient 0
        return self.count * abs(focal_loss_grad(x_t, check_gamma(gamma), self.alpha_t(alpha)).item())


EASY_NEGATIVES = ExampleGroup("easy negatives", 10_000, 0.99, positive=False)
HARD_NEGATIVES = ExampleGroup("hard negatives", 10, 0.1, positive=False)
HARD_POSITIVES = ExampleGroup("hard positives", 10, 0.1, positive=True)
EASY_AND_HARD = (EASY_NEGATIVES, HARD_POSITIVES)
"""Notebook 01's batch: 10,000 easy negatives (p_t = 0.99) and 10 hard positives (p_t = 0.1)."""


def shares(totals: Iterable[float]) -> list[float]:
    """Each total's fraction of their sum, e.g. ``shares([3, 1]) == [0.75, 0.25]``.

    Args:
        totals: non-negative, finite numbers (losses or gradient magnitudes of groups).

    Returns:
        A list of the same length summing to 1; all zeros if every total is 0.
    """
    totals = [float(t) for t in totals]
    if any(not math.isfinite(t) or t < 0 for t in totals):
        raise ValueError(f"totals must be finite and ≥ 0; got {totals}")
    whole = sum(totals)
    return [t / whole if whole > 0 else 0.0 for t in totals]


# ---------------------------------------------------------------- the paper's Figure 4


def cumulative_loss_share(losses) -> tuple[np.ndarray, np.ndarray]:
    r"""The cumulative distribution of a loss over examples, as in Lin et al.'s Figure 4.

    Sort the examples' losses from lowest to highest; after the first :math:`k` of :math:`n`,
    return the fraction :math:`k/n` of examples and the share of the total loss they carry.

    Args:
        losses: per-example losses (any shape, flattened), ≥ 0, not all 0.

    Returns:
        ``(fraction_of_examples, cumulative_share)``, two float64 arrays of length n, both
        ending at 1. A curve that hugs 0 and then jumps means a few hard examples carry the loss.
    """
    values = _loss_values(losses)
    share = np.cumsum(np.sort(values)) / values.sum()
    return np.arange(1, values.size + 1) / values.size, share


def loss_share_of_hardest(losses, fraction: float) -> float:
    """Share of the total loss carried by the ``fraction`` (in (0, 1]) of examples with the highest loss.

    The number of examples counted is ``ceil(fraction * n)``.
    """
    fraction = check_real(fraction, "fraction", minimum=0.0, exclusive=True)
    if fraction > 1.0:
        raise ValueError(f"fraction must be in (0, 1]; got {fraction}")
    values = np.sort(_loss_values(losses))[::-1]
    k = math.ceil(fraction * values.size - 1e-9)
    return float(values[:k].sum() / values.sum())


def _loss_values(losses) -> np.ndarray:
    if isinstance(losses, Tensor):
        losses = losses.detach().cpu().double().numpy()
    values = np.asarray(losses, dtype=np.float64).ravel()
    if values.size == 0 or not np.isfinite(values).all() or (values < 0).any() or values.sum() == 0:
        raise ValueError("losses must be a non-empty set of finite values ≥ 0, not all zero")
    return values
