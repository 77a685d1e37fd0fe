r"""Calibration of a classifier's probabilities: ECE and temperature scaling.

A classifier is *calibrated* when, among the examples it gives confidence c, a fraction c is
right. As in Guo et al. (2017) and Mukhoti et al. (2020), the confidence is the top-class
probability :math:`\hat p_i = \max_k p_{ik}`, binned into 15 equal-width bins
:math:`B_1, \dots, B_{15}` of (0, 1], and

.. math::

    \mathrm{ECE} = \sum_{b} \frac{|B_b|}{N}\, \bigl|\mathrm{acc}(B_b) - \mathrm{conf}(B_b)\bigr| .

The bins are :func:`sklearn.calibration.calibration_curve`'s ``strategy="uniform"`` bins
(each closed on the right), so :func:`focal_teach.figures.reliability_diagram`, which draws
that function's output, and :func:`expected_calibration_error` agree bin for bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from focal_teach._checks import as_numpy

__all__ = [
    "top_label",
    "CalibrationBins",
    "calibration_bins",
    "expected_calibration_error",
    "ece_sampling_floor",
    "fit_temperature",
]


def top_label(probs, labels) -> tuple[np.ndarray, np.ndarray]:
    """Top-class confidence and whether the top class is right, per example.

    Args:
        probs: ``[N, C]`` class probabilities (rows summing to 1), tensor or array.
        labels: ``[N]`` integer class indices in ``[0, C)``.

    Returns:
        ``(confidence, correct)``: float64 ``[N]`` in [0, 1], and int64 ``[N]`` of 0/1.
    """
    probs, labels = as_numpy(probs, "probs"), as_numpy(labels, "labels")
    if probs.ndim != 2:
        raise ValueError(
            f"probs must be [N, C], one row of class probabilities per example; got shape {probs.shape}. "
            f"For a binary classifier's p = P(y = 1), pass np.stack([1 - p, p], 1)."
        )
    if labels.ndim != 1 or labels.shape[0] != probs.shape[0]:
        raise ValueError(f"labels must be [N] with N = {probs.shape[0]} (probs' rows); got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must hold integer class indices; got {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= probs.shape[1]):
        raise ValueError(f"labels must lie in [0, {probs.shape[1]}) (probs has {probs.shape[1]} columns)")
    if probs.size and (not np.isfinite(probs).all() or probs.min() < 0 or probs.max() > 1):
        raise ValueError(
            "probs must hold probabilities in [0, 1]; if these are logits, pass logits.softmax(1)"
        )
    probs = probs.astype(np.float64)
    return probs.max(1), (probs.argmax(1) == labels).astype(np.int64)


@dataclass
class CalibrationBins:
    """Per bin: ``count``, ``accuracy`` and mean ``confidence`` (NaN for empty bins), and the ``edges``."""

    count: np.ndarray
    accuracy: np.ndarray
    confidence: np.ndarray
    edges: np.ndarray


def calibration_bins(probs, labels, n_bins: int = 15) -> CalibrationBins:
    """Bin the top-class confidence into ``n_bins`` equal-width bins of (0, 1] (see the module docstring).

    Args:
        probs: ``[N, C]`` class probabilities.
        labels: ``[N]`` class indices.
        n_bins: number of bins (15 in Guo et al. and Mukhoti et al.).

    Returns:
        A :class:`CalibrationBins` with arrays of length ``n_bins``.
    """
    n_bins = _check_bins(n_bins)
    confidence, correct = top_label(probs, labels)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], confidence)  # exactly calibration_curve's binning
    count = np.bincount(ids, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.bincount(ids, weights=correct, minlength=n_bins) / count
        mean_confidence = np.bincount(ids, weights=confidence, minlength=n_bins) / count
    return CalibrationBins(count, accuracy, mean_confidence, edges)


def expected_calibration_error(probs, labels, n_bins: int = 15) -> float:
    r"""Expected calibration error over the top-class confidence (see the module docstring).

    .. math::

        \mathrm{ECE} = \sum_{b=1}^{B} \frac{|B_b|}{N}\,
        \bigl|\mathrm{acc}(B_b) - \mathrm{conf}(B_b)\bigr|

    Args:
        probs: ``[N, C]`` class probabilities (``logits.softmax(1)``), tensor or array.
        labels: ``[N]`` integer class indices.
        n_bins: B, equal-width bins over (0, 1]; 15 as in Mukhoti et al.

    Returns:
        ECE in [0, 1], a float (multiply by 100 for the percentages papers report).

    Example:
        >>> probs = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.62, 0.38], [0.3, 0.7]])
        >>> round(expected_calibration_error(probs, torch.tensor([0, 1, 0, 1])), 4)
        0.37
    """
    bins = calibration_bins(probs, labels, n_bins)
    full = bins.count > 0
    if not full.any():
        raise ValueError("ECE of no examples is undefined: probs and labels are empty")
    gaps = np.abs(bins.accuracy[full] - bins.confidence[full])
    return float((bins.count[full] * gaps).sum() / bins.count.sum())


def ece_sampling_floor(probs, n_bins: int = 15, draws: int = 200, seed: int = 0) -> tuple[float, float]:
    """ECE that a *perfectly calibrated* model with these confidences would show on this many examples.

    Draws each example's correctness as a Bernoulli of its top-class confidence (so the model
    is calibrated by construction) and measures the ECE, ``draws`` times. ECE is biased upwards
    on finite samples: differences smaller than this floor are not resolved by the test set.

    Args:
        probs: ``[N, C]`` class probabilities.
        n_bins: as in :func:`expected_calibration_error`.
        draws: number of simulated test sets.
        seed: seeds a private NumPy generator.

    Returns:
        ``(mean, std)`` of the simulated ECE.
    """
    probs = as_numpy(probs, "probs")
    confidence, _ = top_label(probs, np.zeros(len(probs), dtype=np.int64))
    if not isinstance(draws, int) or draws < 1:
        raise ValueError(f"draws must be a positive int; got {draws!r}")
    rng = np.random.default_rng(seed)
    two_class = np.stack([1.0 - confidence, confidence], 1)  # top class as class 1
    values = [
        expected_calibration_error(two_class, (rng.random(confidence.size) < confidence).astype(np.int64), n_bins)
        for _ in range(draws)
    ]
    return float(np.mean(values)), float(np.std(values))


def fit_temperature(logits, labels, max_iter: int = 100) -> float:
    r"""Temperature scaling (Guo et al. 2017): the T > 0 that minimises the NLL of ``softmax(logits / T)``.

    .. math:: T^\star = \arg\min_{T > 0} \; -\frac{1}{N}\sum_i \log \mathrm{softmax}(z_i / T)_{y_i}

    Fit it on held-out data (never the training set, where the NLL is near 0), then use
    ``(logits / T).softmax(1)``. One scalar does not change which class is on top, so accuracy
    is unchanged; T > 1 softens over-confident predictions, T < 1 sharpens under-confident
    ones. Optimised with L-BFGS over log T, in float64.

    Args:
        logits: ``[N, C]`` held-out logits (tensor or array).
        labels: ``[N]`` their class indices.
        max_iter: L-BFGS iterations.

    Returns:
        T, a float.
    """
    z = torch.as_tensor(as_numpy(logits, "logits"), dtype=torch.float64)
    y = torch.as_tensor(as_numpy(labels, "labels"))
    if z.ndim != 2 or y.ndim != 1 or len(y) != len(z) or len(z) == 0:
        raise ValueError(
            f"logits must be [N, C] and labels [N], N > 0; got shapes {tuple(z.shape)} and {tuple(y.shape)}"
        )
    if not torch.isfinite(z).all():
        raise ValueError("logits must be finite")
    if y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"labels must hold integer class indices; got {y.dtype}")
    y = y.long()
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(z / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def _check_bins(n_bins) -> int:
    if not isinstance(n_bins, int) or isinstance(n_bins, bool) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int (15 in Mukhoti et al.); got {n_bins!r}")
    return n_bins
