"""Notebook 09's clinic, outside the notebook: each failing version really fails, each fix really fixes.

One test (or a few) per diagnosis, on the package's helpers (``focal_teach.experiments.clinic``),
then the helpers themselves: ``fit_stack`` against ``fit``, ``per_model`` against the losses it
wraps, and their errors. The diagnoses are also run in nox's ``other_cpu`` session: a symptom
that only shows on one CPU's kernels would not be a diagnosis.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from focal_teach import alpha_weight, binary_focal_loss, class_counts, class_weights, focal_loss
from focal_teach.data import IGNORE, long_tailed_digits, make_dense_detection
from focal_teach.data.multilabel import rare_multilabel
from focal_teach.experiments import (
    TinyDetector,
    asymmetric_loss,
    classification_metrics,
    dense_detection_loss,
    fit,
    logit_adjusted_cross_entropy,
    predict,
    seed_everything,
    train_detectors,
)
from focal_teach.experiments.clinic import (
    GradientProbe,
    MLPStack,
    effective_class_weights,
    first_iteration,
    fit_stack,
    multilabel_metrics,
    naive_binary_focal_loss,
    naive_sequence_focal_loss,
    per_model,
    probe_gradient,
)

FOCAL = dict(gamma=2.0, alpha=0.25)
HARD_NEGATIVES = torch.tensor([-4.0, 0.0, 4.0, 9.0, 12.0])  # y = 0: the last two are confidently wrong
SCENE = dict(objects_per_image=4, distractors_per_image=3)


def exact_probe(logits, target, **kwargs) -> GradientProbe:
    return probe_gradient(binary_focal_loss, logits.double(), target.double(), **kwargs)


# ---------------------------------------------------------------- 1 · NaN under float16 / autocast


@pytest.mark.other_cpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_the_hand_written_loss_is_inf_with_nan_gradients_under_autocast(dtype):
    labels = torch.zeros(5)
    probe = probe_gradient(naive_binary_focal_loss, HARD_NEGATIVES, labels, autocast=dtype, **FOCAL)
    assert probe.logits_dtype == dtype  # autocast really handed the loss low-precision logits
    assert probe.loss == math.inf and probe.nan >= 1 and not probe.finite
    assert probe.grad[:3].isfinite().all()  # the easy and moderate examples are fine: the hard ones break it


@pytest.mark.other_cpu
def test_eps_is_zero_in_float16_and_hides_the_hardest_gradients_in_bfloat16():
    labels = torch.zeros(5)
    assert torch.tensor(1e-8, dtype=torch.float16).item() == 0.0
    fp16 = probe_gradient(naive_binary_focal_loss, HARD_NEGATIVES, labels, autocast=torch.float16, eps=1e-8, **FOCAL)
    assert fp16.loss == math.inf and fp16.nan >= 1
    bf16 = probe_gradient(naive_binary_focal_loss, HARD_NEGATIVES, labels, autocast=torch.bfloat16, eps=1e-8, **FOCAL)
    exact = exact_probe(HARD_NEGATIVES, labels, **FOCAL)
    assert bf16.finite and bf16.loss > 1.3 * exact.loss  # finite, but wrong
    assert bf16.grad[-2:].tolist() == [0.0, 0.0] and (exact.grad[-2:] > 0.05).all()  # the hardest get nothing


@pytest.mark.other_cpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_focal_teach_is_exact_under_autocast(dtype):
    labels = torch.zeros(5)
    probe = probe_gradient(binary_focal_loss, HARD_NEGATIVES, labels, autocast=dtype, **FOCAL)
    exact = exact_probe(HARD_NEGATIVES, labels, **FOCAL)
    assert probe.finite and probe.loss_dtype == torch.float32
    assert probe.loss == pytest.approx(exact.loss, rel=1e-4)
    torch.testing.assert_close(probe.grad.double(), exact.grad, rtol=1e-2, atol=1e-4)  # through a low-precision layer


@pytest.mark.other_cpu
def test_casting_to_float32_only_moves_the_cliff():
    labels = torch.zeros(2)
    at_12 = probe_gradient(naive_binary_focal_loss, torch.tensor([0.0, 12.0]), labels, **FOCAL)
    at_20 = probe_gradient(naive_binary_focal_loss, torch.tensor([0.0, 20.0]), labels, **FOCAL)
    assert at_12.finite and at_20.loss == math.inf and at_20.nan == 1
    assert probe_gradient(binary_focal_loss, torch.tensor([0.0, 20.0]), labels, **FOCAL).finite


# ---------------------------------------------------------------- 2 · another scale


def test_the_focal_loss_is_at_most_cross_entropy_element_by_element():
    x, y = 6 * torch.randn(10_000, dtype=torch.float64), torch.randint(2, (10_000,)).double()
    fl = binary_focal_loss(x, y, gamma=2.0, reduction="none")
    ce = binary_focal_loss(x, y, gamma=0.0, reduction="none")
    assert (fl <= ce).all() and (fl < 0.5 * ce).any()


def test_the_weighted_mean_divides_by_the_sum_of_the_weights():
    x, y = torch.randn(8, 3, dtype=torch.float64), torch.tensor([0, 0, 0, 0, 0, 0, 1, 2])
    w = torch.tensor([0.2, 1.4, 1.4], dtype=torch.float64)
    per_example = focal_loss(x, y, gamma=2.0, reduction="none")
    weighted = focal_loss(x, y, gamma=2.0, alpha=w)
    torch.testing.assert_close(weighted, (w[y] * per_example).sum() / w[y].sum())
    assert not math.isclose(weighted.item(), (w[y] * per_example).mean().item(), rel_tol=0.1)  # a hand-written mean is another number


def test_a_lower_training_loss_is_not_a_better_model():
    """On unseen seeds: FL's training loss is far below CE's on every seed, their macro-F1 within 0.02."""
    seeds = (100, 101, 102, 103)
    data = {s: long_tailed_digits(imbalance=50, seed=s) for s in seeds}
    losses = {"CE": per_model(focal_loss, gamma=0.0), "FL": per_model(focal_loss, gamma=2.0)}
    jobs = [(name, s) for name in losses for s in seeds]
    mlps = []
    for _, s in jobs:
        seed_everything(s)
        mlps.append(nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)))
    final = fit_stack(mlps, [losses[n] for n, _ in jobs], [data[s].x_train for _, s in jobs],
                      [data[s].y_train for _, s in jobs], epochs=300, lr=0.01)
    f1 = [classification_metrics(data[s].y_test, predict(m, data[s].x_test).argmax(1), num_classes=10)["macro_f1"]
          for (_, s), m in zip(jobs, mlps)]
    ce_loss, fl_loss = final[:4], final[4:]
    assert (fl_loss < 0.5 * ce_loss).all()
    assert abs(np.mean(f1[4:]) - np.mean(f1[:4])) < 0.02


# ---------------------------------------------------------------- 3 and 4 · the map, and α


def shipped_map():
    from focal_teach.experiments import load_imbalance_map

    try:
        return load_imbalance_map()
    except FileNotFoundError:
        pytest.skip("the imbalance map (focal_teach/experiments/imbalance_map.csv) is not shipped in this checkout")


def test_the_map_sends_the_long_tailed_digits_to_logit_adjustment():
    from focal_teach.experiments.advice import will_focal_loss_help

    counts = class_counts(long_tailed_digits(imbalance=50).y_train, 10)
    advice = will_focal_loss_help(counts=counts.tolist(), task="classification", rows=shipped_map())
    assert advice.verdict == "no difference measured"
    assert advice.try_first and advice.try_first[0].startswith("logit-adjusted CE")


def test_alpha_weighs_the_positives_and_a_single_alpha_is_refused_for_softmax():
    assert alpha_weight(torch.tensor([1, 0]), 0.25).tolist() == [0.25, 0.75]
    with pytest.raises(ValueError, match="one alpha per class"):
        focal_loss(torch.randn(4, 3), torch.tensor([0, 1, 2, 2]), gamma=2.0, alpha=0.25)


def test_the_tuned_alpha_falls_as_gamma_grows_on_the_map():
    from focal_teach.experiments.map_reading import levels, tuned_alpha

    rows = shipped_map()
    for level, _ in levels(rows, "detection", "adam", 120):
        assert tuned_alpha(rows, level, "CE", 0.0) > 0.5
        assert tuned_alpha(rows, level, "FL", 2.0) < 0.5


# ---------------------------------------------------------------- 5 · ÷ outputs


@pytest.fixture(scope="module")
def scenes():
    return {n: make_dense_detection(num_images=3, num_positions=n, seed=1000, **SCENE) for n in (1024, 4096)}


def detector(prior=0.01):
    seed_everything(0)
    return TinyDetector(hidden=4, prior=prior)


@pytest.mark.other_cpu
def test_the_mean_over_outputs_vanishes_as_anchors_grow_and_positives_do_not(scenes):
    by_positives = [first_iteration(detector(), d, "positives", **FOCAL)[0] for d in scenes.values()]
    by_outputs = [first_iteration(detector(), d, "outputs", **FOCAL)[0] for d in scenes.values()]
    assert by_positives[1] == pytest.approx(by_positives[0], rel=0.05)
    assert by_outputs[1] < 0.4 * by_outputs[0]


def test_dividing_by_the_outputs_is_a_learning_rate_under_sgd(scenes):
    data = scenes[1024]
    factor = int((data.targets != IGNORE).sum()) / data.num_positives
    _, norm_positives = first_iteration(detector(), data, "positives", **FOCAL)
    _, norm_outputs = first_iteration(detector(), data, "outputs", **FOCAL)
    assert norm_outputs * factor == pytest.approx(norm_positives, rel=1e-5)
    runs = [("positives", 0.01), ("outputs", 0.01 * factor), ("outputs", 0.01)]
    trained = []
    for normalize, lr in runs:
        model = detector()
        train_detectors([model], [functools.partial(dense_detection_loss, normalize=normalize, **FOCAL)], data,
                        iterations=10, optimizer="sgd", lr=lr)
        trained.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert (trained[0] - trained[1]).abs().max() < 1e-5  # the same training
    assert (trained[0] - trained[2]).abs().max() > 100 * (trained[0] - trained[1]).abs().max()


def test_adam_undoes_the_factor_up_to_its_epsilon(scenes):
    """The notebook's reason why Adam's two runs differ: ε scaled by the factor makes them agree."""
    data = scenes[1024]
    factor = int((data.targets != IGNORE).sum()) / data.num_positives

    def adam_run(normalize, eps):
        model = detector()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01, eps=eps)
        for _ in range(20):
            optimizer.zero_grad()
            dense_detection_loss(model(data.signals), data.targets, normalize=normalize, **FOCAL).backward()
            optimizer.step()
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    reference = adam_run("positives", 1e-8)
    assert (adam_run("outputs", 1e-8 / factor) - reference).abs().max() < 1e-4
    assert (adam_run("outputs", 1e-8) - reference).abs().max() > 1e-3


# ---------------------------------------------------------------- 6 · padding


def padded_batch():
    seed_everything(0)
    real = torch.arange(6) < torch.tensor([6, 4, 3, 2])[:, None]
    tags = torch.randint(3, (4, 6)).masked_fill(~real, -100)
    return real, tags, torch.randn(4, 6, 5), nn.Linear(5, 3)


def weight_gradient(loss_fn):
    real, tags, features, head = padded_batch()
    logits = head(features) + torch.where(real, 0.0, -math.inf)[..., None]  # the padding as an additive -inf mask
    loss_fn(logits, real, tags).backward()
    return head.weight.grad


@pytest.mark.other_cpu
@pytest.mark.parametrize("masking", [
    lambda x, real, tags: (naive_sequence_focal_loss(x, tags) * real).sum() / real.sum(),
    lambda x, real, tags: torch.where(real, naive_sequence_focal_loss(x, tags), 0.0).sum() / real.sum(),
    lambda x, real, tags: naive_sequence_focal_loss(x, tags)[real].mean(),
    lambda x, real, tags: F.cross_entropy(x.movedim(-1, 1), tags),
], ids=["times-mask", "where-after", "index-after", "F.cross_entropy"])
def test_masking_after_computing_spoils_the_weights(masking):
    assert weight_gradient(masking).isnan().any()


@pytest.mark.other_cpu
@pytest.mark.parametrize("masking", [
    lambda x, real, tags: naive_sequence_focal_loss(torch.where(real[..., None], x, 0.0), tags)[real].mean(),
    lambda x, real, tags: focal_loss(x.movedim(-1, 1), tags, gamma=0.0),
    lambda x, real, tags: focal_loss(x.movedim(-1, 1), tags, gamma=2.0),
], ids=["mask-logits-first", "focal_loss-gamma-0", "focal_loss-gamma-2"])
def test_keeping_ignored_positions_out_of_the_arithmetic_fixes_it(masking):
    assert weight_gradient(masking).isfinite().all()


def test_the_fixes_compute_the_loss_of_the_real_tokens():
    real, tags, features, head = padded_batch()
    logits = head(features).detach()
    by_hand = naive_sequence_focal_loss(torch.where(real[..., None], logits, 0.0), tags)[real].mean()
    torch.testing.assert_close(by_hand, focal_loss(logits.movedim(-1, 1), tags, gamma=2.0))


# ---------------------------------------------------------------- 7 · γ < 1


@pytest.mark.other_cpu
def test_gamma_below_one_gives_nan_gradients_once_p_t_rounds_to_one():
    margins, positives = torch.tensor([10.0, 16.0, 17.0, 20.0, 30.0]), torch.ones(5)
    naive = probe_gradient(naive_binary_focal_loss, margins, positives, gamma=0.5, alpha=None, reduction="sum")
    assert naive.grad[:2].isfinite().all() and naive.grad[2:].isnan().all()  # σ(x) is 1 in float32 from 16.64
    ours = probe_gradient(binary_focal_loss, margins, positives, gamma=0.5, reduction="sum")
    exact = exact_probe(margins, positives, gamma=0.5, reduction="sum")
    torch.testing.assert_close(ours.grad.double(), exact.grad, rtol=1e-3, atol=0.0)


# ---------------------------------------------------------------- 8 · weights twice


def test_weights_applied_twice_are_squared():
    counts = torch.tensor([100, 65, 42, 27, 18, 11, 7, 5, 3, 2])
    w = class_weights(counts=counts, method="effective", beta=0.99).double()
    once = effective_class_weights(lambda x, y: focal_loss(x, y, gamma=0.0, alpha=w), 10)
    twice = effective_class_weights(lambda x, y: (focal_loss(x, y, gamma=0.0, alpha=w, reduction="none") * w[y]).mean(), 10)
    torch.testing.assert_close(once, w * 10 / w.sum())
    torch.testing.assert_close(twice, w**2 * 10 / (w**2).sum())
    assert (twice[-1] / twice[0]).item() == pytest.approx((w[-1] / w[0]).item() ** 2)
    unweighted = effective_class_weights(functools.partial(focal_loss, gamma=2.0), 10)
    torch.testing.assert_close(unweighted, torch.ones(10, dtype=torch.float64))


def test_effective_class_weights_rejects_a_loss_without_gradient():
    with pytest.raises(ValueError, match="zero or not finite"):
        effective_class_weights(lambda x, y: 0.0 * x.sum(), 3)


# ---------------------------------------------------------------- 9 · softmax for multi-label


def test_a_softmax_finds_at_most_half_the_labels_of_two_label_examples():
    y, rows = torch.zeros(200, 5), torch.arange(200)
    y[rows, rows % 5] = 1
    y[rows[::2], (rows[::2] + 1) % 5] = 1  # half the examples carry two labels
    perfect = 20.0 * (2 * y - 1) + 0.1 * torch.randn(200, 5)  # a perfect scorer's logits (no exact ties at 0.5)
    softmax = multilabel_metrics(y, perfect.softmax(-1))
    sigmoid = multilabel_metrics(y, perfect.sigmoid())
    assert softmax["multi_recall"] <= 0.5 and sigmoid["multi_recall"] == 1.0
    assert ((torch.randn(1000, 5).softmax(-1) > 0.5).sum(1) <= 1).all()


def test_multilabel_metrics_are_scikit_learns():
    from sklearn.metrics import average_precision_score, f1_score

    data = rare_multilabel(n_train=10, n_test=2000, seed=3)
    scores = torch.rand(2000, 10)
    m = multilabel_metrics(data.y_test, scores)
    y = data.y_test.numpy()
    assert m["map"] == pytest.approx(np.mean([average_precision_score(y[:, k], scores[:, k]) for k in range(10)]))
    assert m["micro_f1"] == pytest.approx(f1_score(y, (scores >= 0.5).numpy(), average="micro"))
    with pytest.raises(ValueError, match="no positive example"):
        multilabel_metrics(torch.zeros(4, 2), torch.rand(4, 2))
    with pytest.raises(ValueError, match=r"\[N, K\]"):
        multilabel_metrics(torch.zeros(4), torch.rand(4))
    with pytest.raises(ValueError, match="NaN or inf"):
        multilabel_metrics(torch.eye(2), torch.tensor([[math.nan, 0.0], [0.0, 1.0]]))


# ---------------------------------------------------------------- 10 · the prior


@pytest.mark.other_cpu
def test_without_the_prior_the_first_loss_is_the_negatives(scenes):
    for data in scenes.values():
        negatives_per_positive = data.num_negative_outputs / data.num_positives
        ce_default, _ = first_iteration(detector(prior=None), data, gamma=0.0)
        assert ce_default == pytest.approx(math.log(2) * negatives_per_positive, rel=0.2)  # every output near p = 0.5
        fl_prior, _ = first_iteration(detector(), data, **FOCAL)
        assert fl_prior < 2.0
    grown, _ = first_iteration(detector(prior=None), scenes[4096], gamma=0.0)
    small, _ = first_iteration(detector(prior=None), scenes[1024], gamma=0.0)
    assert grown > 3 * small


# ---------------------------------------------------------------- the helpers


def mlp(seed, d_in=8, hidden=16, k=3):
    seed_everything(seed)
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, k))


@pytest.mark.parametrize("name", ["focal", "weighted", "adjusted"])
def test_fit_stack_trains_each_model_as_fit_does_alone(name):
    xs = [torch.randn(50, 8, generator=torch.Generator().manual_seed(s)) for s in range(3)]
    ys = [torch.randint(3, (50,), generator=torch.Generator().manual_seed(10 + s)) for s in range(3)]
    w = torch.tensor([0.5, 1.0, 2.0])
    counts = torch.tensor([30, 15, 5])
    alone = {"focal": functools.partial(focal_loss, gamma=2.0), "weighted": functools.partial(focal_loss, gamma=0.0, alpha=w),
             "adjusted": functools.partial(logit_adjusted_cross_entropy, class_counts=counts)}[name]
    stacked = {"focal": per_model(focal_loss, gamma=2.0), "weighted": per_model(focal_loss, gamma=0.0, alpha=w),
               "adjusted": per_model(focal_loss, gamma=0.0, offset=torch.log(counts / counts.sum()))}[name]
    models = [mlp(s) for s in range(3)]
    final = fit_stack(models, [stacked] * 3, xs, ys, epochs=30, lr=0.01)
    for s in range(3):
        reference = mlp(s)
        history = fit(reference, alone, xs[s], ys[s], epochs=30, lr=0.01)
        torch.testing.assert_close(predict(models[s], xs[s]), predict(reference, xs[s]), rtol=1e-4, atol=1e-5)
        assert final[s].item() == pytest.approx(history[-1], rel=1e-4)


def test_per_model_binary_and_soft_targets_are_each_models_mean():
    logits = torch.randn(2, 6, 4, dtype=torch.float64)
    labels = torch.randint(2, (2, 6, 4)).double()
    for loss in (F.binary_cross_entropy_with_logits, functools.partial(binary_focal_loss, gamma=2.0), asymmetric_loss):
        values = per_model(loss, layout="binary")(logits, labels)
        torch.testing.assert_close(values, torch.stack([loss(logits[g], labels[g], reduction="mean") for g in range(2)]))
    soft = labels / labels.sum(-1, keepdim=True).clamp_min(1)
    values = per_model(F.cross_entropy)(logits, soft)
    torch.testing.assert_close(values, torch.stack([F.cross_entropy(logits[g], soft[g]) for g in range(2)]))


def test_mlp_stack_and_fit_stack_refuse_what_they_cannot_stack():
    with pytest.raises(ValueError, match="same architecture"):
        MLPStack([mlp(0), mlp(1, hidden=8)])
    with pytest.raises(TypeError, match="has parameters but is not nn.Linear"):
        MLPStack([nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))])
    with pytest.raises(ValueError, match="inputs must be"):
        MLPStack([mlp(0)])(torch.zeros(2, 5, 8))
    with pytest.raises(ValueError, match="one loss function, input set and target set per model"):
        fit_stack([mlp(0), mlp(1)], [per_model(focal_loss)], [torch.zeros(4, 8)] * 2, [torch.zeros(4, dtype=torch.long)] * 2)
    with pytest.raises(ValueError, match="one loss per model"):
        fit_stack([mlp(0)], [lambda x, y: x.sum()], [torch.zeros(4, 8)], [torch.zeros(4, dtype=torch.long)], epochs=1)
    with pytest.raises(ValueError, match="layout must be"):
        per_model(focal_loss, layout="sigmoid")


def test_the_naive_losses_and_the_probe_check_their_arguments():
    x = torch.zeros(3)
    with pytest.raises(ValueError, match="target must have input's shape"):
        naive_binary_focal_loss(x, torch.zeros(3, 1))
    with pytest.raises(ValueError, match="gamma"):
        naive_binary_focal_loss(x, x, gamma=-1.0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        naive_binary_focal_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="without its last"):
        naive_sequence_focal_loss(torch.zeros(2, 5, 3), torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="autocast must be"):
        probe_gradient(binary_focal_loss, x, x, autocast=torch.float64)
    with pytest.raises(ValueError, match="must return a scalar"):
        probe_gradient(binary_focal_loss, x, x, reduction="none")


def test_the_naive_binary_loss_is_the_papers_in_float64():
    x, y = torch.randn(50, dtype=torch.float64), torch.randint(2, (50,)).double()
    torch.testing.assert_close(naive_binary_focal_loss(x, y, **FOCAL), binary_focal_loss(x, y, **FOCAL))
    torch.testing.assert_close(naive_binary_focal_loss(x, y, gamma=0.0, alpha=None), F.binary_cross_entropy_with_logits(x, y))
