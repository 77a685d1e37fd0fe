"""Reliability diagrams: a classifier's accuracy against its confidence, bin by bin (notebook 07)."""

from __future__ import annotations

import matplotlib.pyplot as plt
from sklearn.calibration import calibration_curve

from focal_teach.experiments.calibration import calibration_bins, expected_calibration_error, top_label

__all__ = ["reliability_diagram"]


def reliability_diagram(
    probs, labels, n_bins: int = 15, ax=None, title: str | None = None, color: str = "C0", legend: bool = True
):
    """Reliability diagram: accuracy against confidence per bin, with the gap to the diagonal.

    Bars show the accuracy of each non-empty bin (from ``sklearn.calibration.calibration_curve``
    on the top-class confidence); hatched red boxes, lighter than the bars, span from it to the
    bin's mean confidence.
    A calibrated model's bars end on the diagonal; bars below it mean over-confidence, above it
    under-confidence. The number of examples per bin is written above the axis, since a few
    bins usually hold most of them.

    Args:
        probs: ``[N, C]`` class probabilities.
        labels: ``[N]`` class indices.
        n_bins: equal-width bins over (0, 1].
        ax: a matplotlib Axes; a new figure's if ``None``.
        title: the Axes' title.
        color: colour of the accuracy bars.
        legend: draw a legend (with the ECE) in the upper left corner. For a grid of
            diagrams, pass ``False`` and make one legend for the figure.

    Returns:
        The Axes.
    """
    bins = calibration_bins(probs, labels, n_bins)  # checks every argument first
    confidence, correct = top_label(probs, labels)
    accuracy, mean_confidence = calibration_curve(correct, confidence, n_bins=n_bins, strategy="uniform")
    full = bins.count > 0
    left, width = bins.edges[:-1][full], 1.0 / n_bins
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.bar(left, accuracy, width=width, align="edge", color=color, edgecolor="black", linewidth=0.6, label="accuracy")
    # The gap box is filled half-white, so that where it lies inside a bar (under-confidence) it
    # stays visible without colour, in greyscale and on a projector.
    ax.bar(
        left, mean_confidence - accuracy, bottom=accuracy, width=width, align="edge",
        facecolor=(1.0, 1.0, 1.0, 0.6), edgecolor="tab:red", hatch="////", linewidth=0.8, label="gap to mean confidence",
    )
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="calibrated")
    ece = expected_calibration_error(probs, labels, n_bins)
    ax.plot([], [], " ", label=f"ECE = {100 * ece:.1f} %")
    for x, n in zip(left + width / 2, bins.count[full]):
        ax.annotate(
            str(n), (x, 1.0), xytext=(0, 2), textcoords="offset points",
            ha="center", va="bottom", fontsize=7, rotation=90,
        )
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (top-class probability)", ylabel="accuracy")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, pad=24)
    if legend:
        ax.legend(loc="upper left", fontsize=8, frameon=True, framealpha=0.9)
    return ax
