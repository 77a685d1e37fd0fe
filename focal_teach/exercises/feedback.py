"""What a checker returns: a message that says what is right or wrong, on which input, with a hint.

The helpers here are shared by :mod:`~focal_teach.exercises.checkers` and
:mod:`~focal_teach.exercises.questions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


def call(fn: Callable, *args):
    """(output as a tensor, None) or (None, Feedback-ready description of what went wrong)."""
    try:
        out = fn(*args)
    except NotImplementedError:
        return None, "not implemented yet"
    except Exception as err:  # noqa: BLE001  (the student's error is the feedback)
        return None, f"raised {type(err).__name__}: {err}"
    if out is None:
        return None, "returned None (did you forget `return`?)"
    try:
        return torch.as_tensor(out), None
    except (TypeError, ValueError, RuntimeError):
        return None, f"returned a {type(out).__name__}, not a tensor or number"


def stub(name: str) -> Feedback:
    return Feedback(False, f"✏️ {name}: not implemented yet. Replace `raise NotImplementedError` with your code and run the cell again.")


def fmt(t) -> str:
    t = torch.as_tensor(t)
    if t.numel() == 1:
        return f"{t.item():.4g}"
    return "[" + ", ".join(f"{v:.4g}" for v in t.flatten().tolist()[:6]) + (", …]" if t.numel() > 6 else "]")


def close(a: Tensor, b: Tensor, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    a, b = a.double(), b.double()
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))


# ---------------------------------------------------------------- "implement it" means: not by calling the library

_FOREIGN_PACKAGES = ("torchvision", "kornia")
_FOREIGN_LOSSES = {  # module -> names of its ready-made focal losses
    "torchvision.ops": ("sigmoid_focal_loss",),
    "torchvision.ops.focal_loss": ("sigmoid_focal_loss",),
    "kornia.losses": ("focal_loss", "binary_focal_loss_with_logits", "FocalLoss", "BinaryFocalLossWithLogits"),
    "kornia.losses.focal": ("focal_loss", "binary_focal_loss_with_logits", "FocalLoss", "BinaryFocalLossWithLogits"),
}


class Delegated(BaseException):
    """Raised by a tripwire: the student's code called a library function it was meant to build.

    A ``BaseException``, so that a student's ``except Exception`` does not swallow it."""


def _code_names(code) -> set[str]:
    """Every global or attribute name a code object, or any function nested in it, refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def _global_names(code) -> set[str]:
    """The names a code object (or a function nested in it) looks up as globals, not as attributes."""
    import dis

    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _global_names(const)
    return names


def _banned(own: dict[str, object]) -> dict[int, str]:
    """id(object) -> readable name, for ``own`` (focal_teach's functions) and the loaded libraries' focal losses."""
    import sys

    banned = {id(obj): f"focal_teach's {name}" for name, obj in own.items()}
    for module_name, names in _FOREIGN_LOSSES.items():
        module = sys.modules.get(module_name)
        for name in names:
            if module is not None and hasattr(module, name):
                banned[id(getattr(module, name))] = f"{module_name.split('.')[0]}'s {name}"
    return banned


def delegation(fn: Callable, args: tuple, own: dict[str, object]) -> str | None:
    """The library function ``fn`` calls instead of computing the result itself, or None.

    Two checks. Statically, the names ``fn``'s code refers to (nested functions included) must
    not resolve, in its globals or closure, to one of the ``own`` functions or to torchvision's
    or kornia's focal losses, and must not mention torchvision or kornia at all. Dynamically,
    ``fn(*args)`` runs once while every loaded ``focal_teach``, torchvision and kornia module
    (and ``fn``'s globals and closure) sees a tripwire in place of those functions, so that
    ``focal_teach.focal_loss(...)``, an import inside ``fn``, or a helper that calls the
    library are caught too. Everything is restored afterwards.
    """
    import sys

    import functools

    banned = _banned(own)
    target = fn
    while isinstance(target, functools.partial):
        target = target.func
    for candidate in (target, type(target)):  # the library function itself, or an instance of its module class
        if id(candidate) in banned:
            return banned[id(candidate)]
    code = getattr(fn, "__code__", None)
    scopes: list[dict] = []
    cells = []
    if code is not None:
        names = _code_names(code)
        for package in _FOREIGN_PACKAGES:
            if package in names:
                return f"{package}'s focal loss"
        scopes.append(getattr(fn, "__globals__", {}))
        cells = [cell for cell in (getattr(fn, "__closure__", None) or ()) if _has_contents(cell)]
        for name in _global_names(code):
            for scope in scopes:
                if name in scope and id(scope[name]) in banned:
                    return banned[id(scope[name])]
        for cell in cells:
            if id(cell.cell_contents) in banned:
                return banned[id(cell.cell_contents)]

    fired: list[str] = []

    def tripwire(label):
        def wire(*_args, **_kwargs):
            fired.append(label)
            raise Delegated(label)

        return wire

    patched: list[tuple[dict, str, object]] = []
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith(("focal_teach", *_FOREIGN_PACKAGES)):
            continue
        scopes.append(vars(module))
    for scope in scopes:
        for key, value in list(scope.items()):
            if id(value) in banned:
                patched.append((scope, key, value))
                scope[key] = tripwire(banned[id(value)])
    saved_cells = [(cell, cell.cell_contents) for cell in cells if id(cell.cell_contents) in banned]
    for cell, value in saved_cells:
        cell.cell_contents = tripwire(banned[id(value)])
    try:
        fn(*args)
    except Delegated:
        pass
    except BaseException:  # noqa: BLE001  (the checker proper reports the student's own errors)
        pass
    finally:
        for scope, key, value in reversed(patched):
            scope[key] = value
        for cell, value in saved_cells:
            cell.cell_contents = value
    return fired[0] if fired else None


def _has_contents(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:  # an empty cell
        return False
    return True


def delegates(name: str, fn: Callable, args: tuple, own: dict[str, object], what: str) -> Feedback | None:
    """A failing Feedback if ``fn`` calls a library's version of what it should build, else None."""
    culprit = delegation(fn, args, own)
    if culprit is None:
        return None
    return failed(
        name,
        f"it calls {culprit} instead of computing {what} itself.",
        "the point of the exercise is to build it from torch operations; the library's version is "
        "what the checker compares with.",
    )
