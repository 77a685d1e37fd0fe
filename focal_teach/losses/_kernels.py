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

Everything else training code does with a loss works as with plain autograd:

- **Double backward** (``create_graph=True``, gradient penalties): when grad mode is on during
  the backward pass, the backward recomputes the same closed-form gradient out of place from
  the saved input, so the gradient is itself differentiable (the in-place path above would
  cut it off the graph).
- **Gradients for every tensor argument**: α_t (so a learnable per-class α), a γ tensor, and
  soft binary targets; each has its closed form below.
- **torch.func** (``grad``, ``vmap``, ``jacrev``): the Functions use ``setup_context`` and
  ``generate_vmap_rule``; under those transforms grad mode is on, so the backward is the
  out-of-place one, which vmap can batch.
- **No host sync**: nothing here reads a tensor's value on the host.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

# exp(y) as exp2(y * log2(e)): on CPU torch.exp uses a 1-ulp routine ~4x slower than exp2 (and
# than log_softmax's own exp); the one extra rounding is far below what float32 resolves here.
_LOG2_E = 1.4426950408889634

# log_softmax's fused CPU kernel is the fastest forward, except when the class dim is innermost
# and short: it then runs a scalar loop ~10x slower than elementwise ops. The bounds are
# measured, per dtype, by benchmarks/bench_kernel_choice.py (AVX-512 here); on another CPU
# rerun it and set them from its output. Either path gives the same loss and gradient (the
# tests run both), so a bound that is off for some CPU costs speed, never correctness.
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



def _masked_pow_if_tracked(q: Tensor, gamma) -> Tensor:
    # Differentiated again (grad mode on), q ** gamma needs masked_pow's 0 gradient where q = 0
    # (γ < 1: the plain pow backward is infinite there); in a no-grad forward plain pow is exact.
    return masked_pow(q, gamma) if torch.is_grad_enabled() else q.pow(gamma)


def _ratio(num: Tensor, q: Tensor, at_zero: float) -> Tensor:
    """num / q where q > 0, ``at_zero`` where q = 0 (num is 0 there too: the 0/0 limit)."""
    if torch.is_grad_enabled():  # no 0/0 even in the unselected branch: its gradient would be NaN
        return torch.where(q > 0, num / torch.where(q > 0, q, 1.0), at_zero)
    return (num / q).nan_to_num_(nan=at_zero)


def focal_terms(log_pt: Tensor, gamma, weight: Tensor | None, keep_log_pt: bool = True) -> tuple[Tensor, Tensor, Tensor]:
    r"""Per position: the loss :math:`-w q^\gamma \ell`, :math:`-\partial L/\partial \ell`, and
    :math:`q = 1 - p_t`, for :math:`\ell = \log p_t`. Out of place, so differentiable.

    :math:`-\partial L/\partial \ell = w q^\gamma (1 - \gamma s)` with
    :math:`s = p_t \ell / q \in [-1, 0]`. Two limits: :math:`s \to -1` where :math:`p_t`
    rounds to 1 (0/0), and :math:`s = 0` where :math:`p_t = 0` (a −inf logit of the target,
    e.g. a masked vocabulary: :math:`p_t \ell = 0 \cdot (-\infty)`, whose limit is 0), where the
    gradient is then cross-entropy's. Without ``keep_log_pt`` (and grad mode) ``log_pt`` is overwritten.
    """
    if not torch.is_grad_enabled():
        return _focal_terms_in_place(log_pt, gamma, weight, keep_log_pt)
    q = torch.expm1(log_pt).neg()  # 1 - p_t, without cancellation as p_t -> 1
    if isinstance(gamma, float) and gamma == 0.0:
        loss = log_pt.neg()
        neg_dloss = torch.ones_like(log_pt) if weight is None else weight.expand_as(log_pt)
    else:
        modulation = masked_pow(q, gamma)
        loss = (log_pt * modulation).neg()
        p_log_p = log_pt.exp() * log_pt.clamp_min(torch.finfo(log_pt.dtype).min)
        s = _ratio(p_log_p, q, -1.0)
        neg_dloss = modulation * (1.0 - gamma * s)
        if weight is not None:
            neg_dloss = neg_dloss * weight
    if weight is not None:
        loss = loss * weight
    return loss, neg_dloss, q


def _focal_terms_in_place(log_pt: Tensor, gamma, weight: Tensor | None, keep_log_pt: bool):
    """focal_terms without grad mode (the forward pass): the same values, on fewer buffers.

    Written as :math:`-\partial L/\partial \ell = q^\gamma + \gamma\, p_t L / q`, which
    needs no buffer beyond q, the modulation and the loss; :math:`p_t L / q` is 0/0 only
    where q = 0 (limit :math:`q^\gamma`, 0 for γ > 0) or p_t = 0 (limit 0), so NaN -> 0.
    """
    q = torch.expm1(log_pt).neg_()
    if isinstance(gamma, float) and gamma == 0.0:
        loss = log_pt.neg()
        neg_dloss = torch.ones_like(log_pt) if weight is None else weight.expand_as(log_pt).clone()
    else:
        neg_dloss = q.pow(gamma)
        loss = torch.mul(log_pt, neg_dloss).neg_()
        # log_pt's own buffer when nothing reads it later (one buffer fewer at the forward's peak)
        p_t = log_pt.exp() if keep_log_pt else log_pt.exp_()
        ratio = p_t.mul_(loss).div_(q).nan_to_num_(nan=0.0, posinf=0.0)
        neg_dloss.add_(ratio.mul_(gamma))
        if weight is not None:
            neg_dloss.mul_(weight)
    if weight is not None:
        loss.mul_(weight)
    return loss, neg_dloss, q


def argument_grads(grad: Tensor, needs, log_term: Tensor, q: Tensor, gamma, weight: Tensor | None):
    r"""Gradients for γ and the weight :math:`w` of a loss :math:`L = w\, q^\gamma c`, where
    ``log_term`` is :math:`c` (:math:`-\log p_t` or the BCE), ``grad`` the upstream gradient.

    .. math::

        \frac{\partial L}{\partial w} = q^\gamma c, \qquad
        \frac{\partial L}{\partial \gamma} = w\, q^\gamma \log(q)\, c \quad (0 \text{ at } q = 0)
    """
    need_gamma, need_weight = needs
    if not (need_gamma or need_weight):
        return None, None
    unweighted = log_term if isinstance(gamma, float) and gamma == 0.0 else _masked_pow_if_tracked(q, gamma) * log_term
    grad_weight = grad * unweighted if need_weight else None
    grad_gamma = None
    if need_gamma:
        log_q = torch.where(q > 0, torch.where(q > 0, q, 1.0).log(), 0.0)  # q^γ log q -> 0 as q -> 0
        grad_gamma = grad * unweighted * log_q
        if weight is not None:
            grad_gamma = grad_gamma * weight
    return grad_gamma, grad_weight


def softmax_statistics(x: Tensor, t1: Tensor, dtype: torch.dtype):
    r"""``(log_pt, buffer, inv_sum)``: :math:`\log p_t` per position ``[N, 1, *]``, and a full-size
    buffer from which the backward pass rebuilds ``softmax(x, 1)`` in place.

    With log_softmax's kernel the buffer holds the log-probabilities (``inv_sum`` is None):
    softmax = exp(buffer), computed as ``F.cross_entropy``'s backward does. Elementwise (a
    short innermost class dim) it holds :math:`e^{x_j - \max}` and softmax = buffer * inv_sum,
    computed in place: with grad mode on (a differentiable backward) it is always log_softmax.
    """
    if torch.is_grad_enabled() or _use_log_softmax_kernel(x, dtype):
        log_probs = torch.log_softmax(x, 1, dtype=dtype)
        return log_probs.gather(1, t1), log_probs, None
    x = x.to(dtype)
    x_max = x.amax(1, keepdim=True)
    exps = _exp_(x - x_max)
    log_pt = x.gather(1, t1).sub_(x_max)  # log_softmax's order: (x_t - max) - log Σ
    del x_max  # (one buffer fewer at this function's peak)
    total = exps.sum(1, keepdim=True)
    log_pt.sub_(total.log())
    return log_pt, exps, total.reciprocal_()


def _softmax_forward(input, target, gamma, weight, ignored):
    """The loss and the backward's coefficients, per position ``[N, 1, *]``; see SoftmaxFocalLoss.

    ``target`` and ``ignored`` are ``[N, *]``, the others ``[N, 1, *]``. The gather index is
    dropped right after the gather: it is not needed at the forward's peak of memory.
    """
    t1 = safe_index(target, ignored).unsqueeze(1)
    log_pt, buffer, inv_sum = softmax_statistics(input, t1, compute_dtype(input.dtype))
    del t1
    ignored = _unsqueeze(ignored)
    tracked = torch.is_grad_enabled()  # else every tensor here is new, and may be overwritten
    if ignored is not None:  # keep inf/NaN logits of ignored positions out of the loss
        log_pt = log_pt.masked_fill(ignored, 0.0) if tracked else log_pt.masked_fill_(ignored, 0.0)
    # log p_t is read again only by the gradients of a γ or weight tensor (or when tracked)
    keep_log_pt = tracked or any(isinstance(t, Tensor) and t.requires_grad for t in (gamma, weight))
    loss, neg_dloss, q = focal_terms(log_pt, gamma, weight, keep_log_pt)
    log_pt = log_pt if keep_log_pt else None
    if ignored is not None:  # l = 0 gives loss 0 there, but -dL/dl = w where γ = 0
        neg_dloss = neg_dloss.masked_fill(ignored, 0.0) if tracked else neg_dloss.masked_fill_(ignored, 0.0)
    return loss, neg_dloss, q, log_pt, buffer, inv_sum


def safe_index(target: Tensor, ignored: Tensor | None) -> Tensor:
    """``target`` with 0 where ``ignored``: an index every gather and scatter accepts."""
    return target if ignored is None else target.masked_fill(ignored, 0)


def _unsqueeze(t):
    return t if t is None or not isinstance(t, Tensor) else t.unsqueeze(1)


class SoftmaxFocalLoss(torch.autograd.Function):
    r"""Focal loss of softmax(input) over dim 1, per position; see the module docstring.

    Arguments: input ``[N, C, *]``; target ``[N, *]`` int64 indices in [0, C) (ignored positions
    hold anything: the index gathered with, 0 there, is rebuilt where needed, never kept); gamma a float or a tensor of target's shape; weight ``[N, *]`` α_t or
    None; ignored ``[N, *]`` bool or None. Returns the loss ``[N, *]`` in the compute dtype; 0 at
    ignored positions, whose logits may be anything (inf, NaN), with gradient 0 there.

    Backward writes :math:`c\,(\mathrm{onehot}(t) - \mathrm{softmax}(x))` with
    :math:`c = \partial L/\partial \ell`: :math:`-c\,p_j` off the target and :math:`c\,q` at
    it, exact where :math:`p_t \to 1` rather than :math:`c - c\,p_t`.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, gamma, weight, ignored):
        loss, neg_dloss, q, log_pt, buffer, inv_sum = _softmax_forward(
            input, target, _unsqueeze(gamma), _unsqueeze(weight), ignored
        )
        return loss.squeeze(1), neg_dloss, q, log_pt, buffer, inv_sum

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, gamma, weight, ignored = inputs
        _, neg_dloss, q, log_pt, buffer, inv_sum = output
        ctx.mark_non_differentiable(*(t for t in output[1:] if t is not None))
        ctx.set_materialize_grads(False)  # no zero gradients of the full-size buffer for backward
        gamma_tensor = gamma if isinstance(gamma, Tensor) else None
        ctx.gamma = None if gamma_tensor is not None else gamma
        ctx.save_for_backward(input, target, gamma_tensor, weight, ignored, log_pt)
        # Not saved_tensors: the first backward consumes them in place (the buffer becomes the
        # gradient), so that its peak holds one full-size tensor and three per-position ones.
        ctx.statistics = neg_dloss, q, buffer, inv_sum

    @staticmethod
    def backward(ctx, grad_loss, *_):
        if grad_loss is None:  # (grads are not materialised: the loss was not used)
            return None, None, None, None, None
        input, target, gamma, weight, ignored, log_pt = ctx.saved_tensors
        gamma = ctx.gamma if gamma is None else gamma.unsqueeze(1)
        weight, grad, tracked = _unsqueeze(weight), grad_loss.unsqueeze(1), torch.is_grad_enabled()
        statistics, ctx.statistics = ctx.statistics, None
        if tracked or statistics is None:  # differentiable (create_graph, torch.func), or a second backward
            # tracked: ignored rows zeroed first, their inf/NaN would reach every derivative of the softmax
            x = input.masked_fill(ignored.unsqueeze(1), 0.0) if tracked and ignored is not None else input
            _, neg_dloss, q, log_pt, buffer, inv_sum = _softmax_forward(x, target, gamma, weight, ignored)
        else:
            neg_dloss, q, buffer, inv_sum = statistics
        needs = ctx.needs_input_grad
        grad_gamma, grad_weight = argument_grads(grad, needs[2:4], None if log_pt is None else log_pt.neg(), q, gamma, weight)
        grad_input = None
        if needs[0]:
            t1 = safe_index(target, ignored).unsqueeze(1)
            if tracked:
                c = neg_dloss * grad
                probs = buffer.exp() if inv_sum is None else buffer * inv_sum
                grad_input = (probs * c).scatter(1, t1, (q * c).neg())
            else:
                grad_input = _grad_input_in_place(neg_dloss.mul_(grad), q, buffer, inv_sum, t1, ignored)
            grad_input = grad_input.to(input.dtype)
        return grad_input, None, _squeeze(grad_gamma), _squeeze(grad_weight), None


def _grad_input_in_place(c, q, buffer, inv_sum, t1, ignored):
    """c (onehot - softmax) written into the forward's buffer; c is overwritten too."""
    probs = _exp_(buffer) if inv_sum is None else buffer.mul_(inv_sum)
    if ignored is not None:
        # Rows of NaN are those of non-finite logits; where ignored, c = 0 must give 0. (Where
        # kept, c is NaN as well, so the gradient stays NaN, as F.cross_entropy's does.)
        probs.nan_to_num_(nan=0.0)
    return probs.mul_(c).scatter_(1, t1, c.mul_(q).neg_())


def _squeeze(t):
    return None if t is None else t.squeeze(1)


def _sigmoid_forward(x: Tensor, y: Tensor, gamma, weight: Tensor | None):
    """Loss and dL/dx per element, with what the other gradients need; see SigmoidFocalLoss."""
    bce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    p, p_bar = torch.sigmoid(x), torch.sigmoid(-x)
    q = p * (1.0 - y) + p_bar * y
    p_minus_y = p * (1.0 - y) - p_bar * y
    if isinstance(gamma, float) and gamma == 0.0:
        loss, dloss = bce, p_minus_y
    else:
        modulation = _masked_pow_if_tracked(q, gamma)
        loss = bce * modulation
        u = _ratio(p * p_bar * (1.0 - 2.0 * y), q, 0.0)
        dloss = modulation * (gamma * u * bce + p_minus_y)
    if weight is not None:
        loss, dloss = loss * weight, dloss * weight
    return loss, dloss, bce, p, q


class SigmoidFocalLoss(torch.autograd.Function):
    r"""Elementwise binary focal loss of sigmoid(input), for targets y in [0, 1].

    As ``torchvision.ops.sigmoid_focal_loss``: :math:`L = w\, q^\gamma \mathrm{BCE}(x, y)`
    with :math:`q = p(1 - y) + (1 - p)y` (``1 - p_t``) and :math:`w = \alpha_t` (or None). Both
    sigmoids are evaluated directly, so q keeps its precision where p rounds to 1. Gradients:

    .. math::

        \frac{\partial L}{\partial x} = w q^{\gamma}\Bigl[(p - y) + \gamma\,
        \frac{p(1-p)(1-2y)}{q}\,\mathrm{BCE}\Bigr], \qquad
        \frac{\partial L}{\partial y} = w q^{\gamma}\Bigl[\gamma\,\frac{\mathrm{BCE}}{q}(1 - 2p) - x\Bigr],

    where :math:`|p(1-p)(1-2y)/q| \le 1` and :math:`\mathrm{BCE}/q \to 1` as :math:`q \to 0`;
    for hard labels :math:`\partial L/\partial x` is Lin et al.'s
    :math:`y(1-p_t)^\gamma(\gamma p_t \log p_t + p_t - 1)`.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, gamma, weight):
        x = input.to(compute_dtype(input.dtype))
        loss, dloss, _, _, _ = _sigmoid_forward(x, target, gamma, weight)
        return loss, dloss

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, gamma, weight = inputs
        ctx.mark_non_differentiable(output[1])
        ctx.set_materialize_grads(False)
        gamma_tensor = gamma if isinstance(gamma, Tensor) else None
        ctx.gamma = None if gamma_tensor is not None else gamma
        ctx.save_for_backward(input, target, gamma_tensor, weight, output[1])

    @staticmethod
    def backward(ctx, grad_loss, _):
        if grad_loss is None:  # (grads are not materialised: the loss was not used)
            return None, None, None, None
        input, y, gamma, weight, dloss = ctx.saved_tensors
        gamma = ctx.gamma if gamma is None else gamma
        need_input, need_target, need_gamma, need_weight = ctx.needs_input_grad
        x = input.to(dloss.dtype)
        if torch.is_grad_enabled() or need_target or need_gamma or need_weight:
            _, dloss, bce, p, q = _sigmoid_forward(x, y, gamma, weight)
        grad_input = (grad_loss * dloss).to(input.dtype) if need_input else None
        grad_target = None
        if need_target:
            modulation = _masked_pow_if_tracked(q, gamma)
            grad_target = grad_loss * modulation * (gamma * _ratio(bce, q, 1.0) * (1.0 - 2.0 * p) - x)
            if weight is not None:
                grad_target = grad_target * weight
        grad_gamma, grad_weight = (None, None)
        if need_gamma or need_weight:
            grad_gamma, grad_weight = argument_grads(grad_loss, (need_gamma, need_weight), bce, q, gamma, weight)
        return grad_input, grad_target, grad_gamma, grad_weight


def masked_pow(base: Tensor, gamma) -> Tensor:
    """``base ** gamma`` whose gradient is 0 where base == 0 instead of ``inf`` (γ < 1) or NaN.

    Only valid inside a product with a factor that vanishes where base does: the focal loss's
    cross-entropy is 0 exactly where 1 - p_t is, so the product's derivative there is 0.
    """
    zero = base == 0
    # base.detach() ** gamma is 0 ** gamma at those entries: 1 where gamma == 0, else 0.
    return torch.where(zero, base.detach().pow(gamma), base.masked_fill(zero, 1.0).pow(gamma))
