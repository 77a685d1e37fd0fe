"""Measuring a classifier on imbalanced data with scikit-learn's metrics.

- :func:`binary_metrics`: average precision (threshold-free) and the minority class's precision,
  recall and F1 at a fixed threshold.
- :func:`classification_metrics`: per-class precision/recall/F1, macro-F1 and balanced accuracy
  from predicted labels, skipping padding (``ignore_index``) for token classification.

Every number comes from :mod:`sklearn.metrics`; nothing is hand-written.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    precision_recall_fscore_support,
)

from focal_teach._checks import as_numpy

__all__ = ["binary_metrics", "classification_metrics"]


def binary_metrics(y_true, scores, threshold: float = 0.5) -> dict[str, float]:
    """How well ``scores`` find the positives: threshold-free, and at a fixed ``threshold``.

    Args:
        y_true: labels ``[N]``, 1 for the (rare) positive class, 0 otherwise.
        scores: ``[N]`` probabilities of the positive class (e.g. ``logits.sigmoid()``). Any
            increasing function of them gives the same average precision, but ``threshold``
            applies to these values.
        threshold: a point is predicted positive when its score is ≥ ``threshold``.

    Returns:
        ``average_precision`` (area under the precision–recall curve, as
        ``sklearn.metrics.average_precision_score``: it ranks, it does not threshold); and, at
        ``threshold``, the positive class's ``precision``, ``recall`` and ``f1``
        (``precision_recall_fscore_support``, 0 when nothing is predicted positive) and the
        ``balanced_accuracy`` (mean recall of both classes).
    """
    y = as_numpy(y_true, "y_true").reshape(-1)
    s = as_numpy(scores, "scores").reshape(-1)
    if y.shape != s.shape:
        raise ValueError(f"y_true and scores must have one value per example; got {y.size} and {s.size}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"y_true must hold binary labels 0/1; found {sorted(set(np.unique(y).tolist()) - {0, 1})[:5]}")
    if not (y == 1).any():
        raise ValueError("y_true has no positive example: average precision and recall are undefined")
    if not isinstance(threshold, Real) or isinstance(threshold, bool):
        raise TypeError(f"threshold must be a number; got {type(threshold).__name__}")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or inf: check the model's output")
    predicted = (s >= threshold).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, predicted, labels=[1], average=None, zero_division=0.0
    )
    return {
        "average_precision": float(average_precision_score(y, s)),
        "precision": float(precision[0]),
        "recall": float(recall[0]),
        "f1": float(f1[0]),
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted)),
    }


def classification_metrics(y_true, y_pred, num_classes: int, *, ignore_index: int | None = None) -> dict:
    """Per-class and averaged scores of predicted class labels.

    Args:
        y_true: true class indices, any shape (``[N]``, or ``[B, T]`` for tokens).
        y_pred: predicted class indices, same shape (e.g. ``logits.argmax(-1)``).
        num_classes: C; classes absent from both get 0 (scikit-learn's ``zero_division=0``).
        ignore_index: positions whose true label is this value (padding) are left out.

    Returns:
        A dict of floats ``accuracy``, ``balanced_accuracy`` (mean per-class recall over the
        classes present), ``macro_f1`` (mean F1 over all C classes), and ``[C]`` NumPy arrays
        ``precision``, ``recall``, ``f1``, ``support`` (number of true examples per class).
    """
    y = as_numpy(y_true, "y_true")
    p = as_numpy(y_pred, "y_pred")
    if y.shape != p.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {y.shape} and {p.shape}. "
            f"Did you forget the argmax over classes (y_pred = logits.argmax(-1))?"
        )
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int ≥ 2; got {num_classes!r}")
    y, p = y.reshape(-1), p.reshape(-1)
    if ignore_index is not None:
        keep = y != ignore_index
        y, p = y[keep], p[keep]
    if y.size == 0:
        raise ValueError("no labelled position to evaluate (all are ignore_index?)")
    for name, values in (("y_true", y), ("y_pred", p)):
        if values.min() < 0 or values.max() >= num_classes:
            hint = " Pass ignore_index= for padding." if name == "y_true" else ""
            raise ValueError(f"{name} holds labels outside [0, {num_classes}): {values.min()}..{values.max()}.{hint}")
    labels = np.arange(num_classes)
    precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=labels, zero_division=0.0)
    return {
        "accuracy": float((y == p).mean()),
        "balanced_accuracy": float(balanced_accuracy_score(y, p)),
        "macro_f1": float(f1.mean()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
    }
