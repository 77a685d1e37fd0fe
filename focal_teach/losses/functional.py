r"""Focal losses from logits: exact, numerically stable, and as fast as ``F.cross_entropy``.

Lin, Goyal, Girshick, He and Dollár, "Focal Loss for Dense Object Detection", ICCV 2017:

.. math::

    \mathrm{FL}(p_t) = -\alpha_t \, (1 - p_t)^{\gamma} \, \log p_t .

:func:`focal_loss` is the softmax form (layout of ``F.cross_entropy``), :func:`binary_focal_loss`
the sigmoid form (``torchvision.ops.sigmoid_focal_loss``). Both compute the loss from
log-probabilities and use the closed-form gradient (:mod:`focal_teach._kernels`), so gradients
stay finite for every γ ≥ 0, saturated logits included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ._kernels import SigmoidFocalLoss, SoftmaxFocalLoss, _mean_scale, compute_dtype, masked_pow
from ._validation import (
    call_gamma,
    check_binary_alpha,
    check_binary_layout,
    check_binary_target,
    check_class_alpha,
    check_class_indices,
    check_class_layout,
    check_float_input,
    check_gamma,
    check_probabilities,
    check_reduction,
)

__all__ = ["focal_loss", "binary_focal_loss"]

Gamma = float | Callable[[Tensor], Tensor]


def focal_loss(
    input: Tensor,
    target: Tensor,
    gamma: Gamma = 2.0,
    alpha: Sequence[float] | Tensor | None = None,
    reduction: str = "mean",
    ignore_index: int = -100,
    from_logits: bool = True,
) -> Tensor:
    r"""Softmax focal loss, in ``F.cross_entropy``'s layout.

    .. math::

        \ell_i = -\alpha_{t_i} (1 - p_{t_i})^{\gamma} \log p_{t_i}, \qquad
        p_{t_i} = \mathrm{softmax}(x_i)_{t_i}

    Args:
        input: logits ``[N, C]`` or ``[N, C, d1, ...]`` (classes along dim 1), float16/bfloat16
            (computed in float32), float32 or float64. With ``from_logits=False``,
            probabilities of the same shape instead.
        target: class indices ``[N]`` or ``[N, d1, ...]`` in ``[0, C)``, or ``ignore_index``.
        gamma: focusing parameter γ ≥ 0; 0 gives cross-entropy. Or a callable mapping the
            detached ``p_t`` (shape of ``target``) to a per-position γ, e.g.
            :func:`focal_teach.flsd_53_gamma`; it is treated as a constant of each position.
        alpha: ``None`` or one non-negative weight per class, :math:`\alpha_t = \alpha[t]`. A
            single number is rejected: with softmax it would only rescale the loss.
        reduction: ``"mean"``: :math:`\sum_i \ell_i / \sum_i \alpha_{t_i}` over non-ignored
            positions (their count without ``alpha``), as ``F.cross_entropy`` with
            ``weight=alpha``; 0 if every position is ignored. ``"sum"``, or ``"none"`` for
            a loss of ``target``'s shape with 0 at ignored positions.
        ignore_index: target value that contributes neither loss nor gradient, whatever the
            logits at that position (inf and NaN included).
        from_logits: ``False`` takes probabilities (as the ``focal_loss_torch`` package does).
            Less stable: :math:`1 - p_t` loses its digits once :math:`p_t` rounds to 1, and
            a probability of 0 gives an infinite loss. Prefer logits.

    Returns:
        The loss, in ``input``'s dtype: a scalar, or ``target``'s shape for ``"none"``.

    With ``gamma=0`` this equals ``F.cross_entropy(input, target, weight=alpha,
    ignore_index=ignore_index, reduction=reduction)``.

    Example:
        >>> logits = torch.randn(8, 5, requires_grad=True)
        >>> target = torch.randint(5, (8,))
        >>> focal_loss(logits, target, gamma=2.0).backward()
    """
    input = check_float_input(input)
    check_class_layout(input, target)
    reduction = check_reduction(reduction)
    gamma = check_gamma(gamma, allow_callable=True)
    num_classes = input.shape[1]
    class_alpha = check_class_alpha(alpha, num_classes, device=input.device)
    target, ignored = check_class_indices(target, num_classes, ignore_index)
    dtype = compute_dtype(input.dtype)
    alpha_t = None if class_alpha is None else class_alpha.to(dtype)[target]

    if from_logits:
        keep_buffer = input.requires_grad and torch.is_grad_enabled()
        loss = SoftmaxFocalLoss.apply(input, target, gamma, alpha_t, ignored, reduction, keep_buffer)
    else:
        loss = _focal_from_probabilities(input, target, gamma, alpha_t, ignored, dtype)
        if reduction == "mean":
            loss = loss.sum() * _mean_scale(loss, alpha_t, ignored)
        elif reduction == "sum":
            loss = loss.sum()
    return loss.to(input.dtype)


def _focal_from_probabilities(probs, target, gamma, alpha_t, ignored, dtype):
    p_t = probs.gather(1, target.unsqueeze(1)).squeeze(1).to(dtype)
    if ignored is not None:
        p_t = p_t.masked_fill(ignored, 1.0)
    check_probabilities(p_t, "input (probabilities, from_logits=False)")
    if callable(gamma):
        gamma = call_gamma(gamma, p_t.detach())
    loss = -masked_pow(1.0 - p_t, gamma) * torch.log(p_t)
    if alpha_t is not None:
        loss = loss * alpha_t
    return loss if ignored is None else loss.masked_fill(ignored, 0.0)


def binary_focal_loss(
    input: Tensor,
    target: Tensor,
    gamma: Gamma = 2.0,
    alpha: float | None = None,
    reduction: str = "mean",
    from_logits: bool = True,
) -> Tensor:
    r"""Sigmoid (binary) focal loss, as ``torchvision.ops.sigmoid_focal_loss``.

    .. math::

        \ell = \alpha_t (1 - p_t)^{\gamma}\, \mathrm{BCE}(p, y), \qquad
        p = \sigma(x),\; p_t = p y + (1 - p)(1 - y),\; \alpha_t = \alpha y + (1 - \alpha)(1 - y)

    For a hard label :math:`\mathrm{BCE} = -\log p_t`, the paper's loss. Each element is an
    independent binary problem (multi-label and dense detection alike).

    Args:
        input: logits of any shape (probabilities with ``from_logits=False``).
        target: labels of *exactly* ``input``'s shape, bool, int (0/1) or float in [0, 1]
            (soft labels). Shapes are never broadcast: ``[N]`` against ``[N, 1]`` is an error.
        gamma: focusing parameter γ ≥ 0, or a callable of the detached ``p_t`` (see
            :func:`focal_loss`). 0 with ``alpha=None`` gives
            ``F.binary_cross_entropy_with_logits``.
        alpha: ``None``, or the weight α ∈ [0, 1] of positives (negatives get 1 − α). The
            paper's default is 0.25 with γ = 2.
        reduction: ``"mean"`` (plain mean over elements), ``"sum"`` or ``"none"``. Lin et
            al. normalise by the number of positives instead: use ``"sum"`` and divide.
        from_logits: ``False`` takes probabilities (less stable; log terms are clamped at
            −100 as in ``F.binary_cross_entropy``).

    Returns:
        The loss in ``input``'s dtype: a scalar, or ``input``'s shape for ``"none"``.
    """
    input = check_float_input(input)
    check_binary_layout(input, target)
    reduction = check_reduction(reduction)
    gamma = check_gamma(gamma, allow_callable=True)
    alpha = check_binary_alpha(alpha)
    dtype = compute_dtype(input.dtype)
    y = check_binary_target(target, dtype)

    if from_logits:
        loss = SigmoidFocalLoss.apply(input, y, gamma, alpha)
    else:
        p = check_probabilities(input, "input (probabilities, from_logits=False)").to(dtype)
        q = p * (1.0 - y) + (1.0 - p) * y  # 1 - p_t
        if callable(gamma):
            gamma = call_gamma(gamma, 1.0 - q.detach())
        loss = masked_pow(q, gamma) * F.binary_cross_entropy(p, y, reduction="none")
        if alpha is not None:
            loss = loss * (alpha * y + (1.0 - alpha) * (1.0 - y))

    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss.to(input.dtype)
