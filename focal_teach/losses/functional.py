r"""Focal losses from logits: exact, numerically stable, and as fast as ``F.cross_entropy``.

Lin, Goyal, Girshick, He and Dollár, "Focal Loss for Dense Object Detection", ICCV 2017:

.. math::

    \mathrm{FL}(p_t) = -\alpha_t \, (1 - p_t)^{\gamma} \, \log p_t .

:func:`focal_loss` is the softmax form (layout of ``F.cross_entropy``), :func:`binary_focal_loss`
the sigmoid form (``torchvision.ops.sigmoid_focal_loss``). Both compute the loss from
log-probabilities and use the closed-form gradient (:mod:`focal_teach.losses._kernels`), so gradients
stay finite for every γ ≥ 0, saturated logits included.

TorchScript (``torch.jit.script``, ``torch.jit.trace``) is refused with an error that says what
to use instead: the gradient is a custom ``torch.autograd.Function``, which TorchScript can
neither script nor save, and PyTorch 2.13 deprecates TorchScript in favour of ``torch.compile``
(with which the losses compile, ``fullgraph=True``) and ``torch.export`` (which captures their
value, not their backward).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ._arguments import BinaryArguments, SoftmaxArguments, binary_arguments, softmax_arguments
from ._kernels import SigmoidFocalLoss, SoftmaxFocalLoss, compute_dtype, in_dtype, log_target_probability, masked_pow, safe_index
from ._validation import check_from_logits, check_not_traced, check_probabilities, refuses_torchscript

__all__ = ["focal_loss", "binary_focal_loss"]

Gamma = float | Tensor | Callable[[Tensor], Tensor]
"""γ: a number ≥ 0; a tensor of them, one per position (broadcastable to the target's shape),
which may require grad; or a callable of the detached p_t returning such a tensor."""


@refuses_torchscript
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
        gamma: focusing parameter γ ≥ 0; 0 gives cross-entropy. A tensor gives one γ per
            position: its shape must broadcast to ``target``'s (trailing dimensions align, as
            in any broadcast: ``[N]`` for a target ``[N]``, ``[N, 1]`` for a target
            ``[N, d1]``); it gets a gradient if it requires grad. Or a callable mapping the
            detached ``p_t`` (shape of ``target``) to a per-position γ, e.g.
            :func:`focal_teach.flsd_53_gamma`; it is treated as a constant of each position
            (and costs one more softmax).
        alpha: ``None`` or one non-negative weight per class, :math:`\alpha_t = \alpha[t]`, on
            ``input``'s device; a tensor that requires grad gets its gradient. A single number
            is rejected: with softmax it would only rescale the loss.
        reduction: ``"mean"``: :math:`\sum_i \ell_i / \sum_i \alpha_{t_i}` over non-ignored
            positions (their count without ``alpha``), as ``F.cross_entropy`` with
            ``weight=alpha``; 0 if every position is ignored. ``"sum"``, or ``"none"`` for
            a loss of ``target``'s shape with 0 at ignored positions.
        ignore_index: target value that contributes neither loss nor gradient, whatever the
            logits at that position (inf and NaN included); ``None``: nothing is ignored.
        from_logits: ``False`` takes probabilities (as the ``focal_loss_torch`` package does).
            Less stable: :math:`1 - p_t` loses its digits once :math:`p_t` rounds to 1, and
            a probability of 0 gives an infinite loss. Prefer logits.

    Returns:
        The loss, in ``input``'s dtype (float32 for float16/bfloat16 input under autocast, as
        ``F.cross_entropy``): a scalar, or ``target``'s shape for ``"none"``.

    Differentiable in ``input``, ``alpha`` and a ``gamma`` tensor, twice over
    (``create_graph=True``), and under ``torch.func`` transforms (``grad``, ``vmap``,
    ``jacrev``) and ``torch.compile``. No host sync: value checks run on the device
    (:class:`focal_teach.losses.set_validate_args`).

    With ``gamma=0`` this equals ``F.cross_entropy(input, target, weight=alpha,
    ignore_index=ignore_index, reduction=reduction)``.

    Example:
        >>> logits = torch.randn(8, 5, requires_grad=True)
        >>> target = torch.randint(5, (8,))
        >>> focal_loss(logits, target, gamma=2.0).backward()
    """
    check_not_traced("focal_loss")
    args = softmax_arguments(input, target, gamma, alpha, reduction, ignore_index)
    check_from_logits(from_logits)
    with args.index_errors_explained():
        if from_logits:  # the fused kernel reduces too
            return in_dtype(_softmax_focal(args, args.reduction), args.input.dtype)
        loss = _focal_from_probabilities(args)
    return args.reduce(loss)


def _softmax_focal(args: SoftmaxArguments, reduction: str = "none") -> Tensor:
    """The fused loss per position (``target``'s shape), or reduced as ``args.reduce`` would, in
    the compute dtype."""
    gamma = args.gamma
    if callable(gamma):  # evaluated on p_t, ahead of the fused kernel that computes it again
        with torch.no_grad():
            log_pt = log_target_probability(args.input, args.target, args.ignore_index)
        gamma = args.resolve_gamma(log_pt.exp())
    denominator = args.denominator() if reduction == "mean" else None
    return SoftmaxFocalLoss.apply(
        args.input, args.target, gamma, args.alpha_t, args.ignore_index, reduction, denominator
    )[0]


def _focal_from_probabilities(args: SoftmaxArguments) -> Tensor:
    ignored = args.ignored
    p_t = args.input.gather(1, safe_index(args.target, ignored).unsqueeze(1)).squeeze(1).to(compute_dtype(args.input.dtype))
    if ignored is not None:
        p_t = p_t.masked_fill(ignored, 1.0)
    check_probabilities(p_t, "input (probabilities, from_logits=False)")
    loss = -masked_pow(1.0 - p_t, args.resolve_gamma(p_t)) * torch.log(p_t)
    if args.alpha_t is not None:
        loss = loss * args.alpha_t
    return loss if ignored is None else loss.masked_fill(ignored, 0.0)


@refuses_torchscript
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
        gamma: focusing parameter γ ≥ 0: a number, a tensor broadcastable to ``input``'s
            shape (one γ per element; it may require grad), or a callable of the detached
            ``p_t`` (see :func:`focal_loss`). 0 with ``alpha=None`` gives
            ``F.binary_cross_entropy_with_logits``.
        alpha: ``None``, or the weight α ∈ [0, 1] of positives (negatives get 1 − α): a
            number, or a 0-d tensor (which may require grad). The paper's default is 0.25
            with γ = 2.
        reduction: ``"mean"`` (plain mean over elements), ``"sum"`` or ``"none"``. Lin et
            al. normalise by the number of positives instead: use ``"sum"`` and divide.
        from_logits: ``False`` takes probabilities (less stable; log terms are clamped at
            −100 as in ``F.binary_cross_entropy``).

    Returns:
        The loss in ``input``'s dtype (float32 for float16/bfloat16 input under autocast, as
        ``F.binary_cross_entropy_with_logits``): a scalar, or ``input``'s shape for ``"none"``.

    Differentiable in ``input``, in soft targets that require grad (distillation), ``alpha``
    and ``gamma``; twice over, under ``torch.func`` and ``torch.compile``; no host sync.
    """
    check_not_traced("binary_focal_loss")
    args = binary_arguments(input, target, gamma, alpha, reduction)
    check_from_logits(from_logits)
    return args.reduce(_binary_focal(args) if from_logits else _binary_from_probabilities(args))


def _binary_focal(args: BinaryArguments) -> Tensor:
    """The fused loss per element, in the compute dtype."""
    x, y = args.input, args.target
    gamma = args.gamma
    if callable(gamma):
        xd = x.detach().to(y.dtype)
        gamma = args.resolve_gamma(torch.sigmoid(xd) * y + torch.sigmoid(-xd) * (1.0 - y))
    return SigmoidFocalLoss.apply(x, y, gamma, args.alpha_t)[0]


def _binary_from_probabilities(args: BinaryArguments) -> Tensor:
    y = args.target
    p = check_probabilities(args.input, "input (probabilities, from_logits=False)").to(y.dtype)
    q = p * (1.0 - y) + (1.0 - p) * y  # 1 - p_t
    loss = masked_pow(q, args.resolve_gamma(1.0 - q)) * F.binary_cross_entropy(p, y, reduction="none")
    return loss if args.alpha_t is None else loss * args.alpha_t
