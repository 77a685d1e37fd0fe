"""Input checks shared by the losses and the step-by-step pieces.

Every check fails early with a message that names the argument, says what was wrong and how to
fix it. Two kinds:

- **Checks of the arguments' form** (shapes, dtypes, α's length, reduction) need no tensor
  data and always run.
- **Checks of tensor values** (class indices in range, binary targets, probabilities and α in
  their intervals, γ ≥ 0) run *on the device*, through ``torch._assert_async``: the host never
  waits for the data, so they cost no host sync (on CUDA a failed check is a device-side
  assert, as ``F.cross_entropy``'s own for an out-of-range class; on CPU the assert fails at
  once and the check raises its detailed ``ValueError``). Class indices are the exception on
  the CPU in eager mode, where gather, nll_loss and indexing check every index as they run:
  there the losses skip the repeat and turn indexing's error into the detailed one
  (:func:`explain_index_errors`). They are on by default; like ``torch.distributions``'
  ``validate_args``, :class:`set_validate_args` turns them off.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import contextmanager
from numbers import Real

import torch
from torch import Tensor

from ._kernels import ignored_mask, safe_index

REDUCTIONS = ("mean", "sum", "none")

_validate_args = True


def get_validate_args() -> bool:
    """Whether the losses check tensor values (see :class:`set_validate_args`)."""
    return _validate_args


class set_validate_args:
    """Turn the losses' checks of tensor values on (the default) or off, globally.

    Works as a call, ``set_validate_args(False)``, and as a context manager that restores the
    previous value on exit, ``with set_validate_args(False): ...`` (as
    ``torch.set_grad_enabled``). The value checks never make the host wait for the device, so
    leaving them on costs a few reductions per call; turning them off saves those, and an
    out-of-range class index then fails inside ``gather`` or ``nll_loss`` (CPU: their
    ``IndexError`` or ``RuntimeError``, CUDA: device-side assert) while a binary target outside [0, 1] is silently used as it is.
    Shape, dtype and α-length checks always run.
    """

    def __init__(self, value: bool) -> None:
        global _validate_args
        if not isinstance(value, bool):
            raise TypeError(f"set_validate_args takes True or False; got {value!r}")
        self.previous, _validate_args = _validate_args, value

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        global _validate_args
        _validate_args = self.previous


def _unwrap(t: Tensor) -> Tensor:
    while torch._C._functorch.is_functorch_wrapped_tensor(t):
        t = torch._C._functorch.get_unwrapped(t)
    return t


def assert_on_device(ok: Tensor, message: str, explain: Callable[[], Exception] | None = None) -> None:
    """Fail unless the 0-d bool tensor ``ok`` holds True, without the host reading it.

    ``message`` is what a device-side failure reports (CUDA, compiled graphs). In eager mode on
    the CPU, where the assert fails synchronously, ``explain()`` builds the detailed error from
    the data instead: that read happens only once the check has already failed.
    """
    if not _validate_args:
        return
    if torch.compiler.is_compiling():
        torch._assert_async(ok, message)
        return
    if torch._C._functorch.is_functorch_wrapped_tensor(ok):
        # Under torch.func (vmap has no batching rule for asserts): check every sample's value
        # at once, on the plain tensor the transforms wrap; explain() could not run in there.
        ok, explain = _unwrap(ok).all(), (lambda: ValueError(message))
    if explain is None:
        torch._assert_async(ok, message)
        return
    try:
        torch._assert_async(ok, message)
    except RuntimeError:
        raise explain() from None


def _shape(t: Tensor) -> str:
    return str(tuple(t.shape))


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


# Other libraries' spellings, and what they mean here.
_REDUCTION_HINTS = {None: "none", "avg": "mean", "average": "mean", "elementwise_mean": "mean", "batchmean": "mean", "total": "sum"}


def check_reduction(reduction) -> str:
    if isinstance(reduction, str) and reduction in REDUCTIONS:
        return reduction
    hint = _REDUCTION_HINTS.get(reduction) if reduction is None or isinstance(reduction, str) else None
    raise ValueError(
        f"Invalid reduction: {reduction!r} is not a valid value for reduction; use one of "
        f"{', '.join(map(repr, REDUCTIONS))}" + (f" (did you mean {hint!r}?)" if hint else "")
    )


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
    gamma = gamma.detach()

    def explain():
        bad = gamma[~(torch.isfinite(gamma) & (gamma >= 0))][0].item()
        return ValueError(f"gamma must be finite and ≥ 0 everywhere; found {bad}")

    ok = (torch.isfinite(gamma) & (gamma >= 0)).all()
    assert_on_device(ok, "gamma must be finite and ≥ 0 everywhere", explain)


def gamma_for(gamma, shape: torch.Size):
    """The losses' γ: a float, a callable of p_t, or a tensor broadcast to ``shape`` (the target's).

    A tensor stays a tensor, so that it can require grad and is never read on the host.
    """
    if not isinstance(gamma, Tensor):
        return check_gamma(gamma, allow_callable=True)
    if gamma.is_complex() or gamma.dtype == torch.bool:
        raise TypeError(f"gamma must be a real number ≥ 0; got a {gamma.dtype} tensor")
    try:
        fits = torch.broadcast_shapes(gamma.shape, shape) == shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"gamma of shape {_shape(gamma)} does not broadcast to target's shape {tuple(shape)}: give one γ, "
            f"or one per position (the target's shape, or one that broadcasts to it, e.g. [N] for a target "
            f"[N] and [N, 1] for a target [N, d1])"
        )
    if not gamma.is_floating_point():
        gamma = gamma.to(torch.get_default_dtype())
    _check_gamma_values(gamma)
    return gamma.expand(shape)


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
    return value.expand(p_t.shape)


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
        raise TypeError(f"{name} must be a torch.Tensor; got {type(input).__name__} (convert it with torch.as_tensor({name}))")
    if not input.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor of logits or probabilities; got {input.dtype} "
            f"(use {name}.float())"
        )
    return input


def _outside_unit_interval(t: Tensor) -> str:
    """What was found outside [0, 1], for the message of a check that has failed (reads the data)."""
    lo, hi = (v.item() for v in torch.aminmax(t.detach()))
    return "NaN" if math.isnan(lo) or math.isnan(hi) else f"values in [{lo:.4g}, {hi:.4g}]"


def _check_unit_interval(t: Tensor, message: str) -> None:
    """Device-side check that every value of ``t`` lies in [0, 1] (NaN fails); ``message`` + what was found."""
    t = t.detach()
    ok = ((t >= 0) & (t <= 1)).all()
    assert_on_device(ok, message.format(found="values outside [0, 1]"), lambda: ValueError(message.format(found=_outside_unit_interval(t))))


def check_probabilities(p: Tensor, name: str) -> Tensor:
    """Values in [0, 1]: probabilities, e.g. ``softmax(logits)``, not logits."""
    _check_unit_interval(
        p,
        f"{name} must hold probabilities in [0, 1]; found {{found}}. If these are logits, pass them "
        f"as they are with from_logits=True (more stable), or apply softmax/sigmoid first.",
    )
    return p


def check_ignore_index(ignore_index) -> int | None:
    if ignore_index is not None and (not isinstance(ignore_index, int) or isinstance(ignore_index, bool)):
        raise TypeError(
            f"ignore_index must be an int, the target value to skip (-100 by default, as F.cross_entropy), "
            f"or None to skip nothing; got {ignore_index!r}"
        )
    return ignore_index


def check_from_logits(from_logits) -> bool:
    if not isinstance(from_logits, bool):
        raise TypeError(
            f"from_logits must be True (input holds logits, the default) or False (input holds "
            f"probabilities); got {from_logits!r}"
        )
    return from_logits


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


def _scalar_class_alpha_message(a, num_classes: int | None) -> str:
    # A single alpha means different things for a softmax. kornia 0.9.0 (kornia/losses/focal.py,
    # focal_loss: alpha_fac = [1 - alpha] + [alpha] * (C - 1)) and MONAI 1.5.0
    # (monai/losses/focal_loss.py at commit d388d1c, softmax_focal_loss, same line; ignored with a
    # warning when include_background=False) weight class 0, the background, by 1 - alpha and
    # every other class by alpha. Tutorials that multiply the whole loss by alpha only rescale it.
    # The binary form (torchvision, MONAI's sigmoid mode, ours) weights positives by alpha and
    # negatives by 1 - alpha. So focal_loss asks for the weights themselves.
    if num_classes is None:  # (a module, before it sees the input)
        convention = f"alpha=[{1 - a:g}] + [{a:g}] * (C - 1) for C classes"
    else:
        convention = f"alpha=[{1 - a:g}] + [{a:g}] * {num_classes - 1}"
    return (
        f"focal_loss takes one alpha per class (a list or 1-D tensor of length C), not the single number "
        f"{a}: with a softmax one number is ambiguous. kornia 0.9 and MONAI 1.5 (use_softmax=True) read it as "
        f"1 - alpha for class 0 (background) and alpha for every other class: write that as {convention}. "
        f"Multiplying every class's loss by alpha, as some tutorials do, only rescales the loss. For weights "
        f"from class frequencies use focal_teach.class_weights(labels); for the paper's alpha (positives "
        f"alpha, negatives 1 - alpha, one sigmoid per class) use binary_focal_loss(alpha=...)."
    )


def check_class_alpha(alpha, num_classes: int | None, device=None) -> Tensor | None:
    """One non-negative, finite weight per class, as a 1-D floating tensor."""
    if alpha is None:
        return None
    if _is_number(alpha) or (isinstance(alpha, Tensor) and alpha.dim() == 0):
        raise ValueError(_scalar_class_alpha_message(alpha.item() if isinstance(alpha, Tensor) else alpha, num_classes))
    if isinstance(alpha, bool):
        raise TypeError("alpha must be None or one weight per class; got a bool")
    if isinstance(alpha, Tensor) and device is not None and alpha.device != torch.device(device):
        raise ValueError(
            f"alpha is on {alpha.device} but input is on {device}: move it with alpha.to(input.device), "
            f"or use FocalLoss(alpha=...), whose alpha is a buffer that follows .to(device)"
        )
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
    def explain():
        i = int((~torch.isfinite(weights) | (weights < 0)).nonzero()[0, 0])
        return ValueError(f"alpha must be finite and ≥ 0 for every class; alpha[{i}] = {weights[i].item()}")

    ok = (torch.isfinite(weights) & (weights >= 0)).all()
    assert_on_device(ok.detach(), "alpha must be finite and ≥ 0 for every class", explain)
    return weights


# ---------------------------------------------------------------- targets


def check_binary_target(target, dtype: torch.dtype) -> Tensor:
    """Binary labels (bool, int 0/1, or float in [0, 1]) as a floating tensor of ``dtype``."""
    target = torch.as_tensor(target)
    if target.dtype == torch.bool:
        return target.to(dtype)
    if target.is_complex():
        raise TypeError(f"target must be real (bool, int or float in [0, 1]); got {target.dtype}")
    _check_unit_interval(
        target,
        "binary target must hold labels in [0, 1] (1 = positive); found {found}. "
        "For class indices of more than two classes use focal_loss.",
    )
    return target.to(dtype)


def class_targets(target: Tensor, what: str = "target") -> Tensor:
    """Integer class indices as int64 (ignored positions included: see :func:`ignored_mask`)."""
    if target.dtype == torch.bool or target.is_floating_point() or target.is_complex():
        hint = (
            f" It looks like one-hot or probabilities: use {what}.argmax(1)."
            if target.is_floating_point()
            else ""
        )
        raise TypeError(f"{what} must hold integer class indices (torch.long); got {target.dtype}.{hint}")
    return target if target.dtype == torch.long else target.long()


def indexing_checks_indices(t: Tensor) -> bool:
    """Whether gather, nll_loss and indexing with ``t`` check each index themselves, synchronously.

    They do in eager mode on the CPU, where the host runs them (an index out of range raises at
    once); compiled code and torch.func transforms may not, and on CUDA the check is a
    device-side assert with a terse message. Where they do, a device-side check of the same
    range would only repeat theirs: the losses let indexing check and explain its error after
    the fact (:func:`explain_index_errors`).
    """
    return t.device.type == "cpu" and not torch.compiler.is_compiling() and not torch._C._functorch.is_functorch_wrapped_tensor(t)


def check_class_range(target: Tensor, ignored: Tensor | None, num_classes: int, ignore_index: int | None, what: str = "target") -> None:
    """Every target in [0, C) or ignored, checked on the device (see :func:`assert_on_device`)."""
    if not _validate_args or not target.numel():
        return
    lo, hi = torch.aminmax(safe_index(target, ignored))
    message = f"{what} holds a class index outside [0, {num_classes}) that is not ignore_index={ignore_index}"
    assert_on_device((lo >= 0) & (hi < num_classes), message, lambda: _class_range_error(target, ignored, num_classes, ignore_index, what))


def _class_range_error(target, ignored, num_classes, ignore_index, what) -> ValueError | None:
    """The detailed error for the first target out of range (reads the data), or None if there is none."""
    bad = (target < 0) | (target >= num_classes)
    if ignored is not None:
        bad &= ~ignored
    if not bad.any():
        return None
    where = tuple(bad.nonzero()[0].tolist())
    ignore = f"ignore_index={ignore_index}" if ignore_index is not None else "no ignore_index"
    return ValueError(
        f"{what} holds class {target[where].item()} at index {where}, outside [0, {num_classes}): input "
        f"has {num_classes} classes along dim 1 ({ignore}). Check the model's number of outputs, "
        f"or mark positions to skip (padding) with ignore_index."
    )


@contextmanager
def explain_index_errors(target: Tensor, num_classes: int, ignore_index: int | None, what: str = "target"):
    """Turn the error of indexing with an out-of-range target into :func:`check_class_range`'s.

    For code whose indexing checks its indices itself (:func:`indexing_checks_indices`): the
    data are read only once indexing has failed. Any other error, or any error while the
    value checks are off, passes through unchanged.
    """
    try:
        yield
    except (IndexError, RuntimeError) as error:
        checked = _validate_args and indexing_checks_indices(target)  # (elsewhere, checked beforehand)
        explained = _class_range_error(target, ignored_mask(target, ignore_index), num_classes, ignore_index, what) if checked else None
        if explained is None:
            raise
        raise explained from error


def check_class_indices(target: Tensor, num_classes: int, ignore_index: int | None, what: str = "target"):
    """Class indices in [0, C) or ``ignore_index``, checked on the device.

    Returns ``(indices, ignored)``: int64 indices safe to gather with (ignored positions hold 0)
    and the bool mask of ignored positions (``None`` when ``ignore_index`` is ``None``).
    """
    target = class_targets(target, what)
    ignored = ignored_mask(target, ignore_index)
    check_class_range(target, ignored, num_classes, ignore_index, what)
    return safe_index(target, ignored), ignored


def check_class_layout(input: Tensor, target: Tensor) -> None:
    """``F.cross_entropy``'s layout: input [N, C, d1, ...], target [N, d1, ...]."""
    if not isinstance(target, Tensor):
        raise TypeError(
            f"target must be a torch.Tensor of class indices; got {type(target).__name__} "
            f"(convert it with torch.as_tensor(target))"
        )
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
        raise TypeError(
            f"target must be a torch.Tensor of labels; got {type(target).__name__} (convert it with torch.as_tensor(target))"
        )
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


# ---------------------------------------------------------------- TorchScript


def torchscript_error(name: str) -> RuntimeError:
    """The error a user sees on scripting or tracing a loss (see :func:`refuses_torchscript`)."""
    return RuntimeError(
        f"{name} does not support TorchScript (torch.jit.script, torch.jit.trace): its gradient is a "
        f"custom torch.autograd.Function, which TorchScript can neither script nor save, and TorchScript "
        f"is deprecated (PyTorch 2.13: 'Please switch to torch.compile or torch.export'). To speed up "
        f"training use torch.compile(model); to export, torch.export.export, which captures the loss's "
        f"value (not its backward); or script the network alone and call {name} outside it."
    )


def refuses_torchscript(obj):
    """Mark a loss (function or nn.Module class) as refusing TorchScript, with a clear error.

    ``torch.jit.script`` calls ``__prepare_scriptable__`` on what it compiles: a module and each
    of its submodules, a function, and every function a scripted function calls. Without this
    hook scripting fails deep in the compiler on an annotation; tracing is refused by
    :func:`check_not_traced`, since a traced graph holding the Function could not be saved.
    """
    name = obj.__name__

    def __prepare_scriptable__(*_):
        raise torchscript_error(name)

    obj.__prepare_scriptable__ = __prepare_scriptable__
    return obj


def check_not_traced(name: str) -> None:
    """Refuse ``torch.jit.trace`` (torch.compile and torch.export see False here)."""
    if torch.jit.is_tracing():
        raise torchscript_error(name)
