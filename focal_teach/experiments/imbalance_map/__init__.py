r"""When does focal loss win? The imbalance map: focal loss against its alternatives, measured across imbalance.

Two tasks, each swept over how imbalanced it is, every method trained from the same seeds
(the same data and initial weights per seed), so that methods are compared seed by seed:

- **dense detection** (notebook 06's miniature): the same scene per image (4 objects, 3 wide
  distractors) on more and more positions, so the positives and the hard negatives stay and
  only the *easy* background grows: from about 50 to about 6,000 negative outputs per
  positive output. Scored by the anchors' average precision on held-out images of the same
  level. Methods: CE (α = 0.5), α-balanced CE and focal loss (γ ∈ {0.5, 1, 2, 5}) over a grid
  of α (tuned per level on a validation split, as the paper's Tables 1a and 1b), OHEM 1:3 and
  random 1:3 sampling (Table 1d), and the asymmetric loss (Ridnik et al. 2021), with the
  paper's prior initialisation and the loss ÷ the positive anchors. Two budgets (the
  notebook's 120 iterations and 3×) with Adam, and SGD with momentum (the paper's optimiser) on
  a slice.
- **classification** (notebook 04's long-tailed digits): head/tail ratios 1 to 100, CE,
  class-weighted CE, focal loss and logit-adjusted CE (balanced softmax), scored by macro-F1
  and balanced accuracy on a balanced test set.

The results are one long table (:data:`COLUMNS`), shipped with the package as
``imbalance_map.csv`` (in this folder) and read by :func:`load_imbalance_map`; :mod:`focal_teach.experiments.map_reading`
turns it into paired gains. Re-measure it with::

    python -m focal_teach.experiments.imbalance_map            # the full map (about an hour on 2 cores)
    python -m focal_teach.experiments.imbalance_map --quick    # a subset, a few minutes
    python -m focal_teach.experiments.imbalance_map --quick --out quick.csv

The ``--quick`` rows are a subset of the full map's rows, computed identically.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from focal_teach.data.anchors import IGNORE, DenseDetectionData, make_dense_detection
from focal_teach.data.digits import long_tailed_digits
from focal_teach.experiments.alternatives import asymmetric_loss, logit_adjusted_cross_entropy
from focal_teach.experiments.detection import TinyDetector, average_precision, dense_detection_loss, train_detectors
from focal_teach.experiments.metrics import classification_metrics
from focal_teach.experiments.sampling import ohem_loss, sampled_loss
from focal_teach.experiments.seeds import seed_everything
from focal_teach.experiments.training import fit, predict
from focal_teach.losses import binary_focal_loss, class_weights, focal_loss
from focal_teach.losses.class_weights import class_counts

__all__ = [
    "COLUMNS",
    "PAPER_NEG_PER_POS",
    "DETECTION_LEVELS",
    "CLASSIFICATION_RATIOS",
    "Method",
    "Plan",
    "FULL",
    "QUICK",
    "run",
    "load_imbalance_map",
    "MapRows",
    "write_rows",
    "main",
]

COLUMNS = (
    "task", "neg_per_pos", "method", "gamma", "alpha", "seed", "metric", "value",
    "level", "optimizer", "iterations", "seed_neg_per_pos",
)
"""The CSV's columns. ``neg_per_pos``: the level's imbalance, measured (detection: negative
outputs per positive output, mean over the seeds' training sets; classification: the head/tail
ratio of training counts). ``level``: what was set (positions per image; the ratio).
``seed_neg_per_pos``: the imbalance of that seed's own training set. ``gamma``/``alpha`` are
empty where a method has none (ASL's ``gamma`` is its γ₋)."""

PAPER_NEG_PER_POS = 8e4
"""The paper's regime, in the map's unit: about 1 positive to 1,000 negative anchors ("e.g.,
1:1000", Lin et al. 2017, Sec. 3), times COCO's 80 sigmoid outputs per anchor: about
8 × 10⁴ negative outputs per positive output."""

DETECTION_LEVELS = (256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
"""Positions per image. Notebook 06 uses 1,024 (about 200 negative outputs per positive)."""

CLASSIFICATION_RATIOS = (1, 2, 5, 10, 20, 50, 100)
"""Head/tail ratios of the digits' training counts (notebook 04 uses 50)."""

SCENE = dict(objects_per_image=4, distractors_per_image=3)  # notebook 06's
TRAIN_IMAGES, VALIDATION_IMAGES, TEST_IMAGES = 3, 16, 32
VALIDATION_SEED, TEST_SEED = 998, 999  # data seeds; training sets use 1000 + seed, as in notebook 06
PRIOR = 0.01
HIDDEN = 4
LR_DROPS = (2 / 3, 8 / 9)  # the paper's schedule shape (60k and 80k of 90k iterations)


@dataclass(frozen=True)
class Method:
    """One way to train: ``method`` with its ``gamma`` and ``alpha`` (``None`` where it has none).

    Dense losses (``"CE"``, ``"FL"``) with ``alpha=None`` weigh positives and negatives alike
    (α_t = 1); α = 0.5 weighs both by 0.5, which Adam does not notice and SGD does.
    ``"FL ÷ outputs"`` is FL divided by the number of outputs instead of the positive anchors.
    """

    method: str
    gamma: float | None = None
    alpha: float | None = None

    def __str__(self) -> str:
        parts = [f"γ = {self.gamma:g}" if self.gamma is not None else "", f"α = {self.alpha:g}" if self.alpha is not None else ""]
        inside = ", ".join(p for p in parts if p)
        return f"{self.method} ({inside})" if inside else self.method


def detection_methods(
    ce_alphas: Sequence[float] = (0.5, 0.75, 0.9, 0.99),
    fl_gammas: Sequence[float] = (0.5, 1.0, 2.0, 5.0),
    fl_alphas: Sequence[float] = (0.1, 0.25, 0.5),
    asl_gammas: Sequence[float] = (4.0,),
    sampling: bool = True,
) -> tuple[Method, ...]:
    """The detection methods: CE over ``ce_alphas`` (α = 0.5 is plain CE, halved), FL over
    ``fl_gammas`` × ``fl_alphas``, the sampling baselines, and ASL with γ₋ in ``asl_gammas``."""
    methods = [Method("CE", 0.0, a) for a in ce_alphas]
    methods += [Method("FL", g, a) for g in fl_gammas for a in fl_alphas]
    if sampling:
        methods += [Method("OHEM 1:3"), Method("random 1:3")]
    methods += [Method("ASL", g) for g in asl_gammas]
    return tuple(methods)


CLASSIFICATION_METHODS = (
    Method("CE", 0.0),
    Method("weighted CE", 0.0),
    Method("FL", 1.0),
    Method("FL", 2.0),
    Method("weighted FL", 2.0),
    Method("logit-adjusted CE"),
)
"""Class weights: the effective number of samples, β = 0.99 (notebook 04). Logit adjustment: τ = 1."""


@dataclass(frozen=True)
class Optimizer:
    """An optimiser, its learning rate, and the levels each budget (iterations) is run at."""

    name: str
    lr: float
    budgets: dict[int, tuple[int, ...]]  # iterations -> levels (positions per image)


@dataclass(frozen=True)
class Plan:
    """What one run of the sweep measures; :data:`FULL` and :data:`QUICK` are the two plans.

    ``detection_seeds`` maps each level to its seeds. The full map has 16 at every level: with
    12, every level still had some comparison whose 95 % interval straddled 0.
    """

    detection_seeds: dict[int, tuple[int, ...]]
    detection_methods: tuple[Method, ...]
    optimizers: tuple[Optimizer, ...]
    sgd_methods: tuple[Method, ...]
    classification_ratios: tuple[int, ...]
    classification_seeds: tuple[int, ...]
    classification_methods: tuple[Method, ...] = CLASSIFICATION_METHODS

    @property
    def detection_levels(self) -> tuple[int, ...]:
        return tuple(self.detection_seeds)


EVERY_OTHER = (256, 1024, 4096, 16384)  # factor 4 apart: 50 to 2,800 negatives per positive
ADAM = Optimizer("adam", 0.03, {120: DETECTION_LEVELS, 360: EVERY_OTHER})
"""Notebook 06's optimiser and budget (120 iterations) at every level, and 3× the budget at every
other level (the top level alone would cost as much as all the others at 3×)."""
SGD = Optimizer("sgd", 0.1, {360: (256, 1024, 4096)})
"""The paper's optimiser (momentum 0.9) on a slice. Its lr: the largest of 0.1, 0.3 and 1 at which
CE still trained on 1,024 positions (seed 0); at 1 every detector diverged."""

FULL = Plan(
    detection_seeds={level: tuple(range(16)) for level in DETECTION_LEVELS},
    detection_methods=detection_methods(),
    optimizers=(ADAM, SGD),
    sgd_methods=(Method("CE", 0.0), Method("CE", 0.0, 0.5), Method("CE", 0.0, 0.75), Method("CE", 0.0, 0.9),
                 Method("FL", 2.0, 0.25), Method("FL", 2.0, 0.5), Method("FL ÷ outputs", 2.0, 0.25)),
    classification_ratios=CLASSIFICATION_RATIOS,
    classification_seeds=tuple(range(16)),
)

QUICK = Plan(
    detection_seeds={512: (0, 1, 2), 4096: (0, 1, 2)},
    detection_methods=(Method("CE", 0.0, 0.5), Method("CE", 0.0, 0.75), Method("FL", 2.0, 0.25), Method("OHEM 1:3"),
                       Method("random 1:3"), Method("ASL", 4.0)),
    optimizers=(Optimizer("adam", 0.03, {120: (512, 4096)}),),
    sgd_methods=(),
    classification_ratios=(1, 10, 100),
    classification_seeds=(0, 1, 2),
    classification_methods=(Method("CE", 0.0), Method("FL", 2.0), Method("logit-adjusted CE")),
)


# ---------------------------------------------------------------- dense detection


def detection_data(positions: int, kind: str, seed: int = 0) -> DenseDetectionData:
    """The images of one level: ``kind`` is ``"train"`` (seed's own), ``"validation"`` or ``"test"``.

    Every level holds notebook 06's scene; below 896 positions its 7 slots shrink to fit.
    """
    images, data_seed = {"train": (TRAIN_IMAGES, 1000 + seed), "validation": (VALIDATION_IMAGES, VALIDATION_SEED),
                         "test": (TEST_IMAGES, TEST_SEED)}[kind]
    bumps = SCENE["objects_per_image"] + SCENE["distractors_per_image"]
    return make_dense_detection(images, positions, seed=data_seed, slot=min(128, positions // bumps), **SCENE)


def negatives_per_positive(data: DenseDetectionData) -> float:
    """Negative outputs per positive output."""
    return data.num_negative_outputs / data.num_positives


class _DenseLosses:
    """The dense losses of D detectors in one call, each with its own γ and α, ÷ its positive anchors.

    ``binary_focal_loss`` takes one γ per output (a tensor); α_t multiplies the per-output loss.
    """

    def __init__(self, methods: Sequence[Method]) -> None:
        self.gamma = torch.tensor([m.gamma for m in methods]).view(-1, 1, 1, 1)
        # α = None: no weighting, α_t = 1 on both sides (as α = 0.5 would, doubled)
        self.positive_weight = torch.tensor([1.0 if m.alpha is None else m.alpha for m in methods]).view(-1, 1, 1, 1)
        self.negative_weight = torch.tensor([1.0 if m.alpha is None else 1.0 - m.alpha for m in methods]).view(-1, 1, 1, 1)
        self._cached: tuple | None = None

    def _weights(self, targets: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        key = (targets.data_ptr(), targets.shape)
        if self._cached is None or self._cached[0] != key:
            positive = targets == 1
            weight = torch.where(positive, self.positive_weight, self.negative_weight) * (targets != IGNORE)
            n_pos = positive.sum((1, 2, 3)).clamp_min(1)
            self._cached = (key, targets.clamp_min(0), weight / n_pos.view(-1, 1, 1, 1))
        return self._cached[1:]

    def __call__(self, logits: Tensor, targets: Tensor) -> Tensor:
        y, weight = self._weights(targets)
        per_output = binary_focal_loss(logits, y, gamma=self.gamma, reduction="none")
        return (per_output * weight).sum((1, 2, 3))


SAMPLING = ("OHEM 1:3", "random 1:3")
"""The methods that train on a minibatch of anchors chosen per image, not on every anchor."""


def _loss_functions(methods: Sequence[Method]) -> list:
    """One loss function per method; the dense ones share one object (one call for all of them)."""
    dense = [m for m in methods if m.method in ("CE", "FL")]
    together = _DenseLosses(dense) if dense else None
    fns = []
    for m in methods:
        if m.method in ("CE", "FL"):
            fns.append(together)
        elif m.method == "FL ÷ outputs":
            fns.append(partial(dense_detection_loss, normalize="outputs", gamma=m.gamma, alpha=m.alpha))
        elif m.method == "OHEM 1:3":
            fns.append(partial(ohem_loss, batch_size=128, positive_fraction=0.25))
        elif m.method == "random 1:3":
            fns.append(partial(sampled_loss, batch_size=128, positive_fraction=0.25))
        elif m.method == "ASL":
            fns.append(partial(dense_detection_loss, loss=asymmetric_loss, gamma_neg=m.gamma))
        else:
            raise ValueError(f"unknown detection method {m.method!r}")
    return fns


def _dense_first(methods: Sequence[Method]) -> list[Method]:
    # the dense methods first, next to each other: their logits are one view, not a copy
    return sorted(methods, key=lambda m: m.method not in ("CE", "FL"))


@torch.no_grad()
def _scores(model: TinyDetector, data: DenseDetectionData, chunk: int = 8) -> Tensor:
    return torch.cat([model(part) for part in data.signals.split(chunk)])


def detection_runs(
    positions: int, seed: int, methods: Sequence[Method], optimizer: str, lr: float, iterations: int,
    validation: DenseDetectionData, test: DenseDetectionData,
) -> Iterator[dict]:
    """Train every method from seed ``seed``'s data and initial weights; yield their rows (without level statistics)."""
    train = detection_data(positions, "train", seed)
    methods = _dense_first(methods)
    seed_everything(seed)
    initial = TinyDetector(hidden=HIDDEN, prior=PRIOR)
    models = [copy.deepcopy(initial) for _ in methods]  # the same initial weights for every method
    # The sampling methods train alone, each from the seed: a minibatch-trained detector magnifies
    # last-bit rounding, and training it beside others (one batched network) changes that rounding,
    # moving one seed's AP by up to 0.1. Alone, its rows do not depend on the plan's other methods,
    # and --quick reproduces them. Random 1:3 also draws from torch's global generator.
    alone = [i for i, m in enumerate(methods) if m.method in SAMPLING]
    together = [i for i in range(len(methods)) if i not in alone]
    fns = _loss_functions(methods)
    for part in [together] * bool(together) + [[i] for i in alone]:
        seed_everything(seed)
        train_detectors([models[i] for i in part], [fns[i] for i in part], train, iterations=iterations,
                        optimizer=optimizer, lr=lr, lr_drops=LR_DROPS, record=False)
    for method, model in zip(methods, models):
        measured = {metric: average_precision(_scores(model, data), data.targets)
                    for metric, data in (("validation_ap", validation), ("test_ap", test))}
        if method.method == "CE":
            measured.update(gradient_shares(_scores(model, train), train.targets))
        for metric, value in measured.items():
            yield dict(task="detection", method=method.method, gamma=method.gamma, alpha=method.alpha, seed=seed,
                       metric=metric, value=value, level=positions, optimizer=optimizer, iterations=iterations,
                       seed_neg_per_pos=negatives_per_positive(train))


EASY = 0.01
"""A negative output is *easy* when its predicted probability is below this (notebook 06)."""


def gradient_shares(logits: Tensor, targets: Tensor) -> dict[str, float]:
    r"""Who carries cross-entropy's gradient :math:`|\partial \mathrm{CE} / \partial x| = |p - y|` on these outputs.

    Returns the shares of :math:`\sum |p - y|` over the non-ignored outputs carried by the
    positives, the easy negatives (:math:`p <` :data:`EASY`) and the other negatives, and the
    mean :math:`p` of the positives: the diagnostics the map records for every CE detector on
    its own training images.
    """
    p = torch.sigmoid(logits.double())
    positive, negative = targets == 1, targets == 0
    grad = (p - targets.clamp_min(0)).abs()
    total = grad[positive | negative].sum()
    easy = negative & (p < EASY)
    return {
        "train_positive_grad_share": float(grad[positive].sum() / total),
        "train_easy_negative_grad_share": float(grad[easy].sum() / total),
        "train_hard_negative_grad_share": float(grad[negative & ~easy].sum() / total),
        "train_positive_mean_p": float(p[positive].mean()),
    }


# ---------------------------------------------------------------- classification


def _classification_loss(method: Method, y_train: Tensor):
    counts = class_counts(y_train, 10)
    if method.method in ("CE", "FL"):
        return partial(focal_loss, gamma=method.gamma)
    if method.method in ("weighted CE", "weighted FL"):
        return partial(focal_loss, gamma=method.gamma, alpha=class_weights(y_train, "effective", beta=0.99, num_classes=10))
    if method.method == "logit-adjusted CE":
        return partial(logit_adjusted_cross_entropy, class_counts=counts.clamp_min(1))
    raise ValueError(f"unknown classification method {method.method!r}")


def classification_runs(ratio: int, seed: int, methods: Sequence[Method]) -> Iterator[dict]:
    """Notebook 04's model and training on digits with head/tail ratio ``ratio``, every method from seed ``seed``."""
    data = long_tailed_digits(imbalance=float(ratio), seed=seed)
    for method in methods:
        seed_everything(seed)
        model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
        fit(model, _classification_loss(method, data.y_train), data.x_train, data.y_train, epochs=300, lr=0.01, seed=seed)
        scores = classification_metrics(data.y_test, predict(model, data.x_test).argmax(1), num_classes=10)
        tail = float(np.mean(scores["recall"][-3:]))
        for metric, value in (("macro_f1", scores["macro_f1"]), ("balanced_accuracy", scores["balanced_accuracy"]),
                              ("tail_recall", tail)):
            yield dict(task="classification", neg_per_pos=float(ratio), method=method.method, gamma=method.gamma,
                       alpha=None, seed=seed, metric=metric, value=value, level=ratio, optimizer="adam",
                       iterations=300, seed_neg_per_pos=float(ratio))


# ---------------------------------------------------------------- the sweep


def _jobs(plan: Plan) -> list[tuple]:
    """Independent jobs: one per (level, seed, optimizer, budget) and per (ratio, seed)."""
    jobs = []
    for positions, seeds in plan.detection_seeds.items():
        for optimizer in plan.optimizers:
            methods = plan.sgd_methods if optimizer.name == "sgd" else plan.detection_methods
            for iterations, budget_levels in optimizer.budgets.items():
                if positions in budget_levels:
                    jobs.extend(("detection", positions, seed, methods, optimizer.name, optimizer.lr, iterations)
                                for seed in seeds)
    for ratio in plan.classification_ratios:
        for seed in plan.classification_seeds:
            jobs.append(("classification", ratio, seed, plan.classification_methods))
    return jobs


def _cost(job: tuple) -> float:
    """A job's rough cost in seconds of one core: positions × methods × iterations (measured once)."""
    if job[0] == "detection":
        return 3 * job[1] * len(job[3]) * job[6] * 1e-6
    return 0.4 * len(job[3])


@lru_cache(maxsize=2)
def _held_out(positions: int) -> tuple[DenseDetectionData, DenseDetectionData]:
    return detection_data(positions, "validation"), detection_data(positions, "test")


def _run_job(job: tuple) -> list[dict]:
    # One thread per job: tiny convolutions gain little from a second thread, and a job's numbers
    # then never depend on how many cores the machine has.
    torch.set_num_threads(1)
    if job[0] == "detection":
        _, positions, seed, methods, optimizer, lr, iterations = job
        return list(detection_runs(positions, seed, methods, optimizer, lr, iterations, *_held_out(positions)))
    _, ratio, seed, methods = job
    return list(classification_runs(ratio, seed, methods))


def run(plan: Plan = FULL, workers: int | None = None, progress: bool = True, checkpoint: Path | None = None) -> list[dict]:
    """Run ``plan`` on ``workers`` processes (default: one per core); return its rows (:data:`COLUMNS`).

    Every job seeds itself and runs on one thread, so the rows do not depend on ``workers``.
    With ``checkpoint``, each finished job's rows are appended to that file (JSON lines) and the
    jobs already there are not run again: an interrupted sweep resumes where it stopped.
    """
    done = _read_checkpoint(checkpoint)
    # level by level, so that a partial sweep already holds whole levels; the longest jobs of a
    # level first, so that the workers finish together
    jobs = sorted((j for j in _jobs(plan) if _key(j) not in done), key=lambda j: (j[0] != "classification", j[1], -_cost(j)))
    rows: list[dict] = [row for finished in done.values() for row in finished]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))

    def finished(job, job_rows):
        rows.extend(job_rows)
        if checkpoint is not None:
            with open(checkpoint, "a") as f:
                f.write(json.dumps({"job": _key(job), "rows": job_rows}) + "\n")
        bar.update(round(_cost(job)))

    with tqdm(total=round(sum(_cost(j) for j in jobs)), disable=not progress, desc="imbalance map",
              unit="core-s") as bar:
        if workers == 1:
            threads = torch.get_num_threads()
            try:
                for job in jobs:
                    finished(job, _run_job(job))
            finally:
                torch.set_num_threads(threads)
        else:
            context = multiprocessing.get_context("spawn")  # torch's thread pools do not survive a fork
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                futures = {pool.submit(_run_job, job): job for job in jobs}
                for future in as_completed(futures):
                    finished(futures[future], future.result())
    _measure_levels(rows)
    rows.sort(key=_row_order)
    return rows


def _key(job: tuple) -> str:
    return repr(job)


def _read_checkpoint(checkpoint: Path | None) -> dict[str, list[dict]]:
    if checkpoint is None or not Path(checkpoint).exists():
        return {}
    done = {}
    for line in Path(checkpoint).read_text().splitlines():
        if line.strip():
            entry = json.loads(line)
            done[entry["job"]] = entry["rows"]
    return done


def _row_order(row: dict) -> tuple:
    def number(x):
        return -1.0 if x is None else x

    return (row["task"], row["level"], row["optimizer"], row["iterations"], row["method"], number(row["gamma"]),
            number(row["alpha"]), row["seed"], row["metric"])


def _measure_levels(rows: list[dict]) -> None:
    """Detection: the level's neg_per_pos is the mean of its seeds' training sets (each counted once)."""
    per_level: dict[int, dict[int, float]] = {}
    for row in rows:
        if row["task"] == "detection":
            per_level.setdefault(row["level"], {})[row["seed"]] = row["seed_neg_per_pos"]
    for row in rows:
        if row["task"] == "detection":
            row["neg_per_pos"] = float(np.mean(list(per_level[row["level"]].values())))


# ---------------------------------------------------------------- the CSV


def _format(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "" if value is None else "nan"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_rows(rows: Iterable[dict], path: str | Path) -> None:
    """Write rows as the map's CSV (:data:`COLUMNS`, floats to 6 significant digits)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_format(row[c]) for c in COLUMNS])


_NUMERIC = {"neg_per_pos": float, "gamma": float, "alpha": float, "seed": int, "value": float, "level": int,
            "iterations": int, "seed_neg_per_pos": float}


class MapRows(list):
    """The map's rows (a list of dicts), as :func:`load_imbalance_map` returns them; the readers in
    :mod:`~focal_teach.experiments.map_reading` index them once and keep the index here."""


def load_imbalance_map(path: str | Path | None = None) -> MapRows:
    """The map's rows, as dicts with :data:`COLUMNS` (numbers parsed; ``None`` where a method has no γ or α).

    Args:
        path: a CSV written by this module; ``None``: the map shipped with the package.
    """
    if path is None:
        text = resources.files(__name__).joinpath("imbalance_map.csv").read_text()
    else:
        text = Path(path).read_text()
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"{path or 'imbalance_map.csv'}: expected the columns {', '.join(COLUMNS)}; got {reader.fieldnames}")
    return MapRows({k: (None if v == "" else _NUMERIC[k](v)) if k in _NUMERIC else v for k, v in row.items()}
                   for row in reader)


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m focal_teach.experiments.imbalance_map",
        description="Measure the imbalance map: focal loss against its alternatives, across imbalance.",
    )
    parser.add_argument("--quick", action="store_true", help="a subset of the full map (a few minutes on 2 cores)")
    parser.add_argument("--out", type=Path, default=Path("imbalance_map.csv"), help="the CSV to write (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=None, help="processes, one thread each (default: one per core)")
    args = parser.parse_args(argv)
    checkpoint = args.out.with_name(args.out.name + ".partial.jsonl")
    if checkpoint.exists():
        print(f"resuming from {checkpoint}", file=sys.stderr)
    start, cpu = time.perf_counter(), _children_cpu_seconds()
    rows = run(QUICK if args.quick else FULL, workers=args.workers, checkpoint=checkpoint)
    write_rows(rows, args.out)
    checkpoint.unlink()
    print(f"{len(rows)} rows written to {args.out} in {time.perf_counter() - start:.0f} s "
          f"({_children_cpu_seconds() - cpu:.0f} s of CPU time)", file=sys.stderr)


def _children_cpu_seconds() -> float:
    """CPU time of this process and its finished children: the sweep's cost, however busy the machine."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
