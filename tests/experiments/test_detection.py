"""Dense detection in miniature: prior bias, toy data, normalisation, training trace, Figure 4's curves."""

import math
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from focal_teach import binary_focal_loss, binary_focal_loss_star
from focal_teach.data import make_dense_detection
from focal_teach.experiments import (
    TinyDetector,
    anchor_average_precision,
    cumulative_loss_share,
    dense_detection_loss,
    loss_share_of_hardest,
    prior_bias,
    seed_everything,
    train_detector,
)

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


# ------------------------------------------------------------------ data


def test_toy_data_has_one_positive_per_thousand_negatives():
    data = make_dense_detection(8, seed=3)
    assert data.signals.shape == (8, 1, 4096) and data.signals.dtype == torch.float32
    assert data.labels.shape == (8, 4096)
    assert data.labels.sum(1).tolist() == [4.0] * 8
    assert data.num_positives == 32 and data.num_anchors == 8 * 4096
    negatives_per_positive = (data.num_anchors - data.num_positives) / data.num_positives
    assert 900 < negatives_per_positive < 1100
    assert set(data.labels.unique().tolist()) == {0.0, 1.0}


def test_toy_data_objects_and_distractors_are_where_labelled():
    data = make_dense_detection(4, seed=1, noise=0.0)
    assert data.distractors.sum(1).tolist() == [4] * 4
    assert not (data.distractors & (data.labels == 1)).any()
    for i in range(4):
        centres = torch.cat([data.labels[i].nonzero().flatten(), data.distractors[i].nonzero().flatten()]).sort().values
        assert (centres.diff() >= 16).all()
        # without noise, each centre is a local maximum of the signal, at least 1 high
        s = data.signals[i, 0]
        for c in centres.tolist():
            assert s[c] >= 1.0 and s[c] >= s[c - 1] and s[c] >= s[c + 1]
        # objects are narrow (width 2), distractors wide (width 5): compare the signal 4 anchors away
        for c in data.labels[i].nonzero().flatten().tolist():
            assert s[c + 4] / s[c] < 0.2
        for c in data.distractors[i].nonzero().flatten().tolist():
            assert s[c + 4] / s[c] > 0.6


def test_toy_data_is_seeded():
    a, b, c = make_dense_detection(2, seed=5), make_dense_detection(2, seed=5), make_dense_detection(2, seed=6)
    assert torch.equal(a.signals, b.signals) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.labels, c.labels)


@pytest.mark.parametrize(
    "kwargs, complaint",
    [
        (dict(num_images=0), "num_images"),
        (dict(num_images=1, num_anchors=64, objects_per_image=4), "leaves room for 2"),
        (dict(num_images=1, noise=-1.0), "noise"),
        (dict(num_images=1, distractors_per_image=-1), "distractors_per_image"),
    ],
)
def test_toy_data_rejects_bad_arguments(kwargs, complaint):
    with pytest.raises(ValueError, match=complaint):
        make_dense_detection(**kwargs)


# ------------------------------------------------------------------ model and loss


def test_tiny_detector_scores_every_anchor_and_takes_the_prior():
    data = make_dense_detection(2, num_anchors=512)
    assert TinyDetector()(data.signals).shape == (2, 512)
    model = TinyDetector(prior=0.01)
    assert model.head.bias.item() == pytest.approx(prior_bias(0.01))
    with pytest.raises(ValueError, match="odd"):
        TinyDetector(kernel_size=4)


def test_normalising_by_positives_is_the_sum_over_anchors_divided_by_positives():
    data = make_dense_detection(3, seed=2)
    logits = torch.randn(data.labels.shape)
    total = binary_focal_loss(logits, data.labels, gamma=2.0, alpha=0.25, reduction="sum")
    by_positives = dense_detection_loss(logits, data.labels, gamma=2.0, alpha=0.25)
    by_anchors = dense_detection_loss(logits, data.labels, normalize="anchors", gamma=2.0, alpha=0.25)
    torch.testing.assert_close(by_positives, total / 12)
    torch.testing.assert_close(by_anchors, total / data.num_anchors)
    # γ = 0 without α, "anchors" is the plain mean BCE
    torch.testing.assert_close(
        dense_detection_loss(logits, data.labels, normalize="anchors", gamma=0.0),
        F.binary_cross_entropy_with_logits(logits, data.labels),
    )


def test_detection_loss_takes_any_binary_loss_and_no_positives_divides_by_one():
    logits, labels = torch.randn(2, 100), torch.zeros(2, 100)
    star = dense_detection_loss(logits, labels, loss=binary_focal_loss_star, gamma=2.0, beta=1.0)
    torch.testing.assert_close(star, binary_focal_loss_star(logits, labels, 2.0, 1.0, reduction="sum"))
    with pytest.raises(ValueError, match="normalize"):
        dense_detection_loss(logits, labels, normalize="mean")
    with pytest.raises(ValueError, match="must equal input shape"):
        dense_detection_loss(logits, labels.flatten())


# ------------------------------------------------------------------ training


def train(prior, gamma, alpha, seed=0, iterations=60):
    seed_everything(seed)
    data = make_dense_detection(4, seed=11)
    model = TinyDetector(prior=prior)
    before = anchor_average_precision(model, data)
    trace = train_detector(model, partial(dense_detection_loss, gamma=gamma, alpha=alpha), data, iterations=iterations)
    return model, data, trace, before


def test_trace_records_every_iteration_and_starts_at_the_initial_loss():
    seed_everything(0)
    data = make_dense_detection(2, seed=1)
    model = TinyDetector(prior=0.01)
    loss_fn = partial(dense_detection_loss, gamma=2.0, alpha=0.25)
    with torch.no_grad():
        initial = loss_fn(model(data.signals), data.labels).item()
    trace = train_detector(model, loss_fn, data, iterations=7)
    assert len(trace.loss) == len(trace.grad_norm) == len(trace.positive_prob) == len(trace.negative_prob) == 7
    assert trace.loss[0] == pytest.approx(initial, rel=1e-6)
    assert trace.negative_prob[0] < 0.05  # the prior: every anchor starts near π = 0.01


def test_training_with_the_prior_learns_to_detect():
    model, data, trace, before = train(prior=0.01, gamma=2.0, alpha=0.25)
    after = anchor_average_precision(model, data)
    assert trace.loss[-1] < 0.5 * trace.loss[0]
    assert after > 0.3 and after > 5 * before
    assert trace.positive_prob[-1] > 5 * trace.negative_prob[-1]


def test_without_the_prior_the_first_step_is_a_shock():
    """The paper's first-iteration problem: negatives dominate CE's initial loss and gradient."""
    *_, with_prior, _ = train(prior=0.01, gamma=0.0, alpha=None, iterations=2)
    *_, default, _ = train(prior=None, gamma=0.0, alpha=None, iterations=2)
    assert default.loss[0] > 20 * with_prior.loss[0]
    assert default.grad_norm[0] > 20 * with_prior.grad_norm[0]
    assert default.positive_prob[1] < 0.01  # one step later: "everything is background"


def test_training_is_deterministic():
    a = train(prior=0.01, gamma=2.0, alpha=0.25, iterations=5)[2]
    b = train(prior=0.01, gamma=2.0, alpha=0.25, iterations=5)[2]
    assert a.loss == b.loss


def test_train_detector_rejects_zero_iterations():
    with pytest.raises(ValueError, match="iterations"):
        train_detector(TinyDetector(), dense_detection_loss, make_dense_detection(1), iterations=0)


# ------------------------------------------------------------------ evaluation


def test_cumulative_loss_share_by_hand():
    fraction, share = cumulative_loss_share(torch.tensor([3.0, 1.0]))
    np.testing.assert_allclose(fraction, [0.5, 1.0])
    np.testing.assert_allclose(share, [0.25, 1.0])


def test_loss_share_of_hardest_by_hand():
    losses = [1.0, 1.0, 1.0, 7.0]
    assert loss_share_of_hardest(losses, 0.25) == pytest.approx(0.7)
    assert loss_share_of_hardest(losses, 0.5) == pytest.approx(0.8)
    assert loss_share_of_hardest(losses, 1.0) == pytest.approx(1.0)
    assert loss_share_of_hardest(np.ones(1000), 0.2) == pytest.approx(0.2)


@pytest.mark.parametrize("losses", [[], [0.0, 0.0], [1.0, -1.0], [1.0, math.nan]])
def test_loss_shares_reject_bad_losses(losses):
    with pytest.raises(ValueError, match="losses"):
        cumulative_loss_share(losses)


@pytest.mark.parametrize("fraction", [0.0, 1.5, -0.2])
def test_loss_share_of_hardest_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="fraction"):
        loss_share_of_hardest([1.0, 2.0], fraction)


class Oracle(nn.Module):
    def __init__(self, scores):
        super().__init__()
        self.scores = scores

    def forward(self, signals):
        return self.scores


def test_average_precision_of_a_perfect_and_of_a_diverged_model():
    data = make_dense_detection(2, num_anchors=512)
    assert anchor_average_precision(Oracle(data.labels * 5.0 - 2.0), data) == pytest.approx(1.0)
    assert math.isnan(anchor_average_precision(Oracle(torch.full_like(data.labels, math.nan)), data))
    shuffled = data.labels.flatten()[torch.randperm(data.num_anchors)].view_as(data.labels)
    assert anchor_average_precision(Oracle(shuffled), data) < 0.1
