"""Independent references the tests compare against.

`paper_focal_loss` is the α-balanced focal loss written straight from Lin et al. (2017), eq. 5,
with plain autograd in float64: valid away from saturation, where its pow backward is finite.
`torchvision_sigmoid_focal_loss` is torchvision.ops.sigmoid_focal_loss (BSD-3-Clause), copied
verbatim: PyPI's torchvision wheels cannot load beside the CPU build of torch these tests pin.
"""

import torch
import torch.nn.functional as F


def paper_focal_loss(logits, target, gamma, alpha=None, ignore_index=-100, reduction="mean"):
    """-α_t (1 - p_t)^γ log p_t over softmax(dim=1), in float64, with F.cross_entropy's conventions."""
    x = logits.double()
    classes = x.shape[1]
    valid = target != ignore_index
    safe = torch.where(valid, target, 0)
    p = torch.softmax(x, dim=1)
    one_hot = F.one_hot(safe, classes).movedim(-1, 1).double()
    p_t = (p * one_hot).sum(1)
    log_p_t = (torch.log_softmax(x, dim=1) * one_hot).sum(1)
    alpha_t = torch.ones_like(p_t) if alpha is None else torch.as_tensor(alpha, dtype=torch.float64)[safe]
    loss = torch.where(valid, -alpha_t * (1 - p_t) ** gamma * log_p_t, 0.0)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / torch.where(valid, alpha_t, 0.0).sum()


def torchvision_sigmoid_focal_loss(inputs, targets, alpha: float = 0.25, gamma: float = 2, reduction: str = "none"):
    # torchvision/ops/focal_loss.py, torchvision 0.20-0.29 (the logging call omitted)
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)

    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss

    # Check reduction option and return loss accordingly
    if reduction == "none":
        pass
    elif reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    else:
        raise ValueError(
            f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: 'none', 'mean', 'sum'"
        )
    return loss
