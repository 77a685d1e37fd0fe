"""No host sync in the forward and backward of the losses, and the switch for the value checks.

Checks that need the data (class indices in range, binary targets and α in [0, 1], γ ≥ 0) run
on the device (``torch._assert_async``) while ``validate_args`` is on, the default; off, they
are skipped. Shape, dtype and α-length checks need no data and always run.
"""

import pytest
import torch
from sync_counter import host_syncs

import focal_teach.losses as losses
from focal_teach import (
    BinaryFocalLoss,
    FocalLoss,
    binary_focal_loss,
    binary_poly1_focal_loss,
    focal_loss,
    poly1_focal_loss,
)


def test_the_counter_sees_every_kind_of_sync(device):
    t = torch.arange(4.0, device=device)
    assert host_syncs(lambda: t.sum().item()) != []
    assert host_syncs(lambda: bool(t.any())) != []
    assert host_syncs(lambda: t[t > 1]) != []
    assert host_syncs(lambda: t.tolist()) != []
    assert host_syncs(lambda: int(t[0])) != []
    assert host_syncs(lambda: torch.exp(t).sum()) == []
    leaf = t.clone().requires_grad_()
    assert host_syncs(lambda: (leaf * 2).sum().backward()) == []


def softmax_step(device, alpha, ignore, module=False, variant=False):
    x = torch.randn(32, 6, 5, device=device, requires_grad=True)
    t = torch.randint(6, (32, 5), device=device)
    if ignore:
        t[::3] = -100
    a = torch.rand(6, device=device) + 0.1 if alpha else None
    if module:
        crit = FocalLoss(alpha=a).to(device)
        return lambda: crit(x, t).backward()
    if variant:
        return lambda: poly1_focal_loss(x, t, alpha=a).backward()
    return lambda: focal_loss(x, t, alpha=a).backward()


def binary_step(device, alpha, module=False, variant=False, soft=False):
    x = torch.randn(32, 7, device=device, requires_grad=True)
    y = torch.rand(32, 7, device=device) if soft else torch.randint(2, (32, 7), device=device)
    a = 0.25 if alpha else None
    if module:
        crit = BinaryFocalLoss(alpha=a)
        return lambda: crit(x, y).backward()
    if variant:
        return lambda: binary_poly1_focal_loss(x, y, alpha=a).backward()
    return lambda: binary_focal_loss(x, y, alpha=a).backward()


@pytest.mark.parametrize("alpha", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("form", ["function", "module", "poly1"])
def test_softmax_forward_backward_has_no_host_sync(device, alpha, ignore, form):
    step = softmax_step(device, alpha, ignore, module=form == "module", variant=form == "poly1")
    assert host_syncs(step) == []


@pytest.mark.parametrize("alpha", [False, True])
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("form", ["function", "module", "poly1"])
def test_binary_forward_backward_has_no_host_sync(device, alpha, soft, form):
    step = binary_step(device, alpha, module=form == "module", variant=form == "poly1", soft=soft)
    assert host_syncs(step) == []


def test_reduction_none_with_a_weighted_backward_has_no_host_sync(device):
    x = torch.randn(16, 4, device=device, requires_grad=True)
    t = torch.randint(4, (16,), device=device)
    w = torch.rand(16, device=device)
    assert host_syncs(lambda: (focal_loss(x, t, reduction="none") * w).sum().backward()) == []


# ------------------------------------------------------------------ the switch


def test_validate_args_is_on_by_default_and_checks_values(device):
    assert losses.get_validate_args() is True
    x = torch.randn(4, 3, device=device)
    if device.type == "cpu":  # on CUDA a failed device-side assert ends the process's CUDA context
        with pytest.raises(ValueError, match="outside"):
            focal_loss(x, torch.tensor([0, 1, 3, 2], device=device))
        with pytest.raises(ValueError, match=r"labels in \[0, 1\]"):
            binary_focal_loss(x, torch.full_like(x, 2.0))


def test_validate_args_off_skips_the_value_checks_only(device):
    x = torch.randn(4, 3, device=device)
    with losses.set_validate_args(False):
        assert losses.get_validate_args() is False
        out = binary_focal_loss(x, torch.full_like(x, 2.0))  # not a probability: unchecked, computed
        assert out.shape == ()
        with pytest.raises(ValueError, match="must equal input shape"):  # shapes: always checked
            binary_focal_loss(x, torch.ones(4, device=device))
        with pytest.raises(ValueError, match="alpha has 2 weights"):  # α's length: always checked
            focal_loss(x, torch.zeros(4, dtype=torch.long, device=device), alpha=[1.0, 2.0])
    assert losses.get_validate_args() is True  # the context manager restores the previous value


def test_set_validate_args_as_a_call(device):
    losses.set_validate_args(False)
    try:
        assert losses.get_validate_args() is False
    finally:
        losses.set_validate_args(True)
    assert losses.get_validate_args() is True
    with pytest.raises(TypeError, match="True or False"):
        losses.set_validate_args("no")


def test_value_checks_make_no_host_sync_while_passing(device):
    """The checks are on in the tests above; here each kind is exercised explicitly."""
    x = torch.randn(8, 3, device=device, requires_grad=True)
    t = torch.randint(3, (8,), device=device)
    gamma = torch.full((8,), 2.0, device=device)
    alpha = torch.tensor([1.0, 2.0, 3.0], device=device)
    assert host_syncs(lambda: focal_loss(x, t, gamma=gamma, alpha=alpha).backward()) == []
    assert host_syncs(lambda: binary_focal_loss(x, torch.rand(8, 3, device=device), gamma=torch.tensor(1.5, device=device)).backward()) == []
