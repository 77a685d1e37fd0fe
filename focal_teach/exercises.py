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

from focal_teach.functional import focal_loss
from focal_teach.gradients import focal_loss_grad
from focal_teach.terms import alpha_weight, cross_entropy_term, modulating_factor

__all__ = [
    "Feedback",
    "check_cross_entropy_term",
    "check_modulating_factor",
    "check_alpha_weight",
    "check_focal_loss",
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


# ---------------------------------------------------------------- numeric questions


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
    "06-prior-bias": Question(
        "Which bias b makes σ(b) = π = 0.01 (the paper's prior initialisation)?",
        lambda: -math.log((1 - 0.01) / 0.01),
        0.001,
        "solve 1 / (1 + e^(-b)) = π for b.",
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
    if math.isclose(value, expected, rel_tol=q.rtol):
        return _pass(question, f"({value:.4g})")
    direction = "too high" if value > expected else "too low"
    return _fail(question, f"{value:.4g} is {direction}.", q.hint)
