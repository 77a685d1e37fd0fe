"""Dense detection in miniature: prior bias, the detector, the loss with ignored anchors, batched training, OHEM and sampling, AP."""

import math
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from focal_teach import binary_focal_loss, binary_focal_loss_star
from focal_teach.data import IGNORE, make_dense_detection
from focal_teach.experiments import (
    TinyDetector,
    anchor_average_precision,
    anchor_cross_entropy,
    average_precision,
    cumulative_loss_share,
    dense_detection_loss,
    loss_share_of_hardest,
    nms_1d,
    ohem_loss,
    prior_bias,
    sampled_loss,
    seed_everything,
    train_detector,
    train_detectors,
)

DATA = dict(num_positions=512, objects_per_image=2, distractors_per_image=1)

# ------------------------------------------------------------------ prior_bias


def test_prior_bias_is_the_papers_value():
    assert prior_bias(0.01) == pytest.approx(-4.59512, abs=1e-5)
    assert prior_bias(0.5) == 0.0


@pytest.mark.parametrize("pi", [1e-6, 0.01, 0.3, 0.9])
def test_sigmoid_of_prior_bias_is_the_prior(pi):
    assert torch.sigmoid(torch.tensor(prior_bias(pi), dtype=torch.float64)).item() == pytest.approx(pi, rel=1e-12)


@pytest.mark.parametrize(
    "pi, error", [(0.0, ValueError), (1.0, ValueError), (-0.1, ValueError), (float("nan"), ValueError), ("0.01", TypeError)]
)
def test_prior_bias_rejects_non_probabilities(pi, error):
    with pytest.raises(error, match="pi"):
        prior_bias(pi)


# ------------------------------------------------------------------ model


def test_tiny_detector_scores_every_anchor_and_class_and_takes_the_prior():
    data = make_dense_detection(2, **DATA)
    model = TinyDetector(prior=0.01)
    logits = model(data.signals)
    assert logits.shape == data.targets.shape == (2, 3, 3 * 512)
    assert torch.allclose(model.head.bias, torch.full((9,), prior_bias(0.01)))
    assert not torch.allclose(TinyDetector().head.bias, torch.full((9,), prior_bias(0.01)))


def test_detector_layout_puts_anchor_width_a_at_block_a():
    model = TinyDetector(hidden=2)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(torch.arange(9.0))  # output channel a * K + k
    out = model(torch.zeros(1, 1, 5))
    for a in range(3):
        for k in range(3):
            assert (out[0, k, a * 5 : (a + 1) * 5] == a * 3 + k).all()


# ------------------------------------------------------------------ loss


def test_loss_is_the_sum_over_non_ignored_outputs_divided_by_positives():
    data = make_dense_detection(2, **DATA, seed=2)
    logits = torch.randn(data.targets.shape, generator=torch.Generator().manual_seed(0))
    valid = data.targets != IGNORE
    y = data.targets.clamp_min(0)
    expected = (binary_focal_loss(logits, y, gamma=2.0, alpha=0.25, reduction="none") * valid).sum() / data.num_positives
    assert dense_detection_loss(logits, data.targets, gamma=2.0, alpha=0.25).item() == pytest.approx(expected.item(), rel=1e-6)
    ce = F.binary_cross_entropy_with_logits(logits[valid], y[valid], reduction="mean")
    assert dense_detection_loss(logits, data.targets, gamma=0.0, normalize="outputs").item() == pytest.approx(ce.item(), rel=1e-5)


def test_ignored_outputs_get_no_loss_and_no_gradient_and_no_nan():
    data = make_dense_detection(1, **DATA, seed=4)
    logits = torch.zeros(data.targets.shape, requires_grad=True)
    loss = dense_detection_loss(logits, data.targets, gamma=2.0, alpha=0.25)
    loss.backward()
    ignored = data.targets == IGNORE
    assert ignored.any() and torch.isfinite(logits.grad).all()
    assert (logits.grad[ignored] == 0).all() and (logits.grad[~ignored] != 0).all()
    # changing ignored logits changes nothing
    moved = logits.detach().clone()
    moved[ignored] = 50.0
    assert dense_detection_loss(moved, data.targets, gamma=2.0, alpha=0.25).item() == pytest.approx(loss.item())


def test_loss_per_detector_for_stacked_logits_and_any_binary_loss():
    data = make_dense_detection(2, **DATA)
    logits = torch.randn(3, *data.targets.shape)
    targets = data.targets.expand(3, *data.targets.shape)
    per = dense_detection_loss(logits, targets, loss=binary_focal_loss_star, gamma=2.0, beta=1.0)
    assert per.shape == (3,)
    assert per[1].item() == pytest.approx(
        dense_detection_loss(logits[1], data.targets, loss=binary_focal_loss_star, gamma=2.0, beta=1.0).item(), rel=1e-6)
    none = torch.zeros_like(data.targets)  # no positives: ÷ 1, not ÷ 0
    assert torch.isfinite(dense_detection_loss(logits[0], none)).all()
    with pytest.raises(ValueError, match="normalize"):
        dense_detection_loss(logits[0], data.targets, normalize="anchors")
    with pytest.raises(ValueError, match="shape"):
        dense_detection_loss(logits[0], data.targets[0])


# ------------------------------------------------------------------ OHEM and sampling


def test_nms_1d_keeps_local_maxima():
    keep = nms_1d(torch.tensor([1.0, 3.0, 2.0, 2.0, 5.0, 0.0]))
    assert keep.tolist() == [False, True, False, False, True, False]
    assert nms_1d(torch.tensor([1.0, 2.0]), radius=0).all()


def minibatch(loss_fn, data, logits):
    """The anchors a sampled loss selected, read off the gradient."""
    logits = logits.clone().requires_grad_()
    loss_fn(logits, data.targets).backward()
    return (logits.grad != 0).any(1)  # [B, A·L]


def test_ohem_takes_the_hardest_anchors_at_one_to_three():
    data = make_dense_detection(2, **DATA, seed=1)
    logits = torch.randn(data.targets.shape, generator=torch.Generator().manual_seed(1))
    chosen = minibatch(partial(ohem_loss, batch_size=64, positive_fraction=0.25), data, logits)
    positive = (data.targets == 1).any(1)
    ignored = data.targets[:, 0] == IGNORE
    assert (chosen.sum(1) == 64).all()
    assert (chosen & positive).sum(1).le(16).all() and not (chosen & ignored).any()
    # the negatives chosen are harder than every negative left out that survived NMS
    ce = anchor_cross_entropy(logits, data.targets)
    peaks = nms_1d(ce.unflatten(-1, (3, -1))).flatten(-2)
    for i in range(2):
        neg = ~positive[i] & ~ignored[i] & peaks[i]
        assert ce[i][chosen[i] & neg].min() >= ce[i][~chosen[i] & neg].max()


def test_ohem_without_ratio_and_random_sampling():
    data = make_dense_detection(2, **DATA, seed=1)
    logits = torch.randn(data.targets.shape, generator=torch.Generator().manual_seed(2))
    assert (minibatch(partial(ohem_loss, batch_size=32, positive_fraction=None), data, logits).sum(1) == 32).all()
    positive = (data.targets == 1).any(1)
    a = minibatch(partial(sampled_loss, batch_size=64, generator=torch.Generator().manual_seed(0)), data, logits)
    b = minibatch(partial(sampled_loss, batch_size=64, generator=torch.Generator().manual_seed(1)), data, logits)
    assert (a.sum(1) == 64).all() and not torch.equal(a, b)
    n_pos = positive.sum(1).clamp_max(16)
    assert ((a & positive).sum(1) == n_pos).all() and ((b & positive).sum(1) == n_pos).all()


# ------------------------------------------------------------------ training


def detector(seed, prior=0.01):
    seed_everything(seed)
    return TinyDetector(hidden=4, prior=prior)


def test_batched_training_equals_training_each_detector_alone():
    data = [make_dense_detection(2, **DATA, seed=s) for s in (0, 1)]
    fns = [partial(dense_detection_loss, gamma=2.0, alpha=0.25), partial(dense_detection_loss, gamma=0.0)]
    together = [detector(0), detector(1)]
    traces = train_detectors(together, fns, data, iterations=15, lr=0.02)
    for i in range(2):
        alone = detector(i)
        trace = train_detector(alone, fns[i], data[i], iterations=15, lr=0.02)
        np.testing.assert_allclose(traces[i].loss, trace.loss, rtol=1e-4)
        for p, q in zip(together[i].parameters(), alone.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_trace_records_every_iteration_and_training_with_the_prior_learns():
    train = make_dense_detection(3, **DATA, seed=10)
    test = make_dense_detection(4, **DATA, seed=11)
    model = detector(0)
    first = dense_detection_loss(model(train.signals), train.targets, gamma=2.0, alpha=0.25).item()
    trace = train_detector(model, partial(dense_detection_loss, gamma=2.0, alpha=0.25), train, iterations=60, lr=0.03,
                           lr_drops=(2 / 3,), validation=test, validate_every=30)
    assert len(trace.loss) == len(trace.grad_norm) == len(trace.positive_prob) == 60
    assert trace.loss[0] == pytest.approx(first, rel=1e-5) and trace.loss[-1] < 0.5 * first
    assert [it for it, _ in trace.validation_ap] == [30, 60]
    assert anchor_average_precision(model, test) > 0.2


def test_training_is_deterministic_and_rejects_bad_arguments():
    train = make_dense_detection(2, **DATA)
    fn = partial(dense_detection_loss, gamma=2.0)
    a, b = detector(0), detector(0)
    assert train_detector(a, fn, train, iterations=5).loss == train_detector(b, fn, train, iterations=5).loss
    with pytest.raises(ValueError, match="iterations"):
        train_detector(detector(0), fn, train, iterations=0)
    with pytest.raises(ValueError, match="optimizer"):
        train_detector(detector(0), fn, train, iterations=1, optimizer="lbfgs")
    with pytest.raises(ValueError, match="loss function"):
        train_detectors([detector(0)], [fn, fn], train, iterations=1)


# ------------------------------------------------------------------ evaluation


def test_cumulative_loss_share_by_hand():
    fraction, share = cumulative_loss_share(torch.tensor([3.0, 1.0]))
    np.testing.assert_allclose(fraction, [0.5, 1.0])
    np.testing.assert_allclose(share, [0.25, 1.0])


def test_loss_share_of_hardest_by_hand():
    losses = [1.0, 1.0, 1.0, 7.0]
    assert loss_share_of_hardest(losses, 0.25) == pytest.approx(0.7)
    assert loss_share_of_hardest(losses, 1.0) == pytest.approx(1.0)


class Oracle(nn.Module):
    def __init__(self, scores):
        super().__init__()
        self.scores = scores

    def forward(self, signals):
        return self.scores


def test_average_precision_of_a_perfect_a_random_and_a_diverged_model():
    data = make_dense_detection(2, **DATA)
    perfect = torch.where(data.targets == IGNORE, 100.0, data.targets * 5.0 - 2.0)  # ignored anchors are not scored
    assert anchor_average_precision(Oracle(perfect), data) == pytest.approx(1.0)
    assert len(average_precision(perfect, data.targets, per_class=True)) == 3
    assert math.isnan(anchor_average_precision(Oracle(torch.full_like(data.targets, math.nan)), data))
    noise = torch.randn(data.targets.shape, generator=torch.Generator().manual_seed(0))
    assert anchor_average_precision(Oracle(noise), data) < 0.05


def test_average_precision_equals_scikit_learns_on_every_output_ties_included():
    from sklearn.metrics import average_precision_score

    data = make_dense_detection(4, **DATA, seed=3)
    assert all(bool((data.targets[:, k] == 1).any()) for k in range(data.num_classes))
    g = torch.Generator().manual_seed(1)
    # coarse scores: many ties, some of them with the lowest-scored positive of each class
    scores = (torch.randn(data.targets.shape, generator=g) + 2.0 * (data.targets == 1)).mul(2).round()
    for k in range(data.num_classes):
        y, s = data.targets[:, k].flatten(), scores[:, k].flatten()
        keep = y != IGNORE
        expected = average_precision_score(y[keep].numpy(), s[keep].double().numpy())
        assert average_precision(scores, data.targets, per_class=True)[k] == expected  # exactly


def test_training_without_records_trains_the_same_detectors():
    data = make_dense_detection(2, **DATA, seed=4)
    fns = [partial(dense_detection_loss, gamma=2.0, alpha=0.25)] * 2
    recorded, lean = [detector(0), detector(1)], [detector(0), detector(1)]
    train_detectors(recorded, [fns[0], fns[0]], data, iterations=10, lr=0.02)
    traces = train_detectors(lean, [fns[0], fns[0]], data, iterations=10, lr=0.02, record=False)
    assert traces[0].loss == []
    for a, b in zip(recorded, lean):
        for p, q in zip(a.parameters(), b.parameters()):
            assert torch.equal(p, q)


def test_top_n_breaks_ties_by_position_like_a_stable_sort():
    # OHEM's per-anchor losses tie; topk orders tied keys differently on different CPU kernels,
    # so the choice among ties must not be left to it (notebook 06's OHEM moved between CPUs).
    from focal_teach.experiments.sampling import _top_n

    generator = torch.Generator().manual_seed(0)
    keys = torch.randint(0, 5, (64, 40), generator=generator).float()  # many ties
    keys[::7, ::3] = float("-inf")
    n = torch.randint(0, 45, (64,), generator=generator)
    chosen = _top_n(keys, n)
    for row, count, picked in zip(keys, n, chosen):
        order = sorted(range(len(row)), key=lambda i: (-row[i].item(), i))  # stable: ties to the lowest index
        expected = torch.zeros_like(picked)
        expected[[i for i in order[: int(count)] if torch.isfinite(row[i])]] = True
        assert torch.equal(picked, expected)


def test_sampling_methods_train_alone_so_a_map_row_does_not_depend_on_the_plan():
    from focal_teach.experiments.imbalance_map import Method, _held_out, detection_runs

    def random_ap(methods):
        rows = detection_runs(256, 0, methods, "adam", 0.03, 12, *_held_out(256))
        return [r["value"] for r in rows if r["method"] == "random 1:3" and r["metric"] == "test_ap"]

    alone = random_ap([Method("random 1:3")])
    assert random_ap([Method("CE", 0.0, 0.75), Method("OHEM 1:3"), Method("random 1:3")]) == alone
