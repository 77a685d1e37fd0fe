"""What each peer's focal loss means, measured: the findings behind docs/peers.md.

Every finding is the outcome of a run, never a typed claim. For each question (what α means,
what "mean" divides by, ...) a probe lists the possible answers, each as a computation on
focal_teach's losses or in exact float64 arithmetic, calls the peer on the same logits and targets,
and records the one answer whose numbers the peer reproduces. None, or more than one, is an error:
a new peer version changed its semantics, and the alternatives need a look.

``collect()`` returns the findings as JSON-ready data; ``scripts/peer_table.py`` renders them.
Each peer is reached through an adapter (``Entry`` below) that says how the peer takes our
logits and targets: its argument names, its target layout, its "no α" value.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import math
import os
import warnings
from collections.abc import Callable

os.environ["KERAS_BACKEND"] = "torch"  # Keras 3 on torch tensors; set before keras is imported

import torch
import torch.nn.functional as F

import focal_teach

N, C, D = 4, 3, 5  # batch, classes, positions: distinct sizes, so that a shape names its dimensions
GAMMA, ALPHA, CLASS_ALPHA = 2.0, 0.25, [0.2, 0.3, 0.5]
IGNORE = 2  # an ignore value that is also a valid class: a peer that ignores nothing is caught


class Unsupported(Exception):
    """The peer has no such argument or refuses the value: the finding is this sentence."""


def refusal(error: Exception) -> str:
    return f"refused ({type(error).__name__})"


def call_or_refusal(thunk: Callable):
    try:
        return thunk()
    except Unsupported:
        raise
    except Exception as error:  # noqa: BLE001  (a refusal is a finding)
        raise Unsupported(refusal(error)) from error


# ---------------------------------------------------------------- exact references (float64)


def exact_sigmoid_map(x: torch.Tensor, y: torch.Tensor, gamma: float) -> torch.Tensor:
    """(1 − p_t)^γ·BCE per element for labels 0/1, in stable float64: σ(−z)^γ·softplus(−z), z = x(2y − 1)."""
    z = x.double() * (2 * y.double() - 1)
    return torch.exp(gamma * F.logsigmoid(-z)) * F.softplus(-z)


def exact_softmax_map(x: torch.Tensor, t: torch.Tensor, gamma: float) -> torch.Tensor:
    """(1 − p_t)^γ·(−log p_t) per position [N, *], in stable float64, from the target's margin over the
    other classes, d = x_t − logsumexp_{j≠t} x_j: 1 − p_t = σ(−d), −log p_t = softplus(−d). (Not from
    log_softmax: at a margin of 30 its log p_t ≈ −1.9e-13 keeps only 3 digits even in float64.)"""
    x = x.double()
    index = t.unsqueeze(1)
    d = x.gather(1, index).squeeze(1) - x.scatter(1, index, -math.inf).logsumexp(1)
    return torch.sigmoid(-d) ** gamma * F.softplus(-d)


def one_hot(t: torch.Tensor, dtype=torch.float64) -> torch.Tensor:
    return F.one_hot(t, C).movedim(-1, 1).to(dtype)


def softmax_as_map(per_position: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A per-position loss [N, d] as kornia's [N, C, d] map: in the target's channel, 0 elsewhere."""
    return torch.where(one_hot(t).bool(), per_position.unsqueeze(1), 0.0)


def sigmoid_on(x, t):
    """Our sigmoid loss on the one-hot target, per element [N, C, d]."""
    return focal_teach.binary_focal_loss(x, one_hot(t, x.dtype), GAMMA, reduction="none")


def softmax_on(x, t, ignore_index=-100):
    """Our softmax loss as a [N, C, d] map."""
    return softmax_as_map(focal_teach.focal_loss(x, t, GAMMA, reduction="none", ignore_index=ignore_index), t)


# ---------------------------------------------------------------- matching a peer's number to an answer


def close(a, b, rtol=1e-4, atol=1e-7) -> bool:
    a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
    return a.shape == b.shape and bool(torch.isclose(a, b, rtol=rtol, atol=atol).all())


def identify(question: str, peer_value, answers: dict[str, Callable]) -> str:
    """The one answer whose value equals the peer's (rtol 1e-4: MONAI and Keras compute in float32)."""
    matches = [answer for answer, value in answers.items() if close(peer_value, value())]
    if len(matches) != 1:
        raise AssertionError(
            f"{question}: {'no answer' if not matches else 'several answers'} reproduce the peer's value "
            f"{torch.as_tensor(peer_value).double().tolist()}: {matches or list(answers)}. The peer's semantics "
            f"changed (or a new case): add the answer it now gives to tests/compat/compat_findings.py."
        )
    return matches[0]


# ---------------------------------------------------------------- the peers, as adapters


class Entry:
    """One peer call, with the conversions from our data: logits [N, C, d] and class indices [N, d]
    ("classes") or labels of the logits' shape ("binary")."""

    key: str
    peer: str  # the distribution name, for its version
    call: str  # what the user writes
    kind: str  # "classes" or "binary"
    inputs: str  # what it takes (the call shows it; the probes run it)
    targets: str
    alpha_none = None  # the peer's value for "no α"

    def loss(self, x, y, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None):
        raise NotImplementedError

    def loss_from_probabilities(self, p, y):
        """The peer called on probabilities, as its default input (or Unsupported)."""
        raise Unsupported("logits only")

    def soft(self, x, y_soft):
        """The peer's loss on soft labels in [0, 1] (mean), for binary-kind peers."""
        return self.loss(x, y_soft)


class TorchvisionSigmoid(Entry):
    key, peer, call, kind = "torchvision", "torchvision", "torchvision.ops.sigmoid_focal_loss", "binary"
    inputs, targets = "logits", "labels of the logits' shape (float)"

    def loss(self, x, y, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None):
        import torchvision

        if ignore_index is not None:
            raise Unsupported("no ignore_index argument")
        return torchvision.ops.sigmoid_focal_loss(x, y, alpha=-1 if alpha is None else alpha, gamma=gamma, reduction=reduction)


class KorniaBinary(Entry):
    key, peer, call, kind = "kornia-binary", "kornia", "kornia.losses.binary_focal_loss_with_logits", "binary"
    inputs, targets = "logits", "labels of the logits' shape, [B, C, *]"

    def loss(self, x, y, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None):
        import kornia

        return kornia.losses.binary_focal_loss_with_logits(
            x, y, alpha=alpha, gamma=gamma, reduction=reduction, ignore_index=ignore_index
        )


class KorniaSoftmax(Entry):
    key, peer, call, kind = "kornia", "kornia", "kornia.losses.focal_loss", "classes"
    inputs, targets = "logits", "class indices [N, *]"

    def loss(self, x, t, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None):
        import kornia

        if isinstance(alpha, list):  # kornia's per-class vector is weight=
            return kornia.losses.focal_loss(x, t, alpha=None, gamma=gamma, reduction=reduction, weight=torch.tensor(alpha, dtype=x.dtype), ignore_index=ignore_index)
        return kornia.losses.focal_loss(x, t, alpha=alpha, gamma=gamma, reduction=reduction, ignore_index=ignore_index)


class MonaiSigmoid(Entry):
    key, peer, call, kind = "monai", "monai", "monai.losses.FocalLoss(to_onehot_y=True)", "classes"
    inputs, targets = "logits", "class indices [N, 1, *] (to_onehot_y=True), or one-hot / multi-label [N, C, *]"
    use_softmax = False

    def loss(self, x, t, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None, include_background=True):
        from monai.losses import FocalLoss

        criterion = FocalLoss(
            include_background=include_background, to_onehot_y=True, gamma=gamma, alpha=alpha, reduction=reduction,
            use_softmax=self.use_softmax, ignore_index=ignore_index,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return criterion(x, t.unsqueeze(1))

    def soft(self, x, y_soft):
        from monai.losses import FocalLoss

        return FocalLoss(gamma=GAMMA, use_softmax=self.use_softmax)(x, y_soft)


class MonaiSoftmax(MonaiSigmoid):
    key, call = "monai-softmax", "monai.losses.FocalLoss(to_onehot_y=True, use_softmax=True)"
    use_softmax = True

    def soft(self, x, y_soft):
        raise Unsupported("not applicable (softmax)")


class SmpBinary(Entry):
    key, peer, call, kind = "smp-binary", "segmentation-models-pytorch", 'segmentation_models_pytorch.losses.FocalLoss("binary")', "binary"
    inputs, targets = "logits (from_logits=True, the default)", "labels of the logits' shape"

    def loss(self, x, y, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None):
        from segmentation_models_pytorch.losses import FocalLoss

        return FocalLoss("binary", alpha=alpha, gamma=gamma, ignore_index=ignore_index, reduction=reduction)(x, y)

    def loss_from_probabilities(self, p, y):
        from segmentation_models_pytorch.losses import FocalLoss

        return FocalLoss("binary", gamma=GAMMA, from_logits=False)(p, y)


class SmpMulticlass(Entry):
    key, peer, call, kind = "smp", "segmentation-models-pytorch", 'segmentation_models_pytorch.losses.FocalLoss("multiclass")', "classes"
    inputs, targets = "logits (from_logits=True, the default)", "class indices [N, *]"

    def loss(self, x, t, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None):
        from segmentation_models_pytorch.losses import FocalLoss

        if isinstance(alpha, list):  # smp's per-class vector is class_weights=
            return FocalLoss("multiclass", gamma=gamma, ignore_index=ignore_index, reduction=reduction, class_weights=alpha)(x, t)
        return FocalLoss("multiclass", alpha=alpha, gamma=gamma, ignore_index=ignore_index, reduction=reduction)(x, t)

    def loss_from_probabilities(self, p, t):
        from segmentation_models_pytorch.losses import FocalLoss

        return FocalLoss("multiclass", gamma=GAMMA, from_logits=False)(p, t)


def _keras_reduction(reduction):
    return {"mean": "sum_over_batch_size", "sum": "sum", "none": None}[reduction]


class KerasBinary(Entry):
    key, peer, call, kind = "keras-binary", "keras", "keras.losses.BinaryFocalCrossentropy(from_logits=True)", "binary"
    inputs, targets = "probabilities (from_logits=False, the default); logits with from_logits=True", "labels of the predictions' shape; classes last"

    def loss(self, x, y, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None, balancing=None):
        import keras

        if ignore_index is not None:
            raise Unsupported("no ignore_index argument")
        kwargs = {} if alpha is None else {"alpha": alpha}
        if balancing is not None:  # (otherwise Keras's default: False)
            kwargs["apply_class_balancing"] = balancing
        criterion = keras.losses.BinaryFocalCrossentropy(from_logits=True, gamma=gamma, reduction=_keras_reduction(reduction), **kwargs)
        return criterion(y.movedim(1, -1), x.movedim(1, -1))  # Keras: (y_true, y_pred), classes last

    def loss_from_probabilities(self, p, y):
        import keras

        return keras.losses.BinaryFocalCrossentropy(gamma=GAMMA)(y.movedim(1, -1), p.movedim(1, -1))


class KerasCategorical(Entry):
    key, peer, call, kind = "keras", "keras", "keras.losses.CategoricalFocalCrossentropy(from_logits=True)", "classes"
    inputs, targets = "probabilities (from_logits=False, the default); logits with from_logits=True", "one-hot, classes last [N, *, C]"
    alpha_none = 1.0  # its default alpha is 0.25

    def loss(self, x, t, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None):
        import keras

        if ignore_index is not None:
            raise Unsupported("no ignore_index argument")
        criterion = keras.losses.CategoricalFocalCrossentropy(
            from_logits=True, gamma=gamma, alpha=1.0 if alpha is None else alpha, reduction=_keras_reduction(reduction)
        )
        return criterion(one_hot(t, x.dtype).movedim(1, -1), x.movedim(1, -1))

    def loss_from_probabilities(self, p, t):
        import keras

        return keras.losses.CategoricalFocalCrossentropy(gamma=GAMMA, alpha=1.0)(one_hot(t, p.dtype).movedim(1, -1), p.movedim(1, -1))


class OursBinary(Entry):
    key, peer, call, kind = "focal_teach-binary", "focal-teach", "focal_teach.binary_focal_loss", "binary"
    inputs, targets = "logits (from_logits=True, the default); probabilities with from_logits=False", "labels of the logits' shape (bool, int or float)"

    def loss(self, x, y, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None):
        if ignore_index is not None:
            raise Unsupported("no ignore_index argument")
        return focal_teach.binary_focal_loss(x, y, gamma, alpha=alpha, reduction=reduction)

    def loss_from_probabilities(self, p, y):
        return focal_teach.binary_focal_loss(p, y, GAMMA, from_logits=False)


class OursSoftmax(Entry):
    key, peer, call, kind = "focal_teach", "focal-teach", "focal_teach.focal_loss", "classes"
    inputs, targets = "logits (from_logits=True, the default); probabilities with from_logits=False", "class indices [N, *], as F.cross_entropy"

    def loss(self, x, t, *, gamma=GAMMA, alpha=None, reduction="mean", ignore_index=None):
        return focal_teach.focal_loss(x, t, gamma, alpha=alpha, reduction=reduction, ignore_index=-100 if ignore_index is None else ignore_index)

    def loss_from_probabilities(self, p, t):
        return focal_teach.focal_loss(p, t, GAMMA, from_logits=False)


ENTRIES = [
    TorchvisionSigmoid(), KorniaBinary(), KorniaSoftmax(), MonaiSigmoid(), MonaiSoftmax(),
    SmpBinary(), SmpMulticlass(), KerasBinary(), KerasCategorical(), OursBinary(), OursSoftmax(),
]


# ---------------------------------------------------------------- the probes


def batch(kind: str, dtype=torch.float64, seed: int = 0):
    """Logits [N, C, d] (scale 2: neither saturated nor all easy) and targets: class indices [N, d]
    ("classes") or 0/1 labels of the logits' shape ("binary")."""
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(N, C, D, generator=g, dtype=torch.float64) * 2).to(dtype)
    if kind == "classes":
        return x, torch.randint(C, (N, D), generator=g)
    return x, torch.randint(2, (N, C, D), generator=g).to(dtype)


def positives(entry, y):
    """Where the label is 1, [N, C, d]: the one-hot target, or the binary labels."""
    return one_hot(y) if entry.kind == "classes" else y.double()


ACTIVATIONS = {
    "softmax over the C classes": lambda x, t: softmax_on(x.double(), t),
    "one sigmoid per class, on the one-hot target": lambda x, t: sigmoid_on(x.double(), t),
}
BINARY = "one sigmoid per element"


def element_map(activation: str, x, y):
    """The peer's loss per element [N, C, d] (without α), in float64, by our losses."""
    if activation == BINARY:
        return focal_teach.binary_focal_loss(x.double(), y.double(), GAMMA, reduction="none")
    return ACTIVATIONS[activation](x, y)


def exact_map(activation: str, x, y, gamma: float):
    """The same, in exact float64 arithmetic (for saturated logits), [N, C, d]."""
    if activation == BINARY:
        return exact_sigmoid_map(x, y, gamma)
    if activation.startswith("softmax"):
        return softmax_as_map(exact_softmax_map(x, y, gamma), y)
    return exact_sigmoid_map(x, one_hot(y), gamma)


MEANS = {"every element (N·C·d)": lambda n, c, d: n * c * d, "every position (N·d)": lambda n, c, d: n * d}


def probe_activation_and_mean(entry):
    x, y = batch(entry.kind)
    value = entry.loss(x, y, reduction="mean")
    activations = {BINARY: None} if entry.kind == "binary" else ACTIVATIONS
    answers = {
        f"{a}|{m}": (lambda a=a, k=k: element_map(a, x, y).sum() / k(N, C, D))
        for a in activations
        for m, k in MEANS.items()
    }
    activation, mean = identify(f"{entry.call}: activation and mean", value, answers).split("|")
    return activation, mean


def probe_sum(entry, activation):
    x, y = batch(entry.kind)
    m = element_map(activation, x, y)
    return identify(f"{entry.call}: sum", entry.loss(x, y, reduction="sum"), {
        "the sum": lambda: m.sum(),
        "the sum over batch and classes of the mean over positions": lambda: m.mean(dim=2).sum(),
        "the sum divided by C": lambda: m.sum() / C,
    })


def probe_none(entry):
    x, y = batch(entry.kind)
    shape = tuple(entry.loss(x, y, reduction="none").shape)
    names = {N: "N", C: "C", D: "d", N * C * D: "N·C·d"}
    return "a scalar: no per-element loss" if not shape else "[" + ", ".join(names.get(s, str(s)) for s in shape) + "]"


def probe_alpha(entry, activation, alpha, **kwargs):
    """What a number α (or a per-class list) does, as the ratio of the loss with it to the loss without."""
    x, y = batch(entry.kind)
    m = element_map(activation, x, y)
    P = positives(entry, y)
    try:
        with_alpha = call_or_refusal(lambda: entry.loss(x, y, alpha=alpha, reduction="sum", **kwargs))
    except Unsupported as refused:
        return str(refused)
    without = entry.loss(x, y, alpha=entry.alpha_none, reduction="sum", **{k: v for k, v in kwargs.items() if k != "balancing"})
    ratio = with_alpha.double() / without.double()
    if isinstance(alpha, list):
        w = torch.tensor(alpha, dtype=torch.float64).view(1, C, 1)
        answers = {
            "α[c] weighs class c (α_t = α[target])" if activation != BINARY and activation.startswith("softmax") else "α[c] weighs every element of class c": (w, w),
            "α[c] for positives of class c, 1 for its negatives": (w, torch.ones_like(w)),
            "α[c] for positives of class c, 1 − α[c] for its negatives": (w, 1 - w),
        }
        if activation.startswith("softmax"):  # only the target's channel is non-zero: the three coincide
            answers = dict(list(answers.items())[:1])
        answers["α[c] weighs class c, and the loss is divided by Σα[c]/C (a weighted mean over classes)"] = (w * C / w.sum(), w * C / w.sum())
        answers["ignored"] = (1.0, 1.0)
    else:
        a = alpha
        w = torch.tensor([1 - a] + [a] * (C - 1), dtype=torch.float64).view(1, C, 1)
        answers = {"1 − α for class 0, α for classes 1…C−1": (w, w), "ignored": (1.0, 1.0)}
        if activation.startswith("softmax"):
            answers["a constant factor α on every loss term"] = (a, a)
        else:
            answers["α for positives, 1 − α for negatives"] = (a, 1 - a)
            answers["a constant factor α on every loss term"] = (a, a)
    name = identify(f"{entry.call}: alpha={alpha!r}", ratio, {
        name: (lambda pos=pos, neg=neg: (m * (pos * P + neg * (1 - P))).sum() / m.sum()) for name, (pos, neg) in answers.items()
    })
    WEIGHTS[name] = answers[name]
    return name


WEIGHTS: dict[str, tuple] = {}  # each α answer found: its weights of positives and negatives


def probe_class_alpha_mean(entry, activation, mean, class_alpha_finding):
    """With per-class weights, what "mean" divides by."""
    if class_alpha_finding.startswith("refused") or class_alpha_finding == "ignored" or "divided by Σα" in class_alpha_finding:
        return None
    x, y = batch(entry.kind)
    pos, neg = WEIGHTS[class_alpha_finding]
    P = positives(entry, y)
    weighted = element_map(activation, x, y) * (pos * P + neg * (1 - P))
    alpha_t = torch.tensor(CLASS_ALPHA, dtype=torch.float64)[y] if entry.kind == "classes" else None
    answers = {"the same as without α": lambda: weighted.sum() / MEANS[mean](N, C, D)}
    if alpha_t is not None:
        answers["Σ α_t over the positions (F.cross_entropy's weighted mean)"] = lambda: weighted.sum() / alpha_t.sum()
    return identify(f"{entry.call}: mean with per-class alpha", entry.loss(x, y, alpha=CLASS_ALPHA, reduction="mean"), answers)


def probe_ignore(entry, activation, mean):
    x, y = batch(entry.kind)
    g = torch.Generator().manual_seed(1)
    ignored = torch.rand(y.shape, generator=g) < 0.3
    marked = torch.where(ignored, -100, y) if entry.kind == "classes" else torch.where(ignored, -100.0, y)
    try:
        value = call_or_refusal(lambda: entry.loss(x, marked, reduction="mean", ignore_index=-100))
    except Unsupported as refused:
        return str(refused)
    keep = ~ignored.unsqueeze(1) if entry.kind == "classes" else ~ignored
    m = element_map(activation, x, torch.where(ignored, 0, y)) * keep
    kept_elements = int(keep.expand(N, C, D).sum()) if entry.kind == "classes" else int(keep.sum())
    kept_positions = int(keep.sum()) if entry.kind == "classes" else None
    denominator = MEANS[mean](N, C, D)
    answers = {
        "0 there; the mean counts only the kept " + ("elements" if denominator == N * C * D else "positions"):
            lambda: m.sum() / (kept_elements if denominator == N * C * D else kept_positions),
        "0 there; the mean still counts them": lambda: m.sum() / denominator,
    }
    if kept_positions is not None and denominator == N * C * D:
        answers["0 there; the mean divides by the kept positions, not elements: C times the mean without ignore_index"] = (
            lambda: m.sum() / kept_positions
        )
    return identify(f"{entry.call}: ignore_index", value, answers)


SOFT_FORMS = {
    "(1 − p_t)^γ·BCE(x, y), p_t = p·y + (1 − p)(1 − y)": lambda x, y, p, bce: (1 - (p * y + (1 - p) * (1 - y))) ** GAMMA * bce,
    "y·(1 − p)^γ·(−log p) + (1 − y)·p^γ·(−log(1 − p))": lambda x, y, p, bce: y * (1 - p) ** GAMMA * F.softplus(-x) + (1 - y) * p ** GAMMA * F.softplus(x),
    "σ(x·(1 − 2y))^γ·BCE(x, y)": lambda x, y, p, bce: torch.sigmoid(x * (1 - 2 * y)) ** GAMMA * bce,
    "(1 − exp(−BCE(x, y)))^γ·BCE(x, y)": lambda x, y, p, bce: (1 - torch.exp(-bce)) ** GAMMA * bce,
}


def probe_soft_labels(entry):
    x, _ = batch("binary")
    y = torch.rand(x.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    try:
        value = call_or_refusal(lambda: entry.soft(x, y))
    except Unsupported as refused:
        return str(refused)
    p = torch.sigmoid(x)
    bce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    return identify(f"{entry.call}: soft labels", value, {form: (lambda f=f: f(x, y, p, bce).mean()) for form, f in SOFT_FORMS.items()})


def probe_probabilities(entry, activation, mean):
    x, y = batch(entry.kind)
    p = torch.softmax(x, 1) if entry.kind == "classes" else torch.sigmoid(x)
    try:
        value = call_or_refusal(lambda: entry.loss_from_probabilities(p, y))
    except Unsupported as refused:
        return str(refused)
    answers = {"accepted: the same loss as from the logits": lambda: element_map(activation, x, y).sum() / MEANS[mean](N, C, D)}
    if entry.kind == "classes" and not activation.startswith("softmax"):  # (under softmax, log p is as good as x)
        answers["accepted, but log p goes to each class's sigmoid as if it were a logit: another loss"] = (
            lambda: element_map(activation, torch.log(p), y).sum() / MEANS[mean](N, C, D)
        )
    return identify(f"{entry.call}: probabilities", value, answers)


# -- saturation and dtypes: against exact float64 arithmetic

MARGINS = (-30.0, -20.0, 20.0, 30.0)


def saturated_points(entry):
    """(label, logits [1, C, 1], target) of each point: the target's logit ±20 or ±30 from the others'
    ("classes"), or one logit of ±20, ±30 with label 0 or 1 ("binary")."""
    points = []
    if entry.kind == "classes":
        for m in MARGINS:
            points.append((f"margin {m:+g}", m > 0, torch.tensor([m, 0.0, 0.0]).view(1, C, 1), torch.tensor([[0]])))
    else:
        for x in MARGINS:
            for label in (0.0, 1.0):
                easy = (x > 0) == (label == 1)
                points.append((f"x = {x:+g}, y = {label:g}", easy, torch.full((1, 1, 1), x), torch.full((1, 1, 1), label)))
    return points


def status(got: torch.Tensor, exact: torch.Tensor) -> dict:
    """{"is": "exact"} (within 1e-4, relative, or both below float32's normal range, 1e-37), "1 %" (within
    1 %, the project's own criterion: tests/losses/test_saturation.py), or what the value is instead:
    NaN, inf, 0 or a multiple of the exact value. Rounded, for the page."""
    worst = {"is": "exact"}
    for g, e in zip(got.double().flatten().tolist(), exact.double().flatten().tolist()):
        if math.isnan(g) or math.isinf(g):
            return {"is": "NaN" if math.isnan(g) else "inf"}
        error = abs(g - e)
        if error <= 1e-4 * abs(e) + 1e-37:
            continue
        if g == 0:
            return {"is": "0", "exact": float(f"{e:.1e}")}
        if error <= 1e-2 * abs(e):
            if worst["is"] == "exact" or error / abs(e) > worst["error"]:
                worst = {"is": "1 %", "error": float(f"{error / abs(e):.1e}")}
            continue
        return {"is": "ratio", "ratio": float(f"{g / e:.3g}"), "exact": float(f"{e:.1e}")}
    return worst


def probe_saturation(entry, activation, mean, dtype=torch.float32):
    """Loss and gradient at each saturated point, for γ = 2 and γ = 0.5, against exact float64 values."""
    rows = []
    for gamma in (2.0, 0.5):
        for label, easy, x, y in saturated_points(entry):
            x64 = x.double().requires_grad_()
            exact = exact_map(activation, x64, y, gamma).sum() / MEANS[mean](1, x.shape[1], 1)
            (exact_grad,) = torch.autograd.grad(exact, x64)
            xin = x.to(dtype).requires_grad_()
            loss = entry.loss(xin, y.to(dtype) if entry.kind == "binary" else y, gamma=gamma, reduction="mean")
            (grad,) = torch.autograd.grad(loss, xin, allow_unused=True)
            grad = torch.zeros_like(xin) if grad is None else grad
            rows.append({
                "gamma": gamma, "point": label, "easy": easy,
                "loss": status(loss.detach(), exact.detach()), "grad": status(grad, exact_grad),
            })
    return rows


def bucket(error: float) -> str:
    if math.isnan(error):
        return "NaN"
    for limit in (1e-12, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1):
        if error <= limit:
            return f"≤ {limit:.0e}"
    return f"{error:.1g}"


def probe_dtype(entry, activation, mean, dtype):
    """Accepted? The result's dtype, and the error of loss and gradient against exact float64 values
    (on the same, already rounded logits); NaN or inf at the saturated points."""
    x, y = batch(entry.kind)
    x = x.to(dtype).requires_grad_()
    yd = y.to(dtype) if entry.kind == "binary" else y
    try:
        loss = call_or_refusal(lambda: entry.loss(x, yd, reduction="mean"))
        (grad,) = torch.autograd.grad(loss, x)
    except Unsupported as refused:
        return {"accepted": str(refused)}
    x64 = x.detach().double().requires_grad_()
    exact = exact_map(activation, x64, y, GAMMA).sum() / MEANS[mean](N, C, D)
    (exact_grad,) = torch.autograd.grad(exact, x64)
    loss_error = abs(loss.double().item() - exact.item()) / abs(exact.item())
    grad_error = ((grad.double() - exact_grad).abs().max() / exact_grad.abs().max()).item()
    saturated_finite = all(
        row["loss"]["is"] not in ("NaN", "inf") and row["grad"]["is"] not in ("NaN", "inf")
        for row in probe_saturation(entry, activation, mean, dtype)
    )
    return {
        "accepted": "yes",
        "returns": str(loss.dtype).removeprefix("torch."),
        "loss error": bucket(loss_error),
        "grad error": bucket(grad_error),
        "saturated": "finite" if saturated_finite else "NaN or inf",
    }


# -- notes on single peers


def monai_notes(entry):
    from monai.losses import DiceFocalLoss

    x, t = batch("classes")
    notes = {}
    dice_focal = DiceFocalLoss(softmax=True, to_onehot_y=True, lambda_dice=0.0, gamma=GAMMA)(x, t.unsqueeze(1))
    notes["DiceFocalLoss(softmax=True): its focal term"] = identify("DiceFocalLoss", dice_focal, {
        "sigmoid, as FocalLoss(): softmax=True reaches only the Dice term": lambda: sigmoid_on(x, t).mean(),
        "softmax, as FocalLoss(use_softmax=True)": lambda: softmax_on(x, t).mean(),
    })
    return notes


def monai_softmax_notes(entry):
    x, t = batch("classes")
    foreground = torch.where(t == 0, -100, t)
    denominator = N * (C - 1) * D
    answers = {
        "softmax over classes 1…C−1 only (class 0's logit is dropped); class-0 positions give 0":
            lambda: focal_teach.focal_loss(x[:, 1:], torch.where(t == 0, -100, t - 1), GAMMA, reduction="sum") / denominator,
        "softmax over all C classes; class-0 positions give 0":
            lambda: focal_teach.focal_loss(x, foreground, GAMMA, reduction="sum") / denominator,
    }
    without = entry.loss(x, t, include_background=False)
    notes = {"include_background=False": identify("MONAI include_background=False", without, answers)}
    with_alpha = entry.loss(x, t, alpha=ALPHA, include_background=False)
    notes["include_background=False, with alpha=0.25"] = identify("MONAI include_background=False alpha", with_alpha / without, {
        "α is ignored (with a warning)": lambda: torch.tensor(1.0),
        "a constant factor α": lambda: torch.tensor(ALPHA),
    })
    return notes


def keras_binary_notes(entry, activation):
    return {
        "alpha=0.25 with apply_class_balancing=True": probe_alpha(entry, activation, ALPHA, balancing=True),
        "alpha=[0.2, 0.3, 0.5] with apply_class_balancing=True": probe_alpha(entry, activation, CLASS_ALPHA, balancing=True),
    }


NOTES = {"monai": monai_notes, "monai-softmax": monai_softmax_notes}


def probe(entry) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        activation, mean = probe_activation_and_mean(entry)
        class_alpha = probe_alpha(entry, activation, CLASS_ALPHA)
        found = {
            "activation": activation,
            "inputs": entry.inputs,
            "probabilities": probe_probabilities(entry, activation, mean),
            "targets": entry.targets,
            "alpha": probe_alpha(entry, activation, ALPHA),
            "class alpha": class_alpha,
            "mean": mean,
            "mean with class alpha": probe_class_alpha_mean(entry, activation, mean, class_alpha),
            "sum": probe_sum(entry, activation),
            "none": probe_none(entry),
            "ignore_index": probe_ignore(entry, activation, mean),
            "soft labels": probe_soft_labels(entry) if entry.kind == "binary" or entry.key == "monai" else None,
        }
        notes = NOTES[entry.key](entry) if entry.key in NOTES else {}
        if entry.key == "keras-binary":
            notes.update(keras_binary_notes(entry, activation))
        return {
            "key": entry.key,
            "peer": entry.peer,
            "version": focal_teach.__version__ if entry.peer == "focal-teach" else importlib.metadata.version(entry.peer),
            "call": entry.call,
            "kind": entry.kind,
            "findings": found,
            "notes": notes,
            "saturation": probe_saturation(entry, activation, mean),
            "dtypes": {str(d).removeprefix("torch."): probe_dtype(entry, activation, mean, d) for d in (torch.float16, torch.bfloat16, torch.float64)},
        }


def not_installed() -> dict:
    """Peers that cannot be installed here: recorded from the run (is it importable?)."""
    import importlib.util

    return {"mmdet": {"importable": importlib.util.find_spec("mmdet") is not None}}


def collect() -> dict:
    torch.manual_seed(0)
    return {
        "versions": {name: importlib.metadata.version(name).split("+")[0] for name in ("torch", "torchvision", "kornia", "monai", "segmentation-models-pytorch", "keras")},
        "entries": [probe(entry) for entry in ENTRIES],
        "not_installed": not_installed(),
        "cross_entropy_accuracy": cross_entropy_accuracy(),
    }


def cross_entropy_accuracy() -> dict:
    """focal_teach's loss at γ = 0 against torch's float32 F.binary_cross_entropy_with_logits: how often it
    is larger, and the error of each in ulps of the exact value (why torchvision's test_correct_ratio
    needed a change in the port: docs/peers.md)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(100_000, generator=g) * 4
    y = torch.randint(2, x.shape, generator=g).float()
    ours = focal_teach.binary_focal_loss(x, y, 0.0, reduction="none")
    theirs = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    exact = F.binary_cross_entropy_with_logits(x.double(), y.double(), reduction="none")
    ulp = (torch.nextafter(exact.float(), torch.tensor(float("inf"))).double() - exact.float().double()).clamp_min(1e-45)
    return {
        "ours above torch's CE": f"{100 * (ours > theirs).double().mean().item():.0f} %",
        "ours, max error in ulps": f"{((ours.double() - exact).abs() / ulp).max().item():.0f}",
        "torch's CE, max error in ulps": f"{((theirs.double() - exact).abs() / ulp).max().item():.1e}",
    }
