"""Seeds: one call to make a notebook's numbers reproducible, and one experiment repeated over seeds.

- :func:`seed_everything` seeds Python's ``random``, NumPy and torch.
- :func:`portable_linear_init` draws a model's initial weights the same on every CPU.
- :func:`over_seeds` runs one experiment per seed, with a progress bar, into :class:`SeedResults`,
  which prints ``mean ± std`` tables and paired per-seed comparisons (:class:`Difference`: mean
  paired difference, 95 % interval, sign count).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats
from tqdm.auto import tqdm

from focal_teach._checks import check_seed

__all__ = ["seed_everything", "portable_linear_init", "over_seeds", "SeedResults", "Difference"]


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's ``random``, NumPy and torch's global generators with ``seed``.

    Returns a fresh ``torch.Generator`` seeded likewise, for code that takes one explicitly.
    """
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@torch.no_grad()
def portable_linear_init(model: torch.nn.Module) -> torch.nn.Module:
    r"""Redraw the weight and bias of every ``nn.Linear`` in ``model``, bit for bit the same on every CPU.

    The distribution is PyTorch's default for ``nn.Linear``, uniform on
    :math:`[-1/\sqrt{\text{fan\_in}},\ 1/\sqrt{\text{fan\_in}})`, drawn from torch's global
    generator (seed it first, :func:`seed_everything`). PyTorch's own ``uniform_`` computes
    ``low + u (high - low)`` with a fused multiply-add where the CPU's kernels have one (AVX2,
    AVX-512) and without elsewhere (``ATEN_CPU_CAPABILITY=default``), so its initial weights differ
    in their last bits between CPUs, and a ReLU network's training can turn that into a different
    model (notebook 03: F1 0.58 against 0.61 for one seed). Here each value is
    :math:`(2u - 1) \cdot \text{bound}` with ``u`` from ``torch.rand`` (a multiple of
    :math:`2^{-24}` or :math:`2^{-53}`): exact up to one correctly rounded product, so the same on
    every CPU. Parameters keep their dtype.

    Returns:
        ``model``, for ``make = lambda: portable_linear_init(nn.Sequential(...))``.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    for layer in model.modules():
        if isinstance(layer, torch.nn.Linear):
            bound = 1.0 / math.sqrt(layer.in_features)
            for parameter in (layer.weight, layer.bias):
                if parameter is not None:
                    u = torch.rand(parameter.shape, dtype=parameter.dtype, device=parameter.device)
                    parameter.copy_((2 * u - 1) * bound)
    return model


@dataclass(frozen=True)
class Difference:
    r"""Paired per-seed differences ``a − b`` of one metric, and what they allow us to say.

    Two runs that share their seeds (the same data and initial weights for each seed) are
    compared seed by seed: the differences :math:`d_s = a_s - b_s` cancel what the seed does to
    both. Reported: their mean, a 95 % confidence interval for it (Student's t with
    :math:`n - 1` degrees of freedom, :math:`\bar d \pm t_{0.975,\,n-1}\, s_d / \sqrt n`),
    and the sign count, on how many seeds ``a`` is higher. A difference is *measured* only when
    the interval excludes 0; otherwise it is "no difference we can measure here".
    """

    a: str
    b: str
    metric: str
    values: np.ndarray

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    @property
    def std(self) -> float:
        return float(self.values.std(ddof=1)) if self.n > 1 else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """The 95 % confidence interval of the mean difference (``(nan, nan)`` for fewer than 2 seeds)."""
        if self.n < 2:
            return (math.nan, math.nan)
        half = float(stats.t.ppf(0.975, self.n - 1)) * self.std / math.sqrt(self.n)
        return (self.mean - half, self.mean + half)

    @property
    def wins(self) -> int:
        """Number of seeds on which ``a`` scored strictly higher than ``b``."""
        return int((self.values > 0).sum())

    @property
    def losses(self) -> int:
        """Number of seeds on which ``a`` scored strictly lower than ``b``."""
        return int((self.values < 0).sum())

    @property
    def measured(self) -> bool:
        """Whether the 95 % interval excludes 0: a difference, in the sign of :attr:`mean`."""
        low, high = self.interval
        return bool(low > 0 or high < 0)

    def verdict(self) -> str:
        """``"a higher"``, ``"b higher"``, or ``"no difference we can measure here"``."""
        if not self.measured:
            return "no difference we can measure here"
        return f"{self.a} higher" if self.mean > 0 else f"{self.b} higher"

    def __str__(self) -> str:
        return self.text()

    def text(self, digits: int = 3) -> str:
        """``str(difference)`` with ``digits`` decimals: as many as the experiment resolves.

        E.g. ``digits=1`` for an ECE in percent, ``digits=2`` for an F1 whose seeds spread by
        a few hundredths. A number printed to more decimals than another CPU reproduces
        (its rounding moves the last digit) is not a finding.
        """
        if not isinstance(digits, int) or isinstance(digits, bool) or digits < 0:
            raise ValueError(f"digits must be an int ≥ 0 (decimals shown); got {digits!r}")
        low, high = self.interval
        return (
            f"{self.metric}: {self.a} − {self.b} = {self.mean:+.{digits}f}, "
            f"95 % CI [{low:+.{digits}f}, {high:+.{digits}f}], {self.a} higher on {self.wins}/{self.n} seeds"
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
