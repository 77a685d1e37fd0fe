import numpy as np
import pytest
import torch

from focal_teach.experiments import SeedResults, binary_metrics, classification_metrics, over_seeds


# ---------------------------------------------------------------- binary


def test_binary_metrics_by_hand():
    y = [0, 0, 1, 1]
    scores = [0.1, 0.6, 0.4, 0.8]
    m = binary_metrics(y, scores, threshold=0.5)
    # Ranked: 0.8 (pos), 0.6 (neg), 0.4 (pos), 0.1 (neg): precision 1 at recall 1/2, 2/3 at recall 1.
    assert m["average_precision"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # At 0.5: predicted [0, 1, 0, 1]: one true positive, one false positive, one false negative.
    assert m["precision"] == pytest.approx(0.5)
    assert m["recall"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(0.5)
    assert m["balanced_accuracy"] == pytest.approx(0.5)


def test_threshold_moves_the_decisions_not_the_average_precision():
    y = torch.tensor([0, 0, 1, 1])
    scores = torch.tensor([0.1, 0.6, 0.4, 0.8])
    low, high = binary_metrics(y, scores, threshold=0.3), binary_metrics(y, scores, threshold=0.9)
    assert low["recall"] == 1.0 and low["precision"] == pytest.approx(2 / 3)
    assert high["recall"] == 0.0 and high["precision"] == 0.0 and high["f1"] == 0.0  # nothing predicted: 0, no warning
    assert low["average_precision"] == high["average_precision"]


def test_binary_metrics_bad_input():
    with pytest.raises(ValueError, match="one value per example"):
        binary_metrics([0, 1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="binary labels 0/1"):
        binary_metrics([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="no positive example"):
        binary_metrics([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN or inf"):
        binary_metrics([0, 1], [0.1, float("nan")])
    with pytest.raises(TypeError, match="threshold must be a number"):
        binary_metrics([0, 1], [0.1, 0.2], threshold="0.5")


# ---------------------------------------------------------------- multiclass / tokens


def test_classification_metrics_by_hand():
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 1, 1, 0, 2]
    m = classification_metrics(y_true, y_pred, num_classes=3)
    np.testing.assert_allclose(m["recall"], [2 / 3, 1 / 2, 1])
    np.testing.assert_allclose(m["precision"], [2 / 3, 1 / 2, 1])
    np.testing.assert_allclose(m["f1"], [2 / 3, 1 / 2, 1])
    assert m["support"].tolist() == [3, 2, 1]
    assert m["macro_f1"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert m["balanced_accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert m["accuracy"] == pytest.approx(4 / 6)


def test_classification_metrics_skips_padding_and_counts_absent_classes_as_zero():
    y_true = torch.tensor([[1, 0, -100, -100], [0, 0, 1, -100]])
    y_pred = torch.tensor([[1, 0, 3, 3], [0, 1, 1, 2]])  # predictions at padding are ignored
    m = classification_metrics(y_true, y_pred, num_classes=4, ignore_index=-100)
    assert m["support"].tolist() == [3, 2, 0, 0]
    np.testing.assert_allclose(m["recall"], [2 / 3, 1, 0, 0])
    assert m["macro_f1"] == pytest.approx(np.mean([0.8, 0.8, 0, 0]))  # F1 0 for classes never seen
    assert m["accuracy"] == pytest.approx(4 / 5)


def test_classification_metrics_bad_input():
    with pytest.raises(ValueError, match="argmax"):
        classification_metrics(torch.zeros(4, dtype=torch.long), torch.zeros(4, 3), num_classes=3)
    with pytest.raises(ValueError, match="Pass ignore_index= for padding"):
        classification_metrics([0, -100], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="y_pred holds labels outside \\[0, 2\\)"):
        classification_metrics([0, 1], [0, 5], num_classes=2)
    with pytest.raises(ValueError, match="num_classes must be an int ≥ 2"):
        classification_metrics([0, 1], [0, 1], num_classes=1)
    with pytest.raises(ValueError, match="no labelled position"):
        classification_metrics([-100], [0], num_classes=2, ignore_index=-100)


# ---------------------------------------------------------------- over seeds


def fake_run(seed):
    return {
        "a": {"score": 0.5 + 0.1 * seed, "per_class": np.array([seed, 1.0])},
        "b": {"score": 0.45 + 0.1 * seed + (0.1 if seed == 1 else 0.0), "per_class": np.array([0.0, seed])},
    }


def test_over_seeds_collects_and_summarises():
    results = over_seeds(fake_run, range(3))
    assert results.names == ["a", "b"] and results.seeds == [0, 1, 2]
    np.testing.assert_allclose(results.values("a", "score"), [0.5, 0.6, 0.7])
    assert results.mean("a", "score") == pytest.approx(0.6)
    assert results.std("a", "score") == pytest.approx(0.1)  # sample std, ddof = 1
    assert results.values("a", "per_class").shape == (3, 2)
    np.testing.assert_allclose(results.mean("b", "per_class"), [0.0, 1.0])
    diff = results.difference("a", "b", "score")
    np.testing.assert_allclose(diff.values, [0.05, -0.05, 0.05])
    assert diff.wins == 2
    assert diff.n == 3 and diff.losses == 1
    # t(0.975, 2) = 4.303: half-width 4.303 · 0.0577 / √3 = 0.143
    assert diff.interval == pytest.approx((0.01667 - 0.1434, 0.01667 + 0.1434), abs=1e-3)
    assert not diff.measured and diff.verdict() == "no difference we can measure here"
    assert str(diff) == "score: a − b = +0.017, 95 % CI [-0.127, +0.160], a higher on 2/3 seeds"


def test_a_difference_is_measured_only_when_its_interval_excludes_zero():
    from focal_teach.experiments import Difference

    clear = Difference("FL", "CE", "AP", np.array([0.02, 0.03, 0.025, 0.035]))
    assert clear.measured and clear.verdict() == "FL higher" and clear.interval[0] > 0
    lower = Difference("FL", "CE", "AP", -clear.values)
    assert lower.measured and lower.verdict() == "CE higher"
    single = Difference("FL", "CE", "AP", np.array([0.1]))
    assert not single.measured and all(np.isnan(single.interval))


def test_a_difference_prints_to_the_decimals_asked_for():
    from focal_teach.experiments import Difference

    ece = Difference("FL", "CE", "ECE %", np.array([-1.04, -0.96, -1.1, -0.9]))
    assert ece.text(1) == "ECE %: FL − CE = -1.0, 95 % CI [-1.1, -0.9], FL higher on 0/4 seeds"
    assert str(ece) == ece.text(3)
    with pytest.raises(ValueError, match="digits must be an int ≥ 0"):
        ece.text(-1)


def test_table_layout():
    table = over_seeds(fake_run, range(3)).table({"score": "score (↑)"}, digits=2)
    assert table.splitlines() == [
        "mean ± std over 3 seeds    score (↑)",
        "-----------------------  -----------",
        "a                        0.60 ± 0.10",
        "b                        0.58 ± 0.12",
    ]


def test_seed_results_errors_name_what_exists():
    results = over_seeds(fake_run, range(2))
    with pytest.raises(KeyError, match="the runs are \\['a', 'b'\\]"):
        results.values("c", "score")
    with pytest.raises(KeyError, match="has no metric 'auc'"):
        results.values("a", "auc")
    with pytest.raises(ValueError, match="scalar metrics only"):
        results.table(["per_class"])
    with pytest.raises(ValueError, match="seeds is empty"):
        over_seeds(fake_run, [])
    with pytest.raises(ValueError, match="returned runs"):
        over_seeds(lambda seed: {"a": {"x": 1.0}} if seed == 0 else {"b": {"x": 1.0}}, range(2))
    with pytest.raises(TypeError, match="must return"):
        over_seeds(lambda seed: [1.0], range(1))
    single = SeedResults([0], {"a": [{"x": 1.0}]})
    assert single.std("a", "x") == 0.0


PORTABLE_INIT = """
import hashlib, torch
from torch import nn
from focal_teach.experiments import portable_linear_init, seed_everything
digests = []
for dtype in (torch.float32, torch.float64):
    seed_everything(3)
    model = portable_linear_init(nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1)).to(dtype))
    digests.append(hashlib.sha256(torch.cat([p.detach().flatten() for p in model.parameters()]).numpy().tobytes()).hexdigest())
print(" ".join(digests))
"""


def test_portable_linear_init_draws_the_same_weights_under_another_cpus_kernels():
    import os
    import subprocess
    import sys

    def digests(**env):
        done = subprocess.run([sys.executable, "-c", PORTABLE_INIT], env={**os.environ, **env},
                              capture_output=True, text=True, check=True)
        return done.stdout.split()

    here = digests()
    assert len(here) == 2 and here[0] != here[1]
    assert digests(ATEN_CPU_CAPABILITY="default", OMP_NUM_THREADS="1") == here


def test_portable_linear_init_keeps_pytorchs_distribution_and_is_seeded():
    from torch import nn

    from focal_teach.experiments import portable_linear_init, seed_everything

    def drawn(seed):
        seed_everything(seed)
        return portable_linear_init(nn.Sequential(nn.Linear(64, 400), nn.Tanh(), nn.Linear(400, 1)))

    first, again, other = drawn(0), drawn(0), drawn(1)
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), again.parameters()))
    assert not torch.equal(first[0].weight, other[0].weight)
    weight, bias = first[0].weight, first[2].weight
    assert weight.abs().max() <= 1 / 8 and bias.abs().max() <= 1 / 20  # ±1/√fan_in: 64 and 400 inputs
    assert weight.std().item() == pytest.approx((1 / 8) / 3**0.5, rel=0.02)  # uniform: bound / √3
    assert weight.mean().abs().item() < 0.002
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        portable_linear_init(lambda: None)
