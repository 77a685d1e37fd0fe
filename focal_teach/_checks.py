"""Argument checks shared by the course's helpers (the loss library has its own, in ``losses/_validation.py``)."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch

from focal_teach.losses._validation import check_real

__all__ = ["as_numpy", "check_int", "check_real", "check_seed"]


def check_int(value, name: str, minimum: int) -> int:
    """An int (not a bool) ≥ ``minimum``."""
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}; got {value}")
    return int(value)


def check_seed(seed) -> int:
    return check_int(seed, "seed", 0)


def as_numpy(values, name: str) -> np.ndarray:
    """A tensor (detached, on the CPU), array or sequence of numbers as a NumPy array."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.dtype == object:
        raise TypeError(f"{name} must be an array or tensor of numbers; got {type(values).__name__}")
    return array
