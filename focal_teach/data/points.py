"""Imbalanced points in the plane: a binary problem small enough to draw its decision boundary (notebook 03)."""

from __future__ import annotations

import numpy as np
import torch

from focal_teach._checks import check_int, check_real, check_seed
from focal_teach.data.split import Split

__all__ = ["imbalanced_2d"]


def _draw_2d(n: int, ratio: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_pos = max(1, round(n / (ratio + 1)))
    n_neg = n - n_pos
    negatives = rng.normal(0.0, 1.0, size=(n_neg, 2))
    # Two pockets of positives: one well apart from the negatives (easy), one inside their
    # cloud (hard, overlapping): a classifier must trade the second one against false alarms.
    n_easy = n_pos // 2
    easy = rng.normal((2.3, 2.3), 0.35, size=(n_easy, 2))
    hard = rng.normal((1.4, -1.4), 0.35, size=(n_pos - n_easy, 2))
    x = np.concatenate([negatives, easy, hard]).astype(np.float32)
    y = np.concatenate([np.zeros(n_neg, dtype=np.int64), np.ones(n_pos, dtype=np.int64)])
    order = rng.permutation(n)
    return x[order], y[order]


def imbalanced_2d(
    n_train: int = 4000, n_test: int = 20000, ratio: float = 50.0, seed: int = 0, dtype: torch.dtype = torch.float32
) -> Split:
    """An imbalanced 2-D binary set: ``ratio`` negatives for every positive.

    Negatives are a standard normal cloud. Positives sit in two small pockets (std 0.35): half
    around (2.3, 2.3), mostly apart from the negatives, half around (1.4, −1.4), at the cloud's
    edge, where at ``ratio=50`` negatives are denser than positives even at the pocket's centre
    (P(positive) ≈ 0.37 there). So part of the minority is easy and part is genuinely
    ambiguous. Train and test are drawn from the same distribution, each with exactly
    ``round(n / (ratio + 1))`` positives.

    Args:
        n_train, n_test: number of points in each set.
        ratio: negatives per positive (50 gives 1:50).
        seed: the same seed gives the same tensors.
        dtype: floating dtype of ``x``, the dtype the model will train in. The points are drawn
            in float32 and then converted, so they are the same points in every dtype.

    Returns:
        :class:`Split` with ``x`` of ``dtype``, ``[n, 2]``, and ``y`` long ``[n]`` (1 = positive).
    """
    n_train = check_int(n_train, "n_train", 2)
    n_test = check_int(n_test, "n_test", 2)
    ratio = check_real(ratio, "ratio", minimum=1.0)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch dtype, e.g. torch.float32 or torch.float64; got {dtype!r}")
    rng = np.random.default_rng(check_seed(seed))
    x_train, y_train = _draw_2d(n_train, ratio, rng)
    x_test, y_test = _draw_2d(n_test, ratio, rng)
    return Split(
        torch.from_numpy(x_train).to(dtype), torch.from_numpy(y_train), torch.from_numpy(x_test).to(dtype),
        torch.from_numpy(y_test), ("negative", "positive"),
    )
