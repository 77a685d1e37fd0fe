r"""Will focal loss help my problem? An answer read off the imbalance map, with its evidence.

:func:`will_focal_loss_help` takes what a user knows (their negatives per positive, or their
class counts; the kind of task; the metric they care about), places it on the map
(:mod:`focal_teach.experiments.imbalance_map`), and says what the map measured there: the
paired gain of the best focal loss over tuned α-balanced CE (detection) or over CE
(classification), with its 95 % interval and sign count, a starting γ and α, and what to try
instead or first. The map is a miniature: it says where the effect is measured, not what a
ResNet on COCO will do; the answer says so when it extrapolates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from focal_teach.experiments.imbalance_map import PAPER_NEG_PER_POS, load_imbalance_map
from focal_teach.experiments.map_reading import Gain, classification_gains, detection_gains, levels

__all__ = ["TASKS", "Advice", "will_focal_loss_help"]

TASKS = {
    "detection": "dense prediction with one sigmoid per output and many easy negatives: one-stage object "
    "detection, dense segmentation, multi-label outputs, a binary detector scanning many candidates",
    "classification": "single-label classification over classes with a long tail of rare classes (softmax)",
}
METRICS = {"detection": ("ap",), "classification": ("macro_f1", "balanced_accuracy", "tail_recall")}


@dataclass(frozen=True)
class Advice:
    """The map's answer for one problem. ``str(advice)`` is the report; the fields are its parts."""

    task: str
    imbalance: float  # negatives per positive (detection) or head/tail ratio (classification)
    nearest: float  # the measured level closest to it (on a log scale)
    extrapolated: bool  # outside the measured range
    verdict: str  # "yes", "no difference measured", "no", "likely"
    summary: str
    gamma: float | None  # a starting γ (None: not focal loss)
    alpha: float | None  # a starting α (detection)
    gains: tuple[Gain, ...] = field(repr=False)  # what the map measured at the nearest level
    try_first: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"Will focal loss help? {self.verdict.upper()}: {self.summary}"]
        where = "beyond the measured range: an extrapolation" if self.extrapolated else "inside the measured range"
        unit = "negatives per positive" if self.task == "detection" else "head/tail ratio"
        lines.append(f"  your problem: {self.task}, {self.imbalance:,.4g} {unit}; nearest level measured "
                     f"{self.nearest:,.0f} ({where})")
        if self.gamma is not None:
            start = f"γ = {self.gamma:g}" + (" (α-balanced CE)" if self.gamma == 0 else "")
            start += f", α = {self.alpha:g}" if self.alpha is not None else ""
            lines.append(f"  start with: {start}")
        lines += [f"  evidence: {e}" for e in self.evidence]
        lines += [f"  try first: {t}" for t in self.try_first]
        return "\n".join(lines)


def _imbalance(imbalance, counts, task) -> float:
    if (imbalance is None) == (counts is None):
        raise TypeError("give exactly one of imbalance= (negatives per positive, or the head/tail ratio) or counts=")
    if counts is not None:
        values = np.asarray(counts, dtype=float).reshape(-1)
        if values.size < 2 or not np.all(np.isfinite(values)) or (values <= 0).any():
            raise ValueError(f"counts must be at least two positive, finite numbers of examples; got {values.tolist()}. "
                             "For detection: counts=(negative outputs, positive outputs); for classification: one count per class")
        if task == "detection":
            if values.size != 2:
                raise ValueError(f"for task='detection' give counts=(negative outputs, positive outputs); got {values.size} counts")
            return float(values[0] / values[1])
        return float(values.max() / values.min())
    if isinstance(imbalance, bool) or not isinstance(imbalance, (int, float, np.integer, np.floating)):
        raise TypeError(f"imbalance must be a number; got {type(imbalance).__name__}")
    imbalance = float(imbalance)
    if not math.isfinite(imbalance) or imbalance <= 0:
        raise ValueError(f"imbalance must be a positive, finite number (negatives per positive, or the head/tail ratio); got {imbalance}")
    return imbalance


def _nearest(value: float, level_list: Sequence[tuple[int, float]]) -> tuple[int, float, bool]:
    ratios = np.array([npp for _, npp in level_list])
    i = int(np.argmin(np.abs(np.log(ratios) - math.log(value))))
    outside = value < ratios.min() / 1.5 or value > ratios.max() * 1.5
    return level_list[i][0], float(ratios[i]), bool(outside)


def _describe(g: Gain, metric: str) -> str:
    d = g.difference
    low, high = d.interval
    return (f"{g.contender} − {g.baseline}: {metric} {d.mean:+.3f} [95 % CI {low:+.3f}, {high:+.3f}], "
            f"higher on {d.wins}/{d.n} seeds")


def will_focal_loss_help(
    imbalance: float | None = None,
    *,
    counts: Sequence[float] | None = None,
    task: str = "detection",
    metric: str | None = None,
    rows: Sequence[dict] | None = None,
) -> Advice:
    """Where a problem sits on the imbalance map, and what the map measured there.

    Args:
        imbalance: negative outputs per positive output (detection), or the ratio of the
            largest class's training examples to the smallest's (classification).
        counts: instead of ``imbalance``: ``(negative outputs, positive outputs)`` for
            detection, one count per class for classification.
        task: ``"detection"`` or ``"classification"`` (:data:`TASKS` says which is which).
        metric: what you care about: ``"ap"`` for detection (the only one measured there);
            ``"macro_f1"`` (default), ``"balanced_accuracy"`` or ``"tail_recall"`` for classification.
        rows: the map's rows (default: the map shipped with the package).

    Returns:
        An :class:`Advice`; print it for the report.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(map(repr, TASKS))}; got {task!r}. "
                         + " ".join(f"{k!r}: {v}." for k, v in TASKS.items()))
    metric = (metric or METRICS[task][0]).lower()
    if metric not in METRICS[task]:
        raise ValueError(f"for task={task!r} the map measured {', '.join(map(repr, METRICS[task]))}; got metric={metric!r}")
    value = _imbalance(imbalance, counts, task)
    rows = load_imbalance_map() if rows is None else rows
    if task == "detection":
        return _detection(value, rows)
    return _classification(value, rows, metric)


def _best_focal(gains: Sequence[Gain]) -> Gain:
    return max((g for g in gains if g.contender.startswith("FL")), key=lambda g: g.difference.mean)


def _detection(value: float, rows) -> Advice:
    level_list = levels(rows, "detection", "adam", 120)
    level, nearest, outside = _nearest(value, level_list)
    short = [g for g in detection_gains(rows, "adam", 120) if g.level == level]
    longer = [g for g in detection_gains(rows, "adam", 360) if g.level == level]
    best = _best_focal(short)
    best_long = _best_focal(longer) if longer else None
    gamma = float(best.contender.split("=")[1]) if "=" in best.contender else None
    evidence = [f"at {nearest:,.0f} negatives per positive, the notebook's budget (120 iterations): " + _describe(best, "AP")]
    if best_long is not None:
        evidence.append("3× the budget (360 iterations): " + _describe(best_long, "AP"))
    others = {g.contender: g for g in short}
    for name in ("random 1:3", "OHEM 1:3", "ASL (γ₋ = 4)"):
        if name in others:
            evidence.append(_describe(others[name], "AP"))
    wins = [best.difference.measured and best.difference.mean > 0]
    if best_long is not None:
        wins.append(best_long.difference.measured and best_long.difference.mean > 0)
    losses = best.difference.measured and best.difference.mean < 0
    baseline_alpha = best.baseline_alpha
    try_first = ["the prior initialisation of the last bias (π = 0.01) and the loss ÷ the positive anchors: they help "
                 "CE and focal loss alike (notebook 06)"]
    if all(wins):
        verdict = "yes"
        summary = (f"here the map measures focal loss ahead of tuned α-balanced CE; start from its best γ and the "
                   f"α tuned for it, then tune α on your validation set")
        alpha = best.alpha
    elif any(wins):
        verdict = "likely"
        summary = "focal loss is ahead at one training budget and not measurably at the other: train long enough to tell"
        alpha = best.alpha
    elif losses:
        verdict = "no"
        summary = "here focal loss trails tuned α-balanced CE; use α-balanced CE (γ = 0) and spend the tuning on α"
        gamma, alpha = 0.0, baseline_alpha
    else:
        verdict = "no difference measured"
        summary = (f"the map cannot tell focal loss from tuned α-balanced CE here; either is fine, and α-balanced CE "
                   "(γ = 0) has one knob fewer")
        gamma, alpha = 0.0, baseline_alpha
    if outside:
        summary += ". Your imbalance is outside the measured range: this is the nearest level's answer, extrapolated"
        if value > nearest:
            summary += (f"; the trend up to {nearest:,.0f} is what to extrapolate (the paper's COCO regime is "
                        f"≈ {PAPER_NEG_PER_POS:,.0f})")
    return Advice("detection", value, nearest, outside, verdict, summary, gamma, alpha, tuple(short + longer),
                  tuple(try_first), tuple(evidence))


def _classification(value: float, rows, metric: str) -> Advice:
    level_list = levels(rows, "classification")
    level, nearest, outside = _nearest(value, level_list)
    gains = [g for g in classification_gains(rows, metric) if g.level == level]
    best = _best_focal(gains)
    by = {g.contender: g for g in gains}
    adjusted, weighted = by.get("logit-adjusted CE"), by.get("weighted CE")
    evidence = [f"at a head/tail ratio of {nearest:,.0f}: " + _describe(best, metric)]
    evidence += [_describe(g, metric) for g in (adjusted, weighted) if g is not None]
    rivals = [g for g in (adjusted, weighted) if g is not None]
    best_rival = max(rivals, key=lambda g: g.difference.mean) if rivals else None
    focal_wins = best.difference.measured and best.difference.mean > 0
    gamma = float(best.contender.split("=")[1]) if "=" in best.contender else None
    try_first = []
    if best_rival is not None and best_rival.difference.mean > best.difference.mean and best_rival.difference.measured:
        try_first.append(f"{best_rival.contender}: {best_rival.difference.mean:+.3f} {metric} over CE here, "
                         f"more than focal loss's {best.difference.mean:+.3f}")
    if focal_wins:
        verdict, summary = "yes", "focal loss is measurably ahead of CE here, though not necessarily of the alternatives below"
    elif best.difference.measured:
        verdict, summary, gamma = "no", "focal loss trails plain CE here", None
    else:
        verdict, summary, gamma = "no difference measured", "the map cannot tell focal loss from plain CE here", None
    if outside:
        summary += ". Your ratio is outside the measured range: this is the nearest level's answer, extrapolated"
    return Advice("classification", value, nearest, outside, verdict, summary, gamma, None, tuple(gains),
                  tuple(try_first), tuple(evidence))
