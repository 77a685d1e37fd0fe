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

Precision: :math:`\ell` and :math:`q` keep their relative precision as :math:`p_t \to 1`, so that
float32 gives the easy examples, which the loss exists to down-weight, the loss and gradient
float64 gives them (to a margin of 30 and beyond; ``tests/losses/test_saturation.py``). No
:math:`1 - p` is ever formed: the softmax sums the other classes apart from the target's
(:func:`softmax_statistics`), the sigmoid takes :math:`q` and the BCE's log terms from the
logit (:func:`_sigmoid_forward`).

Memory: like ``F.cross_entropy``, the forward pass keeps one ``[N, C, *]`` tensor (the
probabilities) for the backward pass; unlike it, the backward pass turns that tensor into
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

# log_softmax's fused CPU kernel is the fastest forward, except for few classes along an
# innermost class dim: it then runs a scalar loop ~10x slower than elementwise ops (whose
# backward also makes two passes over the gradient where log_softmax's makes four). For a
# dense layout [N, C, d1, ...] it is as fast or faster at every C measured. The bounds are
# measured per dtype and layout by benchmarks/bench_kernel_choice.py (AVX-512 here); on another
# CPU rerun it and set them from its output. Either path gives the same loss and gradient (the
# tests run both), so a bound that is off for some CPU costs speed, never correctness.
_MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL = {
    (torch.float32, "[N, C]"): 16,
    (torch.float64, "[N, C]"): 64,
    (torch.float32, "[N, C, *]"): 0,
    (torch.float64, "[N, C, *]"): 0,
}


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """float16/bfloat16 are computed in float32; float32/float64 as they are."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def kernel_key(x: Tensor, dtype: torch.dtype | None = None) -> tuple[torch.dtype, str]:
    """The key of ``_MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL`` for input ``x`` computed in ``dtype``."""
    return compute_dtype(x.dtype) if dtype is None else dtype, "[N, C]" if x.dim() == 2 else "[N, C, *]"


def _use_log_softmax_kernel(x: Tensor, dtype: torch.dtype) -> bool:
    if x.device.type != "cpu":
        return True
    return x.shape[1] >= _MIN_CLASSES_FOR_LOG_SOFTMAX_KERNEL.get(kernel_key(x, dtype), 16)


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
    :math:`p_t - 1 = -q`, for :math:`\ell = \log p_t`. Out of place, so differentiable.

    :math:`-\partial L/\partial \ell = w q^\gamma (1 - \gamma s)` with
    :math:`s = p_t \ell / q \in [-1, 0]`. Two limits: :math:`s \to -1` where :math:`p_t`
    rounds to 1 (0/0), and :math:`s = 0` where :math:`p_t = 0` (a −inf logit of the target,
    e.g. a masked vocabulary: :math:`p_t \ell = 0 \cdot (-\infty)`, whose limit is 0), where the
    gradient is then cross-entropy's. Without ``keep_log_pt`` (and grad mode) ``log_pt`` is overwritten.
    """
    if not torch.is_grad_enabled():
        return _focal_terms_in_place(log_pt, gamma, weight, keep_log_pt)
    pt_minus_1 = torch.expm1(log_pt)  # p_t - 1 = -q, without cancellation as p_t -> 1
    q = pt_minus_1.neg()
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
    return loss, neg_dloss, pt_minus_1


def _focal_terms_in_place(log_pt: Tensor, gamma, weight: Tensor | None, keep_log_pt: bool):
    r"""focal_terms without grad mode (the forward pass): the same values, in fewer operations.

    For a float γ ≥ 1 (the paper's 2 included) :math:`-\partial L/\partial \ell` is written as
    :math:`q^{\gamma-1}(q - \gamma\, p_t \ell)`: finite everywhere (:math:`0^0 = 1`), both terms
    ≥ 0, and 0 where :math:`\ell = 0` (an ignored position), with no division; at a −inf
    target logit (:math:`p_t = 0`) it takes its limit :math:`q^{\gamma-1} q`. Otherwise
    :math:`q^\gamma + \gamma\, p_t L / q`, whose 0/0 (q = 0, or p_t = 0) has the limit 0.
    Computed from :math:`m = p_t - 1 = -q`, which the backward pass needs as it is.
    """
    pt_minus_1 = torch.expm1(log_pt)  # -q, without cancellation as p_t -> 1
    if isinstance(gamma, float) and gamma == 0.0:
        loss = log_pt.neg()
        if weight is not None:
            return loss.mul_(weight), weight.expand_as(log_pt).clone(), pt_minus_1
        return loss, torch.ones_like(log_pt), pt_minus_1
    # (log_pt's own buffer becomes the loss when nothing reads it later: one buffer fewer at the peak)
    loss_buffer = log_pt if not keep_log_pt else log_pt.clone()
    if isinstance(gamma, float) and gamma >= 1.0:
        # m + γ p_t l = -(q - γ p_t l); at p_t = 0 (l = -inf) 0 · (-inf) is NaN, the limit m = -1
        neg_dloss = torch.addcmul(pt_minus_1, log_pt.exp(), log_pt, value=gamma).nan_to_num_(nan=-1.0)
        if gamma == 2.0:  # q^(γ-1) = q = -m: no pow
            neg_dloss.mul_(pt_minus_1)
            loss = loss_buffer.mul_(pt_minus_1).mul_(pt_minus_1).neg_()  # -q^2 l
        else:
            q_gamma_1 = pt_minus_1.neg().pow_(gamma - 1.0)
            neg_dloss.mul_(q_gamma_1).neg_()
            loss = loss_buffer.mul_(q_gamma_1).mul_(pt_minus_1)  # q^(γ-1) (-q) l = -q^γ l
    else:
        q = pt_minus_1.neg()
        neg_dloss = q.pow(gamma)
        p_t = log_pt.exp()
        loss = loss_buffer.mul_(neg_dloss).neg_()
        ratio = p_t.mul_(loss).div_(q).nan_to_num_(nan=0.0, posinf=0.0)
        neg_dloss.add_(ratio.mul_(gamma))
    if weight is not None:
        loss.mul_(weight)
        neg_dloss.mul_(weight)
    return loss, neg_dloss, pt_minus_1


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


def _out_of_place() -> bool:
    """Whether to build new tensors rather than write into them: in grad mode (they may be
    differentiated) and under torch.func transforms (vmap has no batching rule for in-place scatters)."""
    return torch.is_grad_enabled() or torch._C._are_functorch_transforms_active()


def softmax_statistics(x: Tensor, target: Tensor, ignore_index: int | None, dtype: torch.dtype):
    r"""``(log_pt, buffer, inv_sum)``: :math:`\log p_t` per position ``[N, 1, *]``, 0 where
    ignored, and a full-size buffer from which the backward pass rebuilds ``softmax(x, 1)`` off
    the target (the buffer's entry at the target is not softmax's: the backward overwrites it).

    :math:`\log p_t` keeps its relative precision where :math:`p_t` rounds to 1. ``log_softmax``
    computes :math:`x_t - \log \sum_j e^{x_j}`; once the target's logit leads the others by
    about 17 (float32), :math:`1 + \sum_{j \ne t} e^{x_j - x_t}` rounds to 1, :math:`\log p_t` to
    0, and with it :math:`q = 1 - p_t`, the whole focal loss and its gradient (float64 keeps
    them to a margin of about 37). Both paths below sum the other classes apart from the
    target's 1, so :math:`q` never meets that rounding.

    With log_softmax's kernel the buffer holds the probabilities (``inv_sum`` is None), turned
    into the gradient in place by the backward pass. Elementwise (a short innermost class dim)
    the buffer holds :math:`e^{x_j - \max}` and softmax = buffer * inv_sum, with ``inv_sum`` 0
    where ignored. With grad mode on (a differentiable backward, Poly-1's ε term) or under
    torch.func transforms it is always log_softmax, out of place.
    """
    tracked = _out_of_place()
    if tracked or _use_log_softmax_kernel(x, dtype):
        log_probs = torch.log_softmax(x, 1, dtype=dtype)
        log_pt = target_log_prob(log_probs, target, ignore_index)
        probs = log_probs.exp() if tracked else _exp_(log_probs)  # (the backward pass needs them anyway)
        return _log_pt_near_one(log_pt, probs, target, ignore_index), probs, None
    ignored = ignored_mask(target, ignore_index)
    x = x.to(dtype)
    x_max = x.amax(1, keepdim=True)
    exps = _exp_(x - x_max)
    index = safe_index(target, ignored).unsqueeze(1)
    log_pt = x.gather(1, index).sub_(x_max)  # x_t - max
    del x_max  # (a buffer fewer at this function's peak)
    # e^(x_t - max) - 1 in place of e^(x_t - max): the sum is Σ_j e^(x_j - max) - 1 with no 1 in
    # it to round against (where the target is the max, it is the others' sum alone)
    rest = exps.scatter_(1, index, torch.expm1(log_pt)).sum(1, keepdim=True)
    log_pt.sub_(rest.log1p())
    inv_sum = rest.add_(1.0).reciprocal_()
    if ignored is not None:  # inf/NaN logits of ignored positions kept out of the loss and the gradient
        ignored = ignored.unsqueeze(1)
        log_pt.masked_fill_(ignored, 0.0)
        inv_sum.masked_fill_(ignored, 0.0)
    return log_pt, exps, inv_sum


def _log_pt_near_one(log_pt: Tensor, probs: Tensor, target: Tensor, ignore_index: int | None) -> Tensor:
    r"""``log_pt`` from log_softmax, recomputed as :math:`\log(1 - q)` where :math:`q < 1/2`,
    :math:`q = \sum_{j \ne t} p_j` summed without :math:`p_t`. Writes into ``probs`` (0 at the
    target) unless grad mode or a torch.func transform is on.

    :math:`p_t` is taken out by adding :math:`-p_t`, read from the same buffer (exactly 0). At
    an ignored position nll_loss reads 0, so nothing is taken out: the sum stays ≥ 1/2 (NaN for
    non-finite logits) and the position keeps log_softmax's 0, without an ignore mask.
    """
    tracked = _out_of_place()
    if ignore_index is None:
        index, minus_pt = target.unsqueeze(1), 0.0
    else:
        index = target.clamp(0, probs.shape[1] - 1).unsqueeze(1)  # (changes only ignored ones)
        minus_pt = F.nll_loss(probs, target, reduction="none", ignore_index=ignore_index).unsqueeze(1)
    if isinstance(minus_pt, float):
        others = probs.scatter(1, index, minus_pt) if tracked else probs.scatter_(1, index, minus_pt)
    else:
        others = probs.scatter_add(1, index, minus_pt) if tracked else probs.scatter_add_(1, index, minus_pt)
    q = others.sum(1, keepdim=True)
    near_one = q < 0.5
    if tracked:  # no log1p(-1) = -inf in the unselected branch: its gradient would be NaN
        return torch.where(near_one, torch.log1p(-torch.where(near_one, q, 0.0)), log_pt)
    return torch.where(near_one, q.neg_().log1p_(), log_pt)


def log_target_probability(x: Tensor, target: Tensor, ignore_index: int | None) -> Tensor:
    r""":math:`\log p_t` ``[N, *]`` of ``softmax(x, 1)`` in the compute dtype, 0 where ignored,
    exact where :math:`p_t` rounds to 1 (see :func:`softmax_statistics`); differentiable in
    grad mode."""
    return softmax_statistics(x, target, ignore_index, compute_dtype(x.dtype))[0].squeeze(1)


def target_log_prob(log_probs: Tensor, target: Tensor, ignore_index: int | None) -> Tensor:
    r""":math:`\log p_t` ``[N, 1, *]`` out of ``log_probs`` ``[N, C, *]``, 0 where ignored.

    ``nll_loss`` does it in one pass (parallel over the batch) that never reads an ignored row,
    whose inf/NaN logits would otherwise reach the loss, and on the CPU checks the class range.
    """
    if ignore_index is None:
        return log_probs.gather(1, target.unsqueeze(1))
    log_pt = F.nll_loss(log_probs, target, reduction="none", ignore_index=ignore_index).unsqueeze(1)
    return log_pt.neg() if torch.is_grad_enabled() else log_pt.neg_()


def _softmax_forward(input, target, gamma, weight, ignore_index):
    """The loss and the backward's coefficients, per position ``[N, 1, *]``; see SoftmaxFocalLoss.

    ``target`` is ``[N, *]``, the others ``[N, 1, *]``.
    """
    log_pt, buffer, inv_sum = softmax_statistics(input, target, ignore_index, compute_dtype(input.dtype))
    tracked = torch.is_grad_enabled()  # else every tensor here is new, and may be overwritten
    # log p_t is read again only by the gradients of a γ or weight tensor (or when tracked)
    keep_log_pt = tracked or any(isinstance(t, Tensor) and t.requires_grad for t in (gamma, weight))
    loss, neg_dloss, pt_minus_1 = focal_terms(log_pt, gamma, weight, keep_log_pt)
    log_pt = log_pt if keep_log_pt else None
    # l = 0 gives loss 0 and, for γ > 0, -dL/dl = 0 there; but -dL/dl = w where γ = 0 (a weight is 0 there)
    if ignore_index is not None and weight is None and not (isinstance(gamma, float) and gamma > 0.0):
        ignored = ignored_mask(target, ignore_index).unsqueeze(1)
        neg_dloss = neg_dloss.masked_fill(ignored, 0.0) if tracked else neg_dloss.masked_fill_(ignored, 0.0)
    return loss, neg_dloss, pt_minus_1, log_pt, buffer, inv_sum


def ignored_mask(target: Tensor, ignore_index: int | None) -> Tensor | None:
    """``target == ignore_index``, the bool mask of ignored positions (None when that is None)."""
    return None if ignore_index is None else target == ignore_index


def safe_index(target: Tensor, ignored: Tensor | None) -> Tensor:
    """``target`` with 0 where ``ignored``: an index every gather and scatter accepts."""
    return target if ignored is None else target.masked_fill(ignored, 0)


def _unsqueeze(t):
    return t if t is None or not isinstance(t, Tensor) else t.unsqueeze(1)


class _PositionalFunction(torch.autograd.Function):
    """An autograd Function called with every argument positional, as the losses call theirs."""

    @classmethod
    def apply(cls, *args):
        # torch's apply binds the arguments to forward's signature with inspect on every call
        # (about 40 µs, a tenth of a short sequence's loss); with every argument positional
        # that binding changes nothing. Under torch.func transforms (and torch.compile, which
        # traces Function.apply itself) torch's apply runs as it is.
        if torch._C._are_functorch_transforms_active() or torch.compiler.is_compiling():
            return super().apply(*args)
        args = tuple(torch._C._functorch.unwrap_if_dead(a) if isinstance(a, Tensor) else a for a in args)
        return super(torch.autograd.Function, cls).apply(*args)  # (what torch's apply calls next)


class SoftmaxFocalLoss(_PositionalFunction):
    r"""Focal loss of softmax(input) over dim 1; see the module docstring.

    Arguments: input ``[N, C, *]``; target ``[N, *]`` int64 indices in [0, C) or ignore_index
    (a gather index with 0 there is built only where one is needed, and never kept); gamma
    a float or a tensor of target's shape; weight ``[N, *]`` α_t or None (0 where ignored);
    ignore_index an int or None (nothing ignored); reduction ``"none"``, ``"sum"`` or ``"mean"``, which divides
    the sum by ``denominator`` (an int or a 0-d tensor, which may require grad). Returns the loss,
    ``[N, *]`` or reduced, in the compute dtype; 0 at ignored positions, whose logits may be
    anything (inf, NaN), with gradient 0 there. Reducing here rather than after saves a few
    small operations per call, which is most of the cost for short sequences.

    Backward writes :math:`c\,(\mathrm{onehot}(t) - \mathrm{softmax}(x))` with
    :math:`c = \partial L/\partial \ell`: :math:`-c\,p_j` off the target and :math:`c\,q` at
    it, exact where :math:`p_t \to 1` rather than :math:`c - c\,p_t`.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(input, target, gamma, weight, ignore_index, reduction, denominator):
        loss, neg_dloss, pt_minus_1, log_pt, buffer, inv_sum = _softmax_forward(
            input, target, _unsqueeze(gamma), _unsqueeze(weight), ignore_index
        )
        if reduction == "none":
            loss = loss.squeeze(1)
        else:
            loss = loss.sum()
            loss = loss / denominator if reduction == "mean" else loss
        return loss, neg_dloss, pt_minus_1, log_pt, buffer, inv_sum

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, gamma, weight, ignore_index, reduction, denominator = inputs
        loss, neg_dloss, pt_minus_1, log_pt, buffer, inv_sum = output
        ctx.mark_non_differentiable(*(t for t in output[1:] if t is not None))
        ctx.set_materialize_grads(False)  # no zero gradients of the full-size buffer for backward
        gamma_tensor = gamma if isinstance(gamma, Tensor) else None
        ctx.gamma = None if gamma_tensor is not None else gamma
        ctx.reduction, ctx.ignore_index = reduction, ignore_index
        divisor = denominator if reduction == "mean" else 1
        ctx.divisor = None if isinstance(divisor, Tensor) else divisor
        # the mean itself only for the gradient of a denominator that requires grad (Σ α_t)
        mean = loss if isinstance(divisor, Tensor) and divisor.requires_grad else None
        ctx.save_for_backward(input, target, gamma_tensor, weight, log_pt,
                              divisor if isinstance(divisor, Tensor) else None, mean)
        # Not saved_tensors: the first backward consumes them in place (the buffer becomes the
        # gradient) and frees each once used, so that its peak holds one full-size tensor. (A
        # tuple under torch.compile, whose graphs may not mutate a list; it plans memory itself.)
        statistics = (neg_dloss, pt_minus_1, buffer, inv_sum)
        ctx.statistics = statistics if torch.compiler.is_compiling() else list(statistics)

    @staticmethod
    def backward(ctx, grad_loss, *_):
        if grad_loss is None:  # (grads are not materialised: the loss was not used)
            return (None,) * 7
        input, target, gamma, weight, log_pt, divisor, mean = ctx.saved_tensors
        ignore_index = ctx.ignore_index
        divisor = ctx.divisor if divisor is None else divisor
        needs = ctx.needs_input_grad
        grad_denominator = None if mean is None or not needs[6] else -grad_loss * mean / divisor
        if ctx.reduction == "none":
            grad = grad_loss.unsqueeze(1)
        else:  # 0-d: it broadcasts against every [N, 1, *] tensor below
            grad = grad_loss if isinstance(divisor, int) and divisor == 1 else grad_loss / divisor
        rest = (None, None, grad_denominator)
        gamma = ctx.gamma if gamma is None else gamma.unsqueeze(1)
        weight, tracked = _unsqueeze(weight), torch.is_grad_enabled()
        statistics, ctx.statistics = ctx.statistics, None
        if not (tracked or statistics is None or any(needs[2:4])):  # the common case: consume them
            grad_input = _grad_input_in_place(statistics, grad, target, ignore_index) if needs[0] else None
            return in_dtype(grad_input, input.dtype), None, None, None, *rest
        if tracked or statistics is None:  # differentiable (create_graph, torch.func), or a second backward
            # tracked: ignored rows zeroed first, their inf/NaN would reach every derivative of the softmax
            ignored = ignored_mask(target, ignore_index) if tracked else None
            x = input if ignored is None else input.masked_fill(ignored.unsqueeze(1), 0.0)
            _, neg_dloss, pt_minus_1, log_pt, buffer, inv_sum = _softmax_forward(x, target, gamma, weight, ignore_index)
        else:
            neg_dloss, pt_minus_1, buffer, inv_sum = statistics
        log_term = None if log_pt is None else log_pt.neg()
        grad_gamma, grad_weight = argument_grads(grad, needs[2:4], log_term, pt_minus_1.neg(), gamma, weight)
        grad_input = None
        if needs[0]:
            if tracked:
                t1 = safe_index(target, ignored).unsqueeze(1)
                c = neg_dloss * grad
                probs = buffer if inv_sum is None else buffer * inv_sum
                grad_input = (probs * c).scatter(1, t1, pt_minus_1 * c)
            else:
                grad_input = _grad_input_in_place([neg_dloss, pt_minus_1, buffer, inv_sum], grad, target, ignore_index)
        return in_dtype(grad_input, input.dtype), None, _squeeze(grad_gamma), _squeeze(grad_weight), *rest


def _grad_input_in_place(statistics, grad: Tensor, target: Tensor, ignore_index: int | None) -> Tensor:
    """c (onehot - softmax) with c = -dL/dl * grad, written into the forward's buffer.

    Takes ``[neg_dloss, pt_minus_1, buffer, inv_sum]`` and empties the list, so that each tensor is
    freed once used. Elementwise the buffer holds exp(x - max), and softmax = buffer * inv_sum
    is folded into c.
    """
    c, pt_minus_1, buffer, inv_sum = statistics
    if isinstance(statistics, list):
        statistics.clear()
    c.mul_(grad)
    probs, off_target = (buffer, c) if inv_sum is None else (buffer, inv_sum.mul_(c))
    del buffer, inv_sum
    if ignore_index is not None:
        # Rows of NaN are those of non-finite logits; where ignored, c = 0 must give 0. (Where
        # kept, c is NaN as well, so the gradient stays NaN, as F.cross_entropy's does.)
        probs.nan_to_num_(nan=0.0)
    probs.mul_(off_target)
    del off_target
    at_target = c.mul_(pt_minus_1)  # c (1 - p_t) with c = dL/dl = -neg_dloss
    del c, pt_minus_1
    # the forward gathered with every kept target: clamping changes only ignored ones
    return probs.scatter_(1, target.clamp(0, probs.shape[1] - 1).unsqueeze(1), at_target)


def in_dtype(t: Tensor | None, dtype: torch.dtype) -> Tensor | None:
    """``t`` in ``dtype`` (no copy, and no call, when it already is)."""
    return t if t is None or t.dtype == dtype else t.to(dtype)


def _squeeze(t):
    return None if t is None else t.squeeze(1)


def _sigmoid_forward(x: Tensor, y: Tensor, gamma, weight: Tensor | None):
    """Loss and dL/dx per element, with what the other gradients need; see SigmoidFocalLoss."""
    minus_x, not_y = x.neg(), 1.0 - y
    p, p_bar = torch.sigmoid(x), torch.sigmoid(minus_x)
    # BCE = (1 - y) softplus(x) + y softplus(-x): two -log's of probabilities, no difference.
    # F.binary_cross_entropy_with_logits computes (1 - y) x - logsigmoid(x), which cancels for
    # y = 0, x << 0: exactly 0 in float32 below x ≈ -17, and with it the loss and the γ term of
    # the gradient (which is then 1/(1 + γ) of the true one). Exact for y = 0 and y = 1.
    bce = torch.addcmul(F.softplus(x) * not_y, F.softplus(minus_x), y)
    p_negative, p_positive = p * not_y, p_bar * y
    q, p_minus_y = p_negative + p_positive, p_negative - p_positive
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


class SigmoidFocalLoss(_PositionalFunction):
    r"""Elementwise binary focal loss of sigmoid(input), for targets y in [0, 1].

    As ``torchvision.ops.sigmoid_focal_loss``: :math:`L = w\, q^\gamma \mathrm{BCE}(x, y)`
    with :math:`q = p(1 - y) + (1 - p)y` (``1 - p_t``) and :math:`w = \alpha_t` (or None). Both
    sigmoids, and both log terms of the BCE (softplus of ±x), are evaluated directly, so q and
    the BCE keep their precision where p rounds to 0 or 1. Gradients:

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
