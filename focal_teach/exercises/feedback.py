"""What a checker returns, and how it runs a student's function: a message that says what is right
or wrong, on which input, with a hint; and a watch that refuses a call into a ready-made loss.

The helpers here are shared by :mod:`~focal_teach.exercises.checkers` and
:mod:`~focal_teach.exercises.questions`.
"""

from __future__ import annotations

import dis
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

__all__ = ["Feedback"]


@dataclass(frozen=True)
class Feedback:
    """The outcome of a check; shows as its message in a notebook, and is truthy when passed."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message


def passed(name: str, detail: str) -> Feedback:
    return Feedback(True, f"✅ {name}: correct {detail}.")


def failed(name: str, what: str, hint: str) -> Feedback:
    return Feedback(False, f"❌ {name}: {what}\n   Hint: {hint}")


def stub(name: str) -> Feedback:
    return Feedback(False, f"✏️ {name}: not implemented yet. Replace `raise NotImplementedError` with your code and run the cell again.")


def fmt(t) -> str:
    t = torch.as_tensor(t)
    if t.numel() == 1:
        return f"{t.item():.4g}"
    return "[" + ", ".join(f"{v:.4g}" for v in t.flatten().tolist()[:6]) + (", …]" if t.numel() > 6 else "]")


def close(a: Tensor, b: Tensor, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))


# ---------------------------------------------------------------- "implement it" means: not by calling a library
#
# Two guards. Statically, the names a student's function refers to (nested functions included)
# must not resolve to anything focal_teach defines, and must not name torchvision or kornia.
# Dynamically, every call of the student's function runs under a profile hook that notes the
# first Python frame it enters in focal_teach's own files (public or private: the losses, their
# _kernels, the terms, the calibration helpers...) or in a library's focal loss. A thin wrapper,
# an import inside the function, a helper, a closure, functools.partial, getattr or
# autograd.Function.apply are all caught, on every input the checker tries, not on one probe.
# torch's own building blocks (log_softmax, logsigmoid, F.cross_entropy, F.nll_loss,
# F.binary_cross_entropy_with_logits, with their weight, pos_weight and ignore_index) are
# allowed: they give -log p_t, and the checkers test what each exercise is about on its own.

_PACKAGE_DIRS = tuple({str(Path(__file__).parents[1]) + os.sep, str(Path(__file__).resolve().parents[1]) + os.sep})
_FOREIGN_PACKAGES = ("torchvision", "kornia")  # refused by name, loaded or not
_FOREIGN_FILES = {  # path suffix of a library's ready-made focal loss (or ECE) -> how to name it
    "torchvision/ops/focal_loss.py": "torchvision's sigmoid_focal_loss",
    "kornia/losses/focal.py": "kornia's focal loss",
    "focal_loss/focal_loss.py": "focal-loss-torch's FocalLoss",
    "monai/losses/focal_loss.py": "MONAI's FocalLoss",
    "segmentation_models_pytorch/losses/focal.py": "segmentation_models_pytorch's FocalLoss",
    "segmentation_models_pytorch/losses/_functional.py": "segmentation_models_pytorch's focal_loss_with_logits",
    "torchmetrics/functional/classification/calibration_error.py": "torchmetrics' calibration_error",
}
_FOREIGN_LOSSES = {  # loaded module -> names of its ready-made focal losses (also catches stand-ins and aliases)
    "torchvision.ops": ("sigmoid_focal_loss",),
    "torchvision.ops.focal_loss": ("sigmoid_focal_loss",),
    "kornia.losses": ("focal_loss", "binary_focal_loss_with_logits", "FocalLoss", "BinaryFocalLossWithLogits"),
    "kornia.losses.focal": ("focal_loss", "binary_focal_loss_with_logits", "FocalLoss", "BinaryFocalLossWithLogits"),
}


def _code_names(code) -> set[str]:
    """Every global or attribute name a code object, or any function nested in it, refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def _global_names(code) -> set[str]:
    """The names a code object (or a function nested in it) looks up as globals, not as attributes."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _global_names(const)
    return names


def _foreign_functions() -> dict[int, str]:
    """id(function) -> readable name, for the loaded libraries' focal losses."""
    found = {}
    for module_name, names in _FOREIGN_LOSSES.items():
        module = sys.modules.get(module_name)
        for name in names:
            if module is not None and hasattr(module, name):
                found[id(getattr(module, name))] = f"{module_name.split('.')[0]}'s {name}"
    return found


def _library_object(obj) -> str | None:
    """How to name ``obj`` if focal_teach or a library's focal loss defines it, else None."""
    foreign = _foreign_functions()
    if id(obj) in foreign:
        return foreign[id(obj)]
    if isinstance(obj, type(sys)):  # a module: only what is called from it counts (dynamic guard)
        return None
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "")
    if isinstance(module, str) and (module == "focal_teach" or module.startswith("focal_teach.")):
        name = getattr(obj, "__name__", None) or type(obj).__name__
        return f"focal_teach's {name}"
    return None


def static_delegation(fn: Callable) -> str | None:
    """The library function ``fn``'s code refers to, by name, closure or partial, or None."""
    target = fn
    while isinstance(target, functools.partial):
        if (culprit := _library_object(target.func)) is not None:
            return culprit
        target = target.func
    if (culprit := _library_object(target)) is not None:  # the library's function or module itself
        return culprit
    code = getattr(target, "__code__", None)
    if code is None:
        return None
    names = _code_names(code)
    for package in _FOREIGN_PACKAGES:
        if package in names:
            return f"{package}'s focal loss"
    scope = getattr(target, "__globals__", {})
    for name in _global_names(code):
        if name in scope and (culprit := _library_object(scope[name])) is not None:
            return culprit
    for cell in getattr(target, "__closure__", None) or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if (culprit := _library_object(contents)) is not None:
            return culprit
    return None


def _frame_culprit(frame, foreign_codes: dict[int, str]) -> str | None:
    code = frame.f_code
    if id(code) in foreign_codes:
        return foreign_codes[id(code)]
    filename = code.co_filename
    if filename.startswith(_PACKAGE_DIRS):
        qualname = getattr(code, "co_qualname", code.co_name)  # Python 3.11+
        name = qualname.split(".")[0]
        if "." in qualname and code.co_argcount:  # a method: name the class it was called on (cls or self)
            receiver = frame.f_locals.get(code.co_varnames[0])
            name = receiver.__name__ if isinstance(receiver, type) else type(receiver).__name__
        module = frame.f_globals.get("__name__", "focal_teach")
        return f"focal_teach's {name}" + (f" ({module})" if name.startswith("_") else "")
    posix = filename.replace(os.sep, "/")
    for suffix, label in _FOREIGN_FILES.items():
        if posix.endswith(suffix):
            return label
    return None


def watched_call(fn: Callable, *args):
    """``fn(*args)``, and the readable name of the first call it made into focal_teach or a
    library's focal loss (None if none): ``(result, None, culprit)``, or ``(None, error, culprit)``.

    A profile hook only watches (it never raises), so a student's ``try``/``except`` cannot hide
    the call; ``NotImplementedError`` and other exceptions come back as the error.
    """
    seen: list[str] = []
    foreign_codes = {}
    for module_name, names in _FOREIGN_LOSSES.items():
        module = sys.modules.get(module_name)
        for name in names:
            code = getattr(getattr(module, name, None), "__code__", None)
            if code is not None:
                foreign_codes[id(code)] = f"{module_name.split('.')[0]}'s {name}"

    def profile(frame, event, _arg):
        if event == "call" and not seen and (culprit := _frame_culprit(frame, foreign_codes)) is not None:
            seen.append(culprit)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result, error = fn(*args), None
    except Exception as err:  # noqa: BLE001  (the student's error is the feedback)
        result, error = None, err
    finally:
        sys.setprofile(previous)
    return result, error, (seen[0] if seen else None)


def delegation_feedback(name: str, culprit: str, what: str) -> Feedback:
    return failed(
        name,
        f"it calls {culprit} instead of computing {what} itself.",
        "the point of the exercise is to build it from torch operations; the library's version is "
        "what the checker compares with.",
    )
