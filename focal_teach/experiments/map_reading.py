r"""Reading the imbalance map: tuned α, and each method's paired gain over its baseline, level by level.

The map (:func:`~focal_teach.experiments.imbalance_map.load_imbalance_map`) holds one row per
(level, method, γ, α, seed, metric). Reading it the way the paper reads its Tables 1a and 1b:

- **tuning**: for a loss with an α (CE, FL at each γ), the α of highest *validation* AP,
  averaged over the level's seeds (:func:`tuned_alpha`); its *test* AP is what is compared;
- **pairing**: every method was trained from the same seeds (same data, same initial
  weights), so it is compared seed by seed with the baseline, α-balanced CE tuned the same
  way (:func:`detection_gains`): the mean paired difference, its 95 % interval and the sign
  count (:class:`~focal_teach.experiments.seeds.Difference`).

Absolute AP is compared only within a level: how rare the positives are changes with the
level, and with it what a given AP means.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from focal_teach.experiments.seeds import Difference

__all__ = [
    "Contender",
    "Gain",
    "DETECTION_CONTENDERS",
    "CLASSIFICATION_CONTENDERS",
    "levels",
    "tuned_alpha",
    "contender_values",
    "detection_gains",
    "classification_gains",
    "gain_table",
]


@dataclass(frozen=True)
class Contender:
    """A method as the map compares it: ``method`` at ``gamma``; ``alpha="tuned"`` picks α on validation."""

    label: str
    method: str
    gamma: float | None = None
    alpha: float | str | None = None


DETECTION_CONTENDERS = (
    Contender("CE (α = 0.5)", "CE", 0.0, 0.5),
    Contender("α-CE (tuned α)", "CE", 0.0, "tuned"),
    Contender("FL γ = 0.5", "FL", 0.5, "tuned"),
    Contender("FL γ = 1", "FL", 1.0, "tuned"),
    Contender("FL γ = 2", "FL", 2.0, "tuned"),
    Contender("FL γ = 5", "FL", 5.0, "tuned"),
    Contender("OHEM 1:3", "OHEM 1:3"),
    Contender("random 1:3", "random 1:3"),
    Contender("ASL (γ₋ = 4)", "ASL", 4.0),
)
"""The detection methods the map compares, each FL with its α tuned as in Table 1b."""

CLASSIFICATION_CONTENDERS = (
    Contender("CE", "CE", 0.0),
    Contender("weighted CE", "weighted CE", 0.0),
    Contender("FL γ = 1", "FL", 1.0),
    Contender("FL γ = 2", "FL", 2.0),
    Contender("weighted FL γ = 2", "weighted FL", 2.0),
    Contender("logit-adjusted CE", "logit-adjusted CE"),
)


def _select(rows: Iterable[dict], **where) -> list[dict]:
    return [r for r in rows if all(r[k] == v for k, v in where.items())]


def levels(rows: Sequence[dict], task: str = "detection", optimizer: str | None = None, iterations: int | None = None) -> list[tuple[int, float]]:
    """``(level, measured neg_per_pos)`` of a task, in increasing order (optionally of one optimizer and budget)."""
    where = {"task": task}
    if optimizer is not None:
        where["optimizer"] = optimizer
    if iterations is not None:
        where["iterations"] = iterations
    found = {(r["level"], r["neg_per_pos"]) for r in _select(rows, **where)}
    return sorted(found)


def _by_seed(rows: Iterable[dict]) -> dict[int, float]:
    values = {}
    for r in rows:
        if r["seed"] in values:
            raise ValueError(f"two rows for seed {r['seed']} of {r['method']} (γ = {r['gamma']}, α = {r['alpha']}): "
                             "select one level, optimizer and budget")
        values[r["seed"]] = r["value"]
    return values


def tuned_alpha(rows: Sequence[dict], level: int, method: str, gamma: float, optimizer: str = "adam",
                iterations: int = 120) -> float:
    """The α of highest validation AP (mean over the level's seeds) for ``method`` at ``gamma``."""
    candidates = _select(rows, task="detection", level=level, method=method, gamma=gamma, optimizer=optimizer,
                         iterations=iterations, metric="validation_ap")
    by_alpha: dict[float, list[float]] = defaultdict(list)
    for r in candidates:
        by_alpha[r["alpha"]].append(r["value"])
    if not by_alpha:
        raise ValueError(f"the map has no {method} (γ = {gamma}) at level {level} with {optimizer}, {iterations} iterations")
    return max(sorted(by_alpha, key=lambda a: (a is None, a)), key=lambda a: np.mean(by_alpha[a]))


def contender_values(rows: Sequence[dict], contender: Contender, level: int, optimizer: str = "adam",
                     iterations: int = 120, metric: str = "test_ap") -> tuple[dict[int, float], float | None]:
    """``({seed: value}, α used)`` of one contender at one level (α tuned on validation where it says so)."""
    alpha = contender.alpha
    if alpha == "tuned":
        alpha = tuned_alpha(rows, level, contender.method, contender.gamma, optimizer, iterations)
    where = dict(level=level, method=contender.method, optimizer=optimizer, iterations=iterations, metric=metric)
    found = [r for r in _select(rows, **where) if r["gamma"] == contender.gamma and r["alpha"] == alpha]
    return _by_seed(found), alpha


@dataclass(frozen=True)
class Gain:
    """One contender against the baseline at one level: the paired difference over seeds."""

    level: int
    neg_per_pos: float
    contender: str
    baseline: str
    alpha: float | None  # the contender's α (tuned or fixed); None where it has none
    baseline_alpha: float | None
    difference: Difference
    mean_value: float  # the contender's mean over the seeds
    baseline_value: float


def _gains(rows, task, contenders, baseline, level_list, optimizer, iterations, metric) -> list[Gain]:
    gains = []
    for level, neg_per_pos in level_list:
        base, base_alpha = contender_values(rows, baseline, level, optimizer, iterations, metric)
        if not base:
            continue
        for contender in contenders:
            try:
                values, alpha = contender_values(rows, contender, level, optimizer, iterations, metric)
            except ValueError:
                continue
            seeds = sorted(set(values) & set(base))
            if not seeds:
                continue
            a, b = np.array([values[s] for s in seeds]), np.array([base[s] for s in seeds])
            gains.append(Gain(level, neg_per_pos, contender.label, baseline.label, alpha, base_alpha,
                              Difference(contender.label, baseline.label, metric, a - b), float(a.mean()), float(b.mean())))
    return gains


def detection_gains(rows: Sequence[dict], optimizer: str = "adam", iterations: int = 120, metric: str = "test_ap",
                    contenders: Sequence[Contender] = DETECTION_CONTENDERS,
                    baseline: Contender = DETECTION_CONTENDERS[1]) -> list[Gain]:
    """Every contender against α-balanced CE (tuned α), at every detection level of this optimizer and budget."""
    level_list = levels(rows, "detection", optimizer, iterations)
    return _gains(rows, "detection", [c for c in contenders if c != baseline], baseline, level_list, optimizer,
                  iterations, metric)


def classification_gains(rows: Sequence[dict], metric: str = "macro_f1",
                         contenders: Sequence[Contender] = CLASSIFICATION_CONTENDERS,
                         baseline: Contender = CLASSIFICATION_CONTENDERS[0]) -> list[Gain]:
    """Every contender against plain CE, at every head/tail ratio, on ``metric`` (``macro_f1``,
    ``balanced_accuracy`` or ``tail_recall``)."""
    level_list = levels(rows, "classification")
    out = []
    for level, ratio in level_list:
        for contender in contenders:
            if contender == baseline:
                continue
            where = dict(task="classification", level=level, metric=metric)
            a = _by_seed(r for r in _select(rows, method=contender.method, **where) if r["gamma"] == contender.gamma)
            b = _by_seed(r for r in _select(rows, method=baseline.method, **where) if r["gamma"] == baseline.gamma)
            seeds = sorted(set(a) & set(b))
            if not seeds:
                continue
            x, y = np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])
            out.append(Gain(level, ratio, contender.label, baseline.label, None, None,
                            Difference(contender.label, baseline.label, metric, x - y), float(x.mean()), float(y.mean())))
    return out


def gain_table(gains: Sequence[Gain], contenders: Sequence[str] | None = None, digits: int = 3) -> str:
    """A plain-text table: one row per level, one column per contender: mean gain [95 % interval] wins/n."""
    names = list(dict.fromkeys(g.contender for g in gains)) if contenders is None else list(contenders)
    by = {(g.level, g.contender): g for g in gains}
    level_list = sorted({(g.level, g.neg_per_pos) for g in gains})
    header = ["neg/pos"] + names
    lines = []
    for level, npp in level_list:
        cells = [f"{npp:,.0f}"]
        for name in names:
            g = by.get((level, name))
            if g is None:
                cells.append("")
                continue
            low, high = g.difference.interval
            cells.append(f"{g.difference.mean:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}] "
                         f"{g.difference.wins}/{g.difference.n}")
        lines.append(cells)
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    out = ["  ".join(h.rjust(w) for h, w in zip(header, widths)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in lines]
    return "\n".join(out)
