"""The variants: sample-dependent γ, FL*, Poly-1 focal loss, class-balanced α.

Each keeps the core loss's guarantees: it reduces to its base loss (γ = 0, ε = 0, or FL*'s
γ = 1, β = 0), matches its equation written out in float64, has finite gradients at saturated
logits and γ < 1, and names the argument at fault on bad input.
"""

import math
import re

import pytest
import torch
import torch.nn.functional as F

from focal_teach import (
    binary_focal_loss,
    binary_focal_loss_star,
    binary_poly1_focal_loss,
    class_weights,
    flsd_53_gamma,
    focal_loss,
    focal_term,
    piecewise_gamma,
    poly1_focal_loss,
)

REDUCTIONS = ["mean", "sum", "none"]


def grad_of(loss, x):
    (g,) = torch.autograd.grad(loss.sum(), x)
    return g


def softmax_case(n=64, c=7, dtype=torch.float32, scale=3.0, ignore=0.0):
    x = (torch.randn(n, c, dtype=torch.float64) * scale).to(dtype).requires_grad_()
    t = torch.randint(c, (n,))
    if ignore:
        t[torch.rand(n) < ignore] = -100
    return x, t


def binary_case(n=200, dtype=torch.float32, scale=3.0):
    x = (torch.randn(n, dtype=torch.float64) * scale).to(dtype).requires_grad_()
    return x, torch.randint(2, (n,))


def saturated_binary(margin, dtype=torch.float32):
    """Logits whose margin x_t = ±margin, for both labels: p_t rounds to 1 or to 0."""
    y = torch.tensor([1, 0, 1, 0])
    x = torch.tensor([margin, -margin, -margin, margin], dtype=dtype, requires_grad=True)
    return x, y


# ------------------------------------------------------------------ sample-dependent γ


def test_flsd_53_is_5_below_0_2_and_3_from_it():
    p_t = torch.tensor([0.0, 0.1, 0.19999, 0.2, 0.5, 1.0], dtype=torch.float64)
    gamma = flsd_53_gamma(p_t)
    assert gamma.tolist() == [5.0, 5.0, 5.0, 3.0, 3.0, 3.0]
    assert gamma.dtype == torch.float64
    assert flsd_53_gamma(torch.rand(3, 4)).shape == (3, 4)


def test_piecewise_gamma_intervals_are_closed_on_the_left():
    gamma = piecewise_gamma([0.25, 0.5], [4, 2, 0.5])
    assert gamma(torch.tensor([0.0, 0.25, 0.49, 0.5, 0.99])).tolist() == [4.0, 2.0, 2.0, 0.5, 0.5]
    assert "thresholds=[0.25, 0.5]" in repr(gamma)


def test_piecewise_gamma_without_thresholds_is_a_constant_gamma():
    x, t = softmax_case()
    torch.testing.assert_close(focal_loss(x, t, gamma=piecewise_gamma([], [2.0])), focal_loss(x, t, gamma=2.0))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_flsd_53_in_the_softmax_loss_uses_gamma_of_each_position(reduction):
    x, t = softmax_case(scale=4.0)
    p_t = torch.softmax(x.detach(), 1).gather(1, t[:, None]).squeeze(1)
    assert (p_t < 0.2).any() and (p_t >= 0.2).any()  # both branches are exercised
    expected = torch.where(p_t < 0.2, focal_term(p_t, 5.0), focal_term(p_t, 3.0))
    ours = focal_loss(x, t, gamma=flsd_53_gamma, reduction=reduction)
    reduced = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    torch.testing.assert_close(ours, reduced, rtol=1e-5, atol=1e-6)
    assert torch.isfinite(grad_of(ours, x)).all()


def test_flsd_53_in_the_binary_loss():
    x, y = binary_case()
    p_t = torch.where(y == 1, torch.sigmoid(x.detach()), torch.sigmoid(-x.detach()))
    expected = torch.where(p_t < 0.2, focal_term(p_t, 5.0), focal_term(p_t, 3.0))
    ours = binary_focal_loss(x, y, gamma=flsd_53_gamma, reduction="none")
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "thresholds, gammas, complaint",
    [
        ([0.2], [5.0], "one value per interval"),
        ([0.5, 0.2], [1, 2, 3], "strictly increasing"),
        ([0.0], [1, 2], "inside (0, 1)"),
        ([1.0], [1, 2], "inside (0, 1)"),
        ([0.2], [5.0, -1.0], "gammas[1]"),
        ([0.2], [5.0, math.inf], "gammas[1]"),
        ([0.2], [5.0, "3"], "gammas[1]"),
        ([float("nan")], [1, 2], "thresholds[0]"),
        (0.2, [5.0, 3.0], "sequences"),
    ],
)
def test_piecewise_gamma_rejects_bad_schedules(thresholds, gammas, complaint):
    with pytest.raises((ValueError, TypeError), match=re.escape(complaint)):
        piecewise_gamma(thresholds, gammas)


# ------------------------------------------------------------------ FL*


def paper_fl_star(x, y, gamma, beta, alpha=None):
    """Appendix A, in float64: x_t = ±x, p*_t = σ(γ x_t + β), FL* = -α_t log(p*_t) / γ."""
    x = x.double()
    x_t = torch.where(y == 1, x, -x)
    loss = -torch.log(torch.sigmoid(gamma * x_t + beta)) / gamma
    if alpha is not None:
        loss = loss * torch.where(y == 1, alpha, 1 - alpha)
    return loss


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-13), (torch.float32, 1e-6)])
def test_fl_star_with_gamma_1_beta_0_is_bce(reduction, dtype, tol):
    # (float32 tolerance: BCE-with-logits' log(1 + e^-x) loses digits that logsigmoid keeps)
    x, y = binary_case(dtype=dtype)
    ours = binary_focal_loss_star(x, y, gamma=1.0, beta=0.0, reduction=reduction)
    bce = F.binary_cross_entropy_with_logits(x, y.to(dtype), reduction=reduction)
    torch.testing.assert_close(ours, bce, rtol=tol, atol=tol)
    torch.testing.assert_close(grad_of(ours, x), grad_of(bce, x), rtol=tol, atol=tol)


@pytest.mark.parametrize("gamma, beta", [(2.0, 1.0), (4.0, 0.0), (0.5, -1.0)])
def test_fl_star_matches_appendix_a_and_its_gradient_appendix_b(gamma, beta):
    x, y = binary_case(dtype=torch.float64, scale=2.0)
    ours = binary_focal_loss_star(x, y, gamma=gamma, beta=beta, alpha=0.25, reduction="none")
    torch.testing.assert_close(ours, paper_fl_star(x, y, gamma, beta, 0.25), rtol=1e-12, atol=1e-14)
    # dFL*/dx = α_t y(p*_t - 1), y = ±1
    sign = torch.where(y == 1, 1.0, -1.0).double()
    p_star = torch.sigmoid(gamma * sign * x.detach() + beta)
    alpha_t = torch.where(y == 1, 0.25, 0.75).double()
    torch.testing.assert_close(grad_of(ours, x), alpha_t * sign * (p_star - 1), rtol=1e-10, atol=1e-14)


def test_fl_star_soft_labels_interpolate_linearly():
    x = torch.randn(50, dtype=torch.float64)
    y = torch.rand(50, dtype=torch.float64)
    pos = binary_focal_loss_star(x, torch.ones_like(x), 2.0, 1.0, reduction="none")
    neg = binary_focal_loss_star(x, torch.zeros_like(x), 2.0, 1.0, reduction="none")
    torch.testing.assert_close(binary_focal_loss_star(x, y, 2.0, 1.0, reduction="none"), y * pos + (1 - y) * neg)


@pytest.mark.parametrize("margin", [20.0, 100.0, 1e4])
@pytest.mark.parametrize("gamma", [0.25, 0.5, 2.0, 4.0])
def test_fl_star_is_finite_when_saturated(margin, gamma):
    x, y = saturated_binary(margin)
    loss = binary_focal_loss_star(x, y, gamma=gamma, beta=1.0, reduction="none")
    g = grad_of(loss, x)
    assert torch.isfinite(loss).all() and torch.isfinite(g).all()
    x64 = x.detach().double()
    sign = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
    expected_loss = F.softplus(-(gamma * sign * x64 + 1.0)) / gamma  # -log σ(z) = softplus(-z), no underflow
    torch.testing.assert_close(loss.double(), expected_loss, rtol=1e-6, atol=1e-6)
    expected_grad = sign * (torch.sigmoid(gamma * sign * x64 + 1.0) - 1)  # appendix B
    torch.testing.assert_close(g.double(), expected_grad, rtol=1e-5, atol=1e-7)


def test_fl_star_gradcheck():
    x, y = binary_case(n=12, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda v: binary_focal_loss_star(v, y, 2.0, 1.0, alpha=0.25), (x,))


def test_fl_star_half_precision_is_computed_in_float32():
    x, y = binary_case()
    half = binary_focal_loss_star(x.detach().half(), y, 2.0, 1.0)
    assert half.dtype == torch.float16
    reference = binary_focal_loss_star(x.detach().half().float(), y, 2.0, 1.0)
    torch.testing.assert_close(half.float(), reference, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize(
    "kwargs, error, complaint",
    [
        (dict(gamma=0.0), ValueError, "must be > 0 for FL"),
        (dict(gamma=-1.0), ValueError, "gamma"),
        (dict(beta=float("nan")), ValueError, "beta"),
        (dict(beta="1"), TypeError, "beta"),
        (dict(alpha=1.5), ValueError, "alpha"),
        (dict(reduction="avg"), ValueError, "reduction"),
    ],
)
def test_fl_star_rejects_bad_arguments(kwargs, error, complaint):
    x, y = binary_case()
    with pytest.raises(error, match=complaint):
        binary_focal_loss_star(x, y, **kwargs)


def test_fl_star_refuses_to_broadcast():
    with pytest.raises(ValueError, match="must equal input shape"):
        binary_focal_loss_star(torch.randn(8), torch.randint(2, (8, 1)))


# ------------------------------------------------------------------ Poly-1, softmax


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [0.0, 0.3])
def test_poly1_with_epsilon_0_is_focal_loss(reduction, weighted, ignore):
    x, t = softmax_case(ignore=ignore)
    alpha = torch.rand(7) + 0.1 if weighted else None
    ours = poly1_focal_loss(x, t, epsilon=0.0, gamma=2.0, alpha=alpha, reduction=reduction)
    base = focal_loss(x, t, gamma=2.0, alpha=alpha, reduction=reduction)
    torch.testing.assert_close(ours, base, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(grad_of(ours, x), grad_of(base, x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poly1_with_epsilon_0_gamma_0_is_cross_entropy(reduction):
    x, t = softmax_case(ignore=0.2)
    ours = poly1_focal_loss(x, t, epsilon=0.0, gamma=0.0, reduction=reduction)
    ce = F.cross_entropy(x, t, reduction=reduction)
    torch.testing.assert_close(ours, ce, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(grad_of(ours, x), grad_of(ce, x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("epsilon", [-1.0, 1.0, 2.5])
def test_poly1_matches_its_equation_in_float64(gamma, epsilon):
    x, t = softmax_case(dtype=torch.float64, ignore=0.2)
    alpha = torch.rand(7, dtype=torch.float64) + 0.1
    kept = t != -100
    safe = torch.where(kept, t, 0)
    p_t = torch.softmax(x, 1).gather(1, safe[:, None]).squeeze(1)
    expected = alpha[safe] * (-((1 - p_t) ** gamma) * torch.log(p_t) + epsilon * (1 - p_t) ** (gamma + 1))
    expected = torch.where(kept, expected, 0.0)
    ours = poly1_focal_loss(x, t, epsilon=epsilon, gamma=gamma, alpha=alpha, reduction="none")
    torch.testing.assert_close(ours, expected, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad_of(ours, x), grad_of(expected, x), rtol=1e-9, atol=1e-13)
    mean = poly1_focal_loss(x, t, epsilon=epsilon, gamma=gamma, alpha=alpha)
    torch.testing.assert_close(mean, expected.sum() / alpha[safe][kept].sum(), rtol=1e-12, atol=0)


def test_poly1_callable_gamma_is_used_in_both_terms():
    x, t = softmax_case(scale=4.0)
    p_t = torch.softmax(x.detach(), 1).gather(1, t[:, None]).squeeze(1)
    g = flsd_53_gamma(p_t)
    expected = focal_term(p_t, g) + 0.5 * (1 - p_t) ** (g + 1)
    ours = poly1_focal_loss(x, t, 0.5, flsd_53_gamma, reduction="none")
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("margin", [20.0, 100.0, 1e4])
@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 1.0, 2.0])
def test_poly1_is_finite_when_saturated(margin, gamma):
    x = torch.zeros(4, 3)
    x[0, 0] = x[1, 2] = margin  # right, p_t rounds to 1
    x[2, 1] = x[3, 0] = margin  # wrong, p_t rounds to 0 (log p_t ≈ -margin)
    x.requires_grad_()
    t = torch.tensor([0, 2, 0, 1])
    loss = poly1_focal_loss(x, t, epsilon=1.0, gamma=gamma, reduction="none")
    g = grad_of(loss, x)
    assert torch.isfinite(loss).all() and torch.isfinite(g).all()
    assert loss[:2].abs().max() < 1e-6 and g[:2].abs().max() < 1e-6
    assert loss[2].item() == pytest.approx(margin + 1.0, rel=1e-4)


def test_poly1_ignored_positions_cannot_poison_loss_or_gradient():
    x, t = softmax_case(n=6)
    with torch.no_grad():
        x[1] = float("nan")
        x[3, 2] = float("inf")
    t[1] = t[3] = -100
    loss = poly1_focal_loss(x, t, epsilon=1.0, reduction="none")
    g = grad_of(loss, x)
    assert loss[1] == 0 and loss[3] == 0 and torch.isfinite(loss).all()
    assert torch.isfinite(g).all() and (g[[1, 3]] == 0).all()


@pytest.mark.parametrize("weighted", [False, True])
def test_poly1_all_ignored_gives_zero_not_nan(weighted):
    x = torch.randn(4, 3, requires_grad=True)
    loss = poly1_focal_loss(x, torch.full((4,), -100), alpha=[1.0, 2.0, 3.0] if weighted else None)
    assert loss.item() == 0.0
    assert (grad_of(loss, x) == 0).all()


def test_poly1_dense_layout_and_gradcheck():
    x = torch.randn(2, 4, 3, 5, dtype=torch.float64, requires_grad=True)
    t = torch.randint(4, (2, 3, 5))
    assert poly1_focal_loss(x, t, reduction="none").shape == (2, 3, 5)
    assert torch.autograd.gradcheck(lambda v: poly1_focal_loss(v, t, 1.0, 0.5, alpha=[1.0, 2.0, 0.5, 1.0]), (x,))


def test_poly1_half_precision_is_computed_in_float32():
    x, t = softmax_case()
    half = poly1_focal_loss(x.detach().half(), t)
    assert half.dtype == torch.float16
    torch.testing.assert_close(half.float(), poly1_focal_loss(x.detach().half().float(), t), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize(
    "kwargs, error, complaint",
    [
        (dict(epsilon=-1.5), ValueError, "epsilon must be a finite number ≥ -1"),
        (dict(epsilon=float("inf")), ValueError, "epsilon"),
        (dict(epsilon=None), TypeError, "epsilon"),
        (dict(gamma=-0.5), ValueError, "gamma"),
        (dict(alpha=0.25), ValueError, "one alpha per class"),
        (dict(alpha=[1.0, 2.0]), ValueError, "7 classes"),
    ],
)
def test_poly1_rejects_bad_arguments(kwargs, error, complaint):
    x, t = softmax_case()
    with pytest.raises(error, match=complaint):
        poly1_focal_loss(x, t, **kwargs)


def test_poly1_rejects_bad_targets_like_focal_loss():
    x, _ = softmax_case()
    with pytest.raises(ValueError, match="outside"):
        poly1_focal_loss(x, torch.full((64,), 9))
    with pytest.raises(TypeError, match="argmax"):
        poly1_focal_loss(x, torch.rand(64))


# ------------------------------------------------------------------ Poly-1, binary


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_binary_poly1_with_epsilon_0_is_binary_focal_loss(reduction, alpha):
    x, y = binary_case()
    ours = binary_poly1_focal_loss(x, y, epsilon=0.0, gamma=2.0, alpha=alpha, reduction=reduction)
    base = binary_focal_loss(x, y, gamma=2.0, alpha=alpha, reduction=reduction)
    torch.testing.assert_close(ours, base, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(grad_of(ours, x), grad_of(base, x), rtol=1e-6, atol=1e-8)


def test_binary_poly1_with_epsilon_0_gamma_0_is_bce():
    x, y = binary_case()
    ours = binary_poly1_focal_loss(x, y, epsilon=0.0, gamma=0.0)
    torch.testing.assert_close(ours, F.binary_cross_entropy_with_logits(x, y.float()), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("epsilon", [-1.0, 1.0])
def test_binary_poly1_matches_its_equation_in_float64(epsilon):
    x, y = binary_case(dtype=torch.float64)
    p_t = torch.where(y == 1, torch.sigmoid(x), torch.sigmoid(-x))
    alpha_t = torch.where(y == 1, 0.25, 0.75).double()
    expected = alpha_t * (-((1 - p_t) ** 2) * torch.log(p_t) + epsilon * (1 - p_t) ** 3)
    ours = binary_poly1_focal_loss(x, y, epsilon=epsilon, gamma=2.0, alpha=0.25, reduction="none")
    torch.testing.assert_close(ours, expected, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad_of(ours, x), grad_of(expected, x), rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("margin", [20.0, 100.0, 1e4])
@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 2.0])
def test_binary_poly1_is_finite_when_saturated(margin, gamma):
    x, y = saturated_binary(margin)
    loss = binary_poly1_focal_loss(x, y, epsilon=1.0, gamma=gamma, reduction="none")
    g = grad_of(loss, x)
    assert torch.isfinite(loss).all() and torch.isfinite(g).all()
    torch.testing.assert_close(g, torch.tensor([0.0, 0.0, -1.0, 1.0]), atol=1e-5, rtol=1e-5)


def test_binary_poly1_gradcheck_with_soft_labels():
    x = torch.randn(10, dtype=torch.float64, requires_grad=True)
    y = torch.rand(10, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda v: binary_poly1_focal_loss(v, y, 1.0, 0.5, alpha=0.25), (x,))


def test_binary_poly1_rejects_bad_arguments():
    x, y = binary_case()
    with pytest.raises(ValueError, match="epsilon"):
        binary_poly1_focal_loss(x, y, epsilon=-3.0)
    with pytest.raises(TypeError, match="alpha for the binary loss"):
        binary_poly1_focal_loss(x, y, alpha=[0.25, 0.75])
    with pytest.raises(ValueError, match="must equal input shape"):
        binary_poly1_focal_loss(x, y[:, None])


# ------------------------------------------------------------------ class-balanced α (Cui et al.)


def test_class_balanced_alpha_is_focal_loss_with_effective_number_weights():
    counts = torch.tensor([500, 120, 30, 8, 2])
    alpha = class_weights(counts=counts, method="effective", beta=0.99)
    # Cui et al.: α_c ∝ (1 - β) / (1 - β^n_c), normalised to sum to C
    raw = (1 - 0.99) / (1 - 0.99 ** counts.double())
    torch.testing.assert_close(alpha.double(), raw * 5 / raw.sum(), rtol=1e-6, atol=0)
    x, t = softmax_case(c=5)
    p_t = torch.softmax(x.detach(), 1).gather(1, t[:, None]).squeeze(1)
    ours = focal_loss(x, t, gamma=2.0, alpha=alpha, reduction="none")
    torch.testing.assert_close(ours, alpha[t] * focal_term(p_t, 2.0), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(
        poly1_focal_loss(x, t, epsilon=0.0, alpha=alpha), focal_loss(x, t, alpha=alpha), rtol=1e-6, atol=1e-7
    )


def test_class_balanced_alpha_spans_no_weighting_to_inverse_frequency():
    counts = torch.tensor([500, 120, 30, 8, 2])
    x, t = softmax_case(c=5)
    equal = class_weights(counts=counts, method="effective", beta=0.0)
    torch.testing.assert_close(focal_loss(x, t, alpha=equal), focal_loss(x, t))
    nearly_one = class_weights(counts=counts, method="effective", beta=1 - 1e-9)
    torch.testing.assert_close(nearly_one, class_weights(counts=counts, method="inverse"), rtol=1e-4, atol=0)
