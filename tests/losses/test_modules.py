"""FocalLoss and BinaryFocalLoss: nn.Module behaviour, buffers, state_dict."""

import copy

import torch
from torch import nn

from focal_teach import BinaryFocalLoss, FocalLoss, binary_focal_loss, focal_loss


def test_focal_loss_module_matches_function():
    x, t = torch.randn(16, 3), torch.randint(3, (16,))
    t[0] = 7
    crit = FocalLoss(gamma=1.5, alpha=[0.2, 0.3, 0.5], reduction="sum", ignore_index=7)
    assert torch.equal(crit(x, t), focal_loss(x, t, 1.5, [0.2, 0.3, 0.5], "sum", ignore_index=7))


def test_alpha_is_a_buffer_that_follows_the_module():
    crit = FocalLoss(alpha=[1, 2, 3])
    assert "alpha" in dict(crit.named_buffers())
    assert crit.alpha.dtype == torch.float32
    assert crit.double().alpha.dtype == torch.float64
    state = crit.state_dict()
    assert torch.equal(state["alpha"], torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    fresh = FocalLoss(alpha=[0, 0, 0])
    fresh.load_state_dict(state)
    assert torch.equal(fresh.alpha, state["alpha"])
    assert torch.equal(copy.deepcopy(crit).alpha, crit.alpha)


def test_alpha_buffer_is_a_copy():
    weights = torch.tensor([1.0, 2.0])
    crit = FocalLoss(alpha=weights)
    weights[0] = 100
    assert crit.alpha[0] == 1.0


def test_no_alpha_no_buffer_values():
    crit = FocalLoss()
    assert crit.alpha is None
    assert "alpha" not in crit.state_dict()


def test_modules_inside_a_model():
    model = nn.Sequential(nn.Linear(4, 3))
    crit = FocalLoss(alpha=[1, 1, 2])
    x, t = torch.randn(10, 4), torch.randint(3, (10,))
    crit(model(x), t).backward()
    assert model[0].weight.grad is not None and torch.isfinite(model[0].weight.grad).all()


def test_binary_module():
    x, y = torch.randn(12), (torch.rand(12) > 0.5).float()
    crit = BinaryFocalLoss(gamma=2.0, alpha=0.25)
    assert torch.equal(crit(x, y), binary_focal_loss(x, y, 2.0, 0.25))


def test_repr_shows_the_settings():
    assert "gamma=2.0, alpha=[0.25, 0.75], reduction='mean', ignore_index=-100" in repr(FocalLoss(alpha=[0.25, 0.75]))
    assert "gamma=1.0, alpha=0.5" in repr(BinaryFocalLoss(1.0, 0.5))
