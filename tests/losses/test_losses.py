"""focal_loss and binary_focal_loss: equivalences, reductions, ignore_index, gradients, dtypes."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import paper_focal_loss, torchvision_sigmoid_focal_loss

from focal_teach import alpha_weight, binary_focal_loss, focal_loss, focal_term

REDUCTIONS = ["mean", "sum", "none"]
# [N, C]: both kernels (narrow class dim: elementwise; wide: log_softmax's), [N, C, d1, d2]
SHAPES = [(64, 10), (64, 40), (6, 30, 7), (3, 5, 4, 2)]


def make(shape, dtype=torch.float32, scale=3.0, ignore=0.0):
    x = (torch.randn(*shape, dtype=torch.float64) * scale).to(dtype).requires_grad_()
    t = torch.randint(shape[1], (shape[0],) + tuple(shape[2:]))
    if ignore:
        t[torch.rand(t.shape) < ignore] = -100
    return x, t


def grad_of(loss, x):
    (g,) = torch.autograd.grad(loss.sum(), x)
    return g


# ------------------------------------------------------------------ equivalences


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [0.0, 0.3])
def test_gamma_zero_is_cross_entropy(shape, reduction, weighted, ignore):
    x, t = make(shape, ignore=ignore)
    w = torch.rand(shape[1]) + 0.1 if weighted else None
    ours = focal_loss(x, t, gamma=0.0, alpha=w, reduction=reduction)
    ce = F.cross_entropy(x, t, weight=w, reduction=reduction)
    torch.testing.assert_close(ours, ce, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad_of(ours, x), grad_of(ce, x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gamma", [0.25, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_matches_the_paper_in_float64(shape, gamma, reduction):
    x, t = make(shape, dtype=torch.float64, ignore=0.2)
    alpha = torch.rand(shape[1], dtype=torch.float64) + 0.1
    ours = focal_loss(x, t, gamma=gamma, alpha=alpha, reduction=reduction)
    ref = paper_focal_loss(x, t, gamma, alpha, reduction=reduction)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad_of(ours, x), grad_of(ref, x), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("shape", SHAPES)
def test_float32_matches_float64_reference(shape):
    x, t = make(shape, ignore=0.1)
    x64 = x.detach().double().requires_grad_()
    ours = focal_loss(x, t, gamma=2.0, reduction="none")
    ref = paper_focal_loss(x64, t, 2.0, reduction="none")
    torch.testing.assert_close(ours.double(), ref, rtol=2e-6, atol=1e-7)
    torch.testing.assert_close(grad_of(ours, x).double(), grad_of(ref, x64), rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("shape", SHAPES)
def test_pieces_and_loss_agree(shape):
    x, t = make(shape)
    alpha = [0.1 * (c + 1) for c in range(shape[1])]
    for gamma in [0.0, 0.5, 2.0]:
        p_t = torch.softmax(x.detach(), 1).gather(1, t.unsqueeze(1)).squeeze(1)
        pieces = focal_term(p_t, gamma, alpha_weight(t, alpha))
        torch.testing.assert_close(focal_loss(x, t, gamma, alpha, reduction="none"), pieces, rtol=1e-5, atol=1e-6)


def test_mean_divides_by_the_sum_of_alpha_over_kept_targets():
    x, t = make((50, 4), ignore=0.3)
    alpha = torch.tensor([0.1, 0.2, 0.3, 0.4])
    per_position = focal_loss(x, t, 2.0, alpha, reduction="none")
    kept = t != -100
    expected = per_position.sum() / alpha[t[kept]].sum()
    torch.testing.assert_close(focal_loss(x, t, 2.0, alpha), expected)
    # without alpha: their count
    assert torch.allclose(focal_loss(x, t, 2.0), focal_loss(x, t, 2.0, reduction="sum") / kept.sum())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_binary_matches_torchvision(reduction, gamma):
    x = torch.randn(200, 3, dtype=torch.float64, requires_grad=True) * 4
    y = torch.rand(200, 3, dtype=torch.float64)  # soft labels in [0, 1]
    y[:50] = y[:50].round()
    for alpha in [None, 0.25, 0.9]:
        ours = binary_focal_loss(x, y, gamma=gamma, alpha=alpha, reduction=reduction)
        ref = torchvision_sigmoid_focal_loss(x, y, alpha=-1 if alpha is None else alpha, gamma=gamma, reduction=reduction)
        torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(grad_of(ours, x), grad_of(ref, x), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_gamma_zero_is_bce_with_logits(reduction):
    x = (torch.randn(300) * 5).requires_grad_()
    y = (torch.rand(300) > 0.7).float()
    ours = binary_focal_loss(x, y, gamma=0.0, reduction=reduction)
    bce = F.binary_cross_entropy_with_logits(x, y, reduction=reduction)
    # The exact values, in float64 from the hard labels: BCE = softplus(-x) for y = 1,
    # softplus(x) for y = 0. torch computes (1 - y) x - logsigmoid(x), which cancels for y = 0
    # and x << 0 (exactly 0 in float32 below x ≈ -17), and a gradient sigmoid(x) - y that
    # cancels where sigmoid(x) -> y = 1; ours takes each log term and both sigmoids directly.
    x64 = x.detach().double().requires_grad_()
    exact_loss = _reduce(torch.where(y == 1, F.softplus(-x64), F.softplus(x64)), reduction)
    exact_grad = grad_of(exact_loss, x64)
    pairs = {"loss": (ours.detach(), bce.detach(), exact_loss.detach()), "gradient": (grad_of(ours, x), grad_of(bce, x), exact_grad)}
    for value, torch_value, exact in pairs.values():
        torch.testing.assert_close(value.double(), exact, rtol=3e-7, atol=0)  # to float32's precision
        ours_error, torch_error = (value.double() - exact).abs(), (torch_value.double() - exact).abs()
        assert (ours_error <= torch_error + exact.abs() * 1.2e-7).all()  # never less accurate than torch
        # and equal to torch's value wherever torch's is itself exact to float32's precision
        accurate = torch_error <= exact.abs() * 3e-7
        torch.testing.assert_close(value[accurate], torch_value[accurate], rtol=1e-6, atol=1e-7)
    if reduction == "none":  # the inputs do reach torch's cancellation: the comparison above is not all of them
        loss, torch_loss, exact = pairs["loss"]
        assert ((torch_loss.double() - exact).abs() > exact * 1e-3).any()


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def test_binary_targets_may_be_bool_int_or_float():
    x = torch.randn(20)
    y = torch.rand(20) > 0.5
    expected = binary_focal_loss(x, y.float())
    assert torch.equal(binary_focal_loss(x, y), expected)
    assert torch.equal(binary_focal_loss(x, y.long()), expected)


def test_binary_alpha_weights_positives_and_negatives():
    x = torch.randn(10)
    pos, neg = torch.ones(10), torch.zeros(10)
    base_pos = binary_focal_loss(x, pos, reduction="none")
    base_neg = binary_focal_loss(x, neg, reduction="none")
    torch.testing.assert_close(binary_focal_loss(x, pos, alpha=0.25, reduction="none"), 0.25 * base_pos)
    torch.testing.assert_close(binary_focal_loss(x, neg, alpha=0.25, reduction="none"), 0.75 * base_neg)


# ------------------------------------------------------------------ ignore_index


@pytest.mark.parametrize("shape", SHAPES)
def test_ignored_positions_cannot_poison_loss_or_gradient(shape):
    x, t = make(shape, ignore=0.4)
    poisoned = x.detach().clone()
    ignored = (t == -100).unsqueeze(1).expand_as(poisoned)
    values = torch.tensor([math.inf, -math.inf, math.nan]).repeat(poisoned.numel())[: poisoned.numel()].view_as(poisoned)
    poisoned[ignored] = values[ignored]
    poisoned.requires_grad_()
    for gamma in [0.0, 0.5, 2.0]:
        for reduction in REDUCTIONS:
            clean, dirty = focal_loss(x, t, gamma, reduction=reduction), focal_loss(poisoned, t, gamma, reduction=reduction)
            torch.testing.assert_close(dirty, clean)
            g = grad_of(dirty, poisoned)
            assert torch.isfinite(g).all()
            assert (g[ignored] == 0).all()
            torch.testing.assert_close(g, grad_of(clean, x))


@pytest.mark.parametrize("alpha", [None, [1.0, 2.0, 3.0]])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_all_ignored_gives_zero_not_nan(alpha, reduction):
    x = torch.randn(5, 3, requires_grad=True)
    t = torch.full((5,), -100)
    loss = focal_loss(x, t, alpha=alpha, reduction=reduction)
    assert (loss == 0).all()
    assert (grad_of(loss, x) == 0).all()


def test_zero_weight_classes_give_zero_not_nan():
    x = torch.randn(5, 3, requires_grad=True)
    t = torch.zeros(5, dtype=torch.long)
    loss = focal_loss(x, t, alpha=[0.0, 1.0, 1.0])
    assert loss.item() == 0 and (grad_of(loss, x) == 0).all()


def test_ignore_index_inside_the_class_range():
    """Padding as class 0 with ignore_index=0, as many NLP pipelines do."""
    x, t = make((40, 5))
    ce = F.cross_entropy(x, t, ignore_index=0)
    torch.testing.assert_close(focal_loss(x, t, gamma=0.0, ignore_index=0), ce)


# ------------------------------------------------------------------ gradients


@pytest.mark.parametrize("gamma", [0.25, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("margin", [20.0, 100.0, 1e4])
def test_saturated_gradients_are_finite_and_right(gamma, margin):
    # a confident right, a confident wrong and an undecided example per loss
    x = torch.tensor([[margin, 0.0, 0.0], [0.0, margin, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
    t = torch.tensor([0, 0, 2])
    loss = focal_loss(x, t, gamma=gamma, reduction="sum")
    g = grad_of(loss, x)
    assert torch.isfinite(loss) and torch.isfinite(g).all()
    assert g[0].abs().max() < 1e-7  # nothing left to learn from the confident right example
    # the confident wrong example: p_t ~ 0, so dL/dl = -1 and the gradient is onehot - softmax
    torch.testing.assert_close(g[1], torch.tensor([-1.0, 1.0, 0.0]), rtol=0, atol=1e-6)
    x64 = x[2:].detach().double().requires_grad_()
    ref = paper_focal_loss(x64, t[2:], gamma, reduction="sum")
    torch.testing.assert_close(g[2].double(), grad_of(ref, x64)[0], rtol=1e-6, atol=1e-7)

    xb = torch.tensor([margin, -margin, margin, -margin], requires_grad=True)
    yb = torch.tensor([1.0, 0.0, 0.0, 1.0])
    gb = grad_of(binary_focal_loss(xb, yb, gamma=gamma, reduction="sum"), xb)
    assert torch.isfinite(gb).all()
    assert gb[:2].abs().max() < 1e-7
    torch.testing.assert_close(gb[2:], torch.tensor([1.0, -1.0]), rtol=0, atol=1e-6)


def test_the_usual_pow_backward_does_produce_nan_here():
    """The tests above would be vacuous if plain autograd were fine at these margins."""
    x = torch.tensor([[30.0, 0.0]], requires_grad=True)
    p_t = torch.softmax(x, 1)[:, 0]
    loss = -((1 - p_t) ** 0.5) * torch.log(p_t)
    loss.sum().backward()
    assert torch.isnan(x.grad).any()


@pytest.mark.parametrize("shape", [(6, 4), (7, 20), (4, 3, 5)])
@pytest.mark.parametrize("gamma", [0.0, 0.3, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_softmax(shape, gamma, reduction):
    x, t = make(shape, dtype=torch.float64, ignore=0.2)
    alpha = torch.rand(shape[1], dtype=torch.float64) + 0.1
    assert torch.autograd.gradcheck(lambda x: focal_loss(x, t, gamma, alpha, reduction), (x,))


@pytest.mark.parametrize("gamma", [0.0, 0.3, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_binary(gamma, reduction):
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    y = torch.rand(5, 4, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: binary_focal_loss(x, y, gamma, 0.3, reduction), (x,))


def test_backward_twice_with_retain_graph():
    x, t = make((8, 20))
    loss = focal_loss(x, t)
    (g1,) = torch.autograd.grad(loss, x, retain_graph=True)
    (g2,) = torch.autograd.grad(loss, x)
    torch.testing.assert_close(g1, g2)


def test_upstream_gradient_is_applied():
    x, t = make((8, 20))
    g = grad_of(focal_loss(x, t), x)
    torch.testing.assert_close(grad_of(3.0 * focal_loss(x, t), x), 3.0 * g)
    per = torch.rand(8)
    weighted = grad_of((focal_loss(x, t, reduction="none") * per).sum(), x)
    x64 = x.detach().double().requires_grad_()
    ref = grad_of((paper_focal_loss(x64, t, 2.0, reduction="none") * per).sum(), x64)
    torch.testing.assert_close(weighted.double(), ref, rtol=1e-5, atol=1e-7)


def test_no_grad_and_detached_inputs():
    x, t = make((8, 20))
    with torch.no_grad():
        a = focal_loss(x, t)
    torch.testing.assert_close(a, focal_loss(x.detach(), t))
    assert not a.requires_grad


# ------------------------------------------------------------------ dtypes and layouts


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape", [(32, 10), (32, 40), (4, 10, 6)])
def test_low_precision_is_computed_in_float32(dtype, shape):
    x, t = make(shape)
    low = x.detach().to(dtype).requires_grad_()
    loss = focal_loss(low, t)
    assert loss.dtype == dtype
    g = grad_of(loss, low)
    assert g.dtype == dtype and torch.isfinite(g).all()
    ref = focal_loss(low.detach().float().requires_grad_(), t)
    torch.testing.assert_close(loss.float(), ref, rtol=1e-2, atol=1e-3)

    b = binary_focal_loss(low[:, 0], (t > 2).to(dtype))
    assert b.dtype == dtype


def test_class_last_input_moved_to_dim_one():
    logits = torch.randn(4, 7, 5, requires_grad=True)  # [B, T, C]
    t = torch.randint(5, (4, 7))
    moved = focal_loss(logits.movedim(-1, 1), t)  # a non-contiguous view
    flat = focal_loss(logits.reshape(-1, 5), t.reshape(-1))
    torch.testing.assert_close(moved, flat)
    torch.testing.assert_close(grad_of(moved, logits), grad_of(flat, logits))


def test_from_probabilities():
    x, t = make((30, 6))
    p = torch.softmax(x, 1)
    torch.testing.assert_close(focal_loss(p, t, from_logits=False), focal_loss(x, t), rtol=1e-5, atol=1e-6)
    xb = torch.randn(30)  # moderate: 1 - p is exact enough in float32 (see from_logits's docstring)
    yb = (torch.rand(30) > 0.5).float()
    torch.testing.assert_close(
        binary_focal_loss(torch.sigmoid(xb), yb, from_logits=False), binary_focal_loss(xb, yb), rtol=1e-5, atol=1e-6
    )
    # saturated probabilities: finite gradient (1 - p_t = 0 exactly) where plain pow gives NaN
    pr = torch.tensor([[1.0, 0.0], [0.5, 0.5]], requires_grad=True)
    g = grad_of(focal_loss(pr, torch.tensor([0, 1]), gamma=0.5, from_logits=False), pr)
    assert torch.isfinite(g).all()


def test_callable_gamma_sees_p_t_of_the_targets_shape():
    x, t = make((4, 6, 5))
    shapes = []

    def gamma(p_t):
        shapes.append(tuple(p_t.shape))
        return torch.full((5,), 2.0)  # broadcastable: one gamma per position along d1

    torch.testing.assert_close(focal_loss(x, t, gamma=gamma), focal_loss(x, t, gamma=2.0))
    assert shapes == [(4, 5)]
    xb = torch.randn(3, 7)
    torch.testing.assert_close(binary_focal_loss(xb, torch.ones(3, 7), gamma=lambda p: torch.tensor(1.5)), binary_focal_loss(xb, torch.ones(3, 7), gamma=1.5))


def test_callable_gamma_is_per_position():
    x, t = make((40, 6))
    flsd = lambda p_t: torch.where(p_t < 0.2, 5.0, 3.0)  # noqa: E731  (Mukhoti et al.'s FLSD-53)
    p_t = torch.softmax(x.detach(), 1).gather(1, t.unsqueeze(1)).squeeze(1)
    expected = focal_term(p_t, flsd(p_t))
    torch.testing.assert_close(focal_loss(x, t, gamma=flsd, reduction="none"), expected, rtol=1e-5, atol=1e-6)
    assert torch.isfinite(grad_of(focal_loss(x, t, gamma=flsd), x)).all()


# ------------------------------------------------------------------ properties


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    c=st.integers(2, 24),
    gamma=st.floats(0.0, 5.0),
    scale=st.floats(0.01, 60.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_property_finite_and_bounded_by_cross_entropy(n, c, gamma, scale, seed):
    gen = torch.Generator().manual_seed(seed)
    x = (torch.randn(n, c, generator=gen) * scale).requires_grad_()
    t = torch.randint(c, (n,), generator=gen)
    fl = focal_loss(x, t, gamma, reduction="none")
    ce = F.cross_entropy(x, t, reduction="none")
    assert torch.isfinite(fl).all() and (fl >= 0).all()
    assert (fl <= ce + 1e-6).all()  # (1 - p_t)^γ ≤ 1
    g = grad_of(fl, x)
    assert torch.isfinite(g).all()
    torch.testing.assert_close(g.sum(1), torch.zeros(n), atol=1e-5, rtol=0)  # softmax is shift-invariant
