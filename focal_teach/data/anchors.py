r"""Toy dense-detection data: 1-D "images" with thousands of anchors and a handful of objects (notebook 06).

A one-stage detector such as RetinaNet scores ~100k *anchors* per image, each an independent
binary problem ("is an object centred here?"), and only a handful of them are positive.
:func:`make_dense_detection` builds that situation in one dimension.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from focal_teach._checks import check_int, check_real, check_seed

__all__ = ["DenseDetectionData", "make_dense_detection"]


@dataclass
class DenseDetectionData:
    """A batch of toy "images" for a 1-D dense detector.

    Attributes:
        signals: ``[B, 1, L]`` float32, the input of each image (one channel, L anchors).
        labels: ``[B, L]`` float32, 1 at the anchor at each object's centre, 0 elsewhere.
        distractors: ``[B, L]`` bool, the centres of the distractors (all negatives).
    """

    signals: Tensor
    labels: Tensor
    distractors: Tensor

    @property
    def num_positives(self) -> int:
        return int(self.labels.sum())

    @property
    def num_anchors(self) -> int:
        return self.labels.numel()


def make_dense_detection(
    num_images: int,
    num_anchors: int = 4096,
    objects_per_image: int = 4,
    distractors_per_image: int = 4,
    noise: float = 0.4,
    seed: int = 0,
) -> DenseDetectionData:
    r"""Toy dense-detection data: narrow bumps (objects) to find among broad bumps and noise.

    Each image is a 1-D signal of ``num_anchors`` samples, one anchor per sample:

    .. math::

        s(u) = \sum_{\text{objects}} a_k\, e^{-(u - c_k)^2 / (2 \cdot 2^2)}
             + \sum_{\text{distractors}} a_k\, e^{-(u - c_k)^2 / (2 \cdot 5^2)}
             + \mathcal{N}(0, \text{noise}^2),
        \qquad a_k \sim \mathcal{U}(1, 2).

    The anchor at an object's centre :math:`c_k` is positive; every other anchor is negative.
    Most negatives are easy (noise); the anchors next to an object's centre and those on a
    distractor (a bump 2.5× wider) are hard. Centres are at least 16 anchors apart. With the
    defaults, 4 positives per 4,096 anchors: about 1 positive per 1,000 negatives.

    Args:
        num_images: B.
        num_anchors: L, anchors per image; at least 32 per object or distractor.
        objects_per_image: positives per image.
        distractors_per_image: wide bumps per image.
        noise: standard deviation of the Gaussian noise.
        seed: seeds a private generator: the same arguments give the same data.

    Returns:
        A :class:`DenseDetectionData`.
    """
    num_images = check_int(num_images, "num_images", 1)
    num_anchors = check_int(num_anchors, "num_anchors", 1)
    objects_per_image = check_int(objects_per_image, "objects_per_image", 1)
    distractors_per_image = check_int(distractors_per_image, "distractors_per_image", 0)
    noise = check_real(noise, "noise", minimum=0.0)
    slot = 32  # one object or distractor per slot of 32 anchors, centred in its middle half
    slots = num_anchors // slot
    bumps = objects_per_image + distractors_per_image
    if bumps > slots:
        raise ValueError(
            f"num_anchors={num_anchors} leaves room for {slots} objects and distractors (32 anchors each); "
            f"asked for {bumps}: use more anchors or fewer objects"
        )
    g = torch.Generator().manual_seed(check_seed(seed))
    u = torch.arange(num_anchors, dtype=torch.float32)
    signals = torch.randn(num_images, 1, num_anchors, generator=g) * noise
    labels = torch.zeros(num_images, num_anchors)
    distractors = torch.zeros(num_images, num_anchors, dtype=torch.bool)
    for i in range(num_images):
        starts = torch.randperm(slots, generator=g)[:bumps] * slot + slot // 4
        centres = starts + torch.randint(slot // 2, (bumps,), generator=g)
        amplitudes = 1.0 + torch.rand(bumps, generator=g)
        widths = torch.tensor([2.0] * objects_per_image + [5.0] * distractors_per_image)
        shapes = amplitudes[:, None] * torch.exp(-0.5 * ((u[None, :] - centres[:, None]) / widths[:, None]) ** 2)
        signals[i, 0] += shapes.sum(0)
        labels[i, centres[:objects_per_image]] = 1.0
        distractors[i, centres[objects_per_image:]] = True
    return DenseDetectionData(signals, labels, distractors)


