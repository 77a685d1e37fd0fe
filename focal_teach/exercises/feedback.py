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
