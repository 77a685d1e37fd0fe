"""Float32 keeps the loss and its gradient where p_t rounds to 1 (issue 22).

The easy examples, the ones the focal loss exists to down-weight, are those whose logit margin
is large: a negative at x = -17 has p = 4e-8, and float32 rounds 1 - p to 1. The loss and every
entry of its gradient must still agree with float64 there. Before the fix the binary loss's
BCE was exactly 0 in float32 for y = 0 below x ≈ -14.6 (and over 1 % off from x ≈ -10), so the
loss was 0 and the gradient lost its γ term (1/(1 + γ) of the true value), and the softmax
loss's log p_t was 0 once the target led by ≈ 17 (and 17 % off at 15), so loss and gradient were 0.

The reference is written independently in float64 from exact identities (no 1 - p_t anywhere):
binary, with x_t = ±x, q = σ(-x_t) and BCE = softplus(-x_t); softmax, with the margin
d = x_t - logsumexp_{j≠t} x_j, q = σ(-d) and log p_t = -softplus(-d). Its own accuracy at the
probe points is checked against mpmath at 50 digits.

"Agree" means to 1 %, wherever float32 can hold a value to 1 % at all: below 2^-140 (a
subnormal with fewer than 10 significant bits) float32 can only give the value to within that,
and at γ = 5 and margin 30 the true loss (e^-180) is far below float32's smallest number.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from focal_teach import binary_focal_loss, focal_loss, poly1_focal_loss

GAMMAS = [0.5, 1.0, 2.0, 5.0]
MARGINS = [12.0, 15.0, 17.0, 20.0, 30.0]  # errors begin well before 17: CE is 17 % off at 15
RTOL, ATOL = 1e-2, 2.0**-140


def close(ours, reference):
    torch.testing.assert_close(ours.double(), reference, rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------ references, float64


def binary_reference(x, y, gamma, alpha):
    """α_t q^γ BCE for hard labels, from x_t = ±x: no 1 - p and no difference of logs."""
    x_t = torch.where(y == 1, x, -x)
    loss = torch.sigmoid(-x_t) ** gamma * F.softplus(-x_t)
    return loss if alpha is None else loss * torch.where(y == 1, alpha, 1 - alpha)


def softmax_reference(x, t, gamma, alpha):
    """-α_t q^γ log p_t over dim 1, from the margin of the target over the other classes."""
    index = t.unsqueeze(1)
    others = x.scatter(1, index, -math.inf).logsumexp(1)
    d = x.gather(1, index).squeeze(1) - others
    loss = torch.sigmoid(-d) ** gamma * F.softplus(-d)
    return loss if alpha is None else loss * alpha[t]


def float64_gradient(fn, x, *args):
    x64 = x.detach().double().requires_grad_()
    loss = fn(x64, *args)
    (grad,) = torch.autograd.grad(loss.sum(), x64)
    return loss.detach(), grad


# ------------------------------------------------------------------ the probes


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_binary_easy_examples_agree_with_float64(device, gamma, alpha):
    """Negatives at -10 ... -30 and positives at +10 ... +30, among ordinary logits."""
    easy = [10.0, 12.5, 15.0, 17.0, 20.0, 30.0]
    x = torch.tensor([-v for v in easy] + easy + [-2.0, 0.5, 3.0, -40.0], device=device, requires_grad=True)
    y = torch.tensor([0.0] * 6 + [1.0] * 6 + [1.0, 0.0, 1.0, 1.0], device=device)
    loss = binary_focal_loss(x, y, gamma=gamma, alpha=alpha, reduction="none")
    (grad,) = torch.autograd.grad(loss.sum(), x)
    ref_loss, ref_grad = float64_gradient(binary_reference, x, y.double(), gamma, alpha)
    assert loss.dtype == grad.dtype == torch.float32
    close(loss, ref_loss)
    close(grad, ref_grad)


def softmax_rows(device, margin, classes, dims=()):
    """Rows whose target leads every other class by ``margin`` (the others spread over 3
    below their max), then two ordinary rows and an ignored one."""
    gen = torch.Generator().manual_seed(int(margin) * 100 + classes)
    n = 4
    x = -3.0 * torch.rand(n + 3, classes, *dims, generator=gen, dtype=torch.float64)
    t = torch.randint(classes, (n + 3, *dims), generator=gen)
    index = t.unsqueeze(1)
    x[:n].scatter_(1, index[:n], -math.inf)
    x[:n] -= x[:n].amax(1, keepdim=True)  # the best other class at 0 ...
    x[:n].scatter_(1, index[:n], margin)  # ... and the target at the margin
    x[n : n + 2] *= 2.0  # ordinary rows
    t[n + 2] = -100
    return x.float().to(device).requires_grad_(), t.to(device)


# [N, C] with a short class dim (elementwise kernel on the CPU), a long one (log_softmax's
# kernel), a dense layout [N, C, d]; "create_graph" takes the differentiable backward pass.
LAYOUTS = {"[N, 5]": (5, ()), "[N, 40]": (40, ()), "[N, 5, 3]": (5, (3,))}


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("margin", MARGINS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("backward", ["in place", "create_graph"])
def test_softmax_easy_examples_agree_with_float64(device, gamma, margin, weighted, layout, backward):
    classes, dims = LAYOUTS[layout]
    x, t = softmax_rows(device, margin, classes, dims)
    alpha = torch.linspace(0.2, 1.0, classes, device=device) if weighted else None
    loss = focal_loss(x, t, gamma=gamma, alpha=alpha, reduction="none")
    (grad,) = torch.autograd.grad(loss.sum(), x, create_graph=backward == "create_graph")
    kept = t != -100
    ref_loss, ref_grad = float64_gradient(
        lambda x64: torch.where(kept, softmax_reference(x64, t.clamp_min(0), gamma, None if alpha is None else alpha.double()), 0.0), x
    )
    close(loss, ref_loss)
    close(grad, ref_grad)


@pytest.mark.parametrize("margin", MARGINS)
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_poly1_easy_examples_agree_with_float64(device, margin, gamma):
    """Poly-1's ε (1 - p_t)^(γ+1) term takes the same log p_t."""
    x, t = softmax_rows(device, margin, 5)
    loss = poly1_focal_loss(x, t, epsilon=1.0, gamma=gamma, reduction="none")
    (grad,) = torch.autograd.grad(loss.sum(), x)

    def reference(x64):
        kept = t != -100
        index = t.clamp_min(0).unsqueeze(1)
        d = x64.gather(1, index).squeeze(1) - x64.scatter(1, index, -math.inf).logsumexp(1)
        poly = torch.sigmoid(-d) ** (gamma + 1.0)
        return torch.where(kept, softmax_reference(x64, t.clamp_min(0), gamma, None) + poly, 0.0)

    ref_loss, ref_grad = float64_gradient(reference, x)
    close(loss, ref_loss)
    close(grad, ref_grad)


# ------------------------------------------------------------------ the references themselves


def test_the_float64_references_are_exact_at_the_probe_points():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    gamma = 2.0
    for x in [-17.0, -20.0, -30.0]:  # a negative: q = p = σ(x), BCE = softplus(x)

        def exact(v):
            p = 1 / (1 + mpmath.exp(-v))
            return p**gamma * mpmath.log(1 + mpmath.exp(v))

        loss, grad = float64_gradient(binary_reference, torch.tensor([x]), torch.tensor([0.0]), gamma, None)
        assert loss.item() == pytest.approx(float(exact(mpmath.mpf(x))), rel=1e-12)
        assert grad.item() == pytest.approx(float(mpmath.diff(exact, mpmath.mpf(x))), rel=1e-12)
    for margin in MARGINS:  # three classes, the target first, leading the others (0, -1) by the margin
        row = [margin, 0.0, -1.0]

        def exact(*v):
            z = sum(mpmath.exp(u) for u in v)
            p_t = mpmath.exp(v[0]) / z
            return -((1 - p_t) ** gamma) * mpmath.log(p_t)

        loss, grad = float64_gradient(softmax_reference, torch.tensor([row]), torch.tensor([0]), gamma, None)
        point = [mpmath.mpf(v) for v in row]
        assert loss.item() == pytest.approx(float(exact(*point)), rel=1e-12)
        for j in range(3):
            partial = float(mpmath.diff(exact, point, tuple(int(i == j) for i in range(3))))
            assert grad[0, j].item() == pytest.approx(partial, rel=1e-10)


def test_plain_float32_does_lose_these_examples():
    """The probes above would be vacuous if the obvious float32 code were fine there."""
    x = torch.tensor([-20.0])
    assert F.binary_cross_entropy_with_logits(x, torch.zeros(1)).item() == 0.0  # true value 2e-9
    assert F.cross_entropy(torch.tensor([[20.0, 0.0, -1.0]]), torch.tensor([0])).item() == 0.0  # true 2.8e-9
