"""How each peer's arguments map onto focal_teach: functions with the peer's signature, built on ours.

The ported suites (``test_ported_*.py``) call these exactly where the upstream tests call the peer,
so each upstream test runs unchanged against focal_teach; the semantics tests
(``test_peer_semantics.py``) use them to show that peer and focal_teach give the same numbers.

Every mapping is a few lines, and what each line does is the difference of convention:

- torchvision ``sigmoid_focal_loss``: the same loss; ``alpha=-1`` (no weighting) is our ``alpha=None``.
- kornia ``focal_loss``: a single α means 1 − α for class 0 and α for every other class (our
  per-class α ``[1 - α, α, ..., α]``), ``weight`` multiplies it; ``"none"`` is a ``[N, C, *]`` map
  with the loss in the target's channel, and ``"mean"`` divides by all ``N·C·d`` entries of that
  map, ignored positions included.
- kornia ``binary_focal_loss_with_logits``: for labels 0/1 it is ours; a soft label y weights the
  two hard-label losses, ``y·FL(x, 1) + (1 − y)·FL(x, 0)`` (ours, as torchvision, is
  ``(1 − p_t)^γ·BCE(x, y)``); ``pos_weight``, ``weight`` and ``ignore_index`` weight elements, and
  ``"mean"`` still divides by every element.
"""

from __future__ import annotations

import types

import torch
import torch.nn.functional as F

import focal_teach


# ---------------------------------------------------------------- torchvision.ops


def torchvision_ops_on(binary_focal_loss=focal_teach.binary_focal_loss):
    """``torchvision.ops``' focal loss on focal_teach (on ``binary_focal_loss``, e.g. a scripted one)."""

    def sigmoid_focal_loss(inputs, targets, alpha: float = 0.25, gamma: float = 2, reduction: str = "none"):
        # torchvision's alpha=-1 (no weighting) is our alpha=None
        return binary_focal_loss(inputs, targets, gamma=float(gamma), alpha=None if alpha == -1 else alpha, reduction=reduction)

    return types.SimpleNamespace(sigmoid_focal_loss=sigmoid_focal_loss)


torchvision_ops = torchvision_ops_on()


# ---------------------------------------------------------------- kornia.losses


def kornia_class_alpha(alpha, num_classes: int, weight=None):
    """kornia's α and weight as our per-class α: 1 − α for class 0 (background), α for the others, times weight."""
    if alpha is None and weight is None:
        return None
    factors = torch.ones(num_classes, dtype=torch.float64) if alpha is None else torch.tensor([1.0 - alpha] + [alpha] * (num_classes - 1), dtype=torch.float64)
    if weight is not None:
        factors = factors.to(weight) * weight.reshape(-1)
    return factors


def _reduce_like_kornia(loss, reduction: str):
    """kornia reduces the whole map: "mean" divides by every entry (ignored ones included)."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise NotImplementedError(f"Invalid reduction mode: {reduction}")


def kornia_losses_on(focal_loss=focal_teach.focal_loss, binary_focal_loss=focal_teach.binary_focal_loss):
    """``kornia.losses``' focal losses on focal_teach (on the two functions given, e.g. scripted ones)."""

    def kornia_focal_loss(pred, target, alpha, gamma: float = 2.0, reduction: str = "none", weight=None, ignore_index=-100):
        num_classes = pred.shape[1]
        class_alpha = kornia_class_alpha(alpha, num_classes, weight)
        if class_alpha is not None:
            class_alpha = class_alpha.to(device=pred.device, dtype=pred.dtype)
        per_position = focal_loss(pred, target, float(gamma), alpha=class_alpha, reduction="none", ignore_index=ignore_index)
        if reduction == "sum":
            return per_position.sum()
        # kornia's map [N, C, *]: the loss in the target's channel, 0 elsewhere (where, not a product: a
        # position whose target class has a logit of -inf has an infinite loss, and inf * 0 is NaN).
        kept = target if ignore_index is None else torch.where(target == ignore_index, 0, target)
        in_target_channel = F.one_hot(kept, num_classes).movedim(-1, 1).bool()
        loss_map = torch.where(in_target_channel, per_position.unsqueeze(1), 0.0)
        return _reduce_like_kornia(loss_map, reduction)

    def kornia_binary_focal_loss_with_logits(pred, target, alpha=0.25, gamma: float = 2.0, reduction: str = "none", pos_weight=None, weight=None, ignore_index=-100):
        kept = None
        if ignore_index is not None:
            kept = target != ignore_index
            target = torch.where(kept, target, 0)
        channel = [-1] + [1] * (pred.dim() - 2)  # kornia's (C,) vectors apply along dim 1
        gamma = float(gamma)
        if bool(((target == 0) | (target == 1)).all()) and pos_weight is None:
            loss = binary_focal_loss(pred, target, gamma, alpha=alpha, reduction="none")
        else:
            # kornia weights the two hard-label losses by y and 1 - y (and the positive one by pos_weight)
            positive = binary_focal_loss(pred, torch.ones_like(pred), gamma, alpha=alpha, reduction="none") * target
            negative = binary_focal_loss(pred, torch.zeros_like(pred), gamma, alpha=alpha, reduction="none") * (1 - target)
            if pos_weight is not None:
                positive = positive * pos_weight.view(channel)
            loss = positive + negative
        if weight is not None:
            loss = loss * weight.view(channel)
        if kept is not None:
            loss = loss * kept
        return _reduce_like_kornia(loss, reduction)

    class FocalLoss(torch.nn.Module):
        def __init__(self, alpha, gamma: float = 2.0, reduction: str = "none", weight=None, ignore_index=-100):
            super().__init__()
            self.alpha, self.gamma, self.reduction, self.weight, self.ignore_index = alpha, gamma, reduction, weight, ignore_index

        def forward(self, pred, target):
            return kornia_focal_loss(pred, target, self.alpha, self.gamma, self.reduction, self.weight, self.ignore_index)

    class BinaryFocalLossWithLogits(torch.nn.Module):
        def __init__(self, alpha, gamma: float = 2.0, reduction: str = "none", pos_weight=None, weight=None, ignore_index=-100):
            super().__init__()
            self.alpha, self.gamma, self.reduction = alpha, gamma, reduction
            self.pos_weight, self.weight, self.ignore_index = pos_weight, weight, ignore_index

        def forward(self, pred, target):
            return kornia_binary_focal_loss_with_logits(
                pred, target, self.alpha, self.gamma, self.reduction, self.pos_weight, self.weight, self.ignore_index
            )

    return types.SimpleNamespace(
        focal_loss=kornia_focal_loss,
        binary_focal_loss_with_logits=kornia_binary_focal_loss_with_logits,
        FocalLoss=FocalLoss,
        BinaryFocalLossWithLogits=BinaryFocalLossWithLogits,
    )


kornia = types.SimpleNamespace(losses=kornia_losses_on())
