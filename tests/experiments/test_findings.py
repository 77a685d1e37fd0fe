"""The training notebooks' findings that hold robustly, re-measured on seeds the notebooks do not use.

Each test repeats one notebook's protocol (data maker, model, recipe) on seeds 10-12. Only the
claims that held on every seed we measured while writing the notebooks are tested; those
that did not (e.g. "focal + α beats α-balanced CE" in 03) are stated in the notebooks, not here.
"""

import functools

import numpy as np
import pytest
import torch
from torch import nn

from focal_teach import binary_focal_loss, class_weights, focal_loss
from focal_teach.experiments import fit, predict, seed_everything
from focal_teach.data import IGNORE_INDEX, rare_tag_sequences, imbalanced_2d, long_tailed_digits
from focal_teach.experiments import binary_metrics, classification_metrics

SEEDS = (10, 11, 12)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Train on one thread: these tiny models gain nothing from two, and on a busy machine a
    two-thread run can be many times slower (each parallel region waits for the other thread)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def train(make_model, loss_fn, data, seed, **kwargs):
    seed_everything(seed)
    model = make_model()
    fit(model, loss_fn, data.x_train, data.y_train, seed=seed, **kwargs)
    return model


# ---------------------------------------------------------------- notebook 03


def mlp_2d():
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1), nn.Flatten(0))


@pytest.fixture(scope="module")
def binary_runs(one_thread):
    runs = []
    for seed in SEEDS:
        data = imbalanced_2d(seed=seed)
        measured = {}
        for name, kwargs in {"CE": {"gamma": 0.0}, "focal+α": {"gamma": 2.0, "alpha": 0.75}}.items():
            model = train(mlp_2d, functools.partial(binary_focal_loss, **kwargs), data, seed, epochs=300, lr=0.03)
            measured[name] = binary_metrics(data.y_test, predict(model, data.x_test).sigmoid(), threshold=0.5)
        runs.append(measured)
    return runs


def test_03_focal_with_alpha_beats_ce_on_minority_recall_at_threshold_half(binary_runs):
    # Measured while writing notebook 03: +0.16 to +0.33 on seeds 10-19; higher on 5/5 of seeds 0-4.
    for run in binary_runs:
        assert run["focal+α"]["recall"] > run["CE"]["recall"] + 0.1


def test_03_but_not_on_average_precision(binary_runs):
    # The same runs rank about equally well: |ΔAP| ≤ 0.033 on each of seeds 10-19.
    gap = np.mean([run["focal+α"]["average_precision"] - run["CE"]["average_precision"] for run in binary_runs])
    assert abs(gap) < 0.04


# ---------------------------------------------------------------- notebook 04


def test_04_class_weights_raise_macro_f1_on_long_tailed_digits():
    # Measured: +0.006 to +0.036 on seeds 10-19; higher on 5/5 of seeds 0-4 (the notebook's).
    gains = []
    for seed in SEEDS:
        data = long_tailed_digits(seed=seed)
        weights = class_weights(data.y_train, "effective", beta=0.99)
        f1 = {}
        for name, alpha in {"CE": None, "weighted CE": weights}.items():
            model = train(lambda: nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)),
                          functools.partial(focal_loss, gamma=0.0, alpha=alpha), data, seed, epochs=300, lr=0.01)
            f1[name] = classification_metrics(data.y_test, predict(model, data.x_test).argmax(1), 10)["macro_f1"]
        gains.append(f1["weighted CE"] - f1["CE"])
    assert min(gains) > 0 and np.mean(gains) > 0.01


# ---------------------------------------------------------------- notebook 05


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(100, 16, padding_idx=0)
        self.conv = nn.Conv1d(16, 32, kernel_size=5, padding=2)
        self.head = nn.Linear(32, 4)

    def forward(self, tokens):
        return self.head(torch.relu(self.conv(self.embed(tokens).transpose(1, 2))).transpose(1, 2))


def prior_bias_(tagger, tags):
    """Notebook 05's prior initialisation: the head's bias is the log of the training tag frequencies."""
    counts = torch.bincount(tags[tags != IGNORE_INDEX], minlength=4)
    with torch.no_grad():
        tagger.head.bias.copy_((counts / counts.sum()).log())
    return tagger


def rare_f1_after(epochs, gamma, prior, data, seed):
    loss = functools.partial(focal_loss, gamma=gamma)
    make = (lambda: prior_bias_(Tagger(), data.y_train)) if prior else Tagger
    model = train(make, lambda logits, y: loss(logits.movedim(-1, 1), y), data, seed,
                  epochs=epochs, lr=0.01, batch_size=100)
    f1 = classification_metrics(data.y_test, predict(model, data.x_test).argmax(-1), 4, ignore_index=IGNORE_INDEX)["f1"]
    return f1[1:].mean()


def test_05_with_the_prior_bias_ce_learns_the_rare_tags_faster_and_the_prior_cures_its_stall():
    # Measured on seeds 0-19 (4 epochs): with the prior bias for both, focal − CE = -0.070 on
    # average and CE ahead on 20/20 seeds (largest focal − CE: -0.022); the prior lifts CE's
    # rare-tag F1 by at least 0.56 on every seed. The old "focal learns faster" was the default bias.
    for seed in SEEDS:
        data = rare_tag_sequences(n_train=1000, n_test=2000, seed=seed)
        ce_prior = rare_f1_after(4, 0.0, True, data, seed)
        assert rare_f1_after(4, 2.0, True, data, seed) < ce_prior
        assert ce_prior > rare_f1_after(4, 0.0, False, data, seed) + 0.3
