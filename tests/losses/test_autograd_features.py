"""What training code asks of a loss beyond ``loss.backward()``, each compared with plain autograd.

Double backward (gradient penalties), gradients for α, γ and soft targets, a per-sample γ,
torch.func (grad, per-sample gradients with vmap, jacrev), autocast, and the gradient at a
−inf logit of the target class. The references are written with plain autograd in float64:
``tests/reference.py``'s ``paper_focal_loss`` and torchvision's ``sigmoid_focal_loss``.
"""

import pytest
import torch
import torch.nn.functional as F
from reference import paper_focal_loss, torchvision_sigmoid_focal_loss

from focal_teach import BinaryFocalLoss, FocalLoss, binary_focal_loss, focal_loss

f64 = torch.float64


def softmax_case(device, n=12, c=5, dims=(), ignore=0.25, dtype=f64, scale=2.0):
    x = (torch.randn(n, c, *dims, dtype=f64, device=device) * scale).to(dtype).requires_grad_()
    t = torch.randint(c, (n, *dims), device=device)
    if ignore:
        t[torch.rand(t.shape, device=device) < ignore] = -100
    return x, t


def binary_case(device, shape=(10, 3), dtype=f64, scale=2.0):
    x = (torch.randn(*shape, dtype=f64, device=device) * scale).to(dtype).requires_grad_()
    y = torch.rand(*shape, dtype=dtype, device=device)
    y[: shape[0] // 2] = y[: shape[0] // 2].round()  # half hard labels, half soft
    return x, y


def grads(loss, inputs, **kwargs):
    return torch.autograd.grad(loss, inputs, **kwargs)


# ------------------------------------------------------------------ double backward


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_double_backward_at_gamma_0_matches_cross_entropy(device, reduction):
    x, t = softmax_case(device, dims=(3,))
    w = torch.rand(5, dtype=f64, device=device) + 0.1

    def penalty(loss_fn):
        (g,) = grads(loss_fn(x).sum(), x, create_graph=True)
        assert g.grad_fn is not None  # a gradient penalty must train, not be a constant
        return grads((g**2).sum(), x)[0]

    ours = penalty(lambda v: focal_loss(v, t, gamma=0.0, alpha=w, reduction=reduction))
    ce = penalty(lambda v: F.cross_entropy(v, t, weight=w, reduction=reduction))
    torch.testing.assert_close(ours, ce, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_gradient_penalty_matches_plain_autograd(device, gamma):
    x, t = softmax_case(device)
    alpha = torch.rand(5, dtype=f64, device=device) + 0.1

    def penalised(loss_fn):
        loss = loss_fn(x)
        (g,) = grads(loss, x, create_graph=True)
        return grads(loss + 0.3 * (g**2).sum(), x)[0]

    ours = penalised(lambda v: focal_loss(v, t, gamma=gamma, alpha=alpha))
    ref = penalised(lambda v: paper_focal_loss(v, t, gamma, alpha))
    torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_binary_double_backward_matches_torchvision(device, gamma):
    x, y = binary_case(device)

    def penalty(loss_fn):
        (g,) = grads(loss_fn(x), x, create_graph=True)
        assert g.grad_fn is not None
        return grads((g**2).sum(), x)[0]

    ours = penalty(lambda v: binary_focal_loss(v, y, gamma=gamma, alpha=0.25, reduction="sum"))
    ref = penalty(lambda v: torchvision_sigmoid_focal_loss(v, y, 0.25, gamma, reduction="sum"))
    torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 1.5, 2.0])
def test_gradgradcheck_softmax(device, gamma):
    x, t = softmax_case(device, n=5, c=4, dims=(2,))
    alpha = torch.rand(4, dtype=f64, device=device) + 0.1
    assert torch.autograd.gradgradcheck(lambda v: focal_loss(v, t, gamma, alpha, "none"), (x,))
    assert torch.autograd.gradgradcheck(lambda v: focal_loss(v, t, gamma, alpha), (x,))


@pytest.mark.parametrize("gamma", [0.0, 1.5, 2.0])
def test_gradgradcheck_binary(device, gamma):
    x, y = binary_case(device, shape=(4, 3))
    assert torch.autograd.gradgradcheck(lambda v: binary_focal_loss(v, y, gamma, 0.3, "none"), (x,))


# ------------------------------------------------------------------ gradients for alpha, gamma, targets


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_learnable_class_alpha_gets_its_gradient(device, reduction):
    x, t = softmax_case(device, dims=(2,))
    alpha = (torch.rand(5, dtype=f64, device=device) + 0.1).requires_grad_()
    ours = grads(focal_loss(x, t, 2.0, alpha, reduction).sum(), (x, alpha))
    ref = grads(paper_focal_loss(x, t, 2.0, alpha, reduction=reduction).sum(), (x, alpha))
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_module_alpha_as_a_parameter(device):
    x, t = softmax_case(device)
    crit = FocalLoss(alpha=[1.0, 2.0, 3.0, 4.0, 5.0]).double()
    crit.alpha = torch.nn.Parameter(crit.alpha.clone())
    crit(x, t).backward()
    assert crit.alpha.grad is not None and crit.alpha.grad.abs().sum() > 0


@pytest.mark.parametrize("gamma_shape", ["scalar", "per_sample"])
def test_gamma_tensor_that_requires_grad(device, gamma_shape):
    x, t = softmax_case(device, dims=(3,), scale=1.0)
    shape = () if gamma_shape == "scalar" else (12, 1)  # [N, 1] broadcasts against target [N, 3]
    gamma = (torch.rand(shape, dtype=f64, device=device) * 2 + 0.5).requires_grad_()
    ours = grads(focal_loss(x, t, gamma=gamma), (x, gamma))
    ref = grads(paper_focal_loss(x, t, gamma), (x, gamma))
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_binary_soft_targets_gamma_and_alpha_get_gradients(device):
    x, y = binary_case(device)
    y = y.clamp(0.05, 0.95).requires_grad_()  # soft, as in distillation
    gamma = torch.tensor(1.5, dtype=f64, device=device, requires_grad=True)
    alpha = torch.tensor(0.3, dtype=f64, device=device, requires_grad=True)
    inputs = (x, y, gamma, alpha)
    ours = grads(binary_focal_loss(x, y, gamma, alpha), inputs)
    ref = grads(torchvision_sigmoid_focal_loss(x, y, alpha, gamma, reduction="mean"), inputs)
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_binary_gradcheck_in_every_argument(device):
    x, y = binary_case(device, shape=(4, 2))
    y = y.clamp(0.05, 0.95).requires_grad_()
    gamma = torch.tensor(1.5, dtype=f64, device=device, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: binary_focal_loss(*a, 0.25, "none"), (x, y, gamma))


# ------------------------------------------------------------------ per-sample gamma


def test_per_sample_gamma_is_gamma_of_each_position(device):
    x, t = softmax_case(device, n=8, ignore=0.0)
    gamma = torch.linspace(0.0, 3.5, 8, dtype=f64, device=device)
    rows = torch.stack([focal_loss(x[i : i + 1], t[i : i + 1], gamma[i].item(), reduction="none")[0] for i in range(8)])
    torch.testing.assert_close(focal_loss(x, t, gamma=gamma, reduction="none"), rows, rtol=1e-12, atol=0)
    xb, yb = binary_case(device, shape=(8,))
    rows = torch.stack([binary_focal_loss(xb[i], yb[i], gamma[i].item(), reduction="none") for i in range(8)])
    torch.testing.assert_close(binary_focal_loss(xb, yb, gamma=gamma, reduction="none"), rows, rtol=1e-12, atol=0)


def test_gamma_that_does_not_broadcast_to_the_target_is_refused(device):
    x, t = softmax_case(device, n=8)
    with pytest.raises(ValueError, match=r"gamma of shape \(5,\) does not broadcast to target's shape \(8,\)"):
        focal_loss(x, t, gamma=torch.full((5,), 2.0, device=device))
    with pytest.raises(ValueError, match="gamma must be finite and ≥ 0"):
        focal_loss(x, t, gamma=torch.tensor([2.0, -1.0] * 4, device=device))


# ------------------------------------------------------------------ torch.func


def test_torch_func_grad_and_jacrev(device):
    x, t = softmax_case(device)
    alpha = torch.rand(5, dtype=f64, device=device) + 0.1
    loss = lambda v: focal_loss(v, t, 2.0, alpha)  # noqa: E731
    torch.testing.assert_close(torch.func.grad(loss)(x.detach()), grads(loss(x), x)[0])
    per_position = lambda v: focal_loss(v, t, 2.0, alpha, reduction="none")  # noqa: E731
    expected = torch.autograd.functional.jacobian(lambda v: paper_focal_loss(v, t, 2.0, alpha, reduction="none"), x.detach())
    torch.testing.assert_close(torch.func.jacrev(per_position)(x.detach()), expected, rtol=1e-10, atol=1e-12)

    xb, yb = binary_case(device)
    bl = lambda v: binary_focal_loss(v, yb, 2.0, 0.25)  # noqa: E731
    torch.testing.assert_close(torch.func.grad(bl)(xb.detach()), grads(bl(xb), xb)[0])


def test_per_sample_gradients_with_vmap(device):
    """Differentially private training: one gradient per example, vmap(grad(loss of one example))."""
    x, t = softmax_case(device, ignore=0.0)
    alpha = torch.rand(5, dtype=f64, device=device) + 0.1

    def one(v, target):
        return focal_loss(v[None], target[None], 2.0, alpha)

    per_sample = torch.func.vmap(torch.func.grad(one))(x.detach(), t)
    expected = torch.stack([grads(paper_focal_loss(x[i : i + 1], t[i : i + 1], 2.0, alpha), x)[0][i] for i in range(len(t))])
    torch.testing.assert_close(per_sample, expected, rtol=1e-10, atol=1e-12)

    xb, yb = binary_case(device)
    per_sample = torch.func.vmap(torch.func.grad(lambda v, y: binary_focal_loss(v, y, 2.0, 0.25, "sum")))(xb.detach(), yb)
    expected = grads(torchvision_sigmoid_focal_loss(xb, yb, 0.25, 2.0, reduction="sum"), xb)[0]
    torch.testing.assert_close(per_sample, expected, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ autocast


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_autocast_returns_float32_as_cross_entropy_does(device, dtype):
    if device.type == "cpu" and dtype == torch.float16 and not torch.amp.is_autocast_available("cpu"):
        pytest.skip("no CPU autocast")
    layer = torch.nn.Linear(6, 4).to(device)
    features = torch.randn(16, 6, device=device)
    t = torch.randint(4, (16,), device=device)
    with torch.autocast(device.type, dtype=dtype):
        logits = layer(features)
        assert logits.dtype == dtype  # the premise: autocast is on and lowers the logits
        ce = F.cross_entropy(logits, t)
        ours = focal_loss(logits, t, gamma=0.0)
        module = FocalLoss(gamma=2.0)(logits, t)
        bce = F.binary_cross_entropy_with_logits(logits, (t[:, None] == 1).float().expand_as(logits))
        binary = binary_focal_loss(logits, (t[:, None] == 1).float().expand_as(logits), gamma=0.0)
        binary_module = BinaryFocalLoss()(logits, (t[:, None] == 1).float().expand_as(logits))
    assert ours.dtype == ce.dtype == torch.float32 and module.dtype == torch.float32
    assert binary.dtype == bce.dtype == torch.float32 and binary_module.dtype == torch.float32
    torch.testing.assert_close(ours, ce)
    torch.testing.assert_close(binary, bce)
    ours.backward()
    assert layer.weight.grad is not None and torch.isfinite(layer.weight.grad).all()


# ------------------------------------------------------------------ a −inf logit of the target class


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_minus_inf_target_logit_gives_cross_entropys_gradient(device, gamma):
    """p_t = 0 exactly: dL/dlog p_t = -1 for every γ (the factor (1 - p_t)^γ is 1), so ∂L/∂x = CE's."""
    x = torch.tensor([[-float("inf"), 0.0, 0.0]], device=device, requires_grad=True)
    t = torch.tensor([0], device=device)
    (ours,) = grads(focal_loss(x, t, gamma=gamma), x)
    (ce,) = grads(F.cross_entropy(x, t), x)
    assert torch.isfinite(ce).all()  # CE's gradient: softmax - onehot
    torch.testing.assert_close(ours, ce, rtol=0, atol=1e-7)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_p_t_rounding_to_1_still_gives_gradient_0(device, gamma):
    x = torch.tensor([[200.0, 0.0, 0.0], [0.0, -float("inf"), -float("inf")]], device=device, requires_grad=True)
    t = torch.tensor([0, 0], device=device)
    (g,) = grads(focal_loss(x, t, gamma=gamma, reduction="sum"), x)
    assert torch.equal(g, torch.zeros_like(g))  # p_t = 1: nothing left to learn


# ------------------------------------------------------------------ second backward, checks under vmap


@pytest.mark.parametrize("shape", [(8, 6), (8, 40), (4, 6, 3)])  # both CPU kernels, and a dense layout
def test_second_backward_recomputes_what_the_first_consumed(device, shape):
    x = torch.randn(*shape, device=device)
    t = torch.randint(shape[1], (shape[0], *shape[2:]), device=device)
    t[0] = -100
    x[0] = float("nan")  # an ignored row of NaN logits: gradient 0 both times
    x.requires_grad_()
    loss = focal_loss(x, t, alpha=torch.rand(shape[1], device=device) + 0.1)
    (g1,) = grads(loss, x, retain_graph=True)
    (g2,) = grads(loss, x)
    assert torch.isfinite(g1).all() and (g1[0] == 0).all()
    torch.testing.assert_close(g1, g2, rtol=0, atol=0)


def test_value_checks_still_run_under_vmap(device):
    if device.type != "cpu":
        pytest.skip("a failed device-side assert would end the CUDA context")
    x, t = softmax_case(device, ignore=0.0)
    t[3] = 7  # outside [0, 5)
    one = lambda v, target: focal_loss(v[None], target[None])  # noqa: E731
    with pytest.raises(ValueError, match=r"outside \[0, 5\)"):
        torch.func.vmap(torch.func.grad(one))(x.detach(), t)
