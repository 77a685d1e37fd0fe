"""Pictures of trained classifiers on imbalanced data: boundaries, PR curves, per-class bars, confusions.

Each function draws on a matplotlib ``Axes`` it is given (from pyplot, or from a bare
``matplotlib.figure.Figure`` in an explorer), labels it, and returns what it drew.

- :class:`DecisionBoundary`: a 2-D binary classifier's P(positive) and its boundary at a
  threshold, redrawn in place for a new model.
- :func:`plot_pr_curves`: precision–recall curves (scikit-learn's ``PrecisionRecallDisplay``)
  with each model's operating point at a fixed threshold; each run has its own line style and
  marker, so the figure reads without colour.
- :func:`plot_class_counts`, :func:`plot_per_class`: bars per class, for counts, weights, or a
  metric's mean ± std over seeds.
- :func:`plot_confusion_matrix`: scikit-learn's ``ConfusionMatrixDisplay``, row-normalised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay

from focal_teach._checks import as_numpy
from focal_teach.experiments import binary_metrics, predict
from focal_teach.figures.style import LINESTYLES, NEGATIVE_COLOR, POSITIVE_COLOR, check_ax, run_colors

RUN_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<")
"""Markers of the runs' operating points, in the order given (with :data:`LINESTYLES` for their curves)."""

__all__ = [
    "RUN_MARKERS",
    "DecisionBoundary",
    "plot_pr_curves",
    "plot_class_counts",
    "plot_per_class",
    "plot_confusion_matrix",
]


def _check_threshold(threshold) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be a probability strictly between 0 and 1; got {threshold!r}")
    return float(threshold)


# ---------------------------------------------------------------- 2-D decision boundary


class DecisionBoundary:
    """A binary classifier of 2-D points: P(positive) as a shaded map, and its boundary at ``threshold``.

    Args:
        ax: where to draw.
        x: ``[N, 2]`` points to scatter (e.g. the training set) and whose extent sets the view.
        y: ``[N]`` labels, 1 = positive (red triangles, on top), 0 = negative (grey dots).
            The probability map runs from white (P = 0) to dark blue (P = 1): lighter is less
            likely positive, in colour and in greyscale alike.
        threshold: the boundary drawn is ``P(positive) = threshold``.
        resolution: grid points per axis for the probability map.
        colorbar: add a colour bar for P(positive).

    Call :meth:`draw` with a model (maps ``[M, 2]`` float points to ``[M]`` logits of the
    positive class) to show it; call it again with another model to update the same artists.
    The map is computed in the dtype of the model's parameters (float32 if it has none).
    """

    def __init__(self, ax, x, y, *, threshold: float = 0.5, resolution: int = 150, colorbar: bool = True):
        self.ax = check_ax(ax)
        x = as_numpy(x, "x")
        y = as_numpy(y, "y").reshape(-1)
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"x must be 2-D points of shape [N, 2]; got {x.shape}")
        if len(y) != len(x):
            raise ValueError(f"x has {len(x)} points but y has {len(y)} labels")
        self.threshold = _check_threshold(threshold)
        lo, hi = x.min(0), x.max(0)
        pad = 0.05 * (hi - lo)
        lo, hi = lo - pad, hi + pad
        self.extent = (lo[0], hi[0], lo[1], hi[1])
        g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
        self._grid = torch.from_numpy(np.stack([g0.ravel(), g1.ravel()], 1).astype(np.float32))
        self._shape = g0.shape
        self._g0, self._g1 = g0, g1
        self.image = ax.imshow(
            np.zeros(self._shape), extent=self.extent, origin="lower", aspect="auto",
            cmap="Blues", vmin=0.0, vmax=1.0, alpha=0.7, interpolation="bilinear",
        )
        negative, positive = y == 0, y == 1
        ax.scatter(*x[negative].T, s=4, color=NEGATIVE_COLOR, alpha=0.35, lw=0, label=f"negative ({negative.sum()})")
        ax.scatter(*x[positive].T, s=22, marker="^", color=POSITIVE_COLOR, edgecolor="white", lw=0.5,
                   label=f"positive ({positive.sum()})")
        self.contour = None
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        if colorbar:
            bar = ax.figure.colorbar(self.image, ax=ax, fraction=0.046, pad=0.03)
            bar.set_label("P(positive)")

    def draw(self, model: torch.nn.Module) -> np.ndarray:
        """Show ``model``'s P(positive) and its boundary; returns the probability map ``[res, res]``."""
        floating = [p for p in model.parameters() if p.is_floating_point()]
        grid = self._grid.to(floating[0].dtype) if floating else self._grid
        probability = predict(model, grid).sigmoid().reshape(self._shape).double().numpy()
        self.image.set_data(probability)
        if self.contour is not None:
            self.contour.remove()
        self.contour = self.ax.contour(
            self._g0, self._g1, probability, levels=[self.threshold], colors="black", linewidths=1.5
        )
        return probability


# ---------------------------------------------------------------- precision-recall


def plot_pr_curves(ax, y_true, scores: Mapping[str, object], *, threshold: float = 0.5, colors: Mapping | None = None) -> dict:
    """Precision–recall curves of several scorers on the same labels, each with its point at ``threshold``.

    Args:
        ax: where to draw.
        y_true: ``[N]`` labels, 1 = positive.
        scores: run name -> ``[N]`` probabilities of the positive class.
        threshold: marks each curve's operating point, where a score ≥ ``threshold`` counts as positive.
        colors: run name -> colour (default :func:`run_colors`).

    Returns:
        run name -> scikit-learn's ``PrecisionRecallDisplay`` (its legend label carries the AP).
        The i-th run's curve has line style ``LINESTYLES[i]`` and its operating point marker
        ``RUN_MARKERS[i]``; the legend shows both.
    """
    ax = check_ax(ax)
    threshold = _check_threshold(threshold)
    colors = dict(colors) if colors is not None else run_colors(list(scores))
    y = as_numpy(y_true, "y_true").reshape(-1)
    displays = {}
    for i, (name, s) in enumerate(scores.items()):
        s = as_numpy(s, f"scores[{name!r}]").reshape(-1)
        display = PrecisionRecallDisplay.from_predictions(y, s, name=name, ax=ax)
        at = binary_metrics(y, s, threshold)
        marker = RUN_MARKERS[i % len(RUN_MARKERS)]
        # The curve carries its marker at the operating point only, so that the legend shows line and marker.
        on_curve = np.flatnonzero(np.isclose(display.recall, at["recall"]) & np.isclose(display.precision, at["precision"]))
        display.line_.set(  # styled here: the keyword changed across sklearn versions
            color=colors[name], lw=1.6, ls=LINESTYLES[i % len(LINESTYLES)],
            marker=marker, markevery=list(on_curve[:1]), ms=8, mec="black", mew=0.8,
        )
        displays[name] = display
        ax.plot(at["recall"], at["precision"], marker, color=colors[name], ms=8, mec="black", mew=0.8, zorder=5)
    prevalence = float((y == 1).mean())
    ax.axhline(prevalence, color="0.5", lw=1, ls=":", label=f"chance (AP = {prevalence:.2f})")
    ax.plot([], [], " ", label=f"markers: operating points at threshold {threshold:g}")  # a legend line without a symbol
    ax.set_xlabel("recall (fraction of positives found)")
    ax.set_ylabel("precision (fraction of alarms that are positives)")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.03)
    ax.legend(loc="lower left", fontsize=8)
    return displays


# ---------------------------------------------------------------- per class


def plot_class_counts(ax, counts, class_names: Sequence[str], *, test_counts=None, log: bool = False, title: str | None = None):
    """Examples per class as bars labelled with their count; the test set's counts as a marker.

    Args:
        counts: ``[C]`` training examples per class (e.g. ``focal_teach.class_counts``).
        class_names: ``C`` tick labels.
        test_counts: optional ``[C]`` test examples per class, drawn as black ticks.
        log: logarithmic y axis (for long tails).

    Returns:
        The bar container.
    """
    ax = check_ax(ax)
    counts = as_numpy(counts, "counts").reshape(-1)
    if len(counts) != len(class_names):
        raise ValueError(f"counts has {len(counts)} entries but class_names has {len(class_names)}")
    positions = np.arange(len(counts))
    bars = ax.bar(positions, counts, color="#4c72b0", label="training set")
    ax.bar_label(bars, labels=[str(int(c)) for c in counts], fontsize=8, padding=2)
    if test_counts is not None:
        test_counts = as_numpy(test_counts, "test_counts").reshape(-1)
        ax.scatter(positions, test_counts, marker="_", s=400, color="black", lw=2, label="test set", zorder=3)
    ax.set_xticks(positions, list(class_names))
    ax.set_ylabel("examples per class" + (" (log scale)" if log else ""))
    if log:
        ax.set_yscale("log")
    top = max(counts.max(), test_counts.max() if test_counts is not None else 0)
    ax.set_ylim(top=top * (3 if log else 1.15))
    if title:
        ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper right", fontsize=8)
    return bars


HATCHES = ("", "///", "...", "xxx", "\\\\\\", "ooo")
"""Hatch patterns of :func:`plot_per_class`'s runs, in order: tell bars apart without colour."""


def plot_per_class(
    ax,
    values: Mapping[str, object],
    class_names: Sequence[str],
    *,
    ylabel: str,
    colors: Mapping | None = None,
    log: bool = False,
    legend_loc: str = "best",
    hatches: Mapping | None = None,
):
    """Grouped bars, one group per class and one bar per run: a per-class metric or weight.

    Each run has its colour and its hatch pattern (the first run plain), so the runs stay
    apart in greyscale and for readers who do not see the colours (WCAG 2.1, 1.4.1).

    Args:
        values: run name -> ``[C]`` values, or ``[num_seeds, C]`` values over seeds (bars show
            the mean, error bars the sample standard deviation).
        class_names: ``C`` tick labels (e.g. ``"9\\n(n=2)"`` to show training counts).
        ylabel: what the bars measure.
        colors: run name -> colour (default :func:`run_colors`).
        log: logarithmic y axis.
        hatches: run name -> hatch pattern (default :data:`HATCHES` in the order given).

    Returns:
        run name -> bar container.
    """
    ax = check_ax(ax)
    colors = dict(colors) if colors is not None else run_colors(list(values))
    hatches = dict(hatches) if hatches is not None else {name: HATCHES[i % len(HATCHES)] for i, name in enumerate(values)}
    num_classes = len(class_names)
    width = 0.8 / max(len(values), 1)
    containers = {}
    for i, (name, v) in enumerate(values.items()):
        v = as_numpy(v, f"values[{name!r}]").astype(float)
        if v.shape[-1] != num_classes or v.ndim not in (1, 2):
            raise ValueError(f"values[{name!r}] must be [C] or [num_seeds, C] with C = {num_classes}; got {v.shape}")
        mean = v if v.ndim == 1 else v.mean(0)
        err = None if v.ndim == 1 or len(v) < 2 else v.std(0, ddof=1)
        offset = (i - (len(values) - 1) / 2) * width
        containers[name] = ax.bar(
            np.arange(num_classes) + offset, mean, width, yerr=err, color=colors[name], label=name,
            hatch=hatches[name], edgecolor="white", linewidth=0,  # white hatch lines show on any colour
            error_kw={"elinewidth": 0.8, "capsize": 1.5, "ecolor": "0.25"},
        )
    ax.set_xticks(np.arange(num_classes), list(class_names))
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc=legend_loc, fontsize=8)
    return containers


def plot_confusion_matrix(ax, y_true, y_pred, class_names: Sequence[str], *, title: str | None = None, values: bool = True):
    """Row-normalised confusion matrix (scikit-learn's ``ConfusionMatrixDisplay``): each row is a true class's recall spread.

    Args:
        y_true, y_pred: ``[N]`` true and predicted class indices.
        class_names: ``C`` labels for the axes.
        values: print each cell's fraction (as a percentage, blank when 0).

    Returns:
        The ``ConfusionMatrixDisplay`` (``.im_`` is the image, for a shared colour bar).
    """
    ax = check_ax(ax)
    y = as_numpy(y_true, "y_true").reshape(-1)
    p = as_numpy(y_pred, "y_pred").reshape(-1)
    display = ConfusionMatrixDisplay.from_predictions(
        y, p, labels=np.arange(len(class_names)), display_labels=list(class_names), normalize="true",
        ax=ax, colorbar=False, cmap="Blues", include_values=False, im_kw={"vmin": 0.0, "vmax": 1.0},
    )
    if values:
        matrix = display.confusion_matrix
        for (i, j), fraction in np.ndenumerate(matrix):
            if fraction >= 0.005:
                ax.text(j, i, f"{100 * fraction:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if fraction > 0.5 else "black")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(title)
    return display
