r"""Dense detection in miniature: the practical parts of Lin et al. (2017), on a toy that runs in seconds.

The data are :func:`focal_teach.data.make_dense_detection`'s 1-D images (about one positive
anchor per 1,000 negatives). This module holds what is trained and measured on them:

- :class:`TinyDetector`: a convolution that scores every anchor, with the paper's prior
  initialisation of its last bias (:func:`prior_bias`);
- :func:`dense_detection_loss`: a loss summed over anchors and divided by the number of
  positives (the paper's normalisation) or by the number of anchors (a plain mean);
- :func:`train_detector`: full-batch SGD with momentum, recording every iteration;
- :func:`anchor_average_precision`: average precision of the anchors' scores.

The loss shares of the paper's Figure 4 are in :mod:`focal_teach.experiments.loss_shares`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from sklearn.metrics import average_precision_score
from torch import Tensor, nn

from focal_teach.data.anchors import DenseDetectionData
from focal_teach.losses import binary_focal_loss
from focal_teach.losses._validation import check_binary_layout, check_float_input, check_real

__all__ = [
    "prior_bias",
    "TinyDetector",
    "dense_detection_loss",
    "DetectorTrace",
    "train_detector",
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

    Not :func:`~focal_teach.experiments.fit`: this loop records each iteration's gradient norm
    and probabilities *before* its update, and keeps the best validation checkpoint.

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


@torch.no_grad()
def anchor_average_precision(model: nn.Module, data: DenseDetectionData) -> float:
    """Average precision of the model's anchor scores against ``data.labels`` (``sklearn``'s).

    Every anchor of every image is one prediction, ranked by its logit; NaN if any logit is
    not finite (a diverged model).
    """
    model.eval()
    scores = model(data.signals)
    if not torch.isfinite(scores).all():
        return float("nan")
    return float(average_precision_score(data.labels.flatten().numpy(), scores.flatten().double().numpy()))
