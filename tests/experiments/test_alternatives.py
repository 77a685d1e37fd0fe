"""The alternatives to focal loss, against their papers' equations written out in float64."""

import math

import pytest
import torch
import torch.nn.functional as F

from focal_teach.experiments.alternatives import asymmetric_loss, logit_adjusted_cross_entropy


def asl_reference(x: float, y: int, gamma_neg: float, gamma_pos: float, margin: float) -> float:
    p = 1.0 / (1.0 + math.exp(-x))
    if y == 1:
        return -((1.0 - p) ** gamma_pos) * math.log(p)
    p_m = max(p - margin, 0.0)
    return -(p_m**gamma_neg) * math.log(1.0 - p_m)


@pytest.mark.parametrize("gamma_neg, gamma_pos, margin", [(4.0, 0.0, 0.05), (2.0, 1.0, 0.0), (0.0, 0.0, 0.0)])
def test_asymmetric_loss_is_ridnik_et_als_equation(gamma_neg, gamma_pos, margin):
    x = torch.linspace(-12, 12, 49, dtype=torch.float64)
    for y in (0, 1):
        out = asymmetric_loss(x, torch.full_like(x, float(y)), gamma_neg, gamma_pos, margin)
        expected = torch.tensor([asl_reference(v, y, gamma_neg, gamma_pos, margin) for v in x.tolist()], dtype=torch.float64)
        torch.testing.assert_close(out, expected, rtol=1e-9, atol=1e-12)


def test_asymmetric_loss_without_focusing_or_margin_is_binary_cross_entropy():
    x, y = torch.randn(64, dtype=torch.float64), torch.randint(2, (64,)).double()
    torch.testing.assert_close(asymmetric_loss(x, y, 0.0, 0.0, 0.0, reduction="sum"),
                               F.binary_cross_entropy_with_logits(x, y, reduction="sum"))


def test_asymmetric_loss_discards_easy_negatives_and_keeps_finite_gradients():
    x = torch.tensor([-30.0, -5.0, -3.0, 0.0, 3.0, 30.0], requires_grad=True)  # σ(-3) = 0.047 ≤ m
    loss = asymmetric_loss(x, torch.zeros(6), gamma_neg=4.0, margin=0.05)
    assert loss[:3].tolist() == [0.0, 0.0, 0.0]  # p ≤ 0.05: no loss at all
    loss.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad[:3].tolist() == [0.0, 0.0, 0.0] and (x.grad[3:] > 0).all()


def test_asymmetric_loss_rejects_bad_arguments():
    x = torch.zeros(3)
    with pytest.raises(ValueError, match="margin must be in \\[0, 1\\)"):
        asymmetric_loss(x, x, margin=1.0)
    with pytest.raises(ValueError, match="gamma_neg"):
        asymmetric_loss(x, x, gamma_neg=-1.0)
    with pytest.raises(ValueError, match="target must have input's shape"):
        asymmetric_loss(x, torch.zeros(3, 1))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        asymmetric_loss(x, x, reduction="avg")


def test_logit_adjusted_cross_entropy_is_the_shifted_softmax():
    logits, target = torch.randn(32, 4, dtype=torch.float64), torch.randint(4, (32,))
    counts = torch.tensor([100.0, 30.0, 10.0, 2.0])
    expected = F.cross_entropy(logits + torch.log(counts / counts.sum()), target)
    torch.testing.assert_close(logit_adjusted_cross_entropy(logits, target, counts), expected)
    torch.testing.assert_close(logit_adjusted_cross_entropy(logits, target, counts, tau=0.0), F.cross_entropy(logits, target))
    # the same counts, scaled: only the prior matters
    torch.testing.assert_close(logit_adjusted_cross_entropy(logits, target, 10 * counts), expected)


def test_logit_adjusted_cross_entropy_rejects_missing_classes():
    with pytest.raises(ValueError, match="class_counts must hold 3 positive counts"):
        logit_adjusted_cross_entropy(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), torch.tensor([5.0, 0.0, 1.0]))
