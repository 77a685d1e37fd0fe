"""Input checks shared by the losses and the step-by-step pieces.

Every check fails early with a message that names the argument, says what was wrong and how to
fix it. Checks that read tensor values cost one reduction each (``aminmax``), never a copy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

import torch
from torch import Tensor

REDUCTIONS = ("mean", "sum", "none")


def _shape(t: Tensor) -> str:
    return str(tuple(t.shape))


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}; got {reduction!r}")
    return reduction


def check_gamma(gamma, *, allow_callable: bool = False):
    """γ ≥ 0 and finite: a number, a tensor of them (sample-dependent), or a callable of p_t."""
    if callable(gamma) and not isinstance(gamma, Tensor):
        if allow_callable:
            return gamma
        raise TypeError("gamma must be a number ≥ 0 here, not a callable")
    if isinstance(gamma, Tensor):
        if gamma.is_complex() or gamma.dtype == torch.bool:
            raise TypeError(f"gamma must be a real number ≥ 0; got a {gamma.dtype} tensor")
        _check_gamma_values(gamma.detach())
        return gamma.item() if gamma.dim() == 0 else gamma
    if not _is_number(gamma):
        raise TypeError(f"gamma must be a real number ≥ 0 (2.0 is the paper's default); got {type(gamma).__name__}")
    if not math.isfinite(gamma) or gamma < 0:
        raise ValueError(f"gamma must be a finite number ≥ 0 (2.0 is the paper's default); got {gamma}")
    return float(gamma)


def _check_gamma_values(gamma: Tensor) -> None:
    if gamma.numel() and not bool(torch.isfinite(gamma).all() & (gamma >= 0).all()):
        bad = gamma[~(torch.isfinite(gamma) & (gamma >= 0))][0].item()
        raise ValueError(f"gamma must be finite and ≥ 0 everywhere; found {bad}")


def call_gamma(gamma: Callable[[Tensor], Tensor], p_t: Tensor) -> Tensor:
    """Evaluate a sample-dependent γ on detached p_t and check what it returns."""
    value = gamma(p_t)
    if not isinstance(value, Tensor):
        value = torch.as_tensor(value, dtype=p_t.dtype, device=p_t.device)
    value = value.detach().to(p_t.dtype)
    try:
        fits = torch.broadcast_shapes(value.shape, p_t.shape) == p_t.shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"a callable gamma must return a number or a tensor broadcastable to p_t {_shape(p_t)}; "
            f"it returned shape {_shape(value)}"
        )
    _check_gamma_values(value)
    return value.expand(p_t.shape) if value.dim() else value.item()


def as_float_tensor(value, name: str) -> Tensor:
    """A tensor, array or number as a floating tensor; integers become the default dtype."""
    if isinstance(value, Tensor):
        if value.dtype == torch.bool or value.is_complex():
            raise TypeError(f"{name} must hold real numbers; got a {value.dtype} tensor")
        return value if value.is_floating_point() else value.to(torch.get_default_dtype())
    try:
        return torch.as_tensor(value, dtype=torch.get_default_dtype())
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a tensor, array or number; got {type(value).__name__}") from err


def check_float_input(input, name: str = "input") -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(input).__name__}")
    if not input.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor of logits or probabilities; got {input.dtype} "
            f"(use {name}.float())"
        )
    return input


def _outside_unit_interval(t: Tensor) -> str | None:
    """None when every value of ``t`` lies in [0, 1]; otherwise what was found, for the message."""
    if t.numel() == 0:
        return None
    lo, hi = (v.item() for v in torch.aminmax(t.detach()))
    if math.isnan(lo) or math.isnan(hi):
        return "NaN"
    if lo < 0 or hi > 1:
        return f"values in [{lo:.4g}, {hi:.4g}]"
    return None


def check_probabilities(p: Tensor, name: str) -> Tensor:
    """Values in [0, 1]: probabilities, e.g. ``softmax(logits)``, not logits."""
    found = _outside_unit_interval(p)
    if found:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1]; found {found}. If these are logits, pass them "
            f"as they are with from_logits=True (more stable), or apply softmax/sigmoid first."
        )
    return p


# ---------------------------------------------------------------- alpha


def check_binary_alpha(alpha) -> float | None:
    """One α ∈ [0, 1]: the weight of positives (negatives get 1 − α)."""
    if alpha is None:
        return None
    if isinstance(alpha, Tensor) and alpha.dim() == 0 and alpha.is_floating_point():
        alpha = alpha.item()
    if not _is_number(alpha):
        raise TypeError(
            f"alpha for the binary loss must be one number in [0, 1] (the weight of positives; "
            f"negatives get 1 - alpha) or None; got {type(alpha).__name__}. Per-class weights belong "
            f"to focal_loss (softmax)."
        )
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(
            f"alpha must lie in [0, 1] (weight of positives; negatives get 1 - alpha); got {alpha}. "
            f"The paper's default is 0.25."
        )
    return float(alpha)


def check_class_alpha(alpha, num_classes: int | None, device=None) -> Tensor | None:
    """One non-negative, finite weight per class, as a 1-D floating tensor."""
    if alpha is None:
        return None
    if _is_number(alpha) or (isinstance(alpha, Tensor) and alpha.dim() == 0):
        value = alpha.item() if isinstance(alpha, Tensor) else alpha
        raise ValueError(
            f"focal_loss takes one alpha per class (a list or 1-D tensor of length C), not the single "
            f"number {value}. With softmax one alpha multiplies every example's loss by the same "
            f"constant: it only rescales the loss (like the learning rate) and does nothing for class "
            f"balance. Pass per-class weights, e.g. alpha=[0.25, 0.75] or focal_teach.class_weights(counts), "
            f"or use binary_focal_loss(alpha=...) for the paper's positive/negative alpha."
        )
    if isinstance(alpha, bool):
        raise TypeError("alpha must be None or one weight per class; got a bool")
    try:
        weights = torch.as_tensor(alpha, device=device)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"alpha must be None or one weight per class (list or 1-D tensor); got {alpha!r}") from err
    if not (weights.is_floating_point() or weights.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)):
        raise TypeError(f"alpha must hold real numbers; got dtype {weights.dtype}")
    if not weights.is_floating_point():
        weights = weights.to(torch.get_default_dtype())
    if weights.dim() != 1:
        raise ValueError(f"alpha must be 1-D, one weight per class; got shape {_shape(weights)}")
    if num_classes is not None and weights.numel() != num_classes:
        raise ValueError(
            f"alpha has {weights.numel()} weights but input has {num_classes} classes along dim 1; "
            f"give exactly one weight per class"
        )
    bad = ~torch.isfinite(weights) | (weights < 0)
    if bool(bad.any()):
        i = int(bad.nonzero()[0, 0])
        raise ValueError(f"alpha must be finite and ≥ 0 for every class; alpha[{i}] = {weights[i].item()}")
    return weights


# ---------------------------------------------------------------- targets


def check_binary_target(target, dtype: torch.dtype) -> Tensor:
    """Binary labels (bool, int 0/1, or float in [0, 1]) as a floating tensor of ``dtype``."""
    target = torch.as_tensor(target)
    if target.dtype == torch.bool:
        return target.to(dtype)
    if target.is_complex():
        raise TypeError(f"target must be real (bool, int or float in [0, 1]); got {target.dtype}")
    found = _outside_unit_interval(target)
    if found:
        raise ValueError(
            f"binary target must hold labels in [0, 1] (1 = positive); found {found}. "
            f"For class indices of more than two classes use focal_loss."
        )
    return target.to(dtype)


def check_class_indices(target: Tensor, num_classes: int, ignore_index: int | None, what: str = "target"):
    """Class indices in [0, C) or ``ignore_index``.

    Returns ``(indices, ignored)``: int64 indices safe to gather with (ignored positions hold 0)
    and the bool mask of ignored positions, or ``None`` when nothing is ignored.
    """
    if target.dtype == torch.bool or target.is_floating_point() or target.is_complex():
        hint = (
            f" It looks like one-hot or probabilities: use {what}.argmax(1)."
            if target.is_floating_point()
            else ""
        )
        raise TypeError(f"{what} must hold integer class indices (torch.long); got {target.dtype}.{hint}")
    target = target.long()
    if target.numel() == 0:
        return target, None
    lo, hi = (v.item() for v in torch.aminmax(target))
    ignore_in_range = ignore_index is not None and 0 <= ignore_index < num_classes
    if 0 <= lo and hi < num_classes and not ignore_in_range:
        return target, None  # the common case: one pass over the targets
    ignored = target == ignore_index if ignore_index is not None else None
    if not (0 <= lo and hi < num_classes):
        bad = (target < 0) | (target >= num_classes)
        if ignored is not None:
            bad &= ~ignored
        if bool(bad.any()):
            where = tuple(bad.nonzero()[0].tolist())
            value = target[where].item()
            ignore = f"ignore_index={ignore_index}" if ignore_index is not None else "no ignore_index"
            raise ValueError(
                f"{what} holds class {value} at index {where}, outside [0, {num_classes}): input has "
                f"{num_classes} classes along dim 1 ({ignore}). Check the model's number of outputs, "
                f"or mark positions to skip (padding) with ignore_index."
            )
    if ignored is None or not bool(ignored.any()):
        return target, None
    return target.masked_fill(ignored, 0), ignored


def check_class_layout(input: Tensor, target: Tensor) -> None:
    """``F.cross_entropy``'s layout: input [N, C, d1, ...], target [N, d1, ...]."""
    if not isinstance(target, Tensor):
        raise TypeError(f"target must be a torch.Tensor of class indices; got {type(target).__name__}")
    if input.dim() < 2:
        raise ValueError(
            f"input must have shape [N, C] or [N, C, d1, ...] (classes along dim 1); got {_shape(input)}. "
            f"For one example use input.unsqueeze(0); for one logit per example use binary_focal_loss."
        )
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) == expected:
        return
    if input.dim() >= 3 and tuple(target.shape) == tuple(input.shape[:-1]):
        raise ValueError(
            f"target has shape {_shape(target)} but input {_shape(input)} needs target {expected}. The input "
            f"looks class-last ([B, T, C] with {input.shape[-1]} classes): focal_loss, like F.cross_entropy, "
            f"wants the classes along dim 1, so pass input.movedim(-1, 1) (for 3-D: input.permute(0, 2, 1))."
        )
    if tuple(target.shape) == tuple(input.shape):
        raise ValueError(
            f"target has the input's shape {_shape(input)}, like a one-hot encoding; focal_loss takes class "
            f"indices of shape {expected}: use target.argmax(1)."
        )
    raise ValueError(
        f"target must have the input's shape without dim 1 (the classes): input {_shape(input)} needs "
        f"target {expected}; got {_shape(target)}"
    )


def check_binary_layout(input: Tensor, target) -> None:
    """Same shape exactly: broadcasting [N] against [N, 1] would silently give an [N, N] loss."""
    if not isinstance(target, Tensor):
        raise TypeError(f"target must be a torch.Tensor of labels; got {type(target).__name__}")
    if target.shape == input.shape:
        return
    hint = ""
    if target.numel() == input.numel():
        hint = " They hold the same number of values: use target.view_as(input)."
    raise ValueError(
        f"target shape {_shape(target)} must equal input shape {_shape(input)} for binary_focal_loss "
        f"(one label per logit; broadcasting them would silently compute the wrong loss).{hint}"
    )


# ---------------------------------------------------------------- other numbers


def check_real(value, name: str, *, minimum: float | None = None, exclusive: bool = False, hint: str = "") -> float:
    """One finite real number (a 0-d tensor is accepted), optionally ≥ ``minimum`` (> if ``exclusive``)."""
    if isinstance(value, Tensor) and value.dim() == 0 and not value.is_complex() and value.dtype != torch.bool:
        value = value.item()
    if not _is_number(value):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}.{' ' + hint if hint else ''}")
    value = float(value)
    below = minimum is not None and (value <= minimum if exclusive else value < minimum)
    if not math.isfinite(value) or below:
        bound = "" if minimum is None else f" {'>' if exclusive else '≥'} {minimum:g}"
        raise ValueError(f"{name} must be a finite number{bound}; got {value}.{' ' + hint if hint else ''}")
    return value
