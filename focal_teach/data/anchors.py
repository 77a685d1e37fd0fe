r"""Toy dense-detection data: 1-D "images" tiled with anchors, objects of a few classes (notebook 06).

A one-stage detector such as RetinaNet scores ~100k *anchors* per image; each anchor is
matched to the ground-truth objects by IoU and, for each of the K classes, its sigmoid output
is an independent binary problem ("is an object of class k here?"). Lin et al. (2017) assign:

- IoU ≥ 0.5 with an object: **positive** for that object's class (negative for the others);
- IoU < 0.4 with every object: **negative** for every class;
- 0.4 ≤ IoU < 0.5: **ignored** (no loss at all).

:func:`make_dense_detection` builds that situation in one dimension: an anchor is an interval
of fixed width centred on each sample, an object an interval with a class, and the IoU of two
intervals is their overlap over their union (:func:`interval_iou`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from focal_teach._checks import check_int, check_real, check_seed

__all__ = [
    "IGNORE",
    "CLASS_NAMES",
    "DenseDetectionData",
    "interval_iou",
    "assign_anchors",
    "make_dense_detection",
]

IGNORE = -1.0
"""The target of an ignored anchor (0.4 ≤ IoU < 0.5): it gets no loss and is not scored."""

CLASS_NAMES = ("bump", "dip", "wiggle")
"""The object classes, by the shape they leave in the signal."""


def interval_iou(centres_a: Tensor, widths_a: Tensor | float, centres_b: Tensor, widths_b: Tensor | float) -> Tensor:
    r"""IoU of 1-D intervals: every interval of ``a`` against every interval of ``b``.

    .. math:: \mathrm{IoU} = \frac{|A \cap B|}{|A \cup B|}, \qquad
              A = [c_a - w_a/2,\ c_a + w_a/2]

    Two intervals of the same width :math:`w` whose centres are :math:`d` apart have
    :math:`\mathrm{IoU} = (w - d)/(w + d)`: ≥ 0.5 for :math:`d ≤ w/3`.

    Args:
        centres_a, widths_a: ``[n]`` centres and widths (or one width for all).
        centres_b, widths_b: ``[m]``.

    Returns:
        ``[n, m]`` float32.
    """
    ca, cb = torch.as_tensor(centres_a, dtype=torch.float32), torch.as_tensor(centres_b, dtype=torch.float32)
    wa = torch.as_tensor(widths_a, dtype=torch.float32).expand_as(ca)
    wb = torch.as_tensor(widths_b, dtype=torch.float32).expand_as(cb)
    lo = torch.maximum((ca - wa / 2)[:, None], (cb - wb / 2)[None, :])
    hi = torch.minimum((ca + wa / 2)[:, None], (cb + wb / 2)[None, :])
    overlap = (hi - lo).clamp_min(0)
    return overlap / (wa[:, None] + wb[None, :] - overlap)


def assign_anchors(
    num_positions: int,
    anchor_widths: tuple[float, ...],
    centres: Tensor,
    widths: Tensor,
    classes: Tensor,
    num_classes: int,
    positive_iou: float = 0.5,
    ignore_iou: float = 0.4,
) -> Tensor:
    r"""RetinaNet's anchor assignment in 1-D: one target per anchor and class, 1, 0 or :data:`IGNORE`.

    There are ``len(anchor_widths)`` anchors at each position :math:`u` (RetinaNet has 9:
    3 scales × 3 aspect ratios), the intervals of those widths centred on :math:`u`. Each
    anchor is matched to the object of highest IoU. IoU ≥ ``positive_iou``: target 1 for that
    object's class, 0 for the other classes; IoU < ``ignore_iou``: 0 for every class; in
    between: :data:`IGNORE` for every class.

    Returns:
        ``[num_classes, A · num_positions]`` float32; anchor ``a · num_positions + u`` is the
        one of width ``anchor_widths[a]`` at position ``u``.
    """
    num_anchors = len(anchor_widths) * num_positions
    targets = torch.zeros(num_classes, num_anchors)
    if len(centres) == 0:
        return targets
    positions = torch.arange(num_positions, dtype=torch.float32)
    iou = torch.cat([interval_iou(positions, w, centres, widths) for w in anchor_widths])
    best_iou, best = iou.max(1)
    positive = best_iou >= positive_iou
    targets[:, (best_iou >= ignore_iou) & ~positive] = IGNORE
    anchors = positive.nonzero().flatten()
    targets[classes[best[anchors]], anchors] = 1.0
    return targets


@dataclass
class DenseDetectionData:
    """A batch of toy "images" for a 1-D dense detector: A anchors per position, K sigmoid outputs per anchor.

    Attributes:
        signals: ``[B, 1, L]`` float32, the input of each image (one channel, L positions).
        targets: ``[B, K, A · L]`` float32, per anchor and class: 1 (positive), 0 (negative),
            or :data:`IGNORE` (−1, no loss). Anchor ``a · L + u`` has width
            ``anchor_widths[a]`` and sits at position ``u``.
        objects: ``[B, n, 3]`` float32, each object's (centre, width, class).
        distractors: ``[B, L]`` bool, the centres of the distractors (background clutter).
        anchor_widths: the A anchor widths, in samples.
    """

    signals: Tensor
    targets: Tensor
    objects: Tensor
    distractors: Tensor
    anchor_widths: tuple[float, ...]

    @property
    def num_classes(self) -> int:
        return self.targets.shape[1]

    @property
    def num_anchors(self) -> int:
        """Anchors in all images (B · A · L); each has K outputs."""
        return self.targets.shape[0] * self.targets.shape[2]

    @property
    def num_positives(self) -> int:
        """Positive anchors (each is positive for exactly one class)."""
        return int((self.targets == 1).sum())

    @property
    def num_ignored(self) -> int:
        """Ignored anchors."""
        return int((self.targets[:, 0] == IGNORE).sum())

    @property
    def num_negative_outputs(self) -> int:
        """(anchor, class) outputs with target 0: what the K sigmoids must all push down."""
        return int((self.targets == 0).sum())


def _shape(kind: int, x: Tensor) -> Tensor:
    """The unit-amplitude profile of an object of class ``kind`` at ``x`` = offset / (width / 4)."""
    envelope = torch.exp(-0.5 * x**2)
    if kind == 0:  # bump
        return envelope
    if kind == 1:  # dip
        return -envelope
    return 1.65 * x * envelope  # wiggle: up then down (peak ±1 at x = ±1)


def make_dense_detection(
    num_images: int,
    num_positions: int = 2048,
    objects_per_image: int = 3,
    distractors_per_image: int = 4,
    num_classes: int = 3,
    anchor_widths: tuple[float, ...] = (4.0, 8.0, 16.0),
    object_widths: tuple[float, float] = (3.5, 20.0),
    amplitudes: tuple[float, float] = (1.0, 2.0),
    noise: float = 0.3,
    seed: int = 0,
    slot: int = 128,
) -> DenseDetectionData:
    r"""Toy dense-detection data: objects of ``num_classes`` shapes among wide clutter and noise.

    Each image is a 1-D signal of ``num_positions`` samples, with ``len(anchor_widths)``
    anchors (intervals of those widths) centred on each sample. An object of width :math:`s`
    (log-uniform in ``object_widths``) and amplitude :math:`a` (uniform in ``amplitudes``) adds
    :math:`a\, f_k\bigl((u - c)/(s/4)\bigr)` to the signal, where :math:`f_k` is its class's
    profile: a bump :math:`e^{-x^2/2}`, a dip :math:`-e^{-x^2/2}`, or a wiggle
    :math:`1.65\,x\,e^{-x^2/2}`. A *distractor* is a bump or dip of width 40 to 60, wider than
    any anchor (IoU < 0.4 with all of them: a negative everywhere, and a hard one). Gaussian
    noise of standard deviation ``noise`` covers everything: most anchors are easy negatives.

    Targets follow :func:`assign_anchors` (IoU ≥ 0.5 positive, < 0.4 negative, ignored in
    between).

    Args:
        num_images: B.
        num_positions: L, positions per image; at least ``slot`` per object or distractor.
        objects_per_image: objects per image; their classes take turns (from a random first
            one), so that an image of K objects holds each class once.
        distractors_per_image: wide bumps or dips per image.
        num_classes: K, 1 to 3 (bump, dip, wiggle).
        anchor_widths: the widths of the anchors at each position.
        object_widths: the range of the objects' widths.
        amplitudes: the range of the objects' and distractors' amplitudes.
        noise: standard deviation of the Gaussian noise.
        seed: seeds a private generator: the same arguments give the same data.
        slot: positions reserved for each object or distractor; each sits in the middle half
            of its own slot, so objects never overlap when ``slot`` ≥ 2 × the widest object.
            A smaller slot packs the same scene into fewer positions (fewer easy negatives
            per positive); distractors then overlap their neighbours.

    Returns:
        A :class:`DenseDetectionData`.
    """
    num_images = check_int(num_images, "num_images", 1)
    num_positions = check_int(num_positions, "num_positions", 1)
    objects_per_image = check_int(objects_per_image, "objects_per_image", 1)
    distractors_per_image = check_int(distractors_per_image, "distractors_per_image", 0)
    num_classes = check_int(num_classes, "num_classes", 1)
    if num_classes > len(CLASS_NAMES):
        raise ValueError(f"num_classes must be at most {len(CLASS_NAMES)} ({', '.join(CLASS_NAMES)}); got {num_classes}")
    anchor_widths = tuple(check_real(w, "anchor_widths", minimum=0.0, exclusive=True) for w in anchor_widths)
    noise = check_real(noise, "noise", minimum=0.0)
    w_lo, w_hi = (check_real(w, "object_widths", minimum=0.0, exclusive=True) for w in object_widths)
    a_lo, a_hi = (check_real(a, "amplitudes", minimum=0.0) for a in amplitudes)
    slot = check_int(slot, "slot", 8)  # one object or distractor per slot, centred in its middle half
    slots = num_positions // slot
    bumps = objects_per_image + distractors_per_image
    if bumps > slots:
        raise ValueError(
            f"num_positions={num_positions} leaves room for {slots} objects and distractors ({slot} positions each); "
            f"asked for {bumps}: use more positions, fewer objects, or a smaller slot"
        )
    g = torch.Generator().manual_seed(check_seed(seed))
    u = torch.arange(num_positions, dtype=torch.float32)
    signals = torch.randn(num_images, 1, num_positions, generator=g) * noise
    targets = torch.zeros(num_images, num_classes, len(anchor_widths) * num_positions)
    objects = torch.zeros(num_images, objects_per_image, 3)
    distractors = torch.zeros(num_images, num_positions, dtype=torch.bool)
    for i in range(num_images):
        starts = torch.randperm(slots, generator=g)[:bumps] * slot + slot // 4
        centres = (starts + torch.randint(slot // 2, (bumps,), generator=g)).float()
        heights = a_lo + (a_hi - a_lo) * torch.rand(bumps, generator=g)
        widths = w_lo * (w_hi / w_lo) ** torch.rand(objects_per_image, generator=g)
        # classes in turn from a random start: each image holds every class about equally often
        classes = (torch.arange(objects_per_image) + torch.randint(num_classes, (1,), generator=g)) % num_classes
        for j in range(objects_per_image):
            x = (u - centres[j]) / (widths[j] / 4)
            signals[i, 0] += heights[j] * _shape(int(classes[j]), x)
        for j in range(objects_per_image, bumps):
            sign = 1.0 if torch.rand(1, generator=g).item() < 0.5 else -1.0
            x = (u - centres[j]) / ((40 + 20 * torch.rand(1, generator=g).item()) / 4)
            signals[i, 0] += sign * heights[j] * torch.exp(-0.5 * x**2)
            distractors[i, int(centres[j])] = True
        obj_centres = centres[:objects_per_image]
        objects[i] = torch.stack([obj_centres, widths, classes.float()], 1)
        targets[i] = assign_anchors(num_positions, anchor_widths, obj_centres, widths, classes, num_classes)
    return DenseDetectionData(signals, targets, objects, distractors, anchor_widths)
