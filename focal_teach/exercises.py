"""Exercise checkers: immediate, specific feedback on a student's implementation or answer.

Each checker runs the student's code on edge cases and on the typical mistakes' tell-tale
inputs, and says what is wrong, on which input, with a hint; never just "incorrect". A stub
that still raises ``NotImplementedError`` gets a friendly reminder instead of an error, so the
executed notebooks can run every exercise cell. Reference solutions: focal_teach's own
functions (``focal_teach.terms``, ``focal_teach.functional``) and the repository's
``solutions/`` folder.

    >>> from focal_teach.exercises import check_modulating_factor
    >>> check_modulating_factor(lambda p_t, gamma: (1 - p_t) ** gamma)
    ✅ modulating_factor: correct on 9 checks (γ from 0 to 5, p_t from 0 to 1, 0-d to 3-D tensors).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from focal_teach.calibration import expected_calibration_error
from focal_teach.functional import binary_focal_loss, focal_loss
from focal_teach.gradients import focal_loss_grad
from focal_teach.weights import class_weights
from focal_teach.terms import alpha_weight, cross_entropy_term, modulating_factor

__all__ = [
    "Feedback",
    "check_cross_entropy_term",
    "check_modulating_factor",
    "check_alpha_weight",
    "check_focal_loss",
    "check_binary_focal_loss",
    "check_class_weights",
    "check_sequence_focal_loss",
    "check_expected_calibration_error",
    "check_answer",
    "QUESTIONS",
]


@dataclass(frozen=True)
class Feedback:
    """The outcome of a check; shows as its message in a notebook, and is truthy when passed."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message


def _pass(name: str, detail: str) -> Feedback:
    return Feedback(True, f"✅ {name}: correct {detail}.")


def _fail(name: str, what: str, hint: str) -> Feedback:
    return Feedback(False, f"❌ {name}: {what}\n   Hint: {hint}")


def _call(fn: Callable, *args):
    """(output as a tensor, None) or (None, Feedback-ready description of what went wrong)."""
    try:
        out = fn(*args)
    except NotImplementedError:
        return None, "not implemented yet"
    except Exception as err:  # noqa: BLE001  (the student's error is the feedback)
        return None, f"raised {type(err).__name__}: {err}"
    if out is None:
        return None, "returned None (did you forget `return`?)"
    try:
        return torch.as_tensor(out), None
    except (TypeError, ValueError, RuntimeError):
        return None, f"returned a {type(out).__name__}, not a tensor or number"


def _stub(name: str) -> Feedback:
    return Feedback(False, f"✏️ {name}: not implemented yet. Replace `raise NotImplementedError` with your code and run the cell again.")


def _fmt(t) -> str:
    t = torch.as_tensor(t)
    if t.numel() == 1:
        return f"{t.item():.4g}"
    return "[" + ", ".join(f"{v:.4g}" for v in t.flatten().tolist()[:6]) + (", …]" if t.numel() > 6 else "]")


def _close(a: Tensor, b: Tensor, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    a, b = a.double(), b.double()
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))


# ---------------------------------------------------------------- cross-entropy term


def check_cross_entropy_term(fn: Callable[[Tensor], Tensor]) -> Feedback:
    """Check ``fn(p_t) = -log p_t``, elementwise."""
    name = "cross_entropy_term"
    cases = [torch.tensor([0.5, 0.9, 0.1]), torch.tensor(0.25), torch.rand(2, 3) * 0.98 + 0.01, torch.tensor([1.0, 0.0])]
    for p_t in cases:
        out, problem = _call(fn, p_t.clone())
        if problem == "not implemented yet":
            return _stub(name)
        if problem:
            return _fail(name, f"on p_t = {_fmt(p_t)} it {problem}.", "use torch operations on the whole tensor, e.g. torch.log.")
        expected = cross_entropy_term(p_t)
        if _close(out, expected):
            continue
        if out.shape != expected.shape:
            return _fail(name, f"for p_t of shape {tuple(p_t.shape)} it returns shape {tuple(out.shape)}.", "work elementwise; do not sum or average.")
        if _close(out, -expected):
            return _fail(name, f"on p_t = {_fmt(p_t)} it returns {_fmt(out)}, negative values.", "log p_t ≤ 0 for a probability: the loss is MINUS the log.")
        if _close(out, -torch.log1p(-p_t).nan_to_num(posinf=math.inf)):
            return _fail(name, f"on p_t = {_fmt(p_t)} it returns -log(1 - p_t).", "the loss of the true class is -log p_t; p_t is already the probability of the truth.")
        return _fail(name, f"on p_t = {_fmt(p_t)} it returns {_fmt(out)}, expected {_fmt(expected)}.", "CE(p_t) = -log p_t (natural log).")
    return _pass(name, f"on {len(cases)} checks (p_t from 0 to 1, 0-d to 2-D tensors)")


# ---------------------------------------------------------------- modulating factor


def check_modulating_factor(fn: Callable[[Tensor, float], Tensor]) -> Feedback:
    """Check ``fn(p_t, gamma) = (1 - p_t) ** gamma``: edge cases p_t = 0 and 1, γ = 0, γ < 1, shapes."""
    name = "modulating_factor"
    p = torch.tensor([0.0, 0.1, 0.5, 0.9, 0.99, 1.0])
    cases = [(p, g) for g in (0.0, 0.5, 1.0, 2.0, 5.0)]
    cases += [(torch.tensor(0.3), 2.0), (torch.rand(3, 4), 2.0), (torch.rand(2, 2, 2, dtype=torch.float64), 0.25), (torch.tensor([1.0]), 0.0)]
    for p_t, gamma in cases:
        out, problem = _call(fn, p_t.clone(), gamma)
        if problem == "not implemented yet":
            return _stub(name)
        where = f"p_t = {_fmt(p_t)}, γ = {gamma}"
        if problem:
            return _fail(name, f"on {where} it {problem}.", "use torch operations that work on whole tensors (** or torch.pow).")
        expected = modulating_factor(p_t, gamma)
        if _close(out, expected):
            continue
        if out.shape != expected.shape:
            return _fail(name, f"for p_t of shape {tuple(p_t.shape)} it returns shape {tuple(out.shape)}.", "the factor is elementwise: one value per example, no sum or mean.")
        if torch.isnan(out).any():
            bad = torch.isnan(out)
            if gamma == 0 and (p_t[bad] == 1).all():
                return _fail(name, f"with γ = 0 it returns NaN at p_t = 1.", "(1 - p_t)^0 is 1 everywhere, 0^0 included (γ = 0 must give plain cross-entropy). exp(γ·log(1 - p_t)) gives 0·(-inf) = NaN there; torch.pow(1 - p_t, γ) does not.")
            return _fail(name, f"on {where} it returns NaN at p_t = {_fmt(p_t[bad])}.", "a negative base to a fractional power is NaN: write (1 - p_t) ** γ, not (p_t - 1) ** γ.")
        if _close(out, p_t.double() ** gamma):
            return _fail(name, f"on {where} it returns p_t^γ = {_fmt(out)}.", "the factor must shrink as p_t → 1 (well-classified examples count less): (1 - p_t)^γ.")
        if _close(out, (1 - p_t.double()) * gamma):
            return _fail(name, f"on {where} it returns (1 - p_t)·γ = {_fmt(out)}.", "γ is an exponent: (1 - p_t) ** γ.")
        if gamma == 0 and _close(out, torch.zeros_like(expected)):
            return _fail(name, "with γ = 0 it returns 0.", "anything to the power 0 is 1: γ = 0 must leave cross-entropy unchanged.")
        return _fail(name, f"on {where} it returns {_fmt(out)}, expected {_fmt(expected)}.", "(1 - p_t) ** γ, elementwise.")
    return _pass(name, f"on {len(cases)} checks (γ from 0 to 5, p_t from 0 to 1, 0-d to 3-D tensors)")


# ---------------------------------------------------------------- alpha weight


def check_alpha_weight(fn: Callable[[Tensor, float], Tensor], per_class: bool = False) -> Feedback:
    """Check ``fn(target, alpha)``: α for positives (target 1), 1 - α for negatives (target 0).

    With ``per_class=True``, also ``fn(target, [α_0, α_1, ...]) = alpha[target]`` for class indices.
    """
    name = "alpha_weight"
    y = torch.tensor([1, 0, 1, 1, 0])
    cases = [(y, 0.25), (y.bool(), 0.25), (y.float(), 0.75), (torch.tensor([[1, 0], [0, 0]]), 0.1), (torch.tensor([0, 0, 0]), 0.5)]
    for target, alpha in cases:
        out, problem = _call(fn, target.clone(), alpha)
        if problem == "not implemented yet":
            return _stub(name)
        where = f"target = {_fmt(target)}, α = {alpha}"
        if problem:
            return _fail(name, f"on {where} it {problem}.", "torch.where(target == 1, α, 1 - α) works for bool, int and float labels.")
        expected = alpha_weight(target, alpha)
        if _close(out, expected):
            continue
        if out.shape != expected.shape:
            return _fail(name, f"for target of shape {tuple(target.shape)} it returns shape {tuple(out.shape)}.", "one weight per example, same shape as target.")
        if _close(out, alpha_weight(1 - target.long(), alpha)):
            return _fail(name, f"on {where} it gives positives 1 - α and negatives α: α is applied to the wrong class.", "α weights the POSITIVE class (target = 1); with the paper's α = 0.25 the rare positives get 0.25 and the many negatives 0.75.")
        if _close(out, alpha * target.double()):
            return _fail(name, f"on {where} negatives get weight 0.", "negatives are weighted by 1 - α, not dropped.")
        return _fail(name, f"on {where} it returns {_fmt(out)}, expected {_fmt(expected)}.", "α_t = α where target = 1, else 1 - α.")
    if per_class:
        t = torch.tensor([2, 0, 1, 2])
        weights = [0.2, 0.3, 0.5]
        out, problem = _call(fn, t.clone(), weights)
        expected = alpha_weight(t, weights)
        if problem:
            return _fail(name, f"on class indices {_fmt(t)} with per-class α = {weights} it {problem}.", "index the weights with the targets: torch.as_tensor(alpha)[target].")
        if not _close(out, expected):
            return _fail(name, f"on class indices {_fmt(t)} with per-class α = {weights} it returns {_fmt(out)}, expected {_fmt(expected)}.", "each example gets the weight of ITS class: alpha[target].")
        return _pass(name, f"on {len(cases) + 1} checks (bool, int and float labels; per-class weights)")
    return _pass(name, f"on {len(cases)} checks (bool, int and float labels, 1-D and 2-D)")


# ---------------------------------------------------------------- focal loss


def check_focal_loss(fn: Callable[[Tensor, Tensor, float], Tensor]) -> Feedback:
    """Check ``fn(logits, target, gamma)``: the mean softmax focal loss of ``logits [N, C]``.

    Compared with ``focal_teach.focal_loss`` on random logits for several γ, then on saturated
    logits, where the loss must stay finite and its gradient must not be NaN.
    """
    name = "focal_loss"
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(8, 5, generator=gen) * 2
    target = torch.randint(5, (8,), generator=gen)
    for gamma in (0.0, 0.5, 2.0):
        out, problem = _call(fn, logits.clone(), target.clone(), gamma)
        if problem == "not implemented yet":
            return _stub(name)
        where = f"random logits [8, 5] with γ = {gamma}"
        if problem:
            return _fail(name, f"on {where} it {problem}.", "use torch.log_softmax(logits, dim=1) and gather the target column.")
        expected = focal_loss(logits, target, gamma)
        if _close(out, expected, rtol=1e-4):
            continue
        if out.numel() != 1:
            return _fail(name, f"on {where} it returns shape {tuple(out.shape)}, not a scalar.", "average the per-example losses: .mean().")
        if _close(out, -expected, rtol=1e-4):
            return _fail(name, f"on {where} it returns {_fmt(out)} < 0.", "the loss is -(1 - p_t)^γ log p_t: mind the minus sign (log p_t ≤ 0).")
        if _close(out, expected * len(target), rtol=1e-4):
            return _fail(name, f"on {where} it returns the SUM over examples, {_fmt(out)}.", "return the mean over examples.")
        log_p = torch.log_softmax(logits.double(), 1)
        every_class = (-(1 - log_p.exp()) ** gamma * log_p).sum(1).mean()
        if _close(out, every_class, rtol=1e-4):
            return _fail(name, f"on {where} it sums the focal term over EVERY class (p instead of p_t).", "only the true class counts: p_t = softmax(logits)[i, target[i]].")
        if gamma == 0:
            return _fail(name, f"with γ = 0 it returns {_fmt(out)}, but F.cross_entropy gives {_fmt(expected)}.", "with γ = 0 the focal loss must equal plain cross-entropy.")
        return _fail(name, f"on {where} it returns {_fmt(out)}, expected {_fmt(expected)}.", "FL = mean over examples of -(1 - p_t)^γ log p_t.")
    # Saturated: a confident right example (margin 30 ⇒ p_t rounds to 1 in float32) and a
    # confident wrong one (margin 200 ⇒ softmax underflows to 0, log(softmax) = -inf).
    sat = torch.tensor([[30.0, 0.0, 0.0], [0.0, 200.0, 0.0]], requires_grad=True)
    sat_target = torch.tensor([0, 0])
    out, problem = _call(fn, sat, sat_target, 0.5)
    if problem:
        return _fail(name, f"on saturated logits it {problem}.", "see notebook 02: compute log p_t with log_softmax.")
    expected = focal_loss(sat.detach(), sat_target, 0.5)
    if not torch.isfinite(out).all():
        return _fail(name, f"on a confidently wrong example (logit margin 200) it returns {_fmt(out)}.", "log(softmax(x)) underflows to log(0) = -inf in float32; torch.log_softmax keeps it finite (-200).")
    if not _close(out, expected, rtol=1e-4):
        return _fail(name, f"on saturated logits (margins 30 and 200) it returns {_fmt(out)}, expected {_fmt(expected)}.", "compute log p_t with log_softmax, not log of a clamped softmax.")
    if out.requires_grad:
        (grad,) = torch.autograd.grad(out, sat)
        if torch.isnan(grad).any():
            return _fail(
                name,
                "its gradient is NaN on a confident prediction (logit margin 30) with γ = 0.5.",
                "d/dp (1 - p)^γ = -γ(1 - p)^(γ-1) is infinite at p_t = 1 for γ < 1, and autograd multiplies it "
                "by 0: inf·0 = NaN. Keep the base away from 0, e.g. (1 - p_t).clamp_min(1e-12) ** γ, or use "
                "the closed-form gradient (notebook 02).",
            )
    return _pass(name, "on random logits for γ = 0, 0.5, 2 and on saturated logits (finite loss and gradient)")


# ---------------------------------------------------------------- binary focal loss (notebook 03)


def check_binary_focal_loss(fn: Callable[[Tensor, Tensor, float, float], Tensor]) -> Feedback:
    """Check ``fn(logits, target, gamma, alpha)``: the mean α-balanced sigmoid focal loss.

    ``logits`` and ``target`` are ``[N]``; ``target`` holds 0./1.; α weights the positives.
    Compared with ``focal_teach.binary_focal_loss``, then on saturated logits.
    """
    name = "binary_focal_loss"
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(12, generator=gen) * 3
    target = (torch.rand(12, generator=gen) < 0.3).float()
    for gamma, alpha in ((0.0, 0.25), (2.0, 0.25), (2.0, 0.9)):
        out, problem = _call(fn, logits.clone(), target.clone(), gamma, alpha)
        if problem == "not implemented yet":
            return _stub(name)
        where = f"random logits [12] with γ = {gamma}, α = {alpha}"
        if problem:
            return _fail(name, f"on {where} it {problem}.", "F.binary_cross_entropy_with_logits(logits, target, reduction='none') gives -log p_t.")
        expected = binary_focal_loss(logits, target, gamma, alpha)
        if _close(out, expected):
            continue
        if out.numel() != 1:
            return _fail(name, f"on {where} it returns shape {tuple(out.shape)}, not a scalar.", "average over examples: .mean().")
        if _close(out, binary_focal_loss(logits, target, gamma, 1 - alpha)):
            return _fail(name, f"on {where} positives get 1 - α and negatives α: α is on the wrong class.", "α_t = α for target 1 (positives), 1 - α for target 0.")
        if _close(out, binary_focal_loss(logits, target, gamma)):
            return _fail(name, f"on {where} α has no effect.", "multiply each example's loss by α_t.")
        if _close(out, binary_focal_loss(logits, target, gamma, alpha, reduction="sum")):
            return _fail(name, f"on {where} it returns the SUM over examples.", "return the mean.")
        if gamma and _close(out, binary_focal_loss(logits, target, 0.0, alpha)):
            return _fail(name, f"on {where} γ has no effect.", "multiply by the modulating factor (1 - p_t)^γ.")
        return _fail(name, f"on {where} it returns {_fmt(out)}, expected {_fmt(expected)}.", "FL = mean of α_t (1 - p_t)^γ (-log p_t), p_t = σ(x) for positives, 1 - σ(x) for negatives.")
    sat = torch.tensor([30.0, -200.0], requires_grad=True)
    sat_target = torch.tensor([1.0, 1.0])
    out, problem = _call(fn, sat, sat_target, 0.5, 0.25)
    if problem:
        return _fail(name, f"on saturated logits (30 and -200, both positives) it {problem}.", "compute log p_t with F.logsigmoid or binary_cross_entropy_with_logits.")
    if not torch.isfinite(out).all():
        return _fail(name, f"on a confidently wrong positive (logit -200) it returns {_fmt(out)}.", "log(sigmoid(-200)) underflows to log(0) = -inf in float32; F.logsigmoid(-200) = -200.")
    if not _close(out, binary_focal_loss(sat.detach(), sat_target, 0.5, 0.25)):
        return _fail(name, f"on saturated logits it returns {_fmt(out)}, expected {_fmt(binary_focal_loss(sat.detach(), sat_target, 0.5, 0.25))}.", "compute log p_t from the logits, not from a rounded probability.")
    if out.requires_grad and torch.isnan(torch.autograd.grad(out, sat)[0]).any():
        return _fail(name, "its gradient is NaN on a confident positive (logit 30) with γ = 0.5.", "(1 - p_t)^γ has an infinite derivative at p_t = 1 for γ < 1; keep the base away from 0, e.g. torch.sigmoid(-x).clamp_min(1e-12) ** γ for positives.")
    return _pass(name, "for γ = 0 and 2, α = 0.25 and 0.9, and on saturated logits (finite loss and gradient)")


# ---------------------------------------------------------------- class weights (notebook 04)


def check_class_weights(fn: Callable[[Tensor, float], Tensor]) -> Feedback:
    """Check ``fn(counts, beta)``: Cui et al.'s weights (1 - β)/(1 - β^n_c), normalised to sum to C."""
    name = "class_weights"
    cases = [(torch.tensor([500, 50, 5]), 0.99), (torch.tensor([500, 50, 5]), 0.9), (torch.tensor([100, 65, 42, 27, 2]), 0.999), (torch.tensor([10, 10]), 0.99)]
    for counts, beta in cases:
        out, problem = _call(fn, counts.clone(), beta)
        if problem == "not implemented yet":
            return _stub(name)
        where = f"counts = {counts.tolist()}, β = {beta}"
        if problem:
            return _fail(name, f"on {where} it {problem}.", "work on the tensor of counts: (1 - beta) / (1 - beta ** counts).")
        expected = class_weights(counts=counts, method="effective", beta=beta)
        if _close(out, expected):
            continue
        if out.shape != expected.shape:
            return _fail(name, f"on {where} it returns shape {tuple(out.shape)}.", "one weight per class.")
        n = counts.double()
        raw = (1 - beta) / (1 - beta**n)
        if out.double().sum() > 0 and _close(out.double() / out.double().sum(), raw / raw.sum()):
            return _fail(name, f"on {where} the weights are right up to scale but sum to {out.double().sum().item():.4g}.", f"normalise so that they sum to the number of classes, C = {len(counts)}.")
        effective = (1 - beta**n) / (1 - beta)
        if _close(out, effective) or _close(out.double() / out.double().sum(), effective / effective.sum()):
            return _fail(name, f"on {where} the most frequent class gets the largest weight.", "that is the effective number E_n = (1 - β^n)/(1 - β) itself; the weight is its inverse.")
        if _close(out, class_weights(counts=counts, method="inverse")):
            return _fail(name, f"on {where} it returns inverse frequency.", "inverse frequency is the β → 1 limit; use (1 - β)/(1 - β^n).")
        return _fail(name, f"on {where} it returns {_fmt(out)}, expected {_fmt(expected)}.", "α_c ∝ (1 - β)/(1 - β^n_c), then scale so Σ α_c = C.")
    return _pass(name, f"on {len(cases)} checks (β from 0.9 to 0.999, 2 to 5 classes)")


# ---------------------------------------------------------------- sequence labelling (notebook 05)


def check_sequence_focal_loss(fn: Callable[[Tensor, Tensor, float], Tensor]) -> Feedback:
    """Check ``fn(logits, tags, gamma)``: logits ``[B, T, C]`` from a tagger, tags ``[B, T]`` with
    -100 at padding; the mean focal loss over the real (non-padded) tokens."""
    name = "sequence_focal_loss"
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 6, 4, generator=gen) * 2  # B=3, T=6, C=4
    tags = torch.randint(4, (3, 6), generator=gen)
    tags[0, 4:] = -100
    tags[2, 2:] = -100
    expected = focal_loss(logits.movedim(-1, 1), tags, 2.0)
    out, problem = _call(fn, logits.clone(), tags.clone(), 2.0)
    if problem == "not implemented yet":
        return _stub(name)
    if problem:
        return _fail(name, f"on logits [3, 6, 4] it {problem}.", "focal_loss wants the classes on dim 1: logits.movedim(-1, 1) is [B, C, T].")
    if _close(out, expected):
        return _pass(name, "on a padded batch of 3 sequences (classes moved to dim 1, padding ignored)")
    b, t, c = logits.shape
    if _close(out, focal_loss(logits.reshape(b, c, t), tags, 2.0)):
        return _fail(name, "it reshapes [B, T, C] into [B, C, T], which scrambles tokens and classes.", "reshape keeps the memory order; use movedim(-1, 1) (or permute(0, 2, 1)).")
    if _close(out, focal_loss(logits.movedim(-1, 1), tags.clamp_min(0), 2.0)):
        return _fail(name, "padded positions count as tokens of class 0.", "keep -100 in the tags (ignore_index), so padding adds no loss and no gradient.")
    if _close(out, focal_loss(logits.movedim(-1, 1), tags, 2.0, reduction="sum") / tags.numel()):
        return _fail(name, "it divides by every position, padding included.", "the mean is over real tokens: reduction='mean' with ignore_index does that.")
    return _fail(name, f"on a padded batch it returns {_fmt(out)}, expected {_fmt(expected)}.", "focal_loss(logits.movedim(-1, 1), tags, gamma) with the default ignore_index=-100.")


# ---------------------------------------------------------------- calibration (notebook 07)


def check_expected_calibration_error(fn: Callable[..., float]) -> Feedback:
    """Check ``fn(probs, labels, n_bins=15)``: the expected calibration error of top-class confidences,
    with equal-width bins, each bin's |accuracy - confidence| weighted by its share of examples."""
    name = "expected_calibration_error"
    gen = torch.Generator().manual_seed(0)
    hand = (torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.62, 0.38], [0.3, 0.7]]), torch.tensor([0, 1, 0, 1]))
    logits = torch.randn(400, 5, generator=gen) * 2
    random = (torch.softmax(logits, 1), torch.randint(5, (400,), generator=gen))
    certain = (torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]), torch.tensor([0, 1, 1]))
    for label, (probs, labels) in (("4 hand-made examples", hand), ("400 random examples", random), ("confidences of exactly 1", certain)):
        out, problem = _call(fn, probs.clone(), labels.clone(), 15)
        if problem == "not implemented yet":
            return _stub(name)
        if problem:
            return _fail(name, f"on {label} it {problem}.", "confidence = probs.max(1), correct = probs.argmax(1) == labels; bin the confidences.")
        expected = torch.tensor(expected_calibration_error(probs, labels, 15))
        if _close(out, expected, rtol=1e-5, atol=1e-7):
            continue
        confidence, predicted = probs.max(1)
        correct = (predicted == labels).double()
        if _close(out, (correct.mean() - confidence.double().mean()).abs()):
            return _fail(name, f"on {label} it compares the overall accuracy with the overall confidence.", "compare them per bin of confidence, then average the gaps weighted by the bins' sizes.")
        edges = torch.linspace(0, 1, 16, dtype=torch.float64)
        index = torch.bucketize(confidence.double(), edges, right=False).clamp(1, 15) - 1
        gaps = [(correct[index == b].mean() - confidence.double()[index == b].mean()).abs() for b in range(15) if (index == b).any()]
        if gaps and _close(out, torch.stack(gaps).mean()):
            return _fail(name, f"on {label} every non-empty bin counts equally.", "weight each bin's gap by its share of the examples, |B_b| / N.")
        return _fail(name, f"on {label} it returns {_fmt(out)}, expected {_fmt(expected)}.", "ECE = Σ_b |B_b|/N · |acc(B_b) - conf(B_b)| over 15 equal-width bins of (0, 1].")
    return _pass(name, "on 3 checks (a hand-made case, 400 random examples, confidences of exactly 1)")


# ---------------------------------------------------------------- numeric questions


def _equivalent_threshold(alpha: float) -> float:
    # α p / (α p + (1 - α)(1 - p)) = 1/2  <=>  α p = (1 - α)(1 - p)  <=>  p = 1 - α
    return (1 - alpha) / ((1 - alpha) + alpha)


def _float32_sigmoid_saturation() -> float:
    logits = torch.arange(10.0, 20.0, 0.001, dtype=torch.float32)
    return logits[torch.sigmoid(logits) == 1.0][0].item()


@dataclass(frozen=True)
class Question:
    text: str
    answer: Callable[[], float]  # computed from the package, never typed in
    rtol: float
    hint: str


QUESTIONS: dict[str, Question] = {
    "01-ratio-0.9": Question(
        "With γ = 2, how many times less loss does an example with p_t = 0.9 get than with cross-entropy?",
        lambda: 1.0 / modulating_factor(0.9, 2.0).item(),
        0.01,
        "the ratio CE / FL is 1 / (1 - p_t)^γ.",
    ),
    "01-pt-for-1000x": Question(
        "With γ = 2, at which p_t is the focal loss 1000 times smaller than cross-entropy?",
        lambda: 1.0 - 1000.0 ** -0.5,
        0.0005,
        "solve (1 - p_t)^2 = 1/1000 for p_t.",
    ),
    "01-max-misclassified-scale": Question(
        "With γ = 2, by at most how many times is the loss of a misclassified example (p_t ≤ 0.5) scaled down?",
        lambda: 1.0 / modulating_factor(0.5, 2.0).item(),
        0.01,
        "the factor (1 - p_t)^γ is smallest, for p_t ≤ 0.5, at p_t = 0.5.",
    ),
    "02-gradient-at-minus-3": Question(
        "With γ = 2, what is dFL/dx_t at x_t = -3, a confidently wrong example (compare cross-entropy's σ(x_t) - 1)?",
        lambda: focal_loss_grad(-3.0, gamma=2.0).item(),
        0.01,
        "dFL/dx_t = (1 - p_t)^γ (γ p_t log p_t + p_t - 1) with p_t = σ(x_t); read it off the gradient explorer at γ = 2.",
    ),
    "02-sigmoid-rounds-to-one": Question(
        "From which logit x on does σ(x) round to exactly 1 in float32?",
        _float32_sigmoid_saturation,
        0.01,
        "1 - σ(x) ≈ e^(-x) must fall below half of float32's spacing just below 1, 2^-25: try x near 17.",
    ),
    "03-equivalent-threshold": Question(
        "A model trained with α-balanced cross-entropy, α = 0.75, and thresholded at 0.5 decides like a plain-CE model thresholded at which probability?",
        lambda: _equivalent_threshold(0.75),
        0.01,
        "α-weighting scales the odds: σ_α = α p / (α p + (1 - α)(1 - p)); solve σ_α = 0.5 for p.",
    ),
    "04-effective-number": Question(
        "What is the effective number of samples of a class with n = 100 examples, for β = 0.99?",
        lambda: (1 - 0.99**100) / (1 - 0.99),
        0.01,
        "E_n = (1 - β^n) / (1 - β): between 1 (for n = 1) and 1 / (1 - β) (for n → ∞).",
    ),
    "05-padding-gradient": Question(
        "With ignore_index, what is the gradient of the loss with respect to any logit of a padded position?",
        lambda: 0.0,
        0.0,
        "an ignored position contributes nothing to the loss, whatever its logits are.",
    ),
    "06-first-iteration-loss": Question(
        "An untrained detector predicts p = 0.5 for each of 4,096 anchors, 4 of them positive: what is its cross-entropy, summed and divided by the number of positives?",
        lambda: 4096 * math.log(2) / 4,
        0.01,
        "every anchor, positive or negative, costs -log 0.5 = log 2.",
    ),
    "06-prior-bias": Question(
        "Which bias b makes σ(b) = π = 0.01 (the paper's prior initialisation)?",
        lambda: -math.log((1 - 0.01) / 0.01),
        0.001,
        "solve 1 / (1 + e^(-b)) = π for b.",
    ),
    "07-temperature": Question(
        "With temperature T = 2, what top-class confidence does softmax give the logits (2, 0, 0)?",
        lambda: torch.softmax(torch.tensor([2.0, 0.0, 0.0], dtype=torch.float64) / 2.0, 0)[0].item(),
        0.005,
        "temperature scaling divides the logits by T before the softmax.",
    ),
}


def check_answer(question: str, value: float) -> Feedback:
    """Check a numeric answer to one of ``QUESTIONS`` within its relative tolerance."""
    if question not in QUESTIONS:
        raise KeyError(f"unknown question {question!r}; known: {', '.join(QUESTIONS)}")
    q = QUESTIONS[question]
    if value is None or value is ...:
        return Feedback(False, f"✏️ {question}: no answer yet. {q.text}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return _fail(question, f"the answer must be a number; got {value!r}.", q.hint)
    if not math.isfinite(value):
        return _fail(question, f"{value} is not a finite number.", q.hint)
    expected = q.answer()
    if math.isclose(value, expected, rel_tol=q.rtol, abs_tol=1e-12):
        return _pass(question, f"({value:.4g})")
    direction = "too high" if value > expected else "too low"
    return _fail(question, f"{value:.4g} is {direction}.", q.hint)
