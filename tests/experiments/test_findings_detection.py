"""Notebook 06's findings, re-measured on seeds the notebook never uses (training seeds 4-9, another test set).

The notebook trains on seeds 0-3 and tests on images of seed 999. What holds robustly there is
asserted here on unseen data, with margins; what did not hold (a focal-loss win) is asserted as
"no win" only.
"""

from functools import partial

import numpy as np
import pytest
import torch

from focal_teach import binary_focal_loss
from focal_teach.data import IGNORE, make_dense_detection
from focal_teach.experiments import (
    TinyDetector,
    anchor_average_precision,
    dense_detection_loss,
    loss_share_of_hardest,
    sampled_loss,
    seed_everything,
    train_detectors,
)

DATA = dict(num_positions=1024, objects_per_image=4, distractors_per_image=3)  # as in the notebook
SEEDS = range(4, 10)
LOSSES = {
    "CE": partial(dense_detection_loss, gamma=0.0),
    "α-CE": partial(dense_detection_loss, gamma=0.0, alpha=0.75),
    "FL": partial(dense_detection_loss, gamma=2.0, alpha=0.25),
    "1:3 sampling": partial(sampled_loss, batch_size=128, positive_fraction=0.25),
}


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    test = make_dense_detection(num_images=32, seed=998, **DATA)
    train = {s: make_dense_detection(num_images=3, seed=1000 + s, **DATA) for s in SEEDS}
    jobs = [(name, s) for name in LOSSES for s in SEEDS]
    models = []
    for _, s in jobs:
        seed_everything(s)
        models.append(TinyDetector(hidden=4, prior=0.01))
    seed_everything(0)
    train_detectors(models, [LOSSES[n] for n, _ in jobs], [train[s] for _, s in jobs],
                    iterations=120, optimizer="adam", lr=0.03, lr_drops=(2 / 3, 8 / 9))
    models = dict(zip(jobs, models))
    ap = {name: np.array([anchor_average_precision(models[name, s], test) for s in SEEDS]) for name in LOSSES}
    return models, ap, test


def test_dense_training_beats_random_one_to_three_sampling(trained):
    _, ap, _ = trained
    for dense in ["CE", "FL"]:
        d = ap[dense] - ap["1:3 sampling"]
        assert d.mean() > 0 and (d > 0).sum() >= 4, (dense, d)


def test_focal_loss_does_not_beat_alpha_balanced_ce_on_this_toy(trained):
    _, ap, _ = trained
    d = ap["FL"] - ap["α-CE"]
    assert d.mean() < 0.02, d


def test_figure_4_gamma_concentrates_the_negatives_loss_not_the_positives(trained):
    models, _, test = trained
    with torch.no_grad():
        logits = models["FL", SEEDS[0]](test.signals)
    pos, neg = test.targets == 1, test.targets == 0
    share = {}
    for g in (0.0, 2.0):
        loss = binary_focal_loss(logits, test.targets.clamp_min(0), gamma=g, reduction="none")
        share[g] = loss_share_of_hardest(loss[pos], 0.2), loss_share_of_hardest(loss[neg], 0.01)
    assert share[0.0][1] < 0.35 and share[2.0][1] > 0.85  # negatives: hardest 1 %
    assert 0.4 < share[0.0][0] < 0.8 and 0.4 < share[2.0][0] < 0.8  # positives: hardest 20 %, similar
    assert share[2.0][0] - share[0.0][0] < 0.5 * (share[2.0][1] - share[0.0][1])


def test_easy_negatives_carry_little_of_ce_gradient_at_this_imbalance(trained):
    models, _, test = trained
    for s in SEEDS:
        with torch.no_grad():
            p = torch.sigmoid(models["CE", s](test.signals))
        grad = (p - test.targets.clamp_min(0)).abs()
        easy = (test.targets == 0) & (p < 0.01)
        assert grad[easy].sum() / grad[test.targets != IGNORE].sum() < 0.15
