r"""One argument pipeline for every loss: parse and check the arguments once, reduce once.

A loss is its maths between two calls::

    args = softmax_arguments(input, target, gamma, alpha, reduction, ignore_index)
    with args.index_errors_explained():
        loss = ...  # per position, from args.input, args.target, args.gamma, args.alpha_t
    return args.reduce(loss)

(:func:`binary_arguments` likewise for the sigmoid losses; :func:`focal_loss`'s fused kernel
reduces inside its autograd Function, by the same rule: ``args.denominator()``.) The arguments come back checked
(see :mod:`._validation`; no host sync), with

- ``input`` in float32 if autocast lowered it to float16/bfloat16 (``F.cross_entropy`` is on
  autocast's float32 list, so the losses are too), otherwise as given;
- ``gamma`` a float, or a tensor of the target's shape (a per-position γ, a callable's values);
- ``alpha_t`` the weight of each position, a tensor of the target's shape or None, built
  with autograd so that a learnable α gets its gradient; 0 at ignored positions.

The class indices are checked on the device where gather and nll_loss would not check them
themselves; on the CPU they do, and ``index_errors_explained`` turns its error into the detailed one
(see :func:`._validation.indexing_checks_indices`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from ._kernels import compute_dtype, ignored_mask, in_dtype, safe_index
from ._validation import (
    assert_on_device,
    call_gamma,
    check_binary_alpha,
    check_binary_layout,
    check_binary_target,
    check_class_alpha,
    check_class_layout,
    check_class_range,
    class_targets,
    explain_index_errors,
    indexing_checks_indices,
    check_float_input,
    check_ignore_index,
    check_reduction,
    gamma_for,
)

__all__ = ["SoftmaxArguments", "BinaryArguments", "softmax_arguments", "binary_arguments", "binary_alpha_t"]


def _autocast_input(input: Tensor) -> Tensor:
    """float16/bfloat16 logits produced under autocast come back as float32 (autocast's float32 list)."""
    if input.dtype in (torch.float16, torch.bfloat16) and torch.is_autocast_enabled(input.device.type):
        return input.float()
    return input


class SoftmaxArguments(NamedTuple):
    input: Tensor  # [N, C, *] logits (or probabilities)
    target: Tensor  # [N, *] int64 class indices, ignore_index at ignored positions (see ignored)
    gamma: object  # float, tensor [N, *], or a callable of p_t (see resolve_gamma)
    alpha_t: Tensor | None  # [N, *] weight of each position, 0 where ignored
    reduction: str
    ignore_index: int | None

    @property
    def ignored(self) -> Tensor | None:
        """``[N, *]`` bool mask of ignored positions, or None when ignore_index is None. Built on
        each access (one comparison the fused kernel never needs); keep it where it is read twice."""
        return ignored_mask(self.target, self.ignore_index)

    def index_errors_explained(self):
        """Context for code that gathers with the target: an index out of range gets the detailed error."""
        return explain_index_errors(self.target, self.input.shape[1], self.ignore_index)

    def resolve_gamma(self, p_t: Tensor):
        """γ as a float or a tensor of the target's shape: a callable is evaluated on detached p_t."""
        return call_gamma(self.gamma, p_t.detach()) if callable(self.gamma) else self.gamma

    def reduce(self, loss: Tensor) -> Tensor:
        r"""``"mean"``: :math:`\sum_i \ell_i / \sum_i \alpha_{t_i}` over kept positions (their
        count without α; 0, not NaN, when that is 0), ``"sum"``, or ``"none"``; in input's dtype."""
        if self.reduction != "none":
            total = loss.sum()
            loss = total / self.denominator() if self.reduction == "mean" else total
        return in_dtype(loss, self.input.dtype)

    def denominator(self):
        """What ``"mean"`` divides the sum by: an int, or a 0-d tensor (no host sync)."""
        if self.alpha_t is None:
            if self.ignore_index is None:
                return max(self.target.numel(), 1)
            # the kept positions, counted without a bool mask: target - ignore_index is 0 exactly where ignored
            return torch.count_nonzero(self.target - self.ignore_index).clamp_min(1)
        return self.alpha_t.sum().clamp_min(torch.finfo(self.alpha_t.dtype).tiny)  # Σ α_t = 0: the loss is 0 too


class BinaryArguments(NamedTuple):
    input: Tensor  # logits (or probabilities), any shape
    target: Tensor  # labels in [0, 1] of input's shape, in the compute dtype
    gamma: object  # float, tensor of input's shape, or a callable of p_t
    alpha_t: Tensor | None  # weight of each element
    reduction: str

    def resolve_gamma(self, p_t: Tensor):
        """γ as a float or a tensor of input's shape: a callable is evaluated on detached p_t."""
        return call_gamma(self.gamma, p_t.detach()) if callable(self.gamma) else self.gamma

    def reduce(self, loss: Tensor) -> Tensor:
        """Plain mean over elements, sum, or none; in input's dtype."""
        if self.reduction == "mean":
            loss = loss.mean()
        elif self.reduction == "sum":
            loss = loss.sum()
        return in_dtype(loss, self.input.dtype)


def softmax_arguments(input, target, gamma, alpha, reduction, ignore_index) -> SoftmaxArguments:
    """Check and parse the arguments of a softmax loss (``F.cross_entropy``'s layout)."""
    input = _autocast_input(check_float_input(input))
    check_class_layout(input, target)
    reduction = check_reduction(reduction)
    ignore_index = check_ignore_index(ignore_index)
    gamma = gamma_for(gamma, target.shape)
    num_classes = input.shape[1]
    class_alpha = check_class_alpha(alpha, num_classes, device=input.device)
    target = class_targets(target)
    if not indexing_checks_indices(target):
        check_class_range(target, ignored_mask(target, ignore_index), num_classes, ignore_index)
    alpha_t = None
    if class_alpha is not None:
        ignored = ignored_mask(target, ignore_index)
        with explain_index_errors(target, num_classes, ignore_index):
            alpha_t = class_alpha.to(compute_dtype(input.dtype))[safe_index(target, ignored)]
        alpha_t = alpha_t if ignored is None else alpha_t.masked_fill(ignored, 0.0)
    return SoftmaxArguments(input, target, gamma, alpha_t, reduction, ignore_index)


def binary_alpha_t(alpha, y: Tensor) -> Tensor | None:
    r""":math:`\alpha_t = \alpha y + (1 - \alpha)(1 - y)`: α for positives, 1 − α for negatives,
    interpolated for a soft label (as torchvision). None when ``alpha`` is None."""
    if alpha is None:
        return None
    return y * (2.0 * alpha - 1.0) + (1.0 - alpha)


def _binary_alpha(alpha, device):
    """None, a float in [0, 1], or a 0-d tensor (learnable) checked on the device."""
    if not isinstance(alpha, Tensor) or alpha.dim() or not alpha.is_floating_point():
        return check_binary_alpha(alpha)
    if alpha.device != device:
        raise ValueError(f"alpha is on {alpha.device} but input is on {device}: use alpha.to(input.device)")
    ok = ((alpha >= 0) & (alpha <= 1)).detach()
    assert_on_device(ok, "alpha must lie in [0, 1] (weight of positives; negatives get 1 - alpha)")
    return alpha


def binary_arguments(input, target, gamma, alpha, reduction) -> BinaryArguments:
    """Check and parse the arguments of a sigmoid loss (one binary problem per element)."""
    input = _autocast_input(check_float_input(input))
    check_binary_layout(input, target)
    reduction = check_reduction(reduction)
    gamma = gamma_for(gamma, input.shape)
    alpha = _binary_alpha(alpha, input.device)
    y = check_binary_target(target, compute_dtype(input.dtype))
    return BinaryArguments(input, y, gamma, binary_alpha_t(alpha, y), reduction)
