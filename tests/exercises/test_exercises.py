"""Every checker accepts the right answer and rejects the typical wrong ones, naming the problem."""

import importlib.util
import math
from pathlib import Path

import pytest
import torch

import torch.nn.functional as F

from focal_teach import alpha_weight, binary_focal_loss, class_weights, cross_entropy_term, focal_loss, modulating_factor
from focal_teach.experiments import expected_calibration_error
from focal_teach.exercises import (
    QUESTIONS,
    check_alpha_weight,
    check_answer,
    check_binary_focal_loss,
    check_class_weights,
    check_cross_entropy_term,
    check_expected_calibration_error,
    check_focal_loss,
    check_modulating_factor,
    check_sequence_focal_loss,
)

spec = importlib.util.spec_from_file_location("solutions", Path(__file__).parents[2] / "solutions" / "exercises.py")
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
        (check_binary_focal_loss, binary_focal_loss),
        (check_binary_focal_loss, solutions.binary_focal_loss),
        (check_class_weights, lambda counts, beta: class_weights(counts=counts, method="effective", beta=beta)),
        (check_class_weights, solutions.class_weights),
        (check_sequence_focal_loss, solutions.sequence_focal_loss),
        (check_expected_calibration_error, expected_calibration_error),
        (check_expected_calibration_error, solutions.expected_calibration_error),
    ],
)
def test_accepts_correct_implementations(check, fn):
    feedback = check(fn)
    assert feedback and feedback.message.startswith("✅"), feedback.message


def test_alpha_weight_per_class():
    assert check_alpha_weight(alpha_weight, per_class=True)
    rejects(check_alpha_weight(solutions.alpha_weight, per_class=True), "per-class")


@pytest.mark.parametrize(
    "check",
    [
        check_cross_entropy_term,
        check_modulating_factor,
        check_alpha_weight,
        check_focal_loss,
        check_binary_focal_loss,
        check_class_weights,
        check_sequence_focal_loss,
        check_expected_calibration_error,
    ],
)
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


def test_binary_focal_loss_mistakes():
    rejects(check_binary_focal_loss(lambda x, y, g, a: binary_focal_loss(x, y, g, 1 - a)), "wrong class")
    rejects(check_binary_focal_loss(lambda x, y, g, a: binary_focal_loss(x, y, g)), "α has no effect")
    rejects(check_binary_focal_loss(lambda x, y, g, a: binary_focal_loss(x, y, g, a, reduction="sum")), "SUM")
    rejects(check_binary_focal_loss(lambda x, y, g, a: binary_focal_loss(x, y, 0.0, a)), "γ has no effect")

    def log_of_sigmoid(x, y, g, a):
        p_t = torch.where(y == 1, torch.sigmoid(x), 1 - torch.sigmoid(x))
        return (torch.where(y == 1, a, 1 - a) * (1 - p_t) ** g * -torch.log(p_t)).mean()

    rejects(check_binary_focal_loss(log_of_sigmoid), "logit -200", "F.logsigmoid")

    def naive_pow(x, y, g, a):
        bce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        return (torch.where(y == 1, a, 1 - a) * (1 - torch.exp(-bce)) ** g * bce).mean()

    rejects(check_binary_focal_loss(naive_pow), "gradient is NaN")


def test_class_weights_mistakes():
    rejects(check_class_weights(lambda n, b: (1 - b) / (1 - b ** n.double())), "sum to", "number of classes")
    rejects(check_class_weights(lambda n, b: (1 - b ** n.double()) / (1 - b)), "largest weight", "inverse")
    rejects(check_class_weights(lambda n, b: class_weights(counts=n)), "inverse frequency")


def test_sequence_focal_loss_mistakes():
    rejects(check_sequence_focal_loss(lambda x, t, g: focal_loss(x, t, g)), "raised ValueError", "movedim")
    b_t_c = lambda x: x.reshape(x.shape[0], x.shape[2], x.shape[1])  # noqa: E731
    rejects(check_sequence_focal_loss(lambda x, t, g: focal_loss(b_t_c(x), t, g)), "reshape", "movedim")
    rejects(check_sequence_focal_loss(lambda x, t, g: focal_loss(x.movedim(-1, 1), t.clamp_min(0), g)), "padded positions")
    rejects(
        check_sequence_focal_loss(lambda x, t, g: focal_loss(x.movedim(-1, 1), t, g, reduction="sum") / t.numel()),
        "every position",
    )


def test_expected_calibration_error_mistakes():
    def no_bins(probs, labels, n_bins=15):
        confidence, predicted = probs.max(1)
        return ((predicted == labels).float().mean() - confidence.mean()).abs().item()

    def unweighted(probs, labels, n_bins=15):
        confidence, predicted = probs.max(1)
        correct = (predicted == labels).float()
        gaps = []
        for low, high in zip(torch.linspace(0, 1, n_bins + 1)[:-1], torch.linspace(0, 1, n_bins + 1)[1:]):
            b = (confidence > low) & (confidence <= high)
            if b.any():
                gaps.append((correct[b].mean() - confidence[b].mean()).abs())
        return torch.stack(gaps).mean().item()

    rejects(check_expected_calibration_error(no_bins), "overall accuracy")
    rejects(check_expected_calibration_error(unweighted), "counts equally", "|B_b| / N")


# ------------------------------------------------------------ numeric questions


def test_answers_are_computed_and_checked_with_tolerance():
    assert check_answer("01-ratio-0.9", 100)
    assert check_answer("01-ratio-0.9", 100.4)
    assert check_answer("01-pt-for-1000x", 0.9684)
    assert check_answer("01-max-misclassified-scale", 4)
    assert check_answer("02-gradient-at-minus-3", -1.127)
    assert check_answer("02-sigmoid-rounds-to-one", 16.64)
    assert check_answer("06-prior-bias", -4.595)
    assert check_answer("03-equivalent-threshold", 0.25)
    assert check_answer("04-effective-number", 63.4)
    assert check_answer("05-padding-gradient", 0)
    rejects(check_answer("05-padding-gradient", 0.01), "too high")
    assert check_answer("06-first-iteration-loss", 709.8)
    assert check_answer("07-temperature", 0.576)
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
