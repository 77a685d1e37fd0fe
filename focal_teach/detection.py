r"""Dense detection in miniature: the practical parts of Lin et al. (2017), on a toy that runs in seconds.

A one-stage detector such as RetinaNet scores ~100k *anchors* per image, each an independent
binary problem ("is an object centred here?"), and only a handful of them are positive. This
module builds that situation in one dimension:

- :func:`make_dense_detection`: signals with thousands of anchors each, about one positive
  per 1,000 negatives, plus distractors that make some negatives hard;
- :class:`TinyDetector`: a convolution that scores every anchor, with the paper's prior
  initialisation of its last bias (:func:`prior_bias`);
- :func:`dense_detection_loss`: a loss summed over anchors and divided by the number of
  positives (the paper's normalisation) or by the number of anchors (a plain mean);
- :func:`train_detector`: full-batch SGD with momentum, recording every iteration;
- :func:`cumulative_loss_share`, :func:`loss_share_of_hardest`: the paper's Figure 4;
- :func:`anchor_average_precision`: average precision of the anchors' scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from focal_teach._validation import check_binary_layout, check_float_input, check_real
from focal_teach.functional import binary_focal_loss

__all__ = [
    "prior_bias",
    "DenseDetectionData",
    "make_dense_detection",
    "TinyDetector",
    "dense_detection_loss",
    "DetectorTrace",
    "train_detector",
    "cumulative_loss_share",
    "loss_share_of_hardest",
    "anchor_average_precision",
]


def prior_bias(pi: float = 0.01) -> float:
    r"""The bias that makes a sigmoid output the prior probability π (Lin et al., section 4.1).

    .. math:: b = -\log\frac{1 - \pi}{\pi}, \qquad \sigma(b) = \pi

    Set as the bias of the last classification layer (whose weights start near 0), every anchor
    starts out predicting "object" with probability π instead of 0.5, so the many negatives
    start with a small loss. π = 0.01 gives b ≈ −4.595.

    Args:
        pi: the prior π, strictly between 0 and 1.

    Returns:
        The bias, a float.
    """
    pi = check_real(pi, "pi", hint="It is a probability strictly between 0 and 1; the paper uses 0.01.")
    if not 0.0 < pi < 1.0:
        raise ValueError(f"pi must lie strictly between 0 and 1 (the paper uses 0.01); got {pi}")
    return -math.log((1.0 - pi) / pi)


# ---------------------------------------------------------------- data


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
    counts = {"num_images": num_images, "num_anchors": num_anchors, "objects_per_image": objects_per_image}
    for name, value in counts.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    if not isinstance(distractors_per_image, int) or distractors_per_image < 0:
        raise ValueError(f"distractors_per_image must be an int ≥ 0; got {distractors_per_image!r}")
    noise = check_real(noise, "noise", minimum=0.0)
    slot = 32  # one object or distractor per slot of 32 anchors, centred in its middle half
    slots = num_anchors // slot
    bumps = objects_per_image + distractors_per_image
    if bumps > slots:
        raise ValueError(
            f"num_anchors={num_anchors} leaves room for {slots} objects and distractors (32 anchors each); "
            f"asked for {bumps}: use more anchors or fewer objects"
        )
    g = torch.Generator().manual_seed(seed)
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


# ---------------------------------------------------------------- model


class TinyDetector(nn.Module):
    r"""A one-hidden-layer convolutional detector: one logit per anchor.

    ``Conv1d(1, hidden, kernel_size) → ReLU → Conv1d(hidden, 1, 1)``; the last layer,
    ``self.head``, is the classification head whose bias the prior initialisation sets.

    Args:
        hidden: channels of the hidden layer.
        kernel_size: receptive field, in anchors (odd).
        prior: ``None`` keeps PyTorch's default initialisation of the head's bias (every
            anchor starts near p = 0.5); a number π sets it to :func:`prior_bias(π) <prior_bias>`.

    Shape:
        input ``[B, 1, L]`` → logits ``[B, L]``.
    """

    def __init__(self, hidden: int = 8, kernel_size: int = 15, prior: float | None = None) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(
                f"kernel_size must be odd, so that each anchor's window is centred on it; got {kernel_size}"
            )
        self.features = nn.Conv1d(1, hidden, kernel_size, padding=kernel_size // 2)
        self.head = nn.Conv1d(hidden, 1, 1)
        if prior is not None:
            nn.init.constant_(self.head.bias, prior_bias(prior))

    def forward(self, signals: Tensor) -> Tensor:
        return self.head(torch.relu(self.features(signals))).squeeze(1)


# ---------------------------------------------------------------- loss and training


NORMALIZATIONS = ("positives", "anchors")


def dense_detection_loss(
    logits: Tensor,
    labels: Tensor,
    loss: Callable[..., Tensor] = binary_focal_loss,
    normalize: str = "positives",
    **loss_kwargs,
) -> Tensor:
    r"""A per-anchor loss, summed over all anchors and normalised as in Lin et al. (2017).

    .. math::

        L = \frac{1}{Z} \sum_{\text{anchors } a} \ell(x_a, y_a), \qquad
        Z = \begin{cases} \max(1, \#\{a : y_a = 1\}) & \texttt{"positives"} \\
                          \#\text{anchors} & \texttt{"anchors"} \end{cases}

    Dividing by the number of positives keeps the loss of an image about its objects: it does
    not shrink as the number of anchors grows, as the plain mean (``"anchors"``) does.

    Args:
        logits: one logit per anchor, any shape.
        labels: 0/1 labels of ``logits``'s shape.
        loss: a binary loss taking ``(logits, labels, reduction="sum", **loss_kwargs)``, e.g.
            :func:`focal_teach.binary_focal_loss` (default) or
            :func:`focal_teach.binary_focal_loss_star`.
        normalize: ``"positives"`` (the paper's) or ``"anchors"`` (plain mean).
        **loss_kwargs: passed to ``loss``, e.g. ``gamma=2.0, alpha=0.25``.

    Returns:
        A scalar.
    """
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {', '.join(map(repr, NORMALIZATIONS))}; got {normalize!r}")
    logits = check_float_input(logits, "logits")
    check_binary_layout(logits, labels)
    total = loss(logits, labels, reduction="sum", **loss_kwargs)
    if normalize == "positives":
        return total / max(1, int((labels == 1).sum()))
    return total / max(1, labels.numel())


@dataclass
class DetectorTrace:
    """What :func:`train_detector` records at every iteration, before its update.

    Attributes:
        loss: the training loss.
        grad_norm: the gradient's Euclidean norm over all parameters.
        positive_prob: mean predicted probability σ(x) over the positive anchors.
        negative_prob: mean predicted probability σ(x) over the negative anchors.
        validation_ap: ``(iterations done, average precision on the validation data)`` at each
            check, when training had validation data.
        best_iteration: the number of iterations of the checkpoint kept (the last one without
            validation data).
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    positive_prob: list[float] = field(default_factory=list)
    negative_prob: list[float] = field(default_factory=list)
    validation_ap: list[tuple[int, float]] = field(default_factory=list)
    best_iteration: int = 0


def train_detector(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    data: DenseDetectionData,
    *,
    iterations: int = 150,
    lr: float = 0.01,
    momentum: float = 0.9,
    optimizer: torch.optim.Optimizer | None = None,
    validation: DenseDetectionData | None = None,
    validate_every: int = 25,
) -> DetectorTrace:
    """Full-batch training of a detector, recording every iteration.

    Args:
        model: maps ``data.signals`` to one logit per anchor (``data.labels``'s shape).
        loss_fn: ``loss_fn(logits, labels)``, e.g. ``partial(dense_detection_loss, gamma=2.0, alpha=0.25)``.
        data: the training images.
        iterations: number of updates.
        lr, momentum: of the default optimiser, SGD with momentum (the paper's: lr 0.01,
            momentum 0.9).
        optimizer: any optimiser over ``model``'s parameters, instead.
        validation: held-out images for early stopping: every ``validate_every`` iterations
            (and after the last) the average precision on them is measured, and the model
            ends with the parameters of the best check, so that losses that learn at
            different speeds are compared each at its best.
        validate_every: iterations between checks.

    Returns:
        A :class:`DetectorTrace`; the model is trained in place. Training does not stop when
        the loss becomes non-finite: the trace shows it.
    """
    if not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"iterations must be a positive int; got {iterations!r}")
    if not isinstance(validate_every, int) or validate_every < 1:
        raise ValueError(f"validate_every must be a positive int; got {validate_every!r}")
    optimizer = optimizer or torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    positives = (data.labels == 1).to(data.signals.dtype)
    num_positives, num_negatives = positives.sum().clamp_min(1), (1 - positives).sum().clamp_min(1)
    trace = DetectorTrace()
    best_ap, best_state = -math.inf, None
    model.train()
    for done in range(1, iterations + 1):
        optimizer.zero_grad(set_to_none=True)
        logits = model(data.signals)
        loss = loss_fn(logits, data.labels)
        loss.backward()
        grads = [p.grad.detach().flatten() for p in model.parameters() if p.grad is not None]
        probs = torch.sigmoid(logits.detach())
        trace.loss.append(loss.item())
        trace.grad_norm.append(torch.cat(grads).norm().item() if grads else 0.0)
        trace.positive_prob.append(((probs * positives).sum() / num_positives).item())
        trace.negative_prob.append(((probs * (1 - positives)).sum() / num_negatives).item())
        optimizer.step()
        if validation is not None and (done % validate_every == 0 or done == iterations):
            ap = anchor_average_precision(model, validation)
            trace.validation_ap.append((done, ap))
            if ap > best_ap:  # NaN (diverged) is never best
                best_ap, trace.best_iteration = ap, done
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            model.train()
    if best_state is not None:
        model.load_state_dict(best_state)
    elif validation is None:
        trace.best_iteration = iterations
    model.eval()
    return trace


# ---------------------------------------------------------------- evaluation


def cumulative_loss_share(losses) -> tuple[np.ndarray, np.ndarray]:
    r"""The cumulative distribution of a loss over examples, as in Lin et al.'s Figure 4.

    Sort the examples' losses from lowest to highest; after the first :math:`k` of :math:`n`,
    return the fraction :math:`k/n` of examples and the share of the total loss they carry.

    Args:
        losses: per-example losses (any shape, flattened), ≥ 0, not all 0.

    Returns:
        ``(fraction_of_examples, cumulative_share)``, two float64 arrays of length n, both
        ending at 1. A curve that hugs 0 and then jumps means a few hard examples carry the loss.
    """
    values = _loss_values(losses)
    share = np.cumsum(np.sort(values)) / values.sum()
    return np.arange(1, values.size + 1) / values.size, share


def loss_share_of_hardest(losses, fraction: float) -> float:
    """Share of the total loss carried by the ``fraction`` (in (0, 1]) of examples with the highest loss.

    The number of examples counted is ``ceil(fraction * n)``.
    """
    fraction = check_real(fraction, "fraction", minimum=0.0, exclusive=True)
    if fraction > 1.0:
        raise ValueError(f"fraction must be in (0, 1]; got {fraction}")
    values = np.sort(_loss_values(losses))[::-1]
    k = math.ceil(fraction * values.size - 1e-9)
    return float(values[:k].sum() / values.sum())


def _loss_values(losses) -> np.ndarray:
    if isinstance(losses, Tensor):
        losses = losses.detach().cpu().double().numpy()
    values = np.asarray(losses, dtype=np.float64).ravel()
    if values.size == 0 or not np.isfinite(values).all() or (values < 0).any() or values.sum() == 0:
        raise ValueError("losses must be a non-empty set of finite values ≥ 0, not all zero")
    return values


@torch.no_grad()
def anchor_average_precision(model: nn.Module, data: DenseDetectionData) -> float:
    """Average precision of the model's anchor scores against ``data.labels`` (``sklearn``'s).

    Every anchor of every image is one prediction, ranked by its logit; NaN if any logit is
    not finite (a diverged model).
    """
    from sklearn.metrics import average_precision_score

    model.eval()
    scores = model(data.signals)
    if not torch.isfinite(scores).all():
        return float("nan")
    return float(average_precision_score(data.labels.flatten().numpy(), scores.flatten().double().numpy()))
