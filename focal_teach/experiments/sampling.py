r"""The paper's alternatives to the focal loss: train on a *sample* of the anchors (Lin et al. 2017, Table 1d).

Before the focal loss, dense and two-stage detectors fought the imbalance by choosing which
anchors enter the loss, then applying the plain cross-entropy to those only:

- :func:`sampled_loss`: per image, all positive anchors (at most a quarter of the minibatch)
  and *random* negatives to fill a minibatch of ``batch_size`` anchors: 1:3 when there are
  enough positives (Fast R-CNN's and SSD's heuristic);
- :func:`ohem_loss`: online hard example mining (Shrivastava et al. 2016) as Lin et al. ran it:
  "each example is scored by its loss, non-maximum suppression (NMS) is then applied, and a
  minibatch is constructed with the highest-loss examples", optionally with the 1:3 ratio.

An anchor's loss is its cross-entropy summed over its K class outputs. In 1-D the NMS is
:func:`nms_1d`: an anchor survives if its loss is the highest within ``radius`` anchors, a
window that stands for the paper's IoU threshold 0.7 (two anchors of width 8 one sample apart
overlap with IoU 7/9 = 0.78, two samples apart 6/10 = 0.6). Ignored anchors are never sampled.
The loss is the mean over the minibatch (the sampled anchors' outputs summed, divided by the
number of anchors sampled).

Both take ``[B, K, L]`` (one detector) or ``[M, B, K, L]`` (M detectors, for
:func:`~focal_teach.experiments.detection.train_detectors`) and return one loss per detector.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from focal_teach._checks import check_int, check_real
from focal_teach.data.anchors import IGNORE

__all__ = ["nms_1d", "anchor_cross_entropy", "ohem_loss", "sampled_loss"]


def nms_1d(scores: Tensor, radius: int = 1) -> Tensor:
    """Non-maximum suppression in 1-D: ``True`` where a score is the largest within ``radius`` positions.

    Args:
        scores: ``[..., L]``.
        radius: half-width of the window (1: an anchor must beat both neighbours; ties keep both).

    Returns:
        bool, ``scores``'s shape.
    """
    radius = check_int(radius, "radius", 0)
    if radius == 0:
        return torch.ones_like(scores, dtype=torch.bool)
    flat = scores.reshape(-1, 1, scores.shape[-1])
    peak = F.max_pool1d(flat, 2 * radius + 1, stride=1, padding=radius).reshape(scores.shape)
    return scores >= peak


def anchor_cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Each anchor's cross-entropy, summed over its K outputs: ``[..., B, K, L]`` → ``[..., B, L]`` (0 where ignored)."""
    valid = targets != IGNORE
    ce = F.binary_cross_entropy_with_logits(logits, torch.where(valid, targets, 0.0), reduction="none")
    return torch.where(valid, ce, 0.0).sum(-2)


def _top_n(keys: Tensor, n: Tensor) -> Tensor:
    """``True`` for the ``n`` largest finite keys of each row (``keys`` ``[..., L]``, ``n`` ``[...]``).

    Ties at the n-th key go to the lowest positions, so the choice is the same on every CPU:
    ``topk`` alone returns tied keys in an order that depends on the kernel (AVX-512 or not),
    and OHEM's losses do tie, which changed notebook 06's OHEM detector from one CPU to another.
    """
    k = min(int(n.max()) if n.numel() else 0, keys.shape[-1])
    if k == 0:
        return torch.zeros_like(keys, dtype=torch.bool)
    top = keys.topk(k, -1, sorted=True).values  # a sorted topk: only the values, which do not depend on ties
    nth = top.gather(-1, (n.clamp(1, k) - 1).unsqueeze(-1))  # the n-th largest key of each row
    above = keys > nth
    tied = keys == nth
    room = (n.unsqueeze(-1) - above.sum(-1, keepdim=True)).clamp_min(0)  # places left for keys equal to the n-th
    chosen = above | (tied & (tied.cumsum(-1) <= room))
    return chosen & (n.unsqueeze(-1) > 0) & torch.isfinite(keys)


def _select(keys: Tensor, positive: Tensor, candidate: Tensor, batch_size: int, positive_fraction: float | None) -> Tensor:
    """Per image, the minibatch: anchors of highest key, with at most ``positive_fraction`` positives."""
    minus_inf = torch.tensor(float("-inf"))
    if positive_fraction is None:
        return _top_n(torch.where(candidate, keys, minus_inf), torch.full(keys.shape[:-1], batch_size))
    pos_keys = torch.where(candidate & positive, keys, minus_inf)
    n_pos = (candidate & positive).sum(-1).clamp_max(int(batch_size * positive_fraction))
    chosen = _top_n(pos_keys, n_pos)
    neg_keys = torch.where(candidate & ~positive, keys, minus_inf)
    return chosen | _top_n(neg_keys, batch_size - n_pos)


def _minibatch_loss(logits: Tensor, targets: Tensor, chosen: Tensor) -> Tensor:
    per_anchor = anchor_cross_entropy(logits, targets)
    return (per_anchor * chosen).sum((-2, -1)) / chosen.sum((-2, -1)).clamp_min(1)


def ohem_loss(
    logits: Tensor,
    targets: Tensor,
    batch_size: int = 128,
    positive_fraction: float | None = 0.25,
    nms_radius: int = 1,
    anchors_per_position: int = 3,
) -> Tensor:
    """Online hard example mining: cross-entropy on the highest-loss anchors of each image, after 1-D NMS.

    Args:
        logits, targets: ``[B, K, L]`` or ``[M, B, K, L]``.
        batch_size: anchors kept per image.
        positive_fraction: at most this fraction of the minibatch is positive (0.25: the paper's
            "OHEM 1:3"); ``None``: the highest-loss anchors whatever their label (the paper's
            "no ratio").
        nms_radius: see :func:`nms_1d`, applied among the anchors of the same width; 0 turns NMS off.
        anchors_per_position: A, to tell the anchors of each width apart (the targets' last
            dimension is A · L).

    Returns:
        ``[]`` or ``[M]``: the mean cross-entropy of the minibatch.
    """
    batch_size = check_int(batch_size, "batch_size", 1)
    with torch.no_grad():
        per_anchor = anchor_cross_entropy(logits, targets)
        valid = targets[..., 0, :] != IGNORE
        positive = (targets == 1).any(-2)
        peaks = nms_1d(per_anchor.unflatten(-1, (anchors_per_position, -1)), nms_radius).flatten(-2)
        chosen = _select(per_anchor, positive, valid & peaks, batch_size, _fraction(positive_fraction))
    return _minibatch_loss(logits, targets, chosen)


def sampled_loss(
    logits: Tensor, targets: Tensor, batch_size: int = 128, positive_fraction: float = 0.25, generator: torch.Generator | None = None
) -> Tensor:
    """Cross-entropy on a random minibatch of each image: its positives (up to a quarter) and random negatives.

    With ``positive_fraction=0.25`` the minibatch is 1:3 positives to negatives when an image has
    enough positives; else the rest is filled with negatives. A new sample at every call.

    Args:
        logits, targets: ``[B, K, L]`` or ``[M, B, K, L]``.
        batch_size: anchors sampled per image.
        positive_fraction: at most this fraction of the minibatch is positive.
        generator: for the random draw (default: torch's global generator).
    """
    batch_size = check_int(batch_size, "batch_size", 1)
    with torch.no_grad():
        valid = targets[..., 0, :] != IGNORE
        positive = (targets == 1).any(-2)
        keys = torch.rand(valid.shape, generator=generator)
        chosen = _select(keys, positive, valid, batch_size, _fraction(positive_fraction))
    return _minibatch_loss(logits, targets, chosen)


def _fraction(value):
    if value is None:
        return None
    value = check_real(value, "positive_fraction", minimum=0.0)
    if value > 1:
        raise ValueError(f"positive_fraction must be in [0, 1]; got {value}")
    return value
