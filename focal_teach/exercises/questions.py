"""Numeric questions: predict a number, then check it; every answer is computed from the package."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

import torch

from focal_teach.exercises.feedback import Feedback, failed, passed
from focal_teach.losses import class_weights, focal_loss_grad, modulating_factor

__all__ = ["Question", "QUESTIONS", "check_answer", "accepted_interval"]


def _equivalent_threshold(alpha: float) -> float:
    # α p / (α p + (1 - α)(1 - p)) = 1/2  <=>  α p = (1 - α)(1 - p)  <=>  p = 1 - α
    return (1 - alpha) / ((1 - alpha) + alpha)


def _float32_sigmoid_saturation() -> float:
    logits = torch.arange(10.0, 20.0, 0.001, dtype=torch.float32)
    return logits[torch.sigmoid(logits) == 1.0][0].item()


def _imbalance_map_crossover() -> float:
    # the map's experiments bring scikit-learn: imported only when this question is checked
    from focal_teach.experiments.imbalance_map import load_imbalance_map
    from focal_teach.experiments.map_reading import crossover

    return crossover(load_imbalance_map())


def _float16_sigmoid_saturation() -> float:
    logits = torch.arange(4.0, 12.0, 0.001, dtype=torch.float32).to(torch.float16).unique()
    return logits[torch.sigmoid(logits) == 1.0][0].item()


@dataclass(frozen=True)
class Question:
    text: str
    answer: Callable[[], float]  # computed from the package, never typed in
    rtol: float  # relative tolerance; the text states it, so a student knows how precise to be
    hint: str
    atol: float = 0.0  # absolute tolerance, for values read off a figure (either tolerance suffices)


QUESTIONS: dict[str, Question] = {
    "01-ratio-0.9": Question(
        "With γ = 2, how many times less loss does an example with p_t = 0.9 get than with cross-entropy (accepted within 1 %)?",
        lambda: 1.0 / modulating_factor(0.9, 2.0).item(),
        0.01,
        "the ratio CE / FL is 1 / (1 - p_t)^γ.",
    ),
    "01-pt-for-1000x": Question(
        "With γ = 2, at which p_t is the focal loss 1000 times smaller than cross-entropy (accepted within 0.05 %: give at least three decimals)?",
        lambda: 1.0 - 1000.0 ** -0.5,
        0.0005,
        "solve (1 - p_t)^2 = 1/1000 for p_t.",
    ),
    "01-max-misclassified-scale": Question(
        "With γ = 2, by at most how many times is the loss of a misclassified example (p_t ≤ 0.5) scaled down (accepted within 1 %)?",
        lambda: 1.0 / modulating_factor(0.5, 2.0).item(),
        0.01,
        "the factor (1 - p_t)^γ is smallest, for p_t ≤ 0.5, at p_t = 0.5.",
    ),
    "02-gradient-at-minus-3": Question(
        "With γ = 2 and no α (α_t = 1), what is dFL/dx_t at x_t = -3, a confidently wrong example "
        "(compare cross-entropy's σ(x_t) - 1 ≈ -0.95; compute it from appendix B's formula, accepted within ±0.05)?",
        lambda: focal_loss_grad(-3.0, gamma=2.0).item(),
        0.01,
        "no α means α_t = 1 (as α = 1 gives a positive; with α = 0.25 it would be 0.25 times as steep): compute "
        "(1 - p_t)^γ (γ p_t log p_t + p_t - 1) with p_t = σ(-3) ≈ 0.047 and the natural log, or read the "
        "γ = 2 curve in the figure just below this exercise.",
        atol=0.05,
    ),
    "02-sigmoid-rounds-to-one": Question(
        "From which logit x on does σ(x) round to exactly 1 in float32 (accepted within 1 %)?",
        _float32_sigmoid_saturation,
        0.01,
        "σ(x) = 1 / (1 + e^(-x)): the float32 sum 1 + e^(-x) rounds to 1 once e^(-x) is below half the spacing "
        "of float32 numbers just above 1, 2^-23 / 2 = 2^-24; then the division gives exactly 1. Solve e^(-x) = 2^-24.",
    ),
    "03-equivalent-threshold": Question(
        "A model trained with α-balanced cross-entropy, α = 0.75, and thresholded at 0.5 decides like a plain-CE model thresholded at which probability (accepted within 1 %)?",
        lambda: _equivalent_threshold(0.75),
        0.01,
        "α-weighting scales the odds: σ_α = α p / (α p + (1 - α)(1 - p)); solve σ_α = 0.5 for p.",
    ),
    "04-effective-number": Question(
        "What is the effective number of samples of a class with n = 100 examples, for β = 0.99 (accepted within 1 %)?",
        lambda: (1 - 0.99**100) / (1 - 0.99),
        0.01,
        "E_n = (1 - β^n) / (1 - β): between 1 (for n = 1) and 1 / (1 - β) (for n → ∞).",
    ),
    "05-padding-gradient": Question(
        "With focal_loss and ignore_index, what is the gradient of the loss with respect to any logit of a padded position, even a NaN one (exactly)?",
        lambda: 0.0,
        0.0,
        "an ignored position contributes nothing to the loss, and focal_loss keeps its logits out of the arithmetic, NaN or not.",
    ),
    "06-first-iteration-loss": Question(
        "An untrained detector predicts p = 0.5 for each of 4,096 anchors, 4 of them positive: what is its cross-entropy, summed and divided by the number of positives?",
        lambda: 4096 * math.log(2) / 4,
        0.01,
        "every anchor, positive or negative, costs -log 0.5 = log 2.",
    ),
    "06-prior-bias": Question(
        "Which bias b makes σ(b) = π = 0.01 (the paper's prior initialisation)? Two decimals are enough (±0.5 %).",
        lambda: -math.log((1 - 0.01) / 0.01),
        0.005,
        "solve 1 / (1 + e^(-b)) = π for b.",
    ),
    "07-temperature": Question(
        "With temperature T = 2, what top-class confidence does softmax give the logits (2, 0, 0) (accepted within ±0.005, e.g. two decimals)?",
        lambda: torch.softmax(torch.tensor([2.0, 0.0, 0.0], dtype=torch.float64) / 2.0, 0)[0].item(),
        0.0,
        "temperature scaling divides the logits by T before the softmax: e^1 / (e^1 + 2).",
        atol=0.005,
    ),
    "08-crossover": Question(
        "From how many negative outputs per positive on does focal loss (its best γ, α tuned) beat tuned α-balanced CE "
        "at every level of the imbalance map, at notebook 06's budget of 120 iterations (accepted within a factor of 2)?",
        lambda: _imbalance_map_crossover(),
        0.5,
        "notebook 06 sits at about 200 negatives per positive and sees no gain; the paper's regime is about 80,000. "
        "The answer lies in between: read it off the first figure below.",
    ),
    "09-float16-sigmoid-one": Question(
        "From which logit x on does σ(x) round to exactly 1 in float16 (accepted within 1 %)?",
        _float16_sigmoid_saturation,
        0.01,
        "σ(x) = 1 / (1 + e^(-x)) rounds to 1 once 1 - σ(x) ≈ e^(-x) is below half the gap between 1 and the float16 "
        "number just below it, 2^-11 / 2 = 2^-12 (float16 keeps 10 bits after the binary point). Solve e^(-x) = 2^-12.",
    ),
    "09-alpha-twice": Question(
        "Class weights make the tail class 50 times heavier than the head class. Applied twice (as α, and again on "
        "each example's loss), how many times heavier than the head class is the tail class (accepted within 1 %)?",
        lambda: (lambda w: (w[1] / w[0]).item() ** 2)(class_weights(counts=[100, 2], method="inverse")),
        0.01,
        "each example's loss is multiplied by its class's weight twice, so the ratio is (w_tail / w_head)^2.",
    ),
    "09-softmax-two-labels": Question(
        "An example carries 2 of 10 labels. With a softmax over the 10 labels, what is the largest probability the "
        "model can give both of them at once (exactly)?",
        lambda: torch.softmax(torch.tensor([0.0, 0.0] + [-math.inf] * 8, dtype=torch.float64), 0)[0].item(),
        0.0,
        "a softmax's probabilities sum to 1, and the smaller of two probabilities is largest when they are equal.",
    ),
}


def check_answer(question: str, value: float) -> Feedback:
    """Check a numeric answer to one of ``QUESTIONS`` within its tolerance (relative ``rtol`` or absolute ``atol``, as its text states)."""
    if question not in QUESTIONS:
        raise KeyError(f"unknown question {question!r}; known: {', '.join(QUESTIONS)}")
    q = QUESTIONS[question]
    if value is None or value is ...:
        return Feedback(False, f"✏️ {question}: no answer yet. {q.text}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return failed(question, f"the answer must be a number; got {value!r}.", q.hint)
    if not math.isfinite(value):
        return failed(question, f"{value} is not a finite number.", q.hint)
    expected = q.answer()
    if _accepts(q, expected, value):
        return passed(question, f"({value:.4g})")
    direction = "too high" if value > expected else "too low"
    return failed(question, f"{value:.4g} is {direction}.", q.hint)


def _accepts(q: Question, expected: float, value: float) -> bool:
    return math.isclose(value, expected, rel_tol=q.rtol, abs_tol=max(q.atol, 1e-12))


def _order(x: float) -> int:
    """An integer that orders floats as they compare (adjacent floats: adjacent integers)."""
    bits = struct.unpack("<q", struct.pack("<d", x))[0]
    return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)


def _unorder(k: int) -> float:
    bits = k if k >= 0 else (-k) | -0x8000000000000000
    return struct.unpack("<d", struct.pack("<q", bits))[0]


def accepted_interval(question: str) -> tuple[float, float]:
    """The smallest and the largest float that :func:`check_answer` accepts for ``question``.

    Found by bisection on check_answer's own test, float by float, so that a page that accepts
    exactly ``lo <= value <= hi`` agrees with it on every number (the course website's quizzes).
    A value above ``hi`` is "too high", below ``lo`` "too low".
    """
    if question not in QUESTIONS:
        raise KeyError(f"unknown question {question!r}; known: {', '.join(QUESTIONS)}")
    q = QUESTIONS[question]
    expected = float(q.answer())
    inside = _order(expected)
    if not _accepts(q, expected, expected):
        raise ValueError(f"{question}: its own answer {expected!r} is not accepted")

    def edge(direction: int) -> float:
        step = 1
        while _accepts(q, expected, _unorder(inside + direction * step)):  # a rejected float beyond
            step *= 2
        good, bad = inside, inside + direction * step
        while abs(bad - good) > 1:
            middle = (good + bad) // 2
            good, bad = (middle, bad) if _accepts(q, expected, _unorder(middle)) else (good, middle)
        return _unorder(good)

    return edge(-1), edge(+1)
