r"""Fused focal losses with the closed-form gradient of Lin et al. (2017), appendix B.

Autograd through ``log_softmax → gather → pow → mul`` keeps an ``[N, C]`` log-probability
tensor, allocates a new ``[N, C]`` gradient at each step back, and its ``pow`` backward computes
``∞ · 0 = NaN`` for γ < 1 once ``p_t`` rounds to 1. Here the loss is a function of
:math:`\ell = \log p_t` alone, with :math:`q = 1 - p_t`:

.. math::

    L = -w\, q^{\gamma} \ell, \qquad
    \frac{\partial L}{\partial \ell} = -w\, q^{\gamma}\Bigl(1 - \gamma\, \frac{p_t \ell}{q}\Bigr),
    \qquad
    \frac{\partial L}{\partial x} = \frac{\partial L}{\partial \ell}\,
    \bigl(\mathrm{onehot}(t) - \mathrm{softmax}(x)\bigr),

where :math:`p_t \ell / q \to -1` as :math:`q \to 0`: the factor :math:`q^{\gamma - 1}` that makes
autograd's ``pow`` backward infinite cancels analytically and is never formed.

Memory: like ``F.cross_entropy``, the forward pass keeps one ``[N, C, *]`` tensor (the
log-probabilities) for the backward pass; unlike it, the backward pass turns that tensor into
the gradient in place instead of allocating two more. For float32/float64 input only one
full-size tensor ever exists (float16/bfloat16 add their float32 copy).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from ._validation import call_gamma

# exp(y) as exp2(y * log2(e)): on CPU torch.exp uses a 1-ulp routine ~4x slower than exp2 (and
# than log_softmax's own exp); the one extra rounding is far below what float32 resolves here.
_LOG2_E = 1.4426950408889634

# log_softmax's fused CPU kernel is the fastest forward, except when the class dim is innermost
# and shorter than one SIMD vector: it then runs a scalar loop ~10x slower than elementwise
# ops. Bounds measured on AVX-512 (benchmarks/bench_loss.py); AVX2's vector is shorter.
_MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL = {torch.float32: 16, torch.float64: 64}


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """float16/bfloat16 are computed in float32; float32/float64 as they are."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def _use_log_softmax_kernel(x: Tensor, dtype: torch.dtype) -> bool:
    if x.device.type != "cpu" or x.dim() > 2:
        return True
    return x.shape[1] >= _MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL.get(dtype, 16)


def _exp_(t: Tensor) -> Tensor:
    return t.mul_(_LOG2_E).exp2_() if t.device.type == "cpu" else t.exp_()


def focal_terms(log_pt: Tensor, gamma, weight: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
    r"""Per position: the loss :math:`-w q^\gamma \ell`, :math:`-\partial L/\partial \ell`, and
    :math:`q = 1 - p_t`, for :math:`\ell = \log p_t`.

    :math:`-\partial L/\partial \ell = w q^\gamma (1 - \gamma s)` with
    :math:`s = p_t \ell / q \in [-1, 0]`, which is 0/0 where :math:`p_t` rounds to 1 and
    tends to -1 there.
    """
    q = torch.expm1(log_pt).neg_()  # 1 - p_t, without cancellation as p_t -> 1
    if isinstance(gamma, float) and gamma == 0.0:
        loss = log_pt.neg()
        neg_dloss = torch.ones_like(log_pt) if weight is None else weight.expand_as(log_pt).clone()
    else:
        modulation = q.pow(gamma)
        loss = torch.mul(log_pt, modulation).neg_()
        s = log_pt.exp().mul_(log_pt).div_(q).nan_to_num_(nan=-1.0)
        neg_dloss = modulation.mul_(s.mul_(-gamma).add_(1.0))
        if weight is not None:
            neg_dloss.mul_(weight)
    if weight is not None:
        loss.mul_(weight)
    return loss, neg_dloss, q


def softmax_statistics(x: Tensor, t1: Tensor, dtype: torch.dtype):
    r"""``(log_pt, buffer, inv_sum)``: :math:`\log p_t` per position ``[N, 1, *]``, and a full-size
    buffer from which the backward pass rebuilds ``softmax(x, 1)`` in place.

    With log_softmax's kernel the buffer holds the log-probabilities (``inv_sum`` is None):
    softmax = exp(buffer), computed as ``F.cross_entropy``'s backward does. Elementwise (a
    short innermost class dim) it holds :math:`e^{x_j - \max}` and softmax = buffer * inv_sum.
    """
    if _use_log_softmax_kernel(x, dtype):
        log_probs = torch.log_softmax(x, 1, dtype=dtype)
        return log_probs.gather(1, t1), log_probs, None
    x = x.to(dtype)
    x_max = x.amax(1, keepdim=True)
    exps = _exp_(x - x_max)
    total = exps.sum(1, keepdim=True)
    log_pt = x.gather(1, t1).sub_(x_max).sub_(total.log())  # log_softmax's order
    return log_pt, exps, total.reciprocal_()


class SoftmaxFocalLoss(torch.autograd.Function):
    r"""Focal loss of softmax(input) over dim 1, reduced; see the module docstring.

    Arguments: input ``[N, C, *]``; target ``[N, *]`` int64 indices in [0, C) (ignored positions
    hold any valid index); gamma a float or a callable of p_t; weight ``[N, *]`` α_t or None;
    ignored ``[N, *]`` bool or None; reduction "none", "sum" or "mean" (÷ Σ α_t over
    non-ignored positions); keep_buffer: whether a backward pass will follow. Returns the loss in
    the compute dtype; 0 at ignored positions, whose logits may be anything (inf, NaN).

    Backward writes :math:`c\,(\mathrm{onehot}(t) - \mathrm{softmax}(x))` with
    :math:`c = \partial L/\partial \ell`: :math:`-c\,p_j` off the target and :math:`c\,q` at
    it, exact where :math:`p_t \to 1` rather than :math:`c - c\,p_t`.
    """

    @staticmethod
    def forward(ctx, input, target, gamma, weight, ignored, reduction, keep_buffer):
        dtype = compute_dtype(input.dtype)
        t1 = target.unsqueeze(1)
        log_pt, buffer, inv_sum = softmax_statistics(input, t1, dtype)
        if ignored is not None:
            ignored = ignored.unsqueeze(1)
            log_pt.masked_fill_(ignored, 0.0)  # keep inf/NaN logits of ignored positions out
        if callable(gamma):  # called with p_t of target's shape, as documented
            gamma = call_gamma(gamma, log_pt.squeeze(1).exp())
            gamma = gamma.unsqueeze(1) if isinstance(gamma, Tensor) else gamma
        if weight is not None:
            weight = weight.unsqueeze(1)
        # Per position [N, 1, *]: the loss, -dL/dl (the gradient off the target is -dL/dl * p_j)
        # and dL/dl * (1 - p_t) (the gradient at the target).
        loss, neg_dloss, q = focal_terms(log_pt, gamma, weight)
        if ignored is not None:
            loss.masked_fill_(ignored, 0.0)
            neg_dloss.masked_fill_(ignored, 0.0)
        if reduction == "mean":
            scale = _mean_scale(loss, weight, ignored)
            loss = loss.mean() if weight is None and ignored is None else loss.sum() * scale
            neg_dloss.mul_(scale)
        elif reduction == "sum":
            loss = loss.sum()
        else:
            loss = loss.squeeze(1)
        ctx.save_for_backward(input, t1, neg_dloss, q.mul_(neg_dloss).neg_(), inv_sum, ignored)
        ctx.buffer = buffer if keep_buffer else None
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_loss):
        input, t1, off_target, on_target, inv_sum, ignored = ctx.saved_tensors
        buffer, ctx.buffer = ctx.buffer, None  # consumed: the buffer becomes the gradient
        if buffer is None:  # a second backward (retain_graph=True), or none was expected
            _, buffer, inv_sum = softmax_statistics(input, t1, off_target.dtype)
        if grad_loss.dim():
            grad_loss = grad_loss.unsqueeze(1)
            off_target, on_target = off_target * grad_loss, on_target * grad_loss
        elif grad_loss.device.type != "cpu" or grad_loss.item() != 1.0:  # 1.0: loss.backward()
            off_target, on_target = off_target * grad_loss, on_target * grad_loss
        if inv_sum is None:
            grad = _exp_(buffer).mul_(off_target)  # log-probabilities -> -c * softmax
        else:
            grad = buffer.mul_(off_target * inv_sum)  # exp(x - max) -> -c * softmax
        grad.scatter_(1, t1, on_target)
        if ignored is not None:
            grad.masked_fill_(ignored, 0.0)
        return grad.to(input.dtype), None, None, None, None, None, None


def _mean_scale(loss: Tensor, weight: Tensor | None, ignored: Tensor | None):
    """1 / (Σ α_t over non-ignored positions), or 1 / their count; 0 when that is 0 (loss 0, not NaN)."""
    if weight is None:
        count = loss.numel() - (0 if ignored is None else int(ignored.sum()))
        return 1.0 / count if count else 0.0
    total = (weight if ignored is None else weight.masked_fill(ignored, 0.0)).sum()
    return torch.where(total > 0, total.reciprocal(), 0.0)


class SigmoidFocalLoss(torch.autograd.Function):
    r"""Elementwise binary focal loss of sigmoid(input), for targets y in [0, 1].

    As ``torchvision.ops.sigmoid_focal_loss``: :math:`L = \alpha_t q^\gamma \mathrm{BCE}(x, y)`
    with :math:`q = p(1 - y) + (1 - p)y` (``1 - p_t``) and :math:`\alpha_t = \alpha y + (1-\alpha)(1-y)`.
    Both sigmoids are evaluated directly, so q keeps its precision where p rounds to 1. Gradient:

    .. math::

        \frac{\partial L}{\partial x} = \alpha_t q^{\gamma}\Bigl[(p - y) + \gamma\,
        \frac{p(1-p)(1-2y)}{q}\,\mathrm{BCE}\Bigr],

    where :math:`|p(1-p)(1-2y)/q| \le 1`; for hard labels this is Lin et al.'s
    :math:`y(1-p_t)^\gamma(\gamma p_t \log p_t + p_t - 1)`.
    """

    @staticmethod
    def forward(ctx, input, target, gamma, alpha):
        dtype = compute_dtype(input.dtype)
        x = input.to(dtype)
        y = target
        bce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        p, p_bar = torch.sigmoid(x), torch.sigmoid(-x)
        q = p * (1.0 - y) + p_bar * y
        if callable(gamma):
            gamma = call_gamma(gamma, 1.0 - q)
        p_minus_y = p * (1.0 - y) - p_bar * y
        if isinstance(gamma, float) and gamma == 0.0:
            loss, dloss = bce, p_minus_y
        else:
            modulation = q.pow(gamma)
            loss = bce * modulation
            u = torch.where(q > 0, p.mul_(p_bar).mul_(1.0 - 2.0 * y).div_(q), 0.0)
            dloss = modulation.mul_(u.mul_(gamma).mul_(bce).add_(p_minus_y))
        if alpha is not None:
            alpha_t = y * (2.0 * alpha - 1.0) + (1.0 - alpha)
            loss = loss * alpha_t
            dloss = dloss * alpha_t
        ctx.save_for_backward(dloss)
        ctx.input_dtype = input.dtype
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_loss):
        (dloss,) = ctx.saved_tensors
        return (grad_loss * dloss).to(ctx.input_dtype), None, None, None


def masked_pow(base: Tensor, gamma) -> Tensor:
    """``base ** gamma`` whose gradient is 0 where base == 0 instead of ``inf`` (γ < 1) or NaN.

    Only valid inside a product with a factor that vanishes where base does: the focal loss's
    cross-entropy is 0 exactly where 1 - p_t is, so the product's derivative there is 0.
    """
    zero = base == 0
    # base.detach() ** gamma is 0 ** gamma at those entries: 1 where gamma == 0, else 0.
    return torch.where(zero, base.detach().pow(gamma), base.masked_fill(zero, 1.0).pow(gamma))
