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
    "SGD_CONTENDERS",
    "CLASSIFICATION_CONTENDERS",
    "levels",
    "tuned_alpha",
    "contender_values",
    "paired_difference",
    "detection_gains",
    "classification_gains",
    "gain_table",
    "crossover",
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

SGD_CONTENDERS = (
    Contender("CE (no α)", "CE", 0.0, None),
    Contender("CE (α = 0.5)", "CE", 0.0, 0.5),
    Contender("α-CE (tuned α)", "CE", 0.0, "tuned"),
    Contender("FL γ = 2", "FL", 2.0, "tuned"),
    Contender("FL γ = 2, ÷ outputs", "FL ÷ outputs", 2.0, 0.25),
)
"""The SGD slice's methods: α-CE tuned over α ∈ {none, 0.5, 0.75, 0.9}, FL over α ∈ {0.25, 0.5}."""

CLASSIFICATION_CONTENDERS = (
    Contender("CE", "CE", 0.0),
    Contender("weighted CE", "weighted CE", 0.0),
    Contender("FL γ = 1", "FL", 1.0),
    Contender("FL γ = 2", "FL", 2.0),
    Contender("weighted FL γ = 2", "weighted FL", 2.0),
    Contender("logit-adjusted CE", "logit-adjusted CE"),
)


_KEY = ("task", "level", "optimizer", "iterations", "method", "gamma", "alpha", "metric")


class _Index:
    """The map's rows grouped once: (task, level, optimizer, iterations, method, γ, α, metric) -> {seed: value}."""

    def __init__(self, rows: Iterable[dict]) -> None:
        rows = list(rows)
        self.size = len(rows)
        self.cells: dict[tuple, dict[int, float]] = defaultdict(dict)
        self.levels: dict[tuple, set[tuple[int, float]]] = defaultdict(set)
        for r in rows:
            key = tuple(r[k] for k in _KEY)
            cell = self.cells[key]
            if r["seed"] in cell:
                raise ValueError(f"two rows for seed {r['seed']} of {dict(zip(_KEY, key))}")
            cell[r["seed"]] = r["value"]
            for scope in ((r["task"], None, None), (r["task"], r["optimizer"], None), (r["task"], r["optimizer"], r["iterations"])):
                self.levels[scope].add((r["level"], r["neg_per_pos"]))

    def alphas(self, level, optimizer, iterations, method, gamma, metric) -> dict:
        """{α: {seed: value}} of one (level, budget, method, γ)."""
        return {key[6]: cell for key, cell in self.cells.items()
                if key[:6] == ("detection", level, optimizer, iterations, method, gamma) and key[7] == metric}


def _index(rows) -> _Index:
    """The rows' index. A map from load_imbalance_map keeps it (built on first use); other rows are indexed now."""
    index = getattr(rows, "_map_index", None)
    if isinstance(index, _Index) and index.size == len(rows):
        return index
    index = _Index(rows)
    if hasattr(rows, "__dict__"):  # a MapRows list: keep the index for the next call
        rows._map_index = index
    return index


def levels(rows: Sequence[dict], task: str = "detection", optimizer: str | None = None, iterations: int | None = None) -> list[tuple[int, float]]:
    """``(level, measured neg_per_pos)`` of a task, in increasing order (optionally of one optimizer and budget)."""
    if iterations is not None and optimizer is None:
        raise ValueError("give the optimizer with the iterations")
    return sorted(_index(rows).levels.get((task, optimizer, iterations), ()))


def tuned_alpha(rows: Sequence[dict], level: int, method: str, gamma: float, optimizer: str = "adam",
                iterations: int = 120) -> float:
    """The α of highest validation AP (mean over the level's seeds) for ``method`` at ``gamma``."""
    return _tuned_alpha(_index(rows), level, method, gamma, optimizer, iterations)


def _tuned_alpha(index: _Index, level, method, gamma, optimizer, iterations) -> float:
    by_alpha = index.alphas(level, optimizer, iterations, method, gamma, "validation_ap")
    if not by_alpha:
        raise ValueError(f"the map has no {method} (γ = {gamma}) at level {level} with {optimizer}, {iterations} iterations")
    return max(sorted(by_alpha, key=lambda a: (a is None, a)), key=lambda a: np.mean(list(by_alpha[a].values())))


def contender_values(rows: Sequence[dict], contender: Contender, level: int, optimizer: str = "adam",
                     iterations: int = 120, metric: str = "test_ap") -> tuple[dict[int, float], float | None]:
    """``({seed: value}, α used)`` of one contender at one level (α tuned on validation where it says so)."""
    return _contender_values(_index(rows), contender, level, optimizer, iterations, metric)


def _contender_values(index: _Index, contender, level, optimizer, iterations, metric):
    alpha = contender.alpha
    if alpha == "tuned":
        alpha = _tuned_alpha(index, level, contender.method, contender.gamma, optimizer, iterations)
    key = ("detection", level, optimizer, iterations, contender.method, contender.gamma, alpha, metric)
    return dict(index.cells.get(key, {})), alpha


def paired_difference(rows: Sequence[dict], a: Contender, b: Contender, level: int, optimizer: str = "adam",
                      iterations: int = 120, metric: str = "test_ap") -> Difference:
    """``a − b`` at one detection level, seed by seed (the seeds both were trained from)."""
    index = _index(rows)
    x, _ = _contender_values(index, a, level, optimizer, iterations, metric)
    y, _ = _contender_values(index, b, level, optimizer, iterations, metric)
    seeds = sorted(set(x) & set(y))
    if not seeds:
        raise ValueError(f"the map has no seeds of both {a.label} and {b.label} at level {level} "
                         f"({optimizer}, {iterations} iterations)")
    return Difference(a.label, b.label, metric, np.array([x[s] - y[s] for s in seeds]))


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


def _gains(index, contenders, baseline, level_list, optimizer, iterations, metric) -> list[Gain]:
    gains = []
    for level, neg_per_pos in level_list:
        base, base_alpha = _contender_values(index, baseline, level, optimizer, iterations, metric)
        if not base:
            continue
        for contender in contenders:
            try:
                values, alpha = _contender_values(index, contender, level, optimizer, iterations, metric)
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
    index = _index(rows)
    level_list = sorted(index.levels.get(("detection", optimizer, iterations), ()))
    return _gains(index, [c for c in contenders if c != baseline], baseline, level_list, optimizer, iterations, metric)


def classification_gains(rows: Sequence[dict], metric: str = "macro_f1",
                         contenders: Sequence[Contender] = CLASSIFICATION_CONTENDERS,
                         baseline: Contender = CLASSIFICATION_CONTENDERS[0]) -> list[Gain]:
    """Every contender against plain CE, at every head/tail ratio, on ``metric`` (``macro_f1``,
    ``balanced_accuracy`` or ``tail_recall``)."""
    index = _index(rows)
    out = []
    for level, ratio in sorted(index.levels.get(("classification", None, None), ())):
        def values(c):
            return {s: v for key, cell in index.cells.items() if key[0] == "classification" and key[1] == level
                    and key[4] == c.method and key[5] == c.gamma and key[7] == metric for s, v in cell.items()}

        b = values(baseline)
        for contender in contenders:
            if contender == baseline:
                continue
            a = values(contender)
            seeds = sorted(set(a) & set(b))
            if not seeds:
                continue
            x, y = np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])
            out.append(Gain(level, ratio, contender.label, baseline.label, None, None,
                            Difference(contender.label, baseline.label, metric, x - y), float(x.mean()), float(y.mean())))
    return out


def crossover(rows: Sequence[dict], optimizer: str = "adam", iterations: int = 120) -> float | None:
    """Where focal loss starts to win: the lowest measured imbalance from which on, at every
    higher level too, some γ (α tuned) is measured ahead of tuned α-CE (its 95 % interval above 0).

    ``None`` if the highest level measured is not such a level.
    """
    won = {}
    for g in detection_gains(rows, optimizer, iterations):
        if g.contender.startswith("FL"):
            ahead = g.difference.measured and g.difference.mean > 0
            won[g.neg_per_pos] = won.get(g.neg_per_pos, False) or ahead
    start = None
    for npp in sorted(won, reverse=True):
        if not won[npp]:
            break
        start = npp
    return start


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
