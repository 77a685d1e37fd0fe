"""The imbalance map: how it is measured (small plans, here), and the committed map itself (schema, levels, seeds).

The test that re-runs ``--quick`` and compares it with the committed rows runs in nox's
``other_cpu`` session (``ATEN_CPU_CAPABILITY=default``): the map must not be a finding about
this CPU's kernels.
"""

import math
import os
from functools import partial

import numpy as np
import pytest
import torch

from focal_teach.data import IGNORE
from focal_teach.experiments import dense_detection_loss, imbalance_map
from focal_teach.experiments.imbalance_map import (
    COLUMNS,
    FULL,
    QUICK,
    Method,
    Optimizer,
    Plan,
    detection_data,
    gradient_shares,
    load_imbalance_map,
    negatives_per_positive,
    run,
    write_rows,
)
from focal_teach.experiments.map_reading import detection_gains, levels
from focal_teach.experiments.seeds import Difference

TINY = Plan(
    detection_seeds={256: (0, 1)},
    detection_methods=(Method("CE", 0.0, 0.5), Method("FL", 2.0, 0.25), Method("random 1:3"), Method("ASL", 4.0)),
    optimizers=(Optimizer("adam", 0.03, {6: (256,)}),),
    sgd_methods=(),
    classification_ratios=(10,),
    classification_seeds=(0,),
    classification_methods=(Method("CE", 0.0), Method("logit-adjusted CE")),
)


# ---------------------------------------------------------------- how it is measured


def test_levels_keep_notebook_06s_scene_and_add_easy_background():
    small, default, large = (detection_data(p, "train", seed=0) for p in (256, 1024, 8192))
    assert default.targets.shape == (3, 3, 3 * 1024)  # notebook 06's training set: same images
    assert [d.objects.shape[:2] for d in (small, default, large)] == [(3, 4)] * 3
    ratios = [negatives_per_positive(d) for d in (small, default, large)]
    assert ratios[0] < 100 < ratios[1] < 250 < 1000 < ratios[2]
    assert abs(default.num_positives - large.num_positives) < 0.3 * default.num_positives  # same objects, more background


def test_dense_losses_in_one_call_equal_each_detectors_own_loss():
    data = detection_data(512, "train", seed=1)
    methods = [Method("CE", 0.0, 0.5), Method("CE", 0.0), Method("FL", 2.0, 0.25), Method("FL", 0.5, 0.75)]
    logits = torch.randn(len(methods), *data.targets.shape, dtype=torch.float64)
    targets = data.targets.expand(len(methods), *data.targets.shape).double()
    together = imbalance_map._DenseLosses(methods)(logits, targets)
    for i, m in enumerate(methods):
        alone = dense_detection_loss(logits[i], data.targets.double(), gamma=m.gamma, alpha=m.alpha)
        torch.testing.assert_close(together[i], alone)


def test_gradient_shares_split_all_of_ces_gradient():
    data = detection_data(256, "train", seed=2)
    logits = torch.randn(data.targets.shape) - 3
    shares = gradient_shares(logits, data.targets)
    parts = ["train_positive_grad_share", "train_easy_negative_grad_share", "train_hard_negative_grad_share"]
    assert sum(shares[k] for k in parts) == pytest.approx(1.0)
    p = torch.sigmoid(logits)
    assert shares["train_positive_mean_p"] == pytest.approx(float(p[data.targets == 1].mean()), rel=1e-5)
    prior = torch.full(data.targets.shape, math.log(0.011 / 0.989))  # every output at p = 0.011: none is "easy"
    assert gradient_shares(prior, data.targets)["train_easy_negative_grad_share"] == 0.0


def test_a_run_is_the_same_on_one_or_two_workers_and_resumes_from_its_checkpoint(tmp_path):
    one = run(TINY, workers=1, progress=False)
    two = run(TINY, workers=2, progress=False)
    assert one == two
    assert {r["metric"] for r in one if r["task"] == "detection"} >= {"validation_ap", "test_ap", "train_easy_negative_grad_share"}
    assert len({r["seed_neg_per_pos"] for r in one if r["task"] == "detection"}) == 2  # one per seed's images
    checkpoint = tmp_path / "map.partial.jsonl"
    first = run(TINY, workers=1, progress=False, checkpoint=checkpoint)
    lines = checkpoint.read_text().splitlines()
    assert len(lines) == 3  # two detection jobs, one classification job
    checkpoint.write_text("\n".join(lines[:2]) + "\n")  # as if interrupted after two jobs
    assert run(TINY, workers=1, progress=False, checkpoint=checkpoint) == first == one
    assert len(checkpoint.read_text().splitlines()) == 3


def test_rows_survive_the_csv(tmp_path):
    rows = run(TINY, workers=1, progress=False)
    write_rows(rows, tmp_path / "map.csv")
    back = load_imbalance_map(tmp_path / "map.csv")
    assert len(back) == len(rows)
    for a, b in zip(rows, back):
        for column in COLUMNS:
            if isinstance(a[column], float):
                assert b[column] == pytest.approx(a[column], rel=1e-5)
            else:
                assert b[column] == a[column]


def test_load_rejects_a_csv_of_other_columns(tmp_path):
    (tmp_path / "other.csv").write_text("task,value\nx,1\n")
    with pytest.raises(ValueError, match="expected the columns task, neg_per_pos"):
        load_imbalance_map(tmp_path / "other.csv")


def test_quick_is_a_subset_of_the_full_plan():
    full = {(j[0], j[1], j[2], j[4], j[6]) if j[0] == "detection" else j[:3] for j in imbalance_map._jobs(FULL)}
    for job in imbalance_map._jobs(QUICK):
        key = (job[0], job[1], job[2], job[4], job[6]) if job[0] == "detection" else job[:3]
        assert key in full
    full_methods = set(FULL.detection_methods)
    assert set(QUICK.detection_methods) <= full_methods
    assert set(QUICK.classification_methods) <= set(FULL.classification_methods)


# ---------------------------------------------------------------- the committed map


@pytest.fixture(scope="module")
def committed():
    return load_imbalance_map()


def test_the_committed_map_has_the_columns_and_tasks(committed):
    assert {r["task"] for r in committed} == {"detection", "classification"}
    for r in committed:
        assert set(r) == set(COLUMNS)
        assert r["value"] is not None and (math.isfinite(r["value"]) or r["method"] == "OHEM 1:3"), r


def test_detection_levels_are_measured_log_spaced_and_span_50_to_5000(committed):
    found = levels(committed, "detection", "adam", 120)
    ratios = np.array([npp for _, npp in found])
    assert len(ratios) >= 6 and ratios[0] <= 50 and ratios[-1] >= 5000
    steps = np.diff(np.log(ratios))
    assert steps.min() > 0.5 * steps.mean() and steps.max() < 1.5 * steps.mean()  # evenly spaced on a log axis
    for level, npp in found:  # measured: the mean of the seeds' own training sets
        seeds = {r["seed"]: r["seed_neg_per_pos"] for r in committed if r["task"] == "detection" and r["level"] == level}
        assert npp == pytest.approx(np.mean(list(seeds.values())), rel=1e-4)
        assert len(set(seeds.values())) == len(seeds)  # each seed its own images


def test_every_cell_has_enough_paired_seeds(committed):
    """≥ 12 seeds per cell, and 16 wherever the paired interval against α-CE still straddles 0."""
    budgets = {(r["optimizer"], r["iterations"]) for r in committed if r["task"] == "detection"}
    for optimizer, iterations in budgets:
        if optimizer != "adam":
            continue
        for gain in detection_gains(committed, optimizer, iterations):
            d: Difference = gain.difference
            assert d.n >= 12, (optimizer, iterations, gain.level, gain.contender, d.n)
            if not d.measured and gain.contender.startswith("FL"):
                assert d.n >= 16, (optimizer, iterations, gain.level, gain.contender, str(d))


def test_every_method_was_trained_from_the_same_seeds_at_each_level(committed):
    seeds = {}
    for r in committed:
        if r["task"] == "detection" and r["metric"] == "test_ap":
            key = (r["level"], r["optimizer"], r["iterations"])
            seeds.setdefault(key, {}).setdefault((r["method"], r["gamma"], r["alpha"]), set()).add(r["seed"])
    for key, by_method in seeds.items():
        assert len({frozenset(s) for s in by_method.values()}) == 1, key


# ---------------------------------------------------------------- on another CPU


@pytest.mark.other_cpu
@pytest.mark.skipif(os.environ.get("ATEN_CPU_CAPABILITY") != "default",
                    reason="runs in nox's other_cpu session, under ATEN_CPU_CAPABILITY=default")
def test_quick_rows_reproduce_the_committed_map_on_another_cpu(committed):
    fresh = run(QUICK, progress=False)
    key = lambda r: (r["task"], r["level"], r["optimizer"], r["iterations"], r["method"], r["gamma"], r["alpha"], r["seed"], r["metric"])
    stored = {key(r): r for r in committed}
    worst = 0.0
    for r in fresh:
        assert key(r) in stored, key(r)
        worst = max(worst, abs(r["value"] - stored[key(r)]["value"]))
        assert r["value"] == pytest.approx(stored[key(r)]["value"], abs=0.02), key(r)
        assert r["seed_neg_per_pos"] == pytest.approx(stored[key(r)]["seed_neg_per_pos"], rel=1e-5)  # 6 digits stored
    print(f"largest difference from the committed map: {worst:.2g}")
