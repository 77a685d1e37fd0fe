r"""Dense detection in miniature: the practical parts of Lin et al. (2017), on a toy that runs in seconds.

The data are :func:`focal_teach.data.make_dense_detection`'s 1-D images (K sigmoid outputs per
anchor; targets 1, 0, or ignored). This module holds what is trained and measured on them:

- :class:`TinyDetector`: a small convolutional net that gives K logits per anchor, with the
  paper's prior initialisation of its last bias (:func:`prior_bias`);
- :func:`dense_detection_loss`: a per-output loss summed over the non-ignored outputs and
  divided by the number of positive anchors (the paper's normalisation) or by the number of
  outputs (a plain mean);
- :func:`train_detectors`: trains many detectors *at once* (each with its own loss, seed and
  data) as one grouped network, full batch, recording every iteration; :func:`train_detector`
  trains one;
- :func:`average_precision`, :func:`anchor_average_precision`: scikit-learn's average
  precision of the anchors' scores, per class, averaged over classes.

The paper's sampling baselines (OHEM, 1:3 sampling) are in
:mod:`focal_teach.experiments.sampling`; the loss shares of its Figure 4 in
:mod:`focal_teach.experiments.loss_shares`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.metrics import average_precision_score
from torch import Tensor, nn

from focal_teach._checks import check_int, check_real
from focal_teach.data.anchors import IGNORE, DenseDetectionData
from focal_teach.losses import binary_focal_loss

__all__ = [
    "prior_bias",
    "TinyDetector",
    "dense_detection_loss",
    "DetectorTrace",
    "train_detectors",
    "train_detector",
    "average_precision",
    "anchor_average_precision",
]


def prior_bias(pi: float = 0.01) -> float:
    r"""The bias that makes a sigmoid output the prior probability π (Lin et al., section 4.1).

    .. math:: b = -\log\frac{1 - \pi}{\pi}, \qquad \sigma(b) = \pi

    Set as the bias of the last classification layer, every anchor starts out predicting
    "object" with probability about π instead of about 0.5, so the many negatives start with a
    small loss. π = 0.01 gives b ≈ −4.595. (The paper also draws that layer's weights from a
    Gaussian with σ = 0.01, so that every logit starts at b; :class:`TinyDetector` keeps
    PyTorch's default weights, uniform in ±1/√fan_in, so its first logits spread around b.)

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
    r"""A small convolutional detector: A anchors per position, one sigmoid per class and anchor (RetinaNet's head).

    ``Conv1d(1, hidden, 9) → ReLU → Conv1d(hidden, hidden, 9, dilation 2) → ReLU →
    Conv1d(hidden, A·K, 1)``: a receptive field of 25 positions. The last layer, ``self.head``,
    is the classification head whose bias the prior initialisation sets.

    Args:
        hidden: channels of the hidden layers.
        num_classes: K, sigmoid outputs per anchor.
        num_anchors: A, anchors per position.
        prior: ``None`` keeps PyTorch's default initialisation of the head's bias (every
            output starts near p = 0.5); a number π sets it to :func:`prior_bias(π) <prior_bias>`.

    Shape:
        input ``[B, 1, L]`` → logits ``[B, K, A · L]`` (the layout of
        :attr:`DenseDetectionData.targets <focal_teach.data.anchors.DenseDetectionData>`).
    """

    def __init__(self, hidden: int = 6, num_classes: int = 3, num_anchors: int = 3, prior: float | None = None) -> None:
        super().__init__()
        hidden = check_int(hidden, "hidden", 1)
        self.num_classes = check_int(num_classes, "num_classes", 1)
        self.num_anchors = check_int(num_anchors, "num_anchors", 1)
        self.body = nn.Sequential(
            nn.Conv1d(1, hidden, 9, padding=4),
            nn.ReLU(),
            nn.Conv1d(hidden, hidden, 9, padding=8, dilation=2),
            nn.ReLU(),
        )
        self.head = nn.Conv1d(hidden, self.num_anchors * self.num_classes, 1)
        if prior is not None:
            nn.init.constant_(self.head.bias, prior_bias(prior))

    def forward(self, signals: Tensor) -> Tensor:
        out = self.head(self.body(signals))  # [B, A·K, L]
        b, _, length = out.shape
        return out.view(b, self.num_anchors, self.num_classes, length).transpose(1, 2).reshape(b, self.num_classes, -1)


class _Bank(nn.Module):
    """M detectors of the same architecture as one network of grouped convolutions.

    Copy m of every layer is group m, so the copies share no parameter: the gradient of the
    sum of their losses is, copy by copy, the gradient of each one's own loss, and an
    element-wise optimiser (SGD, Adam) updates each copy exactly as if it were trained alone.
    """

    def __init__(self, detectors: Sequence[TinyDetector]) -> None:
        super().__init__()
        m = len(detectors)
        first_detector = detectors[0]
        self.num_anchors, self.num_classes = first_detector.num_anchors, first_detector.num_classes
        layers = []
        for parts in zip(*(list(d.body) + [d.head] for d in detectors)):
            first = parts[0]
            if isinstance(first, nn.Conv1d):
                conv = nn.Conv1d(first.in_channels * m, first.out_channels * m, first.kernel_size[0],
                                 padding=first.padding[0], dilation=first.dilation[0], groups=m)
                with torch.no_grad():
                    conv.weight.copy_(torch.cat([p.weight for p in parts]))
                    conv.bias.copy_(torch.cat([p.bias for p in parts]))
                layers.append(conv)
            else:
                layers.append(type(first)())
        self.net = nn.Sequential(*layers)
        self.copies = m

    def forward(self, signals: Tensor) -> Tensor:
        """``[M, B, 1, L]`` → ``[M, B, K, A · L]``."""
        m, b, _, length = signals.shape
        out = self.net(signals.squeeze(2).transpose(0, 1).contiguous())  # [B, M·A·K, L]
        out = out.view(b, m, self.num_anchors, self.num_classes, length).permute(1, 0, 3, 2, 4)
        return out.reshape(m, b, self.num_classes, self.num_anchors * length)

    def per_copy(self, tensor: Tensor) -> Tensor:
        """A parameter (or its gradient) as ``[M, numel per copy]``."""
        return tensor.reshape(self.copies, -1)

    def write_back(self, detectors: Sequence[TinyDetector]) -> None:
        convs = [layer for layer in self.net if isinstance(layer, nn.Conv1d)]
        with torch.no_grad():
            for i, d in enumerate(detectors):
                for conv, target in zip(convs, [x for x in list(d.body) + [d.head] if isinstance(x, nn.Conv1d)]):
                    n = target.out_channels
                    target.weight.copy_(conv.weight[i * n : (i + 1) * n])
                    target.bias.copy_(conv.bias[i * n : (i + 1) * n])


# ---------------------------------------------------------------- loss


NORMALIZATIONS = ("positives", "outputs")


def dense_detection_loss(
    logits: Tensor,
    targets: Tensor,
    loss: Callable[..., Tensor] = binary_focal_loss,
    normalize: str = "positives",
    **loss_kwargs,
) -> Tensor:
    r"""A per-output loss, summed over the outputs that are not ignored, normalised as in Lin et al. (2017).

    .. math::

        L = \frac{1}{Z} \sum_{\text{anchors } a} \sum_{k=1}^{K} [y_{ak} \ne \text{ignore}]\;
            \ell(x_{ak}, y_{ak}), \qquad
        Z = \begin{cases} \max(1, N_{\text{pos}}) & \texttt{"positives"} \\
                          \#\text{outputs not ignored} & \texttt{"outputs"} \end{cases}

    Ignored outputs (target :data:`~focal_teach.data.anchors.IGNORE`) get weight 0: they add
    nothing to the loss nor to the gradient (never NaN). Dividing by the number of positive
    anchors keeps the loss of an image about its objects: it does not shrink as the number of
    anchors grows, as the plain mean (``"outputs"``) does.

    Args:
        logits: ``[B, K, L]`` (one detector) or ``[M, B, K, L]`` (M detectors, one loss each).
        targets: 1, 0 or ignore, of ``logits``'s shape.
        loss: a binary loss taking ``(logits, targets, reduction="none", **loss_kwargs)``, e.g.
            :func:`focal_teach.binary_focal_loss` (default) or
            :func:`focal_teach.binary_focal_loss_star`.
        normalize: ``"positives"`` (the paper's) or ``"outputs"`` (plain mean).
        **loss_kwargs: passed to ``loss``, e.g. ``gamma=2.0, alpha=0.25``.

    Returns:
        A scalar, or ``[M]``.
    """
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {', '.join(map(repr, NORMALIZATIONS))}; got {normalize!r}")
    _check_logits(logits, targets)
    valid = targets != IGNORE
    per_output = loss(logits, torch.where(valid, targets, 0.0), reduction="none", **loss_kwargs)
    per_output = torch.where(valid, per_output, 0.0)
    dims = (-3, -2, -1)
    if normalize == "positives":
        z = (targets == 1).sum(dims).clamp_min(1)
    else:
        z = valid.sum(dims).clamp_min(1)
    return per_output.sum(dims) / z


def _check_logits(logits, targets) -> None:
    if not isinstance(logits, Tensor) or not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point tensor; got {type(logits).__name__}")
    if not isinstance(targets, Tensor) or targets.shape != logits.shape:
        shape = tuple(targets.shape) if isinstance(targets, Tensor) else type(targets).__name__
        raise ValueError(f"targets must be a tensor of logits's shape {tuple(logits.shape)}; got {shape}")
    if logits.dim() not in (3, 4):
        raise ValueError(f"logits must be [B, K, L] or [M, B, K, L]; got {logits.dim()} dimensions")


# ---------------------------------------------------------------- training


@dataclass
class DetectorTrace:
    """What :func:`train_detectors` records for one detector at every iteration, before its update.

    Attributes:
        loss: the training loss.
        grad_norm: the gradient's Euclidean norm over the detector's parameters.
        positive_prob: mean predicted probability σ(x) over the positive outputs.
        negative_prob: mean predicted probability σ(x) over the negative outputs.
        validation_ap: ``(iterations done, average precision on the validation data)`` at each
            check, when training had validation data.
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    positive_prob: list[float] = field(default_factory=list)
    negative_prob: list[float] = field(default_factory=list)
    validation_ap: list[tuple[int, float]] = field(default_factory=list)


LossFn = Callable[[Tensor, Tensor], Tensor]


def train_detectors(
    detectors: Sequence[TinyDetector],
    loss_fns: Sequence[LossFn],
    data: DenseDetectionData | Sequence[DenseDetectionData],
    *,
    iterations: int = 150,
    optimizer: str = "adam",
    lr: float = 0.01,
    momentum: float = 0.9,
    lr_drops: Sequence[float] = (),
    validation: DenseDetectionData | None = None,
    validate_every: int = 50,
    record: bool = True,
) -> list[DetectorTrace]:
    """Full-batch training of M detectors at once, each with its own loss (and data), recording every iteration.

    The M detectors become one network of grouped convolutions (copy m = group m), trained on
    the sum of their losses: since they share no parameter and the optimiser is element-wise,
    each copy follows exactly the path it would follow alone, but M small models cost about
    one Python loop instead of M.

    Args:
        detectors: initialised :class:`TinyDetector` s of the same architecture; trained in place.
        loss_fns: one per detector, ``loss_fn(logits [G, B, K, L], targets) -> [G]`` (one loss per
            copy), e.g. ``partial(dense_detection_loss, gamma=2.0, alpha=0.25)``. Detectors given
            the *same* function object are evaluated in one call.
        data: the training images, shared, or one set per detector (same shapes).
        iterations: number of updates.
        optimizer: ``"adam"`` or ``"sgd"`` (with ``momentum``; the paper's: lr 0.01, momentum 0.9).
        lr: learning rate.
        lr_drops: fractions of ``iterations`` after which the learning rate is divided by 10
            (the paper's schedule, 60k and 80k of 90k iterations, is ``(2/3, 8/9)``).
        validation: held-out images: every ``validate_every`` iterations (and after the last)
            each detector's :func:`average_precision` on them is recorded.
        record: record the loss, gradient norm and mean probabilities at every iteration.
            ``False`` skips them (and their host syncs): for sweeps that only score the
            trained detectors.

    Returns:
        One :class:`DetectorTrace` per detector. Training does not stop when a loss becomes
        non-finite: the trace shows it.
    """
    iterations = check_int(iterations, "iterations", 1)
    validate_every = check_int(validate_every, "validate_every", 1)
    m = len(detectors)
    if m == 0 or len(loss_fns) != m:
        raise ValueError(f"give one loss function per detector: {m} detectors, {len(loss_fns)} loss functions")
    sets = [data] * m if isinstance(data, DenseDetectionData) else list(data)
    if len(sets) != m:
        raise ValueError(f"give one data set, or one per detector: {m} detectors, {len(sets)} data sets")
    signals = torch.stack([s.signals for s in sets])
    targets = torch.stack([s.targets for s in sets])
    if record:
        positive, negative = targets == 1, targets == 0
        n_pos, n_neg = positive.sum((1, 2, 3)).clamp_min(1), negative.sum((1, 2, 3)).clamp_min(1)
    groups: dict[int, tuple[LossFn, list[int]]] = {}
    for i, fn in enumerate(loss_fns):
        groups.setdefault(id(fn), (fn, []))[1].append(i)
    groups = [(fn, _as_index(idx)) for fn, idx in groups.values()]
    # Groups that tile the detectors in order take their logits by torch.split, whose backward
    # is one concatenation, not a zero-filled full-size gradient per group.
    sizes = [idx.stop - idx.start for _, idx in groups if isinstance(idx, slice)]
    tiled = len(sizes) == len(groups) and [idx.start for _, idx in groups] == list(np.cumsum([0] + sizes[:-1]))

    bank = _Bank(detectors)
    if optimizer == "adam":
        opt = torch.optim.Adam(bank.parameters(), lr=lr)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(bank.parameters(), lr=lr, momentum=momentum)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'sgd'; got {optimizer!r}")
    drops = {round(f * iterations) for f in lr_drops}
    traces = [DetectorTrace() for _ in range(m)]
    losses = torch.empty(m)
    for done in range(1, iterations + 1):
        if done - 1 in drops:
            for group in opt.param_groups:
                group["lr"] /= 10
        opt.zero_grad(set_to_none=True)
        logits = bank(signals)
        parts = logits.split(sizes) if tiled else [logits[idx] for _, idx in groups]
        total = 0.0
        for (fn, idx), part in zip(groups, parts):
            value = fn(part, targets[idx])
            losses[idx] = value.detach()
            total = total + value.sum()
        total.backward()
        if record:
            with torch.no_grad():
                grad_sq = sum(bank.per_copy(p.grad).pow(2).sum(1) for p in bank.parameters())
                probs = torch.sigmoid(logits)
                pos_prob = (probs * positive).sum((1, 2, 3)) / n_pos
                neg_prob = (probs * negative).sum((1, 2, 3)) / n_neg
            for i, trace in enumerate(traces):
                trace.loss.append(losses[i].item())
                trace.grad_norm.append(grad_sq[i].sqrt().item())
                trace.positive_prob.append(pos_prob[i].item())
                trace.negative_prob.append(neg_prob[i].item())
        opt.step()
        if validation is not None and (done % validate_every == 0 or done == iterations):
            with torch.no_grad():
                val_logits = bank(validation.signals.expand(m, *validation.signals.shape))
            for i, trace in enumerate(traces):
                trace.validation_ap.append((done, average_precision(val_logits[i], validation.targets)))
    bank.write_back(detectors)
    for d in detectors:
        d.eval()
    return traces


def _as_index(indices: list[int]) -> slice | Tensor:
    """Consecutive indices as a slice (a view: no copy of the logits), others as a tensor."""
    if indices == list(range(indices[0], indices[-1] + 1)):
        return slice(indices[0], indices[-1] + 1)
    return torch.tensor(indices)


def train_detector(model: TinyDetector, loss_fn: LossFn, data: DenseDetectionData, **kwargs) -> DetectorTrace:
    """:func:`train_detectors` for one detector; ``loss_fn`` may return a scalar."""
    return train_detectors([model], [loss_fn], data, **kwargs)[0]


# ---------------------------------------------------------------- measuring


def average_precision(logits: Tensor, targets: Tensor, per_class: bool = False) -> float | list[float]:
    """Average precision of anchor scores, per class over the non-ignored anchors (``sklearn``'s), averaged over classes.

    Every (anchor, class) output of every image is one prediction, ranked by its logit against
    its target; ignored anchors are left out. This is the *dense classifier's* AP, not COCO's
    box AP (no NMS, no box matching). NaN if any logit is not finite (a diverged model).

    Args:
        logits, targets: ``[B, K, L]``.
        per_class: return the K values instead of their mean.
    """
    if not torch.isfinite(logits).all():
        return [float("nan")] * logits.shape[1] if per_class else float("nan")
    values = []
    for k in range(logits.shape[1]):
        y, s = targets[:, k].flatten(), logits[:, k].flatten()
        # Outputs scored below every positive never enter the precision at any positive's
        # rank: leaving them out gives scikit-learn's exact AP, on far fewer outputs (most
        # negatives are easy). Ignored outputs are left out too.
        lowest_positive = s[y == 1].min() if bool((y == 1).any()) else s.min()
        keep = (y != IGNORE) & (s >= lowest_positive)
        values.append(float(average_precision_score(y[keep].numpy(), s[keep].double().numpy())))
    return values if per_class else float(np.mean(values))


@torch.no_grad()
def anchor_average_precision(model: nn.Module, data: DenseDetectionData, per_class: bool = False) -> float | list[float]:
    """:func:`average_precision` of ``model``'s scores on ``data``."""
    model.eval()
    return average_precision(model(data.signals), data.targets, per_class=per_class)
