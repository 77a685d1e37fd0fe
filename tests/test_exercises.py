"""Every checker accepts the right answer and rejects the typical wrong ones, naming the problem."""

import importlib.util
import math
from pathlib import Path

import pytest
import torch

from focal_teach import alpha_weight, cross_entropy_term, focal_loss, modulating_factor
from focal_teach.exercises import (
    QUESTIONS,
    check_alpha_weight,
    check_answer,
    check_cross_entropy_term,
    check_focal_loss,
    check_modulating_factor,
)

spec = importlib.util.spec_from_file_location("solutions", Path(__file__).parents[1] / "solutions" / "exercises.py")
solutions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(solutions)


def stub(*args):
    raise NotImplementedError


def rejects(feedback, *phrases):
    assert not feedback and feedback.message.startswith("❌"), feedback.message
    for phrase in phrases:
        assert phrase in feedback.message, f"{phrase!r} not in: {feedback.message}"


# ------------------------------------------------------------ accepted


@pytest.mark.parametrize(
    "check, fn",
    [
        (check_cross_entropy_term, cross_entropy_term),
        (check_cross_entropy_term, solutions.cross_entropy_term),
        (check_modulating_factor, modulating_factor),
        (check_modulating_factor, solutions.modulating_factor),
        (check_alpha_weight, alpha_weight),
        (check_alpha_weight, solutions.alpha_weight),
        (check_focal_loss, focal_loss),
        (check_focal_loss, solutions.focal_loss),
    ],
)
def test_accepts_correct_implementations(check, fn):
    feedback = check(fn)
    assert feedback and feedback.message.startswith("✅"), feedback.message


def test_alpha_weight_per_class():
    assert check_alpha_weight(alpha_weight, per_class=True)
    rejects(check_alpha_weight(solutions.alpha_weight, per_class=True), "per-class")


@pytest.mark.parametrize("check", [check_cross_entropy_term, check_modulating_factor, check_alpha_weight, check_focal_loss])
def test_stub_gets_a_reminder_not_an_error(check):
    feedback = check(stub)
    assert not feedback and "not implemented yet" in feedback.message


# ------------------------------------------------------------ rejected, with the reason


def test_cross_entropy_mistakes():
    rejects(check_cross_entropy_term(lambda p: torch.log(p)), "negative values", "MINUS the log")
    rejects(check_cross_entropy_term(lambda p: -torch.log(1 - p)), "-log(1 - p_t)")
    rejects(check_cross_entropy_term(lambda p: -torch.log(p).mean()), "shape")


def test_modulating_factor_mistakes():
    rejects(check_modulating_factor(lambda p, g: p**g), "p_t^γ", "shrink as p_t → 1")
    rejects(check_modulating_factor(lambda p, g: (1 - p) * g), "(1 - p_t)·γ", "exponent")
    rejects(check_modulating_factor(lambda p, g: torch.exp(g * torch.log(1 - p))), "γ = 0", "0^0")
    rejects(check_modulating_factor(lambda p, g: (p - 1) ** g), "NaN", "negative base")
    rejects(check_modulating_factor(lambda p, g: ((1 - p) ** g).mean()), "shape")
    rejects(check_modulating_factor(lambda p, g: None), "forget `return`")
    rejects(check_modulating_factor(lambda p, g: 1 / 0), "ZeroDivisionError")


def test_alpha_weight_mistakes():
    rejects(check_alpha_weight(lambda y, a: torch.where(y == 1, 1 - a, a)), "wrong class")
    rejects(check_alpha_weight(lambda y, a: a * y.float()), "negatives get weight 0")
    rejects(check_alpha_weight(lambda y, a: torch.full((len(y),), a)), "expected")


def naive(logits, target, gamma):
    log_p_t = torch.log_softmax(logits, 1).gather(1, target[:, None]).squeeze(1)
    return (-((1 - log_p_t.exp()) ** gamma) * log_p_t).mean()


def test_focal_loss_mistakes():
    rejects(check_focal_loss(lambda x, t, g: -naive(x, t, g)), "minus sign")
    rejects(check_focal_loss(lambda x, t, g: naive(x, t, g) * len(t)), "SUM")
    rejects(
        check_focal_loss(lambda x, t, g: (-(1 - torch.softmax(x, 1)) ** g * torch.log_softmax(x, 1)).sum(1).mean()),
        "EVERY class",
        "p_t",
    )
    p_of_logits = lambda x, t, g: (-((1 - torch.softmax(x, 1).gather(1, t[:, None])) ** g) * torch.log(torch.softmax(x, 1).gather(1, t[:, None]))).mean()  # noqa: E731
    rejects(check_focal_loss(p_of_logits), "margin 200", "log_softmax")
    rejects(check_focal_loss(naive), "gradient is NaN", "γ < 1")
    rejects(check_focal_loss(lambda x, t, g: naive(x, t, g).expand(3)), "not a scalar")
    rejects(check_focal_loss(lambda x, t, g: naive(x, t, g) + 0.1), "γ = 0", "cross-entropy")


def test_the_naive_version_really_is_right_away_from_saturation():
    """So the NaN rejection above is about saturation, not about a wrong formula."""
    x, t = torch.randn(8, 5), torch.randint(5, (8,))
    torch.testing.assert_close(naive(x, t, 0.5), focal_loss(x, t, 0.5))


# ------------------------------------------------------------ numeric questions


def test_answers_are_computed_and_checked_with_tolerance():
    assert check_answer("01-ratio-0.9", 100)
    assert check_answer("01-ratio-0.9", 100.4)
    assert check_answer("01-pt-for-1000x", 0.9684)
    assert check_answer("01-max-misclassified-scale", 4)
    assert check_answer("02-gradient-at-minus-3", -1.127)
    assert check_answer("02-sigmoid-rounds-to-one", 16.64)
    assert check_answer("06-prior-bias", -4.595)
    rejects(check_answer("01-ratio-0.9", 10), "too low", "1 / (1 - p_t)^γ")
    rejects(check_answer("01-ratio-0.9", 1000), "too high")
    rejects(check_answer("01-ratio-0.9", "a lot"), "must be a number")
    rejects(check_answer("01-ratio-0.9", math.inf), "not a finite number")
    pending = check_answer("01-ratio-0.9", None)
    assert not pending and "no answer yet" in pending.message
    with pytest.raises(KeyError, match="unknown question"):
        check_answer("nope", 1)


def test_every_question_has_a_finite_answer_and_a_hint():
    for key, q in QUESTIONS.items():
        assert math.isfinite(q.answer()) and q.hint and q.text.endswith("?"), key
