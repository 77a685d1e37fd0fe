r"""When focal loss misbehaves (notebook 09): the failing versions users write, the probes that show what fails, and a fast way to train many small models.

The failing versions, written as tutorials and forum posts write them, so that each symptom
can be reproduced and then fixed:

- :func:`naive_binary_focal_loss`: :math:`p = \sigma(x)`, :math:`(1 - p_t)^\gamma`,
  :math:`\log(p_t + \varepsilon)`, all in the input's dtype. It overflows in float16 and
  bfloat16 (σ rounds to 1 from a logit of about 8 in float16), and for γ < 1 its autograd
  gradient is NaN once :math:`p_t` rounds to 1.
- :func:`naive_sequence_focal_loss`: a softmax focal loss per position that knows nothing of
  padding, for masking *after* computing it (NaN gradients at padded positions).

The probes:

- :func:`probe_gradient`: a loss and its gradient with respect to the logits, optionally with
  the logits produced under ``torch.autocast`` as in mixed-precision training; counts NaN and inf.
- :func:`effective_class_weights`: the weight each class's examples really get in a loss (α
  applied twice shows up squared).
- :func:`first_iteration`: a detector's first loss and gradient norm (the prior initialisation,
  the normalisation).
- :func:`multilabel_metrics`: mean average precision and F1 of a multi-label classifier, and how
  many of the labels of examples with several labels it finds.

Training many small models at once, each exactly as :func:`~focal_teach.experiments.fit` trains it
alone (full batch, Adam, cosine decay): :class:`MLPStack`, :func:`per_model`, :func:`fit_stack`.
Seeds × losses become one network of batched matrix products, and every loss is evaluated once
for all the models that use it: the comparisons of the notebook over 12 to 16 paired seeds then
cost seconds instead of a minute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.metrics import average_precision_score, f1_score
from torch import Tensor, nn

from focal_teach._checks import as_numpy, check_int, check_real
from focal_teach.data.anchors import DenseDetectionData
from focal_teach.experiments.detection import dense_detection_loss
from focal_teach.experiments.training import fit

__all__ = [
    "naive_binary_focal_loss",
    "naive_sequence_focal_loss",
    "GradientProbe",
    "probe_gradient",
    "effective_class_weights",
    "first_iteration",
    "multilabel_metrics",
    "MLPStack",
    "per_model",
    "fit_stack",
]

REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}; got {reduction!r}")


# ---------------------------------------------------------------- the failing versions


def naive_binary_focal_loss(
    input: Tensor, target: Tensor, gamma: float = 2.0, alpha: float | None = 0.25, eps: float = 0.0, reduction: str = "mean"
) -> Tensor:
    r"""The binary focal loss as tutorials write it: from probabilities, in the input's dtype. Do not train with it.

    .. math:: \ell = -\alpha_t\,(1 - p_t)^\gamma \log(p_t + \varepsilon), \qquad
              p = \sigma(x),\; p_t = \begin{cases} p & y = 1 \\ 1 - p & y = 0 \end{cases}

    What goes wrong, each measured in notebook 09 and its tests:

    - in float16 and bfloat16, σ(x) rounds to exactly 1 from a logit of about 8 (float16) or
      6 (bfloat16), so a confidently wrong negative has :math:`p_t = 0`: its loss is inf and
      autograd's gradient NaN; ``eps=1e-8`` is itself 0 in float16, and in bfloat16 it makes the
      loss finite but the hardest examples' gradient exactly 0;
    - in float32 the same happens from a logit of about 16.6;
    - for γ < 1 the derivative of :math:`(1 - p_t)^\gamma` is infinite where :math:`p_t`
      rounds to 1 (an easy example), and autograd returns NaN there.

    :func:`focal_teach.binary_focal_loss` computes the same loss from the logits in float32 or
    float64 and has a closed-form gradient: none of these happen.

    Args:
        input: logits, any shape and floating dtype (computed in that dtype).
        target: 0/1 labels of ``input``'s shape.
        gamma: γ ≥ 0.
        alpha: weight of the positives (negatives get 1 − α), or ``None`` for none.
        eps: added to :math:`p_t` inside the log, as many tutorials do "for stability".
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """
    gamma = check_real(gamma, "gamma", minimum=0.0)
    eps = check_real(eps, "eps", minimum=0.0)
    if target.shape != input.shape:
        raise ValueError(f"target must have input's shape {tuple(input.shape)}; got {tuple(target.shape)}")
    p = torch.sigmoid(input)
    positive = target == 1
    p_t = torch.where(positive, p, 1 - p)
    loss = -((1 - p_t) ** gamma) * torch.log(p_t + eps)
    if alpha is not None:
        alpha = check_real(alpha, "alpha", minimum=0.0)
        loss = torch.where(positive, alpha, 1 - alpha) * loss
    return _reduce(loss, reduction)


def naive_sequence_focal_loss(logits: Tensor, tags: Tensor, gamma: float = 2.0) -> Tensor:
    r"""A softmax focal loss per position, classes *last*, that knows nothing of padding: mask it yourself.

    .. math:: \ell_t = -(1 - p_{t})^\gamma \log p_{t}, \qquad \log p_t = \mathrm{log\_softmax}(x_t)_{y_t}

    Padded positions (any negative tag, e.g. −100) are computed like the others, with tag 0 in
    place of theirs: their loss is garbage, and NaN where their logits are NaN or all −∞. Notebook
    09 shows that masking the result afterwards (``* mask``, ``torch.where``, indexing) leaves
    NaN in the gradient, and that masking the *logits* before does not.

    Args:
        logits: ``[..., C]``.
        tags: ``[...]`` class indices, negative at padding.
        gamma: γ ≥ 0.

    Returns:
        The loss of every position, ``tags``' shape.
    """
    gamma = check_real(gamma, "gamma", minimum=0.0)
    if logits.shape[:-1] != tags.shape:
        raise ValueError(f"tags must have the shape of logits without its last (class) dimension, "
                         f"{tuple(logits.shape[:-1])}; got {tuple(tags.shape)}")
    log_p = logits.log_softmax(-1)
    log_pt = log_p.gather(-1, tags.clamp_min(0).unsqueeze(-1)).squeeze(-1)
    return -((1 - log_pt.exp()) ** gamma) * log_pt


# ---------------------------------------------------------------- probes


@dataclass(frozen=True)
class GradientProbe:
    """A loss and its gradient with respect to the logits (see :func:`probe_gradient`)."""

    loss: float
    grad: Tensor  # the gradient with respect to each logit, the logits' shape
    logits_dtype: torch.dtype  # the dtype the loss received (float16/bfloat16 under autocast)
    loss_dtype: torch.dtype

    @property
    def nan(self) -> int:
        """How many gradient entries are NaN."""
        return int(self.grad.isnan().sum())

    @property
    def inf(self) -> int:
        """How many gradient entries are ±inf."""
        return int(self.grad.isinf().sum())

    @property
    def finite(self) -> bool:
        """Loss and gradient free of NaN and inf."""
        return math.isfinite(self.loss) and bool(torch.isfinite(self.grad).all())


AUTOCAST_DTYPES = (torch.float16, torch.bfloat16)


def probe_gradient(loss_fn: Callable[..., Tensor], logits: Tensor, *args, autocast: torch.dtype | None = None,
                   **kwargs) -> GradientProbe:
    """Call ``loss_fn(logits, *args, **kwargs)`` and backpropagate: the loss, and the gradient with respect to each logit.

    Args:
        loss_fn: returns a scalar loss.
        logits: their values. Without ``autocast`` they are used as given (their dtype is the
            loss's input dtype).
        *args, **kwargs: passed to ``loss_fn`` (the targets, γ, …).
        autocast: ``torch.float16`` or ``torch.bfloat16``: the logits come out of a linear layer
            (float32 weights, the identity) run under ``torch.autocast("cpu", dtype=autocast)``,
            and the loss is computed inside that context, as in mixed-precision training; the
            gradient is then the one that reaches the layer's float32 input.

    Returns:
        A :class:`GradientProbe`.
    """
    if autocast is None:
        leaf = logits.detach().clone().requires_grad_()
        loss = loss_fn(leaf, *args, **kwargs)
        seen = leaf.dtype
    else:
        if autocast not in AUTOCAST_DTYPES:
            raise ValueError(f"autocast must be torch.float16, torch.bfloat16 or None; got {autocast!r}")
        leaf = logits.detach().float().reshape(-1, 1).clone().requires_grad_()
        layer = nn.Linear(1, 1, bias=False)
        with torch.no_grad():
            layer.weight.fill_(1.0)
        with torch.autocast("cpu", dtype=autocast):
            out = layer(leaf).reshape(logits.shape)
            seen = out.dtype
            loss = loss_fn(out, *args, **kwargs)
    if loss.dim() != 0:
        raise ValueError(f"loss_fn must return a scalar; got shape {tuple(loss.shape)} (use reduction='mean' or 'sum')")
    loss.backward()
    return GradientProbe(float(loss.detach().float()), leaf.grad.reshape(logits.shape).detach(), seen, loss.dtype)


def effective_class_weights(loss_fn: Callable[[Tensor, Tensor], Tensor], num_classes: int) -> Tensor:
    r"""The weight each class's examples really get in ``loss_fn``, measured from its gradient.

    One example of each class, every logit 0 (all classes equally likely): without weights
    each example's gradient has the same size, so the sizes' ratios are the weights the loss
    applies, whatever way it applies them (``alpha=``, ``weight=``, a per-example factor,
    or several of them at once). Normalised to sum to ``num_classes``, as
    :func:`focal_teach.class_weights` returns them.

    Args:
        loss_fn: ``loss_fn(logits [C, C], target [C]) -> scalar``, softmax layout.
        num_classes: C.

    Returns:
        float64 ``[C]``.
    """
    num_classes = check_int(num_classes, "num_classes", 2)
    logits = torch.zeros(num_classes, num_classes, dtype=torch.float64, requires_grad=True)
    loss = loss_fn(logits, torch.arange(num_classes))
    (grad,) = torch.autograd.grad(loss, logits)
    size = grad.norm(dim=1)
    if not bool(torch.isfinite(size).all()) or bool((size == 0).all()):
        raise ValueError("loss_fn's gradient at uniform logits is zero or not finite: it applies no weight to measure")
    return size * num_classes / size.sum()


def first_iteration(detector: nn.Module, data: DenseDetectionData, normalize: str = "positives", **loss_kwargs) -> tuple[float, float]:
    """A detector's loss on ``data`` before any update, and the norm of its gradient over all parameters.

    Args:
        detector: e.g. :class:`~focal_teach.experiments.TinyDetector` with or without ``prior=``.
        data: the training images.
        normalize: ``"positives"`` (the paper's) or ``"outputs"``, as :func:`~focal_teach.experiments.dense_detection_loss`.
        **loss_kwargs: γ, α, … of :func:`focal_teach.binary_focal_loss`.

    Returns:
        ``(loss, gradient norm)``.
    """
    params = [p for p in detector.parameters() if p.requires_grad]
    loss = dense_detection_loss(detector(data.signals), data.targets, normalize=normalize, **loss_kwargs)
    grads = torch.autograd.grad(loss, params)
    return loss.item(), float(torch.sqrt(sum(g.pow(2).sum() for g in grads)))


def multilabel_metrics(y_true, scores, threshold: float = 0.5) -> dict:
    """How well a multi-label classifier finds each example's labels: ranking, and decisions at ``threshold``.

    Args:
        y_true: ``[N, K]`` 0/1, every label present at least once.
        scores: ``[N, K]`` probabilities of each label (``sigmoid`` of the logits, or a softmax's).
        threshold: a label is predicted where its score is ≥ ``threshold``.

    Returns:
        ``map`` (mean over labels of scikit-learn's average precision), ``ap`` (``[K]``),
        ``macro_f1`` and ``micro_f1`` at ``threshold`` (scikit-learn's ``f1_score``), and
        ``multi_recall``: the fraction of the labels of examples with two labels or more that
        are predicted (a softmax can predict at most one label above 0.5).
    """
    y = as_numpy(y_true, "y_true")
    s = as_numpy(scores, "scores")
    if y.ndim != 2 or y.shape != s.shape:
        raise ValueError(f"y_true and scores must both be [N, K]; got {y.shape} and {s.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must hold 0/1 labels")
    if (y.sum(0) == 0).any():
        raise ValueError(f"labels {np.flatnonzero(y.sum(0) == 0).tolist()} have no positive example: their AP is undefined")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or inf: check the model's output")
    threshold = check_real(threshold, "threshold")
    predicted = (s >= threshold).astype(int)
    ap = np.array([average_precision_score(y[:, k], s[:, k]) for k in range(y.shape[1])])
    multi = y.sum(1) >= 2
    found = (predicted[multi] * y[multi]).sum() / max(y[multi].sum(), 1)
    return {
        "map": float(ap.mean()),
        "ap": ap,
        "macro_f1": float(f1_score(y, predicted, average="macro", zero_division=0.0)),
        "micro_f1": float(f1_score(y, predicted, average="micro", zero_division=0.0)),
        "multi_recall": float(found),
    }


# ---------------------------------------------------------------- many small models at once


class MLPStack(nn.Module):
    """M multilayer perceptrons of one architecture as one module: ``[M, N, d]`` → ``[M, N, K]``.

    Each ``nn.Linear`` of the M models becomes one batched matrix product (``torch.baddbmm``);
    parameter-free layers (``nn.ReLU``, ``nn.Tanh``, …) are applied as they are. Model m's
    parameters are slice m of the stack's, so the models share none: the gradient of the sum of
    their losses is, model by model, the gradient of each one's own loss.

    Args:
        mlps: ``nn.Sequential`` s of ``nn.Linear`` and parameter-free layers, all of the same shapes.
    """

    def __init__(self, mlps: Sequence[nn.Sequential]) -> None:
        super().__init__()
        mlps = list(mlps)
        if not mlps or not all(isinstance(m, nn.Sequential) for m in mlps):
            raise TypeError("mlps must be a non-empty list of nn.Sequential models")
        first = mlps[0]
        self.layers = nn.ModuleList()
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        self._kinds = []
        for i, layer in enumerate(first):
            parts = [m[i] for m in mlps]
            if isinstance(layer, nn.Linear):
                if any(not isinstance(p, nn.Linear) or p.weight.shape != layer.weight.shape or (p.bias is None) != (layer.bias is None)
                       for p in parts):
                    raise ValueError(f"layer {i} differs between the models: every model must have the same architecture")
                if layer.bias is None:
                    raise ValueError(f"layer {i} has no bias: MLPStack needs nn.Linear(..., bias=True)")
                self.weights.append(nn.Parameter(torch.stack([p.weight.detach().T for p in parts]).contiguous()))
                self.biases.append(nn.Parameter(torch.stack([p.bias.detach() for p in parts]).unsqueeze(1).contiguous()))
                self._kinds.append("linear")
            elif not any(True for _ in layer.parameters()):
                self.layers.append(layer)
                self._kinds.append("function")
            else:
                raise TypeError(f"layer {i} ({type(layer).__name__}) has parameters but is not nn.Linear: MLPStack cannot stack it")
        if any(len(m) != len(first) for m in mlps):
            raise ValueError("every model must have the same number of layers")

    @property
    def copies(self) -> int:
        return self.weights[0].shape[0]

    def forward(self, inputs: Tensor) -> Tensor:
        """``[M, N, d]`` → ``[M, N, K]``: model m applied to ``inputs[m]``."""
        if inputs.dim() != 3 or inputs.shape[0] != self.copies:
            raise ValueError(f"inputs must be [M, N, d] with M = {self.copies} models; got {tuple(inputs.shape)}")
        h, linear, function = inputs, iter(zip(self.weights, self.biases)), iter(self.layers)
        for kind in self._kinds:
            if kind == "linear":
                weight, bias = next(linear)
                h = torch.baddbmm(bias, h, weight)
            else:
                h = next(function)(h)
        return h

    def write_back(self, mlps: Sequence[nn.Sequential]) -> None:
        """Copy model m's trained parameters into ``mlps[m]``."""
        with torch.no_grad():
            for m, mlp in enumerate(mlps):
                linears = [layer for layer in mlp if isinstance(layer, nn.Linear)]
                for layer, weight, bias in zip(linears, self.weights, self.biases):
                    layer.weight.copy_(weight[m].T)
                    layer.bias.copy_(bias[m, 0])


LAYOUTS = ("softmax", "binary")


def per_model(loss: Callable[..., Tensor], *, layout: str = "softmax", offset: Tensor | None = None, **kwargs) -> Callable[[Tensor, Tensor], Tensor]:
    r"""A loss for :func:`fit_stack`: ``fn(logits [G, N, K], targets) -> [G]``, model g's own mean loss.

    Args:
        loss: a loss with ``reduction="none"``: :func:`focal_teach.focal_loss`,
            ``F.cross_entropy`` (``layout="softmax"``), :func:`focal_teach.binary_focal_loss`,
            ``F.binary_cross_entropy_with_logits``, :func:`~focal_teach.experiments.asymmetric_loss`
            (``layout="binary"``).
        layout: ``"softmax"``: targets ``[G, N]`` class indices (or ``[G, N, K]`` probabilities);
            each model's loss is the mean over its N examples, or, with ``alpha=`` (``weight=``),
            the sum divided by the sum of the examples' weights, as ``F.cross_entropy``'s
            ``"mean"``. ``"binary"``: targets ``[G, N, K]`` 0/1; the mean over the N·K outputs.
        offset: ``[K]`` added to the logits before the loss: with :math:`\tau \log \pi_c`, the
            logit-adjusted cross-entropy of
            :func:`~focal_teach.experiments.logit_adjusted_cross_entropy` (predictions use the
            plain logits).
        **kwargs: the loss's own arguments (γ, α, …).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(map(repr, LAYOUTS))}; got {layout!r}")
    weights = kwargs.get("alpha", kwargs.get("weight"))

    def per_model_loss(logits: Tensor, targets: Tensor) -> Tensor:
        if logits.dim() != 3:
            raise ValueError(f"logits must be [G, N, K] (G models); got {tuple(logits.shape)}")
        x = logits if offset is None else logits + offset.to(logits)
        if layout == "binary":
            return loss(x, targets, reduction="none", **kwargs).mean((1, 2))
        soft = targets.is_floating_point()
        values = loss(x.movedim(-1, 1), targets.movedim(-1, 1) if soft else targets, reduction="none", **kwargs)
        if weights is None or soft:
            return values.mean(1)
        return values.sum(1) / torch.as_tensor(weights, dtype=values.dtype)[targets].sum(1)

    return per_model_loss


def fit_stack(
    mlps: Sequence[nn.Sequential],
    loss_fns: Sequence[Callable[[Tensor, Tensor], Tensor]],
    inputs: Sequence[Tensor],
    targets: Sequence[Tensor],
    *,
    epochs: int = 100,
    lr: float = 1e-2,
    lr_schedule: str = "cosine",
) -> Tensor:
    """Train M small MLPs at once, model m on ``(inputs[m], targets[m])`` with ``loss_fns[m]``, as ``fit`` trains each alone.

    Full batch, Adam at ``lr``, the learning rate decayed as ``lr_schedule`` says
    (:func:`~focal_teach.experiments.fit`'s). The models become one :class:`MLPStack`; since
    they share no parameter and Adam updates each parameter from its own gradient alone, each
    model follows the path :func:`~focal_teach.experiments.fit` would give it alone. Models
    given the *same* loss function object are evaluated in one call: give one function per
    method (from :func:`per_model`), not one per model.

    Args:
        mlps: initialised ``nn.Sequential`` MLPs of one architecture (seed each before building
            it); trained in place.
        loss_fns: one per model, each ``fn(logits [G, N, K], targets [G, ...]) -> [G]``.
        inputs, targets: one training set per model, all of the same shapes.
        epochs, lr, lr_schedule: as :func:`~focal_teach.experiments.fit`.

    Returns:
        ``[M]``: each model's own training loss in the last epoch (before its last update).
    """
    m = len(mlps)
    if m == 0 or not (len(loss_fns) == len(inputs) == len(targets) == m):
        raise ValueError(f"give one loss function, input set and target set per model: {m} models, "
                         f"{len(loss_fns)} loss functions, {len(inputs)} input sets, {len(targets)} target sets")
    groups: dict[int, tuple[Callable, list[int]]] = {}
    for i, fn in enumerate(loss_fns):
        groups.setdefault(id(fn), (fn, []))[1].append(i)
    groups = [(fn, torch.tensor(idx)) for fn, idx in groups.values()]
    stack = MLPStack(mlps)
    last = torch.zeros(m)

    def total_loss(logits: Tensor, y: Tensor) -> Tensor:
        total = logits.new_zeros(())
        for fn, idx in groups:
            values = fn(logits[idx], y[idx])
            if values.shape != idx.shape:
                raise ValueError(f"a loss function returned shape {tuple(values.shape)} for {len(idx)} models: "
                                 "it must return one loss per model (see per_model)")
            last[idx] = values.detach().float()
            total = total + values.sum()
        return total

    fit(stack, total_loss, torch.stack(list(inputs)), torch.stack(list(targets)), epochs=epochs, lr=lr, lr_schedule=lr_schedule)
    stack.write_back(mlps)
    for mlp in mlps:
        mlp.eval()
    return last
