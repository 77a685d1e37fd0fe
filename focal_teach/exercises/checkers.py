"""Exercise checkers: immediate, specific feedback on a student's implementation.

Each checker runs the student's code on edge cases and on the typical mistakes' tell-tale
inputs, and says what is wrong, on which input, with a hint; never just "incorrect". A stub
that still raises ``NotImplementedError`` gets a friendly reminder instead of an error, so the
executed notebooks can run every exercise cell. The expected values come from focal_teach's
own functions (:mod:`focal_teach.losses`); an implementation that calls any of focal_teach's
functions, public or private, or a library's ready-made focal loss (torchvision, kornia,
focal-loss-torch, MONAI, segmentation_models_pytorch), is refused by name, on every input
(:mod:`focal_teach.exercises.feedback` says how). torch's building blocks, ``log_softmax``,
``logsigmoid``, ``F.cross_entropy``, ``F.nll_loss`` and ``F.binary_cross_entropy_with_logits``
(with ``weight``, ``pos_weight`` or ``ignore_index``), are allowed: they give :math:`-\\log p_t`,
and each part below tests what its exercise is about on its own.

**Parts.** Every exercise is a sequence of parts, each about one idea (α_t; the mean's
denominator; the modulating factor; saturation; the gradient; padding...). A notebook's checker
runs them in order and shows the first failure. An autograder grades each part on its own
(:func:`grade`): one part, one point, so a typical mistake costs the part it belongs to and
keeps the others. To keep a mistake from being charged twice, later parts measure their idea
in a way the earlier parts' mistakes cancel out of: ratios of one example's loss at two values
of γ (α and the reduction cancel), of the loss's gradient between a positive and a negative
(the reduction cancels), or of the gradient to the loss.

Reference solutions: the repository's ``solutions/`` folder. An example is in the package's
docstring (:mod:`focal_teach.exercises`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from focal_teach.exercises.feedback import (
    Feedback,
    close,
    delegation_feedback,
    failed,
    fmt,
    passed,
    static_delegation,
    stub,
    watched_call,
)
from focal_teach.losses import alpha_weight, class_weights, focal_loss


def expected_calibration_error(probs, labels, n_bins: int) -> float:
    """focal_teach.experiments' ECE, imported when first needed: the experiments bring scikit-learn
    and SciPy, which no other checker needs (an autograder's kernel starts a second faster)."""
    from focal_teach.experiments.calibration import expected_calibration_error as ece

    return ece(probs, labels, n_bins)

__all__ = [
    "Exercise",
    "Part",
    "EXERCISES",
    "grade",
    "check_cross_entropy_term",
    "check_modulating_factor",
    "check_alpha_weight",
    "check_focal_loss",
    "check_binary_focal_loss",
    "check_class_weights",
    "check_sequence_focal_loss",
    "check_expected_calibration_error",
    "check_tuned_alpha",
]


# ---------------------------------------------------------------- the machinery


class _Stop(Exception):
    """A part's verdict, raised from deep inside it: the first failure ends the part."""

    def __init__(self, feedback: Feedback):
        super().__init__(feedback.message)
        self.feedback = feedback


class _Trial:
    """The student's function as a part sees it: every call watched, every problem a Feedback."""

    def __init__(self, exercise: Exercise, fn: Callable):
        self.exercise, self.fn, self.name = exercise, fn, exercise.name

    def call(self, *args, where: str) -> Tensor:
        out, error, culprit = watched_call(self.fn, *args)
        if culprit is not None:
            raise _Stop(delegation_feedback(self.name, culprit, self.exercise.what))
        problem = None
        if isinstance(error, NotImplementedError):
            problem = "stub"
        elif error is not None:
            problem = f"raised {type(error).__name__}: {str(error).rstrip('.')}"
        if problem == "stub":
            raise _Stop(stub(self.name))
        if problem is None and out is None:
            problem = "returned None (did you forget `return`?)"
        if problem is None:
            try:
                out = torch.as_tensor(out)
            except (TypeError, ValueError, RuntimeError):
                problem = f"returned a {type(out).__name__}, not a tensor or number"
        if problem is not None:
            self.fail(f"on {where} it {problem}.", self.exercise.error_hint(problem))
        return out

    def scalar(self, *args, where: str) -> Tensor:
        out = self.call(*args, where=where)
        if out.numel() != 1:
            self.fail(f"on {where} it returns shape {tuple(out.shape)}, not a single number.",
                      "a loss is one number: average the per-example terms with .mean().")
        return out.reshape(())

    def differentiable(self, out: Tensor, where: str) -> None:
        if not out.requires_grad:
            self.fail(f"on {where} its result has no gradient (requires_grad is False).",
                      "a loss must be differentiable: no .item(), .detach(), float(...) or torch.tensor(...) on the way.")

    def fail(self, what: str, hint: str):
        raise _Stop(failed(self.name, what, hint))


@dataclass(frozen=True)
class Part:
    """One idea of an exercise, checked on its own inputs; worth ``points`` in an autograder."""

    key: str
    title: str
    run: Callable[[_Trial, torch.Generator], None]
    points: int = 1


@dataclass(frozen=True)
class Exercise:
    """An "implement it" exercise: the parts its checker runs, and how its failures read."""

    name: str
    what: str  # what the student computes, for the refusal of a library call: "the loss"
    parts: tuple[Part, ...]
    summary: str  # the passed message's detail: "on ... checks (...)"
    hints: tuple[tuple[str, str], ...] = field(default=())  # (text in an error message, hint)
    default_hint: str = "use torch operations on whole tensors."

    def error_hint(self, problem: str) -> str:
        for text, hint in self.hints:
            if text in problem:
                return hint
        return self.default_hint

    def part(self, key: str) -> Part:
        for part in self.parts:
            if part.key == key:
                return part
        raise KeyError(f"{self.name} has no part {key!r}; its parts are {[p.key for p in self.parts]}")

    def check(self, fn: Callable, part: str | None = None, seed: int = 0) -> Feedback:
        """Run every part (the first failure is the feedback), or only ``part``; random inputs from ``seed``."""
        if not callable(fn):
            return failed(self.name, f"it is given {fn!r}, not a function.",
                          "pass the function itself, defined with def, without calling it.")
        if (culprit := static_delegation(fn)) is not None:
            return delegation_feedback(self.name, culprit, self.what)
        parts = self.parts if part is None else (self.part(part),)
        trial = _Trial(self, fn)
        for p in parts:
            try:
                p.run(trial, torch.Generator().manual_seed(seed))
            except _Stop as stop:
                return stop.feedback
        if part is not None:
            return passed(f"{self.name}, part {parts[0].key}", f"({parts[0].title})")
        return passed(self.name, self.summary)


def grade(exercise: str, part: str, fn: Callable, seed: int = 0) -> None:
    """An autograder's test of one part: returns if it passes, else raises AssertionError(feedback).

    The message is the notebook checker's, word for word: one source of truth for both.
    """
    if fn is None:
        raise AssertionError(f"❌ {exercise}: the function is not defined (was its cell deleted or renamed?).")
    feedback = EXERCISES[exercise].check(fn, part=part, seed=seed)
    if not feedback:
        raise AssertionError(feedback.message)


def _exp(t) -> Tensor:
    return torch.as_tensor(t, dtype=torch.float64)


# ---------------------------------------------------------------- cross-entropy term (notebook 00)


def _ce_values(t: _Trial, gen: torch.Generator) -> None:
    cases = [torch.tensor([0.5, 0.9, 0.1]), torch.tensor(0.25), torch.rand(2, 3, generator=gen) * 0.98 + 0.01,
             torch.rand(4, generator=gen, dtype=torch.float64) * 0.98 + 0.01]
    for p_t in cases:
        out = t.call(p_t.clone(), where=f"p_t = {fmt(p_t)}")
        p = p_t.double()
        expected = -torch.log(p)
        if close(out, expected):
            continue
        if out.shape != expected.shape:
            t.fail(f"for p_t of shape {tuple(p_t.shape)} it returns shape {tuple(out.shape)}.", "work elementwise; do not sum or average.")
        if close(out, -expected):
            t.fail(f"on p_t = {fmt(p_t)} it returns {fmt(out)}, negative values.", "log p_t ≤ 0 for a probability: the loss is MINUS the log.")
        if close(out, -torch.log1p(-p)):
            t.fail(f"on p_t = {fmt(p_t)} it returns -log(1 - p_t).", "the loss of the true class is -log p_t; p_t is already the probability of the truth.")
        if close(out, -torch.log10(p)) or close(out, -torch.log2(p)):
            t.fail(f"on p_t = {fmt(p_t)} it returns {fmt(out)}: a logarithm in base 10 or 2.", "cross-entropy uses the natural log: torch.log.")
        t.fail(f"on p_t = {fmt(p_t)} it returns {fmt(out)}, expected {fmt(expected)}.", "CE(p_t) = -log p_t (natural log).")


def _ce_edges(t: _Trial, gen: torch.Generator) -> None:
    p_t = torch.tensor([1.0, 0.0])
    out = t.call(p_t.clone(), where="p_t = [1, 0]")
    # the right edges, or the edges of a mistake the values part names (the sign, -log(1 - p_t))
    if any(close(out, torch.tensor(v)) for v in ([0.0, math.inf], [0.0, -math.inf], [math.inf, 0.0])):
        return
    if out.shape != p_t.shape:
        t.fail(f"for p_t of shape {tuple(p_t.shape)} it returns shape {tuple(out.shape)}.", "work elementwise; do not sum or average.")
    at_zero = out.reshape(-1)[1]
    if torch.isnan(at_zero):
        t.fail("at p_t = 0 it returns NaN.", "-log 0 = +inf: torch.log(torch.tensor(0.)) is -inf, and minus that is +inf.")
    if torch.isfinite(at_zero):
        t.fail(f"at p_t = 0 it returns {fmt(at_zero)}, a finite number: the probability is clamped (or an ε is added) before the log.",
               "-log p_t grows without bound as p_t → 0, and -log 0 = +inf says so. A clamp hides it and changes the loss; "
               "losses avoid the infinity by working from logits (log_softmax), not by clamping.")
    t.fail(f"on p_t = [1, 0] it returns {fmt(out)}, expected [0, inf].", "-log 1 = 0 and -log 0 = +inf.")


CROSS_ENTROPY_TERM = Exercise(
    "cross_entropy_term", "-log p_t",
    (Part("values", "-log p_t, elementwise, for 0-d to 2-D tensors", _ce_values),
     Part("edges", "p_t = 1 gives 0 and p_t = 0 gives +inf, with no clamp", _ce_edges)),
    "on 5 checks (p_t from 0 to 1, 0-d to 2-D tensors, float32 and float64)",
    default_hint="use torch operations on the whole tensor, e.g. torch.log.",
)


def check_cross_entropy_term(fn: Callable[[Tensor], Tensor], part: str | None = None, seed: int = 0) -> Feedback:
    """Check ``fn(p_t) = -log p_t``, elementwise; p_t = 0 must give +inf (no clamp)."""
    return CROSS_ENTROPY_TERM.check(fn, part, seed)


# ---------------------------------------------------------------- modulating factor (notebook 01)


def _factor_values(t: _Trial, gen: torch.Generator) -> None:
    p = torch.tensor([0.1, 0.5, 0.9, 0.99])
    cases = [(p, g) for g in (0.5, 1.0, 2.0, 5.0)]
    cases += [(torch.tensor(0.3), 2.0), (torch.rand(3, 4, generator=gen) * 0.98 + 0.01, 2.0),
              (torch.rand(2, 2, 2, generator=gen, dtype=torch.float64) * 0.98 + 0.01, 0.25)]
    for p_t, gamma in cases:
        where = f"p_t = {fmt(p_t)}, γ = {gamma}"
        out = t.call(p_t.clone(), gamma, where=where)
        q = p_t.double()
        expected = (1 - q) ** gamma
        if close(out, expected):
            continue
        if out.shape != expected.shape:
            t.fail(f"for p_t of shape {tuple(p_t.shape)} it returns shape {tuple(out.shape)}.", "the factor is elementwise: one value per example, no sum or mean.")
        if torch.isnan(out).any():
            t.fail(f"on {where} it returns NaN at p_t = {fmt(p_t[torch.isnan(out)])}.",
                   "a negative base to a fractional power is NaN: write (1 - p_t) ** γ, not (p_t - 1) ** γ.")
        if close(out, q**gamma):
            t.fail(f"on {where} it returns p_t^γ = {fmt(out)}.", "the factor must shrink as p_t → 1 (well-classified examples count less): (1 - p_t)^γ.")
        if close(out, 1 - q**gamma):
            t.fail(f"on {where} it returns 1 - p_t^γ = {fmt(out)}.", "** binds tighter than -: 1 - p_t ** γ is 1 - (p_t ** γ). Write (1 - p_t) ** γ.")
        if close(out, (1 - q) * gamma):
            t.fail(f"on {where} it returns (1 - p_t)·γ = {fmt(out)}.", "γ is an exponent: (1 - p_t) ** γ.")
        if close(out, 1 - q):
            t.fail(f"on {where} it returns 1 - p_t: γ has no effect.", "raise 1 - p_t to the power γ.")
        t.fail(f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "(1 - p_t) ** γ, elementwise.")


def _factor_mistake(t: _Trial) -> bool:
    """Whether ``fn`` makes one of the mistakes the values part names, seen at p_t = 0.5 and 0.8, γ = 0.5."""
    p = torch.tensor([0.5, 0.8])
    out = t.call(p.clone(), 0.5, where="p_t = [0.5, 0.8], γ = 0.5")
    q = p.double()
    return out.shape == p.shape and (bool(torch.isnan(out).any()) or any(close(out, v) for v in (q**0.5, 1 - q**0.5, (1 - q) * 0.5, 1 - q)))


def _factor_gamma_zero(t: _Trial, gen: torch.Generator) -> None:
    p_t = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0])
    out = t.call(p_t.clone(), 0.0, where="γ = 0")
    if close(out, torch.ones(5)) or _factor_mistake(t):
        return
    if out.shape != p_t.shape:
        t.fail(f"for p_t of shape {tuple(p_t.shape)} it returns shape {tuple(out.shape)}.", "the factor is elementwise: one value per example, no sum or mean.")
    if torch.isnan(out).any():
        t.fail(f"with γ = 0 it returns NaN at p_t = {fmt(p_t[torch.isnan(out)])}.",
               "(1 - p_t)^0 is 1 everywhere, 0^0 included (γ = 0 must give plain cross-entropy). "
               "exp(γ·log(1 - p_t)) gives 0·(-inf) = NaN there; torch.pow(1 - p_t, γ) does not.")
    if close(out, torch.zeros(5)):
        t.fail("with γ = 0 it returns 0.", "anything to the power 0 is 1: γ = 0 must leave cross-entropy unchanged.")
    t.fail(f"with γ = 0 it returns {fmt(out)}, expected 1 everywhere.", "(1 - p_t)^0 = 1 for every p_t, 0^0 included.")


def _factor_edges(t: _Trial, gen: torch.Generator) -> None:
    p_t = torch.tensor([0.0, 1.0])
    for gamma in (0.5, 2.0):
        out = t.call(p_t.clone(), gamma, where=f"p_t = [0, 1], γ = {gamma}")
        if close(out, torch.tensor([1.0, 0.0])) or _factor_mistake(t):
            continue
        if out.shape != p_t.shape:
            t.fail(f"for p_t of shape {tuple(p_t.shape)} it returns shape {tuple(out.shape)}.", "the factor is elementwise.")
        if torch.isnan(out).any():
            t.fail(f"with γ = {gamma} it returns NaN at p_t = {fmt(p_t[torch.isnan(out)])}.", "(1 - p_t) ** γ is 1 at p_t = 0 and 0 at p_t = 1.")
        if out[1] > 0:
            t.fail(f"at p_t = 1 with γ = {gamma} it returns {fmt(out[1])}, not 0: the base 1 - p_t is kept away from 0.",
                   "on probabilities the factor needs no clamp: (1 - 1)^γ = 0. ε^γ is not small when γ is (0.01^0.5 = 0.1). "
                   "The clamp of notebook 02 is for the gradient of a loss computed from logits.")
        t.fail(f"on p_t = [0, 1] with γ = {gamma} it returns {fmt(out)}, expected [1, 0].", "(1 - p_t) ** γ.")


MODULATING_FACTOR = Exercise(
    "modulating_factor", "the factor",
    (Part("values", "(1 - p_t)^γ for γ from 0.25 to 5, 0-d to 3-D tensors", _factor_values),
     Part("gamma_zero", "γ = 0 gives 1 everywhere, 0^0 included", _factor_gamma_zero),
     Part("edges", "p_t = 0 gives 1 and p_t = 1 gives 0, with no clamp", _factor_edges)),
    "on 10 checks (γ from 0 to 5, p_t from 0 to 1, 0-d to 3-D tensors)",
    default_hint="use torch operations that work on whole tensors (** or torch.pow).",
)


def check_modulating_factor(fn: Callable[[Tensor, float], Tensor], part: str | None = None, seed: int = 0) -> Feedback:
    """Check ``fn(p_t, gamma) = (1 - p_t) ** gamma``: γ = 0, γ < 1, p_t = 0 and 1, shapes."""
    return MODULATING_FACTOR.check(fn, part, seed)


# ---------------------------------------------------------------- alpha weight (notebook 01)


def _alpha_rules(target: Tensor, alpha: float) -> dict[str, Tensor]:
    """α_t as each typical mistake computes it, named by the mistake's feedback."""
    y = target.double()
    return {
        "wrong class": torch.where(y == 1, 1 - alpha, alpha),
        "negatives 0": alpha * y,
        "negatives 1": torch.where(y == 1, alpha, 1.0),
        "positives 1": torch.where(y == 1, 1.0, 1 - alpha),
        "everyone α": torch.full_like(y, alpha),
        "no α": torch.ones_like(y),
    }


_ALPHA_FEEDBACK = {
    "wrong class": ("gives positives 1 - α and negatives α: α is applied to the wrong class.",
                    "α weights the POSITIVE class (target = 1); with the paper's α = 0.25 the rare positives get 0.25 and the many negatives 0.75."),
    "negatives 0": ("gives negatives weight 0.", "negatives are weighted by 1 - α, not dropped."),
    "negatives 1": ("gives negatives weight 1: the 1 - α of the negatives is missing.", "α_t = α for positives AND 1 - α for negatives."),
    "positives 1": ("gives positives weight 1: the α of the positives is missing.", "α_t = α for positives and 1 - α for negatives."),
    "everyone α": ("gives every example α.", "negatives get 1 - α: torch.where(target == 1, α, 1 - α)."),
    "no α": ("gives every example weight 1: α has no effect.", "α_t = α for positives and 1 - α for negatives."),
}


def _alpha_values(t: _Trial, gen: torch.Generator) -> None:
    y = torch.tensor([1, 0, 1, 1, 0])
    for target, alpha in ((y, 0.25), (y.float(), 0.75)):
        where = f"target = {fmt(target)}, α = {alpha}"
        out = t.call(target.clone(), alpha, where=where)
        expected = alpha_weight(target, alpha)
        if close(out, expected):
            continue
        if out.shape != expected.shape:
            t.fail(f"for target of shape {tuple(target.shape)} it returns shape {tuple(out.shape)}.", "one weight per example, same shape as target.")
        for rule, weights in _alpha_rules(target, alpha).items():
            if close(out, weights):
                what, hint = _ALPHA_FEEDBACK[rule]
                t.fail(f"on {where} it {what}", hint)
        t.fail(f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "α_t = α where target = 1, else 1 - α.")


def _alpha_label_types(t: _Trial, gen: torch.Generator) -> None:
    cases = [(torch.tensor([1, 0, 1, 1, 0]).bool(), 0.25), (torch.tensor([[1, 0], [0, 0]]), 0.1), (torch.tensor([0, 0, 0]), 0.5)]
    for target, alpha in cases:
        where = f"target = {fmt(target.int())} ({target.dtype}, shape {tuple(target.shape)}), α = {alpha}"
        out = t.call(target.clone(), alpha, where=where)
        expected = alpha_weight(target, alpha)
        # an α mistake is the other part's; this one is about label types and shapes
        if close(out, expected) or any(close(out, w) for w in _alpha_rules(target, alpha).values()):
            continue
        if out.shape != expected.shape:
            t.fail(f"for target of shape {tuple(target.shape)} it returns shape {tuple(out.shape)}.", "one weight per example, same shape as target.")
        t.fail(f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "α_t = α where target = 1, else 1 - α, whatever the labels' dtype.")


def _alpha_per_class(t: _Trial, gen: torch.Generator) -> None:
    target, weights = torch.tensor([2, 0, 1, 2]), [0.2, 0.3, 0.5]
    out = t.call(target.clone(), weights, where=f"class indices {fmt(target)} with per-class α = {weights}")
    expected = alpha_weight(target, weights)
    if not close(out, expected):
        t.fail(f"on class indices {fmt(target)} with per-class α = {weights} it returns {fmt(out)}, expected {fmt(expected)}.",
               "each example gets the weight of ITS class: alpha[target].")


_ALPHA_PARTS = (Part("values", "α for positives, 1 - α for negatives", _alpha_values),
                Part("label_types", "bool, int and float labels, 1-D and 2-D", _alpha_label_types))
_ALPHA_HINTS = (("bool tensor", "labels may be bool: compare instead of computing, torch.where(target == 1, α, 1 - α) works for bool, int and float."),)
ALPHA_WEIGHT = Exercise("alpha_weight", "α_t", _ALPHA_PARTS, "on 5 checks (bool, int and float labels, 1-D and 2-D)", _ALPHA_HINTS,
                        "torch.where(target == 1, α, 1 - α) works for bool, int and float labels.")
ALPHA_WEIGHT_PER_CLASS = Exercise(
    "alpha_weight", "α_t", _ALPHA_PARTS + (Part("per_class", "per-class α: alpha[target]", _alpha_per_class),),
    "on 6 checks (bool, int and float labels; per-class weights)", _ALPHA_HINTS + (
        ("only integer tensors", "index the weights with the targets: torch.as_tensor(alpha)[target]."),
        ("must be real number, not list", "index the weights with the targets: torch.as_tensor(alpha)[target]."),),
    "index the weights with the targets: torch.as_tensor(alpha)[target].")


def check_alpha_weight(fn: Callable[[Tensor, float], Tensor], per_class: bool = False, part: str | None = None, seed: int = 0) -> Feedback:
    """Check ``fn(target, alpha)``: α for positives (target 1), 1 - α for negatives (target 0).

    With ``per_class=True``, also ``fn(target, [α_0, α_1, ...]) = alpha[target]`` for class indices.
    """
    return (ALPHA_WEIGHT_PER_CLASS if per_class else ALPHA_WEIGHT).check(fn, part, seed)


# ---------------------------------------------------------------- softmax focal loss (notebook 02)


def _softmax_ce(x: Tensor, target: Tensor) -> Tensor:
    return F.cross_entropy(x.double(), target)


def _focal_cross_entropy(t: _Trial, gen: torch.Generator) -> None:
    x = torch.randn(8, 5, generator=gen) * 2
    target = torch.randint(5, (8,), generator=gen)
    where = "random logits [8, 5] with γ = 0"
    out = t.scalar(x.clone(), target.clone(), 0.0, where=where)
    expected = _softmax_ce(x, target)
    if close(out, expected):
        return
    log_p = torch.log_softmax(x.double(), 1)
    x_t = x.double().gather(1, target[:, None]).squeeze(1)
    if torch.isnan(out):
        t.fail(f"on {where} it returns NaN.", "the inputs are logits (any real number), not probabilities: -log of a negative number is NaN. p_t = softmax(logits)[i, target[i]], or better log_softmax.")
    if close(out, -expected):
        t.fail(f"on {where} it returns {fmt(out)} < 0.", "the loss is -(1 - p_t)^γ log p_t: mind the minus sign (log p_t ≤ 0).")
    if close(out, expected * len(target)):
        t.fail(f"on {where} it returns the SUM over examples, {fmt(out)}.", "return the mean over examples.")
    if close(out, -log_p.sum(1).mean()):
        t.fail(f"on {where} it sums the loss over EVERY class (p instead of p_t).", "only the true class counts: p_t = softmax(logits)[i, target[i]].")
    if close(out, -F.logsigmoid(x_t).mean()) or close(out, F.binary_cross_entropy_with_logits(x.double(), F.one_hot(target, 5).double())) \
            or close(out, F.binary_cross_entropy_with_logits(x.double(), F.one_hot(target, 5).double(), reduction="sum") / len(target)):
        t.fail(f"on {where} it uses the sigmoid: p_t = σ(x_t) treats each class on its own.",
               "this exercise is the softmax focal loss: p_t = softmax(logits, dim=1)[i, target[i]], the classes compete.")
    if close(out, -torch.log_softmax(torch.softmax(x.double(), 1), 1).gather(1, target[:, None]).mean()):
        t.fail(f"on {where} it applies the softmax twice (softmax, then log_softmax or cross_entropy).", "the inputs are logits: one log_softmax.")
    t.fail(f"with γ = 0 it returns {fmt(out)}, but F.cross_entropy gives {fmt(expected)}.", "with γ = 0 the focal loss must equal plain cross-entropy, the mean of -log p_t.")


def _ratio_feedback(t: _Trial, where: str, ratio: float, p_t: float, gamma: float, negative: bool = False) -> None:
    """Say what a student's FL/CE ratio on one example is, against (1 - p_t)^γ (then fail)."""
    expected = (1 - p_t) ** gamma
    if abs(ratio - 1) < 1e-4:
        t.fail(f"on {where} FL/CE = 1: γ has no effect.", "multiply each example's -log p_t by the modulating factor (1 - p_t)^γ.")
    if negative and math.isclose(ratio, p_t**gamma, rel_tol=1e-3):
        t.fail(f"on {where} (a negative, target 0) the factor is (1 - σ(x))^γ = {ratio:.4g}: it uses p = σ(x) where p_t = 1 - σ(x).",
               "for a negative p_t = 1 - σ(x), so its factor is (1 - p_t)^γ = σ(x)^γ: the confident negatives (σ(x) ≈ 0) are the easy ones.")
    if math.isclose(ratio, p_t**gamma, rel_tol=1e-3):
        t.fail(f"on {where} the factor is p_t^γ = {ratio:.4g}, not (1 - p_t)^γ = {expected:.4g}.", "the factor shrinks the loss of well-classified examples: (1 - p_t)^γ.")
    if math.isclose(ratio, 1 - p_t**gamma, rel_tol=1e-3):
        t.fail(f"on {where} the factor is 1 - p_t^γ = {ratio:.4g}.", "** binds tighter than -: write (1 - p_t) ** γ.")
    t.fail(f"on {where} FL/CE = {ratio:.4g}, expected (1 - p_t)^γ = {expected:.4g}.", "FL = (1 - p_t)^γ · (-log p_t), per example.")


def _focal_factor(t: _Trial, gen: torch.Generator) -> None:
    # One example per call: the mean, α and the sign cancel out of FL(γ) / FL(0).
    for row, label in (([2.0, 0.0, -1.0], 0), ([0.5, 1.0, 0.0], 1), ([0.0, 2.0, 1.0], 0)):
        x, target = torch.tensor([row]), torch.tensor([label])
        p_t = torch.softmax(x.double(), 1)[0, label].item()
        ce = t.scalar(x.clone(), target.clone(), 0.0, where=f"one example with p_t = {p_t:.3f}, γ = 0")
        if not torch.isfinite(ce) or ce == 0:
            t.fail(f"on one example with p_t = {p_t:.3f} and γ = 0 it returns {fmt(ce)}, so the factor cannot be measured.", "with γ = 0 the loss is -log p_t.")
        for gamma in (2.0, 0.5):
            where = f"one example with p_t = {p_t:.3f}, γ = {gamma}"
            ratio = (t.scalar(x.clone(), target.clone(), gamma, where=where) / ce).item()
            if not math.isclose(ratio, (1 - p_t) ** gamma, rel_tol=1e-4, abs_tol=1e-7):
                _ratio_feedback(t, where, ratio, p_t, gamma)


def _focal_saturation(t: _Trial, gen: torch.Generator) -> None:
    # A confidently wrong example, margins 200 and 20: -log p_t ≈ 200 and ≈ 20. float32 softmax
    # underflows to 0 at margin 200 (log → -inf) but not at 20; a clamp caps both. γ = 0 and one
    # example per call, so that the factor, the mean and the sign (the other parts') cancel out.
    target = torch.tensor([0])
    wrong = t.scalar(torch.tensor([[0.0, 200.0, 0.0]]), target.clone(), 0.0, where="a confidently wrong example (logit margin 200), γ = 0")
    if not torch.isfinite(wrong):
        t.fail(f"on a confidently wrong example (logit margin 200) it returns {fmt(wrong)}.",
               "log(softmax(x)) underflows to log(0) = -inf in float32; torch.log_softmax keeps it finite (-200).")
    less = t.scalar(torch.tensor([[0.0, 20.0, 0.0]]), target.clone(), 0.0, where="a wrong example (logit margin 20), γ = 0")
    expected = (_softmax_ce(torch.tensor([[0.0, 200.0, 0.0]]), target) / _softmax_ce(torch.tensor([[0.0, 20.0, 0.0]]), target)).item()
    ratio = (wrong / less).item()
    if not math.isclose(ratio, expected, rel_tol=1e-4):
        t.fail(f"the loss of a confidently wrong example stops growing: {fmt(wrong)} at logit margin 200 against {fmt(less)} at margin 20 "
               f"(ratio {ratio:.3g}, expected {expected:.3g}): -log of a clamped probability is capped at -log ε.",
               "compute log p_t with log_softmax, not log of a clamped softmax: the loss of a confident mistake is its margin, 200.")


def _own_gradient(t: _Trial, x: Tensor, args: tuple, where: str) -> None:
    """The gradient the student's loss returns must be the derivative of that same loss.

    Compared with a central difference of the student's own function (float64 input), so a value
    mistake, which the other parts count, does not show here: only a detached or lost gradient does.
    """
    x = x.double().requires_grad_()
    out = t.scalar(x, *args, where=where)
    t.differentiable(out, where)
    (grad,) = torch.autograd.grad(out, x)
    h, numeric = 1e-3, torch.zeros_like(x, dtype=torch.float64)
    for i in range(x.numel()):
        step = torch.zeros_like(x).view(-1)
        step[i] = h
        step = step.view_as(x)
        up = t.scalar(x.detach() + step, *args, where=where).double()
        down = t.scalar(x.detach() - step, *args, where=where).double()
        numeric.view(-1)[i] = (up - down) / (2 * h)
    if not close(grad.double(), numeric, rtol=1e-3, atol=1e-5):
        t.fail(f"on {where} its gradient, {fmt(grad)}, is not the derivative of the loss it returns, {fmt(numeric)}.",
               "everything in the loss must stay in the graph: no .detach(), .item(), .data or torch.no_grad() "
               "inside it (a detached modulating factor changes which examples the gradient favours).")


def _focal_gradient(t: _Trial, gen: torch.Generator) -> None:
    sat = torch.tensor([[30.0, 0.0, 0.0], [0.0, 1.0, 0.0]], requires_grad=True)
    where = "a confident prediction (logit margin 30) with γ = 0.5"
    out = t.scalar(sat, torch.tensor([0, 1]), 0.5, where=where)
    t.differentiable(out, where)
    (grad,) = torch.autograd.grad(out, sat)
    if torch.isnan(grad).any():
        t.fail("its gradient is NaN on a confident prediction (logit margin 30) with γ = 0.5.",
               "d/dp (1 - p)^γ = -γ(1 - p)^(γ-1) is infinite at p_t = 1 for γ < 1, and autograd multiplies it "
               "by 0: inf·0 = NaN. Keep the base away from 0, e.g. (1 - p_t).clamp_min(1e-12) ** γ, or use "
               "the closed-form gradient (notebook 02).")
    _own_gradient(t, torch.tensor([[1.0, -0.5, 0.3], [0.2, 0.4, -1.0]]), (torch.tensor([0, 2]), 2.0), "two examples with γ = 2 (float64)")


FOCAL_LOSS = Exercise(
    "focal_loss", "the loss",
    (Part("cross_entropy", "γ = 0 gives F.cross_entropy, the mean over examples", _focal_cross_entropy),
     Part("modulating_factor", "each example's loss scaled by (1 - p_t)^γ", _focal_factor),
     Part("saturation", "finite, exact loss on confidently wrong examples", _focal_saturation),
     Part("gradient", "finite gradient where p_t rounds to 1 (γ < 1), and the loss's own", _focal_gradient)),
    "on random logits for γ = 0, 0.5, 2 and on saturated logits (finite loss and gradient)",
    default_hint="use torch.log_softmax(logits, dim=1) and gather the target column.",
)


def check_focal_loss(fn: Callable[[Tensor, Tensor, float], Tensor], part: str | None = None, seed: int = 0) -> Feedback:
    """Check ``fn(logits, target, gamma)``: the mean softmax focal loss of ``logits [N, C]``.

    Compared with ``F.cross_entropy`` at γ = 0, then the factor on single examples, then on
    saturated logits, where the loss must stay exact and its gradient must not be NaN.
    """
    return FOCAL_LOSS.check(fn, part, seed)


# ---------------------------------------------------------------- binary focal loss (notebook 03)


def _binary_terms(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """-log p_t and p_t in float64."""
    x, y = x.double(), y.double()
    return F.binary_cross_entropy_with_logits(x, y, reduction="none"), torch.where(y == 1, torch.sigmoid(x), torch.sigmoid(-x))


def _binary_alpha(t: _Trial, gen: torch.Generator) -> None:
    # A positive at logit -1 and a negative at +1 have the same p_t, so the same |d(-log p_t)/dx|:
    # the ratio of their gradients is -α_pos/α_neg, whatever the loss divides by.
    for alpha in (0.25, 0.9):
        x = torch.tensor([-1.0, 1.0], requires_grad=True)
        where = f"a positive at logit -1 and a negative at logit +1 (same p_t), γ = 0, α = {alpha}"
        out = t.scalar(x, torch.tensor([1.0, 0.0]), 0.0, alpha, where=where)
        t.differentiable(out, where)
        (grad,) = torch.autograd.grad(out, x)
        if not torch.isfinite(grad).all():
            t.fail(f"on {where} its gradient is {fmt(grad)}.", "α_t (1 - p_t)^γ (-log p_t), p_t = σ(x) for positives and 1 - σ(x) for negatives.")
        if grad[1] == 0:
            t.fail(f"on {where} the negative gets no gradient: negatives get weight 0.", "negatives are weighted by 1 - α, not dropped.")
        ratio, expected = (grad[0] / grad[1]).item(), -alpha / (1 - alpha)
        if math.isclose(ratio, expected, rel_tol=1e-4):
            continue
        for rule, (w_pos, w_neg) in (("wrong class", (1 - alpha, alpha)), ("no α", (1, 1)), ("negatives 1", (alpha, 1)),
                                     ("positives 1", (1, 1 - alpha))):
            if math.isclose(ratio, -w_pos / w_neg, rel_tol=1e-4):
                what, hint = _ALPHA_FEEDBACK[rule]
                t.fail(f"on {where} it {what}", hint)
        t.fail(f"on {where} the positive's and the negative's gradients are in ratio {ratio:.4g}, expected -α/(1 - α) = {expected:.4g}.",
               "α_t = α for positives, 1 - α for negatives, multiplying each example's loss.")


def _binary_mean(t: _Trial, gen: torch.Generator) -> None:
    x = torch.randn(12, generator=gen) * 3
    y = torch.zeros(12)
    y[torch.randperm(12, generator=gen)[:4]] = 1.0  # 4 positives, 8 negatives
    for alpha in (0.25, 0.9):
        where = f"random logits [12] (4 positives) with γ = 0, α = {alpha}"
        out = t.scalar(x.clone(), y.clone(), 0.0, alpha, where=where)
        ce, _ = _binary_terms(x, y)
        alpha_t = alpha_weight(y, alpha).double()
        expected = (alpha_t * ce).mean()
        if close(out, expected):
            continue
        if any(close(out, (w * ce).mean()) for w in _alpha_rules(y, alpha).values()):
            continue  # an α mistake: the part about α_t counts it
        if torch.isnan(out):
            t.fail(f"on {where} it returns NaN.", "the inputs are logits (any real number), not probabilities: -log of a negative number is NaN. Use F.binary_cross_entropy_with_logits or F.logsigmoid.")
        if close(out, -expected):
            t.fail(f"on {where} it returns {fmt(out)} < 0.", "-log p_t ≥ 0: mind the minus sign.")
        if close(out, (alpha_t * ce).sum()):
            t.fail(f"on {where} it returns the SUM over examples.", "return the mean over examples.")
        if close(out, (alpha_t * ce).sum() / alpha_t.sum()):
            t.fail(f"on {where} it divides by Σ α_t, the sum of the weights.",
                   "the binary (sigmoid) focal loss is a plain mean over examples, ÷ N, as torchvision's sigmoid_focal_loss; "
                   "÷ Σ α_t is the softmax loss's convention (F.cross_entropy with weight=).")
        if close(out, (alpha_t * ce).sum() / y.sum()):
            t.fail(f"on {where} it divides by the number of positives.",
                   "that is RetinaNet's normalisation of a detector's loss (notebook 06); this exercise asks for the mean over examples.")
        if close(out, expected / (1 - alpha)):
            t.fail(f"on {where} it is 1/(1 - α) times too large: BCE's pos_weight = α/(1 - α) weights positives by α/(1 - α) and negatives by 1.",
                   "α_t is α for positives AND 1 - α for negatives: weight=α_t, not pos_weight.")
        p = torch.sigmoid(x.double())
        twice = F.binary_cross_entropy_with_logits(p, y.double(), reduction="none")
        if close(out, (alpha_t * twice).mean()):
            t.fail(f"on {where} it applies the sigmoid twice.", "the inputs are logits: binary_cross_entropy_with_logits(logits, ...) applies σ itself.")
        if close(out, torch.zeros(())):
            t.fail(f"on {where} it returns 0.", "the softmax of a single logit is always 1 (log 1 = 0): a one-logit binary classifier uses the sigmoid.")
        t.fail(f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "with γ = 0 the loss is the mean over examples of α_t (-log p_t).")


def _binary_factor(t: _Trial, gen: torch.Generator) -> None:
    for logit, label in ((2.0, 1.0), (1.0, 0.0), (-0.5, 0.0), (-1.5, 1.0)):
        x, y = torch.tensor([logit]), torch.tensor([label])
        p_t = _binary_terms(x, y)[1].item()
        kind = "a positive" if label == 1 else "a negative"
        ce = t.scalar(x.clone(), y.clone(), 0.0, 0.25, where=f"{kind} at logit {logit}, γ = 0, α = 0.25")
        if not torch.isfinite(ce) or ce == 0:
            t.fail(f"on {kind} at logit {logit} with γ = 0 it returns {fmt(ce)}, so the factor cannot be measured.", "with γ = 0 the loss is α_t (-log p_t).")
        for gamma in (2.0, 0.5):
            where = f"{kind} at logit {logit} (p_t = {p_t:.3f}), γ = {gamma}"
            ratio = (t.scalar(x.clone(), y.clone(), gamma, 0.25, where=where) / ce).item()
            if not math.isclose(ratio, (1 - p_t) ** gamma, rel_tol=1e-4, abs_tol=1e-7):
                _ratio_feedback(t, where, ratio, p_t, gamma, negative=label == 0)


def _binary_saturation(t: _Trial, gen: torch.Generator) -> None:
    for label, sign, kind in ((1.0, -1.0, "positive"), (0.0, 1.0, "negative")):
        y = torch.tensor([label])
        big = t.scalar(torch.tensor([sign * 200.0]), y.clone(), 0.0, 0.25, where=f"a confidently wrong {kind} (logit {sign * 200:+.0f}), γ = 0")
        if not torch.isfinite(big):
            t.fail(f"on a confidently wrong {kind} (logit {sign * 200:+.0f}) it returns {fmt(big)}.",
                   "log(sigmoid(-200)) underflows to log(0) = -inf in float32; F.logsigmoid(-200) = -200 "
                   "(or F.binary_cross_entropy_with_logits).")
        small = t.scalar(torch.tensor([sign * 20.0]), y.clone(), 0.0, 0.25, where=f"a wrong {kind} (logit {sign * 20:+.0f}), γ = 0")
        ce, _ = _binary_terms(torch.tensor([sign * 200.0, sign * 20.0]), torch.tensor([label, label]))
        expected, ratio = (ce[0] / ce[1]).item(), (big / small).item()
        if not math.isclose(ratio, expected, rel_tol=1e-4):
            t.fail(f"the loss of a confidently wrong {kind} stops growing: {fmt(big)} at logit {sign * 200:+.0f} against {fmt(small)} at "
                   f"{sign * 20:+.0f} (ratio {ratio:.3g}, expected {expected:.3g}): -log of a clamped probability is capped at -log ε.",
                   "compute log p_t from the logits (F.logsigmoid, F.binary_cross_entropy_with_logits), not from a clamped probability.")


def _binary_gradient(t: _Trial, gen: torch.Generator) -> None:
    sat = torch.tensor([30.0, -30.0], requires_grad=True)
    where = "a confident positive (logit 30) and negative (logit -30) with γ = 0.5"
    out = t.scalar(sat, torch.tensor([1.0, 0.0]), 0.5, 0.25, where=where)
    t.differentiable(out, where)
    if torch.isnan(torch.autograd.grad(out, sat)[0]).any():
        t.fail("its gradient is NaN on a confident positive (logit 30) with γ = 0.5.",
               "(1 - p_t)^γ has an infinite derivative at p_t = 1 for γ < 1, and autograd multiplies it by 0: inf·0 = NaN. "
               "Keep the base away from 0, e.g. torch.sigmoid(-x).clamp_min(1e-12) ** γ for positives.")
    _own_gradient(t, torch.tensor([0.8, 0.8, -1.5]), (torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64), 2.0, 0.25),
                  "three examples with γ = 2, α = 0.25 (float64)")


BINARY_FOCAL_LOSS = Exercise(
    "binary_focal_loss", "the loss",
    (Part("alpha", "α_t: α for positives, 1 - α for negatives", _binary_alpha),
     Part("mean", "the mean over examples (γ = 0: α-balanced BCE ÷ N)", _binary_mean),
     Part("modulating_factor", "(1 - p_t)^γ, p_t = σ(x) for positives and 1 - σ(x) for negatives", _binary_factor),
     Part("saturation", "finite, exact loss on confidently wrong examples", _binary_saturation),
     Part("gradient", "finite gradient where p_t rounds to 1 (γ < 1), and the loss's own", _binary_gradient)),
    "for γ = 0, 0.5 and 2, α = 0.25 and 0.9, and on saturated logits (finite loss and gradient)",
    (("between 0 and 1", "the inputs are logits, F.binary_cross_entropy wants probabilities: use "
                         "F.binary_cross_entropy_with_logits(logits, target, reduction='none'), or F.logsigmoid."),),
    "F.binary_cross_entropy_with_logits(logits, target, reduction='none') gives -log p_t.",
)


def check_binary_focal_loss(fn: Callable[[Tensor, Tensor, float, float], Tensor], part: str | None = None, seed: int = 0) -> Feedback:
    """Check ``fn(logits, target, gamma, alpha)``: the mean α-balanced sigmoid focal loss.

    ``logits`` and ``target`` are ``[N]``; ``target`` holds 0./1.; α weights the positives.
    """
    return BINARY_FOCAL_LOSS.check(fn, part, seed)


# ---------------------------------------------------------------- class weights (notebook 04)


_WEIGHT_CASES = ((torch.tensor([500, 50, 5]), 0.99), (torch.tensor([500, 50, 5]), 0.9),
                 (torch.tensor([100, 65, 42, 27, 2]), 0.999), (torch.tensor([10, 10]), 0.99))


def _weights_shape(t: _Trial, gen: torch.Generator) -> None:
    for counts, beta in _WEIGHT_CASES:
        where = f"counts = {counts.tolist()}, β = {beta}"
        out = t.call(counts.clone(), beta, where=where)
        expected = class_weights(counts=counts, method="effective", beta=beta).double()
        if out.shape != expected.shape:
            t.fail(f"on {where} it returns shape {tuple(out.shape)}.", "one weight per class.")
        total = out.double().sum()
        if total > 0 and close(out.double() / total, expected / expected.sum()):
            continue  # the proportions are right; the other part checks their sum
        n = counts.double()
        effective = (1 - beta**n) / (1 - beta)
        if total > 0 and close(out.double() / total, effective / effective.sum()):
            t.fail(f"on {where} the most frequent class gets the largest weight.", "that is the effective number E_n = (1 - β^n)/(1 - β) itself; the weight is its inverse.")
        if total > 0 and close(out.double() / total, (1 / n) / (1 / n).sum()):
            t.fail(f"on {where} it returns inverse frequency.", "inverse frequency is the β → 1 limit; use (1 - β)/(1 - β^n).")
        t.fail(f"on {where} it returns {fmt(out)}, expected weights proportional to {fmt(expected)}.", "α_c ∝ (1 - β)/(1 - β^n_c).")


def _weights_sum(t: _Trial, gen: torch.Generator) -> None:
    for counts, beta in _WEIGHT_CASES:
        where = f"counts = {counts.tolist()}, β = {beta}"
        total = t.call(counts.clone(), beta, where=where).double().sum()
        if math.isclose(total.item(), len(counts), rel_tol=1e-5):
            continue
        t.fail(f"on {where} the weights sum to {total.item():.4g}.",
               f"normalise so that they sum to the number of classes, C = {len(counts)} (Cui et al.): then the loss keeps its scale.")


CLASS_WEIGHTS = Exercise(
    "class_weights", "the weights",
    (Part("effective_number", "α_c ∝ (1 - β)/(1 - β^n_c), the inverse effective number", _weights_shape),
     Part("normalised", "Σ α_c = C", _weights_sum)),
    f"on {len(_WEIGHT_CASES)} checks (β from 0.9 to 0.999, 2 to 5 classes)",
    default_hint="work on the tensor of counts: (1 - beta) / (1 - beta ** counts).",
)


def check_class_weights(fn: Callable[[Tensor, float], Tensor], part: str | None = None, seed: int = 0) -> Feedback:
    """Check ``fn(counts, beta)``: Cui et al.'s weights (1 - β)/(1 - β^n_c), normalised to sum to C."""
    return CLASS_WEIGHTS.check(fn, part, seed)


# ---------------------------------------------------------------- sequence labelling (notebook 05)


def _tagger_batch(gen: torch.Generator, padded: bool) -> tuple[Tensor, Tensor]:
    """Logits [3, 6, 4] (T ≠ C, so a wrong layout shows) and tags [3, 6], -100 at padding."""
    logits = torch.randn(3, 6, 4, generator=gen) * 2
    tags = torch.randint(4, (3, 6), generator=gen)
    if padded:
        tags[0, 4:] = -100
        tags[2, 2:] = -100
    return logits, tags


def _sequence_reference(logits: Tensor, tags: Tensor, gamma: float) -> Tensor:
    return focal_loss(logits.double().movedim(-1, 1), tags, gamma)


def _per_token(logits: Tensor, tags: Tensor, gamma: float, class_dim: int = -1) -> Tensor:
    """Focal terms [B, T] in float64 (0 where padded), with the softmax over ``class_dim``."""
    log_p = torch.log_softmax(logits.double(), dim=class_dim)
    log_p_t = log_p.gather(-1, tags.clamp_min(0).unsqueeze(-1)).squeeze(-1)
    return (-(-torch.expm1(log_p_t)) ** gamma * log_p_t).masked_fill(tags == -100, 0.0)


def _sequence_layout(t: _Trial, gen: torch.Generator) -> None:
    logits, tags = _tagger_batch(gen, padded=False)
    b, tt, c = logits.shape
    for gamma in (0.0, 2.0):
        where = f"logits [{b}, {tt}, {c}] (no padding) with γ = {gamma}"
        out = t.scalar(logits.clone(), tags.clone(), gamma, where=where)
        expected = _sequence_reference(logits, tags, gamma)
        if close(out, expected):
            continue
        if close(out, -expected):
            t.fail(f"on {where} it returns {fmt(out)} < 0.", "the loss is -(1 - p_t)^γ log p_t: mind the minus sign.")
        if close(out, _per_token(logits, tags, gamma).sum()):
            t.fail(f"on {where} it returns the SUM over tokens.", "return the mean over the real tokens.")
        if close(out, _per_token(logits, tags, gamma, class_dim=1).mean()):
            t.fail("the softmax runs over dim 1, the time steps, not over the classes.", "the tagger's logits are [B, T, C]: log_softmax(logits, dim=-1).")
        if close(out, focal_loss(logits.double().reshape(b, c, tt), tags, gamma)):
            t.fail("it reshapes [B, T, C] into [B, C, T], which scrambles tokens and classes.",
                   "reshape keeps the memory order; use movedim(-1, 1) (or permute(0, 2, 1)), or stay class-last.")
        x_t = logits.double().gather(-1, tags.unsqueeze(-1)).squeeze(-1)
        p_t = torch.sigmoid(x_t)
        if close(out, (-(1 - p_t) ** gamma * torch.log(p_t)).mean()):
            t.fail(f"on {where} it uses the sigmoid of the tag's logit.", "the tags compete: p_t = softmax over the classes (dim=-1), not σ of one logit.")
        t.fail(f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.",
               "mean over tokens of -(1 - p_t)^γ log p_t, p_t = softmax over the classes of the token's tag.")


def _sequence_padding(t: _Trial, gen: torch.Generator) -> None:
    logits, tags = _tagger_batch(gen, padded=True)
    real = tags != -100
    where = f"a padded batch ({int(real.sum())} real tokens of {tags.numel()}) with γ = 2"
    out = t.scalar(logits.clone(), tags.clone(), 2.0, where=where)
    expected = _sequence_reference(logits, tags, 2.0)
    if close(out, expected):
        return
    terms = _per_token(logits, tags, 2.0)
    with_padding = _per_token(logits, tags.clamp_min(0), 2.0)
    if close(out, with_padding.mean()) or close(out, with_padding.sum() / real.sum()):
        t.fail("padded positions count as tokens of class 0.", "drop the positions where tags == -100 before the mean, so padding adds no loss and no gradient.")
    if close(out, terms.sum() / tags.numel()):
        t.fail(f"on {where} it divides by every position, padding included ({tags.numel()}, not {int(real.sum())}).",
               "the mean is over real tokens: divide by (tags != -100).sum(), or take .mean() of the kept terms.")
    per_sequence = terms.sum(1) / real.sum(1)
    if close(out, per_sequence.mean()):
        t.fail(f"on {where} it averages each sequence, then the sequences: a token of a short sequence counts more.",
               "every real token counts once: the sum of the kept terms ÷ the number of real tokens.")
    if close(out, terms.sum()):
        t.fail(f"on {where} it returns the SUM over tokens.", "return the mean over the real tokens.")
    t.fail(f"on {where} it returns {fmt(out)}, expected {fmt(expected)}.", "mean over the real tokens (tags != -100) of -(1 - p_t)^γ log p_t.")


def _sequence_garbage(t: _Trial, gen: torch.Generator) -> None:
    logits, tags = _tagger_batch(gen, padded=True)
    pad = tags == -100
    garbage = logits.clone()
    garbage[0, 4] = math.nan
    garbage[0, 5] = math.inf
    garbage[2, 2:] = -math.inf
    garbage[2, 3, 1] = math.inf
    garbage[2, 5] = math.nan
    # the student's own loss on the same tokens with harmless padding: a count mistake is the other part's
    own = t.scalar(logits.clone(), tags.clone(), 2.0, where="a padded batch with γ = 2")
    x = garbage.clone().requires_grad_()
    where = "a padded batch whose padded logits are NaN and ±inf (γ = 2)"
    out = t.scalar(x, tags.clone(), 2.0, where=where)
    if not torch.isfinite(out):
        t.fail(f"on {where} it returns {fmt(out)}: padding leaks into the loss.",
               "select the real tokens first, then compute: a mask multiplied in afterwards still computes 0 · NaN = NaN. "
               "logits[tags != -100] keeps padding out of the loss and out of the gradient.")
    if not close(out, own):
        t.fail(f"on {where} it returns {fmt(out)}, but {fmt(own)} when the same padded positions hold ordinary logits.",
               "padding must change nothing: select the real tokens before computing anything.")
    t.differentiable(out, where)
    (grad,) = torch.autograd.grad(out, x)
    if not torch.isfinite(grad).all():
        t.fail(f"on {where} the loss is finite but its gradient is NaN at the padded positions.",
               "the padded logits still go through log_softmax and are discarded afterwards (a torch.where, a mask, or "
               "F.cross_entropy's ignore_index): autograd then multiplies a zero gradient by their NaN. Select the real "
               "tokens first, logits[tags != -100], then compute; one NaN in the logits' gradient turns every weight to NaN.")
    if grad[pad].abs().max() > 0:
        t.fail(f"on {where} the padded positions get a gradient.", "padding must get exactly zero gradient: drop it before computing.")


def _sequence_gradient(t: _Trial, gen: torch.Generator) -> None:
    sat = torch.tensor([[[30.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], requires_grad=True)
    where = "a confident token (logit margin 30) with γ = 0.5"
    out = t.scalar(sat, torch.tensor([[0, 1]]), 0.5, where=where)
    t.differentiable(out, where)
    if torch.isnan(torch.autograd.grad(out, sat)[0]).any():
        t.fail("its gradient is NaN on a confident token (logit margin 30) with γ = 0.5.",
               "(1 - p_t)^γ has an infinite derivative at p_t = 1 for γ < 1, and autograd multiplies it by 0: inf·0 = NaN. "
               "Keep the base away from 0: (1 - p_t).clamp_min(1e-12) ** γ.")
    _own_gradient(t, torch.tensor([[[1.0, -0.5, 0.3], [0.2, 0.4, -1.0]]]), (torch.tensor([[0, 2]]), 2.0), "two tokens with γ = 2 (float64)")


SEQUENCE_FOCAL_LOSS = Exercise(
    "sequence_focal_loss", "the masked mean",
    (Part("classes_last", "[B, T, C] logits: the softmax over the classes, tokens kept apart", _sequence_layout),
     Part("padding", "padding ignored: the mean over the real tokens only", _sequence_padding),
     Part("garbage_padding", "NaN and ±inf at padded positions change nothing: finite loss, zero gradient", _sequence_garbage),
     Part("gradient", "finite gradient where p_t rounds to 1 (γ < 1), and the loss's own", _sequence_gradient)),
    "on padded batches for γ = 0, 0.5 and 2 (classes last, padding ignored even when it holds NaN and inf)",
    (("Expected target size", "F.cross_entropy reads dim 1 as the classes: move them there, logits.movedim(-1, 1) "
                              "([B, T, C] → [B, C, T]), or select the real tokens into [N, C]."),
     ("index -100 is out of bounds", "the padded positions hold -100, which is no class: keep the positions where "
                                     "tags != -100 before gathering (or pass ignore_index=-100)."),),
    "log_softmax over the LAST dim (the classes), keep the positions where tags != -100, gather each one's tag.",
)


def check_sequence_focal_loss(fn: Callable[[Tensor, Tensor, float], Tensor], part: str | None = None, seed: int = 0) -> Feedback:
    """Check ``fn(logits, tags, gamma)``, built by hand: logits ``[B, T, C]`` from a tagger, tags
    ``[B, T]`` with -100 at padding; the mean focal loss over the real (non-padded) tokens.

    Refuses a call to ``focal_teach``'s losses (the notebook already shows that one-liner), and
    recognises the classic mistakes: the softmax over time instead of classes, a reshape instead
    of a transpose, padding counted as tag 0, a mean over every position or per sequence, and a
    mask applied after computing, which NaN or inf logits at padded positions reveal."""
    return SEQUENCE_FOCAL_LOSS.check(fn, part, seed)


# ---------------------------------------------------------------- calibration (notebook 07)


def _ece_variants(probs: Tensor, labels: Tensor, n_bins: int) -> dict[str, float]:
    """The ECE as each typical mistake computes it."""
    confidence, predicted = probs.double().max(1)
    correct = (predicted == labels).double()
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)
    index = torch.bucketize(confidence, edges, right=False).clamp(1, n_bins) - 1
    bins = [index == b for b in range(n_bins) if (index == b).any()]
    gaps = [(correct[b].mean() - confidence[b].mean()).abs() for b in bins]
    true_class = probs.double().gather(1, labels[:, None]).squeeze(1)
    order = confidence.argsort()
    mass = [(correct[order][s].mean() - confidence[order][s].mean()).abs() * len(s) / len(order)
            for s in torch.tensor_split(torch.arange(len(order)), min(n_bins, len(order))) if len(s)]
    return {
        "overall": (correct.mean() - confidence.mean()).abs().item(),
        "unweighted": torch.stack(gaps).mean().item(),
        "true class": sum((correct[index == b].mean() - true_class[index == b].mean()).abs() * (index == b).double().mean()
                          for b in range(n_bins) if (index == b).any()).item(),
        "equal mass": float(sum(mass)),
        "percent": 100 * expected_calibration_error(probs, labels, n_bins),
    }


_ECE_FEEDBACK = {
    "overall": ("it compares the overall accuracy with the overall confidence.", "compare them per bin of confidence, then average the gaps weighted by the bins' sizes."),
    "unweighted": ("every non-empty bin counts equally.", "weight each bin's gap by its share of the examples, |B_b| / N."),
    "true class": ("it uses the probability of the true label, not the top-class confidence.",
                   "the confidence is the model's: probs.max(1), the probability of the class it predicts, right or wrong."),
    "equal mass": ("its bins hold equal numbers of examples.", "ECE's bins are equal-WIDTH: n_bins intervals of (0, 1] of width 1/n_bins."),
    "percent": ("it returns a percentage.", "return the ECE as a fraction in [0, 1] (papers print it × 100)."),
}


def _ece_cases(gen: torch.Generator) -> list[tuple[str, Tensor, Tensor]]:
    hand = (torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.62, 0.38], [0.3, 0.7]]), torch.tensor([0, 1, 0, 1]))
    # labels drawn from the model's own probabilities: a calibrated model on a finite sample, whose
    # per-bin gaps take both signs, so that binning, weighting and n_bins each change the ECE
    probs = torch.softmax(torch.randn(400, 5, generator=gen) * 2, 1)
    labels = torch.multinomial(probs, 1, generator=gen).squeeze(1)
    return [("4 hand-made examples", *hand), ("400 random examples", probs, labels)]


def _ece_binning(t: _Trial, gen: torch.Generator) -> None:
    for label, probs, labels in _ece_cases(gen):
        out = t.scalar(probs.clone(), labels.clone(), 15, where=label)
        expected = expected_calibration_error(probs, labels, 15)
        if math.isclose(out.item(), expected, rel_tol=1e-5, abs_tol=1e-7):
            continue
        for mistake, value in _ece_variants(probs, labels, 15).items():
            if math.isclose(out.item(), value, rel_tol=1e-5, abs_tol=1e-7):
                what, hint = _ECE_FEEDBACK[mistake]
                t.fail(f"on {label} {what}", hint)
        t.fail(f"on {label} it returns {fmt(out)}, expected {expected:.4g}.", "ECE = Σ_b |B_b|/N · |acc(B_b) - conf(B_b)| over n_bins equal-width bins of (0, 1].")


def _ece_binning_mistake(t: _Trial, gen: torch.Generator) -> bool:
    """Whether the student makes one of the mistakes the binning part names (then the other parts
    do not charge it again), judged on 400 random examples, where those mistakes all differ."""
    _, probs, labels = _ece_cases(gen)[1]
    out = t.scalar(probs.clone(), labels.clone(), 15, where="400 random examples").item()
    return not math.isclose(out, expected_calibration_error(probs, labels, 15), rel_tol=1e-5, abs_tol=1e-7) and \
        any(math.isclose(out, v, rel_tol=1e-5, abs_tol=1e-7) for v in _ece_variants(probs, labels, 15).values())


def _ece_n_bins(t: _Trial, gen: torch.Generator) -> None:
    _, probs, labels = _ece_cases(torch.Generator().manual_seed(gen.initial_seed()))[1]
    if _ece_binning_mistake(t, torch.Generator().manual_seed(gen.initial_seed())):
        return
    for n_bins in (10, 5):
        out = t.scalar(probs.clone(), labels.clone(), n_bins, where=f"400 random examples with n_bins = {n_bins}")
        expected = expected_calibration_error(probs, labels, n_bins)
        if math.isclose(out.item(), expected, rel_tol=1e-5, abs_tol=1e-7):
            continue
        at_15 = [expected_calibration_error(probs, labels, 15), *_ece_variants(probs, labels, 15).values()]
        if any(math.isclose(out.item(), v, rel_tol=1e-5, abs_tol=1e-7) for v in at_15):
            t.fail(f"with n_bins = {n_bins} it returns the 15-bin value: it ignores n_bins.", "use the n_bins argument for the edges: torch.linspace(0, 1, n_bins + 1).")
        t.fail(f"with n_bins = {n_bins} it returns {fmt(out)}, expected {expected:.4g}.", "n_bins equal-width bins of (0, 1].")


def _ece_certain(t: _Trial, gen: torch.Generator) -> None:
    probs, labels = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]), torch.tensor([0, 1, 1])
    out = t.scalar(probs.clone(), labels.clone(), 15, where="confidences of exactly 1")
    expected = expected_calibration_error(probs, labels, 15)  # 1/3: one bin, accuracy 2/3, confidence 1
    if math.isclose(out.item(), expected, rel_tol=1e-5, abs_tol=1e-7) or _ece_binning_mistake(t, gen):
        return
    t.fail(f"on confidences of exactly 1 it returns {fmt(out)}, expected {expected:.4g}: a confidence of 1 lands in no bin.",
           "the bins are (low, high], closed on the right, so the last one, (14/15, 1], holds confidence 1: "
           "(conf > low) & (conf <= high), or clamp the bin index to n_bins - 1.")


EXPECTED_CALIBRATION_ERROR = Exercise(
    "expected_calibration_error", "the binned gaps",
    (Part("binning", "top-class confidence in equal-width bins, gaps weighted by |B_b| / N", _ece_binning),
     Part("n_bins", "the number of bins is the n_bins argument", _ece_n_bins),
     Part("confidence_one", "a confidence of exactly 1 is in the last bin", _ece_certain)),
    "on 5 checks (a hand-made case, 400 random examples, 5 to 15 bins, confidences of exactly 1)",
    (("out of bounds", "a confidence of 1 gives bin index n_bins with floor(conf · n_bins): clamp the index to n_bins - 1, "
                       "or use (conf > low) & (conf <= high)."),),
    "confidence = probs.max(1), correct = probs.argmax(1) == labels; bin the confidences.",
)


def check_expected_calibration_error(fn: Callable[..., float], part: str | None = None, seed: int = 0) -> Feedback:
    """Check ``fn(probs, labels, n_bins=15)``: the expected calibration error of top-class confidences,
    with equal-width bins, each bin's |accuracy - confidence| weighted by its share of examples."""
    return EXPECTED_CALIBRATION_ERROR.check(fn, part, seed)


# ---------------------------------------------------------------- tuning α on the imbalance map (notebook 08)


def _map_row(level, gamma, alpha, seed, metric, value, iterations=120, optimizer="adam", method=None):
    return dict(task="detection", neg_per_pos=level / 5.0, method=method or ("CE" if gamma == 0 else "FL"), gamma=gamma,
                alpha=alpha, seed=seed, metric=metric, value=value, level=level, optimizer=optimizer,
                iterations=iterations, seed_neg_per_pos=level / 5.0)


def _map_rows(validation: dict, test: dict, level=1024, gamma=2.0) -> list[dict]:
    """Rows of one cell: {α: [value per seed]} for validation and test AP."""
    rows = []
    for metric, table in (("validation_ap", validation), ("test_ap", test)):
        for alpha, values in table.items():
            rows += [_map_row(level, gamma, alpha, s, metric, v) for s, v in enumerate(values)]
    return rows


def _alpha_answer(t: _Trial, rows: list[dict], level: int, gamma: float, where: str) -> float:
    out = t.call(rows, level, gamma, where=where)
    if out.numel() != 1 or not torch.isfinite(out.double()).all():
        t.fail(f"on {where} it returns {fmt(out)}, not one α.", "return the α (a number) whose validation AP is highest.")
    # the α of the map's grid it is closest to (a float32 tensor holds 0.1 as 0.10000000149)
    value = float(out)
    return min(_MAP_ALPHAS, key=lambda a: abs(a - value)) if min(abs(a - value) for a in _MAP_ALPHAS) < 1e-6 else value


_MAP_ALPHAS = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def _tuning_split(t: _Trial, gen: torch.Generator) -> None:
    # validation prefers α = 0.25, test prefers α = 0.5
    rows = _map_rows({0.1: [0.50, 0.52, 0.48], 0.25: [0.60, 0.62, 0.61], 0.5: [0.55, 0.56, 0.54]},
                     {0.1: [0.50, 0.51, 0.49], 0.25: [0.57, 0.58, 0.56], 0.5: [0.63, 0.64, 0.62]})
    got = _alpha_answer(t, rows, 1024, 2.0, "a cell whose validation and test splits disagree")
    if got == 0.5:
        t.fail("it picks α = 0.5, the best TEST AP: it tunes on the test split.",
               "tune on the validation split (metric == 'validation_ap'); the test AP of the chosen α is then a fair "
               "estimate, because the test split played no part in choosing it.")
    if got != 0.25:
        t.fail(f"on a cell whose best mean validation AP is at α = 0.25, it returns {got:g}.",
               "keep the rows with metric == 'validation_ap', average them per α over the seeds, take the α of the highest mean.")


def _tuning_mean(t: _Trial, gen: torch.Generator) -> None:
    # α = 0.1 has the single best seed, α = 0.5 the best mean
    validation = {0.1: [0.90, 0.30, 0.35, 0.32], 0.25: [0.55, 0.50, 0.52, 0.51], 0.5: [0.60, 0.58, 0.61, 0.59]}
    rows = _map_rows(validation, validation)  # the test split agrees: only the averaging is at stake
    got = _alpha_answer(t, rows, 1024, 2.0, "a cell where one lucky seed is not the best on average")
    if got == 0.1:
        t.fail("it picks α = 0.1, whose single best seed is highest: one lucky seed decides.",
               "average each α's validation AP over all the seeds (the same seeds for every α), then compare the means.")
    if got != 0.5:
        t.fail(f"on a cell whose best mean validation AP is at α = 0.5, it returns {got:g}.",
               "average each α's validation AP over the seeds, then take the α of the highest mean.")


def _tuning_cell(t: _Trial, gen: torch.Generator) -> None:
    rows = _map_rows({0.1: [0.40, 0.42], 0.25: [0.50, 0.52], 0.5: [0.45, 0.44]}, {0.25: [0.5, 0.5]})
    # the same α = 0.75 everywhere else, and better: another level, γ, budget, optimizer, and CE at this level
    rows += [_map_row(4096, 2.0, 0.75, s, "validation_ap", 0.9) for s in range(2)]
    rows += [_map_row(1024, 1.0, 0.75, s, "validation_ap", 0.9) for s in range(2)]
    rows += [_map_row(1024, 2.0, 0.75, s, "validation_ap", 0.9, iterations=360) for s in range(2)]
    rows += [_map_row(1024, 2.0, 0.75, s, "validation_ap", 0.9, optimizer="sgd", iterations=360) for s in range(2)]
    rows += [_map_row(1024, 0.0, 0.75, s, "validation_ap", 0.9) for s in range(2)]
    got = _alpha_answer(t, rows, 1024, 2.0, "a map with rows of other levels, γ, budgets and optimizers")
    if got == 0.75:
        t.fail("it picks α = 0.75, which exists only in rows of another level, γ, budget (360 iterations) or optimizer (SGD).",
               "keep only the rows of this cell: task 'detection', this level, this γ (method 'FL', or 'CE' when γ = 0), "
               "optimizer 'adam', 120 iterations.")
    if got != 0.25:
        t.fail(f"on the cell (1,024 positions, γ = 2) it returns {got:g}; its best mean validation AP is at α = 0.25.",
               "filter the rows of this cell first, then average per α over the seeds.")


def _tuning_map(t: _Trial, gen: torch.Generator) -> None:
    from focal_teach.experiments.imbalance_map import load_imbalance_map
    from focal_teach.experiments.map_reading import tuned_alpha

    rows = load_imbalance_map()
    cells = sorted({(r["level"], r["gamma"]) for r in rows if r["task"] == "detection" and r["method"] in ("CE", "FL")
                    and r["optimizer"] == "adam" and r["iterations"] == 120})
    for level, gamma in cells:
        expected = tuned_alpha(rows, level, "CE" if gamma == 0 else "FL", gamma)
        got = _alpha_answer(t, rows, level, gamma, f"the map's cell of {level:,} positions, γ = {gamma:g}")
        if got != expected:
            t.fail(f"on the map's cell of {level:,} positions, γ = {gamma:g}, it returns α = {got:g}; the best mean "
                   f"validation AP there is at α = {expected:g}.",
                   "for γ = 0 the rows are method 'CE' (α-balanced CE); else 'FL'. Compare the means over seeds exactly.")


TUNED_ALPHA = Exercise(
    "tuned_alpha", "the tuned α",
    (Part("validation", "α is chosen on the validation split, not the test split", _tuning_split),
     Part("mean", "each α's validation AP is averaged over the seeds", _tuning_mean),
     Part("cell", "only the rows of this level, γ, budget and optimizer count", _tuning_cell),
     Part("map", "the same α as the map's own reading, on every cell of the map", _tuning_map)),
    "on 3 hand-made cells and every (level, γ) cell of the imbalance map",
    (("empty sequence", "no row matched: for γ = 0 the rows are method 'CE' (α-balanced CE), for γ > 0 'FL'; "
                        "and level, γ, optimizer 'adam' and 120 iterations must all match."),),
    "filter the rows of the cell, keep metric == 'validation_ap', average per α, take the best.",
)


def check_tuned_alpha(fn: Callable[[list, int, float], float], part: str | None = None, seed: int = 0) -> Feedback:
    """Check ``fn(rows, level, gamma)``: the α of highest mean validation AP over the seeds, for FL at
    ``gamma`` (α-balanced CE for γ = 0), Adam, 120 iterations, on the imbalance map's rows."""
    return TUNED_ALPHA.check(fn, part, seed)


EXERCISES: dict[str, Exercise] = {
    e.name: e
    for e in (CROSS_ENTROPY_TERM, MODULATING_FACTOR, ALPHA_WEIGHT, FOCAL_LOSS, BINARY_FOCAL_LOSS, CLASS_WEIGHTS,
              SEQUENCE_FOCAL_LOSS, EXPECTED_CALIBRATION_ERROR, TUNED_ALPHA)
}
