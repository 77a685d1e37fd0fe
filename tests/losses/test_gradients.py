"""focal_teach.losses.gradients: the closed-form dFL/dx of Lin et al.'s appendix B."""

import doctest
import math

import pytest
import torch

import focal_teach.losses.gradients
from focal_teach import binary_focal_loss, focal_term
from focal_teach.losses.gradients import focal_loss_grad

GAMMAS = [0.0, 0.25, 0.5, 1.0, 2.0, 5.0]


@pytest.mark.parametrize("gamma", GAMMAS)
def test_equals_autograd_through_the_paper_equations(gamma):
    x_t = torch.linspace(-8, 8, 161, dtype=torch.float64, requires_grad=True)
    focal_term(torch.sigmoid(x_t), gamma).sum().backward()
    torch.testing.assert_close(focal_loss_grad(x_t.detach(), gamma), x_t.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", [0.25, 0.9])
def test_gives_the_gradient_of_binary_focal_loss_for_either_label(gamma, alpha):
    x = torch.linspace(-10, 10, 101, dtype=torch.float64, requires_grad=True)
    for label in (1, 0):
        y = torch.full_like(x, float(label))
        (grad,) = torch.autograd.grad(binary_focal_loss(x, y, gamma, alpha, reduction="sum"), x)
        sign = 1.0 if label else -1.0  # y in {+1, -1}
        alpha_t = alpha if label else 1 - alpha
        torch.testing.assert_close(sign * focal_loss_grad(sign * x.detach(), gamma, alpha_t), grad, rtol=1e-9, atol=1e-12)


def test_gamma_zero_is_the_cross_entropy_gradient():
    x_t = torch.linspace(-20, 20, 81, dtype=torch.float64)
    torch.testing.assert_close(focal_loss_grad(x_t, 0.0), torch.sigmoid(x_t) - 1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("gamma", GAMMAS)
def test_finite_and_non_positive_at_extreme_logits(gamma, dtype):
    x_t = torch.tensor([-1e4, -100.0, -40.0, -17.0, 0.0, 17.0, 40.0, 100.0, 1e4], dtype=dtype)
    grad = focal_loss_grad(x_t, gamma, alpha_t=0.25)
    assert grad.dtype == dtype
    assert torch.isfinite(grad).all() and (grad <= 0).all()
    assert grad[0].item() == pytest.approx(-0.25)  # hopelessly wrong: the full -α_t
    assert grad[-1].item() == 0.0  # certain and right: nothing left to learn


def test_the_hardest_examples_get_more_gradient_than_with_cross_entropy():
    # for γ > 0 and p_t small, |γ p_t log p_t| outweighs the shrinking (1 - p_t)^γ
    x_t = torch.tensor(math.log(0.01 / 0.99), dtype=torch.float64)  # p_t = 0.01
    assert focal_loss_grad(x_t, 2.0).item() < focal_loss_grad(x_t, 0.0).item() < 0


def test_broadcasts_gamma_and_alpha_and_accepts_numbers():
    grid = focal_loss_grad(torch.zeros(3, 1), torch.tensor([0.0, 1.0, 2.0]))
    assert grid.shape == (3, 3)
    assert focal_loss_grad(0.0, 0.0).item() == pytest.approx(-0.5)
    assert focal_loss_grad([0.0, 0.0], 2.0, alpha_t=torch.tensor([1.0, 0.0])).tolist()[1] == 0.0


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"x_t": "logits"}, TypeError, "x_t"),
        ({"x_t": torch.tensor([True])}, TypeError, "x_t"),
        ({"x_t": 0.0, "gamma": -1.0}, ValueError, "gamma"),
        ({"x_t": 0.0, "gamma": float("nan")}, ValueError, "gamma"),
        ({"x_t": 0.0, "alpha_t": "a lot"}, TypeError, "alpha_t"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, words):
    with pytest.raises(error, match=words):
        focal_loss_grad(**kwargs)


def test_docstring_example():
    assert doctest.testmod(focal_teach.losses.gradients, extraglobs={"torch": torch}).failed == 0
