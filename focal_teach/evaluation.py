"""Measuring a classifier on imbalanced data with scikit-learn's metrics, and summarising over seeds.

- :func:`binary_metrics`: average precision (threshold-free) and the minority class's precision,
  recall and F1 at a fixed threshold.
- :func:`classification_metrics`: per-class precision/recall/F1, macro-F1 and balanced accuracy
  from predicted labels, skipping padding (``ignore_index``) for token classification.
- :func:`over_seeds` runs one experiment per seed, with a progress bar, into :class:`SeedResults`,
  which prints ``mean ± std`` tables and paired comparisons.

Every number comes from :mod:`sklearn.metrics`; nothing is hand-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
import torch
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    precision_recall_fscore_support,
)

__all__ = ["binary_metrics", "classification_metrics", "over_seeds", "SeedResults", "Difference"]


def _as_numpy(values, name: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.dtype == object:
        raise TypeError(f"{name} must be an array or tensor of numbers; got {type(values).__name__}")
    return array


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
    y = _as_numpy(y_true, "y_true").reshape(-1)
    s = _as_numpy(scores, "scores").reshape(-1)
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
    y = _as_numpy(y_true, "y_true")
    p = _as_numpy(y_pred, "y_pred")
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


# ---------------------------------------------------------------- over seeds


@dataclass(frozen=True)
class Difference:
    """Paired per-seed differences ``a − b`` of one metric."""

    a: str
    b: str
    metric: str
    values: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    @property
    def std(self) -> float:
        return float(self.values.std(ddof=1)) if len(self.values) > 1 else 0.0

    @property
    def wins(self) -> int:
        """Number of seeds on which ``a`` scored strictly higher than ``b``."""
        return int((self.values > 0).sum())

    def __str__(self) -> str:
        return (
            f"{self.metric}: {self.a} − {self.b} = {self.mean:+.3f} ± {self.std:.3f} "
            f"({self.a} higher on {self.wins}/{len(self.values)} seeds)"
        )


class SeedResults:
    """Metrics of several named runs (e.g. one per loss), each repeated over the same seeds.

    ``results[name]`` is the list of metric dicts of run ``name``, one per seed, in seed order.
    """

    def __init__(self, seeds: Sequence[int], records: Mapping[str, list[dict]]):
        self.seeds = list(seeds)
        self.records = {name: list(runs) for name, runs in records.items()}

    @property
    def names(self) -> list[str]:
        return list(self.records)

    def __getitem__(self, name: str) -> list[dict]:
        return self.records[self._check_name(name)]

    def _check_name(self, name: str) -> str:
        if name not in self.records:
            raise KeyError(f"no run named {name!r}; the runs are {self.names}")
        return name

    def values(self, name: str, metric: str) -> np.ndarray:
        """``[num_seeds]`` values of a scalar metric, or ``[num_seeds, ...]`` of an array metric."""
        runs = self[name]
        if metric not in runs[0]:
            raise KeyError(f"run {name!r} has no metric {metric!r}; it has {sorted(runs[0])}")
        return np.stack([np.asarray(run[metric], dtype=float) for run in runs])

    def mean(self, name: str, metric: str) -> np.ndarray | float:
        value = self.values(name, metric).mean(axis=0)
        return float(value) if np.ndim(value) == 0 else value

    def std(self, name: str, metric: str) -> np.ndarray | float:
        """Sample standard deviation over seeds (ddof = 1)."""
        values = self.values(name, metric)
        value = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros_like(values[0])
        return float(value) if np.ndim(value) == 0 else value

    def difference(self, a: str, b: str, metric: str) -> Difference:
        """Per-seed ``a − b``: the fair way to compare two runs that share their seeds."""
        return Difference(a, b, metric, self.values(a, metric) - self.values(b, metric))

    def table(self, metrics: Mapping[str, str] | Sequence[str], digits: int = 3) -> str:
        """A plain-text table of ``mean ± std`` over seeds, one row per run.

        Args:
            metrics: the scalar metrics to show, as a list, or a mapping metric -> column title.
            digits: decimals shown.
        """
        columns = dict(metrics) if isinstance(metrics, Mapping) else {m: m for m in metrics}
        header = [f"mean ± std over {len(self.seeds)} seeds"] + list(columns.values())
        rows = [header]
        for name in self.names:
            cells = [name]
            for metric in columns:
                values = self.values(name, metric)
                if values.ndim != 1:
                    raise ValueError(f"metric {metric!r} is an array per seed; a table shows scalar metrics only")
                cells.append(f"{self.mean(name, metric):.{digits}f} ± {self.std(name, metric):.{digits}f}")
            rows.append(cells)
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"SeedResults(runs={self.names}, seeds={self.seeds})"


def over_seeds(run: Callable[[int], Mapping[str, Mapping]], seeds: Iterable[int], *, desc: str = "seeds") -> SeedResults:
    """Call ``run(seed)`` for each seed, with a progress bar, and collect what it measured.

    Args:
        run: trains and evaluates everything for one seed; returns ``{run name: {metric: value}}``
            (values are floats or arrays), the same names and metrics for every seed.
        seeds: e.g. ``range(5)``.
        desc: label of the progress bar.

    Returns:
        :class:`SeedResults`.
    """
    from tqdm.auto import tqdm

    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed, e.g. range(5)")
    records: dict[str, list[dict]] = {}
    for seed in tqdm(seeds, desc=desc):
        measured = run(seed)
        if not isinstance(measured, Mapping) or not measured:
            raise TypeError(f"run(seed) must return {{name: {{metric: value}}}}; got {type(measured).__name__}")
        if records and set(measured) != set(records):
            raise ValueError(f"run({seed}) returned runs {sorted(measured)} but earlier seeds returned {sorted(records)}")
        for name, metrics in measured.items():
            records.setdefault(name, []).append(dict(metrics))
    return SeedResults(seeds, records)
