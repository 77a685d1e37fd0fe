"""Every checker accepts the right answer and rejects the typical wrong ones, naming the problem."""

import functools
import importlib.util
import math
import sys
import types
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
        (check_cross_entropy_term, solutions.cross_entropy_term),
        (check_modulating_factor, solutions.modulating_factor),
        (check_alpha_weight, solutions.alpha_weight),
        (check_focal_loss, solutions.focal_loss),
        (check_binary_focal_loss, solutions.binary_focal_loss),
        (check_class_weights, solutions.class_weights),
        (check_sequence_focal_loss, solutions.sequence_focal_loss),
        (check_expected_calibration_error, solutions.expected_calibration_error),
    ],
)
def test_accepts_correct_implementations(check, fn):
    feedback = check(fn)
    assert feedback and feedback.message.startswith("✅"), feedback.message


def per_class_alpha_weight(target, alpha):
    if isinstance(alpha, (list, tuple)):
        return torch.as_tensor(alpha)[target]
    return torch.where(target == 1, alpha, 1 - alpha)


def test_alpha_weight_per_class():
    assert check_alpha_weight(per_class_alpha_weight, per_class=True)
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


def by_hand_binary(x, y, g, a=None, reduction="mean"):
    """A correct binary focal loss written from the equation, to build the typical mistakes from."""
    minus_log_p_t = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    factor = torch.where(y == 1, torch.sigmoid(-x), torch.sigmoid(x)).clamp_min(1e-12) ** g
    alpha_t = 1.0 if a is None else torch.where(y == 1, a, 1 - a)
    terms = alpha_t * factor * minus_log_p_t
    return terms.sum() if reduction == "sum" else terms.mean()


def test_binary_focal_loss_mistakes():
    assert check_binary_focal_loss(by_hand_binary)
    rejects(check_binary_focal_loss(lambda x, y, g, a: by_hand_binary(x, y, g, 1 - a)), "wrong class")
    rejects(check_binary_focal_loss(lambda x, y, g, a: by_hand_binary(x, y, g)), "α has no effect")
    rejects(check_binary_focal_loss(lambda x, y, g, a: by_hand_binary(x, y, g, a, reduction="sum")), "SUM")
    rejects(check_binary_focal_loss(lambda x, y, g, a: by_hand_binary(x, y, 0.0, a)), "γ has no effect")

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
    rejects(check_class_weights(lambda n, b: len(n) * (1 / n.double()) / (1 / n.double()).sum()), "inverse frequency")


def by_hand_sequence(x, t, g, class_dim=-1, keep=None, divide=None):
    """The tagger's loss written by hand ([B, T, C] logits), to build the typical mistakes from."""
    log_p = torch.log_softmax(x, dim=class_dim)
    keep = t != -100 if keep is None else keep
    log_p_t = log_p[keep].gather(1, t.clamp_min(0)[keep].unsqueeze(1)).squeeze(1)
    terms = -((-torch.expm1(log_p_t)).clamp_min(1e-12) ** g) * log_p_t
    return terms.sum() / (len(terms) if divide is None else divide)


def test_sequence_focal_loss_mistakes():
    assert check_sequence_focal_loss(by_hand_sequence)
    rejects(check_sequence_focal_loss(lambda x, t, g: by_hand_sequence(x, t, g, class_dim=1)), "over dim 1", "dim=-1")
    b_c_t = lambda x: x.reshape(x.shape[0], x.shape[2], x.shape[1]).movedim(1, -1)  # noqa: E731  (reshape, then class-last)
    rejects(check_sequence_focal_loss(lambda x, t, g: by_hand_sequence(b_c_t(x), t, g)), "reshape", "movedim")
    rejects(check_sequence_focal_loss(lambda x, t, g: by_hand_sequence(x, t, g, keep=torch.ones_like(t, dtype=torch.bool))), "padded positions")
    rejects(check_sequence_focal_loss(lambda x, t, g: by_hand_sequence(x, t, g, divide=t.numel())), "every position")
    rejects(check_sequence_focal_loss(lambda x, t, g: -by_hand_sequence(x, t, g)), "minus sign")


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
    assert check_answer("07-temperature", 0.58)  # read to two decimals
    rejects(check_answer("07-temperature", 0.57), "too low")
    assert check_answer("02-gradient-at-minus-3", -1.1)  # read off the figure
    rejects(check_answer("02-gradient-at-minus-3", -0.28), "too high", "α = 1")  # the default α = 0.25 curve
    assert check_answer("02-sigmoid-rounds-to-one", 24 * math.log(2))  # what the hint leads to
    rejects(check_answer("02-sigmoid-rounds-to-one", 25 * math.log(2)), "too high", "2^-24")
    assert check_answer("01-pt-for-1000x", 0.968)
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
        assert math.isfinite(q.answer()) and q.hint and "?" in q.text, key  # a question, maybe followed by its tolerance


@pytest.mark.parametrize("key", [k for k in QUESTIONS if not k.startswith("06-")])
def test_every_question_states_its_tolerance(key):
    q = QUESTIONS[key]
    assert ("accepted within" in q.text) or ("exactly" in q.text and q.rtol == q.atol == 0), q.text
    if "%" in q.text.split("accepted within")[-1][:8]:
        stated = float(q.text.split("accepted within ")[1].split(" %")[0])
        assert math.isclose(stated / 100, q.rtol), (key, stated, q.rtol)
    elif "±" in q.text:
        stated = float(q.text.split("±")[1].split(",")[0].split(")")[0].split(";")[0])
        assert math.isclose(stated, q.atol), (key, stated, q.atol)


# ------------------------------------------------------------ "implement it" refuses the library's own version


LIBRARY_VERSIONS = [
    (check_cross_entropy_term, cross_entropy_term, "cross_entropy_term"),
    (check_modulating_factor, modulating_factor, "modulating_factor"),
    (check_alpha_weight, alpha_weight, "alpha_weight"),
    (check_focal_loss, focal_loss, "focal_loss"),
    (check_binary_focal_loss, binary_focal_loss, "binary_focal_loss"),
    (check_class_weights, lambda counts, beta: class_weights(counts=counts, method="effective", beta=beta), "class_weights"),
    (check_sequence_focal_loss, lambda x, t, g: focal_loss(x.movedim(-1, 1), t, g), "focal_loss"),
    (check_expected_calibration_error, expected_calibration_error, "expected_calibration_error"),
]


@pytest.mark.parametrize("check, fn, culprit", LIBRARY_VERSIONS)
def test_the_library_itself_is_refused(check, fn, culprit):
    rejects(check(fn), f"calls focal_teach's {culprit}", "instead of computing")


def test_delegation_is_caught_however_it_is_spelled():
    import focal_teach
    import focal_teach.losses

    def imports_inside(x, t, g):
        from focal_teach.losses import focal_loss as fl

        return fl(x, t, g)

    def through_a_helper(x, t, g):
        return helper(x, t, g)  # a global defined below, in this module: calls the library

    def swallows_errors(x, t, g):
        try:
            return focal_teach.focal_loss(x, t, g)
        except Exception:  # noqa: BLE001  (a student's catch-all must not hide the call)
            return naive(x, t, g)

    for fn in (
        lambda x, t, g: focal_teach.focal_loss(x, t, g),
        lambda x, t, g: focal_teach.losses.functional.focal_loss(x, t, g),
        lambda x, t, g: focal_teach.FocalLoss(gamma=g)(x, t),
        functools.partial(focal_loss),
        imports_inside,
        through_a_helper,
        swallows_errors,
    ):
        rejects(check_focal_loss(fn), "calls focal_teach's", "build it from torch operations")
    # and everything is restored afterwards
    assert focal_teach.focal_loss is focal_loss and focal_teach.losses.focal_loss is focal_loss
    assert check_focal_loss(solutions.focal_loss)


def helper(x, t, g):
    return focal_loss(x, t, g)


def test_a_closure_over_the_library_is_refused():
    def make(loss):
        return lambda x, y, g, a: loss(x, y, g, a)

    rejects(check_binary_focal_loss(make(binary_focal_loss)), "calls focal_teach's binary_focal_loss")


def test_torchvisions_focal_loss_is_refused_installed_or_not(monkeypatch):
    # torchvision may not be installed: stand in a module with its function's name and behaviour.
    ops = types.ModuleType("torchvision.ops")

    def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
        return by_hand_binary(inputs, targets, gamma, alpha, reduction="sum" if reduction == "sum" else "mean")

    ops.sigmoid_focal_loss = sigmoid_focal_loss
    torchvision = types.ModuleType("torchvision")
    torchvision.ops = ops
    monkeypatch.setitem(sys.modules, "torchvision", torchvision)
    monkeypatch.setitem(sys.modules, "torchvision.ops", ops)
    by_name = lambda x, y, g, a: torchvision.ops.sigmoid_focal_loss(x, y, a, g, reduction="mean")  # noqa: E731
    by_alias = lambda x, y, g, a: sigmoid_focal_loss(x, y, a, g, reduction="mean")  # noqa: E731
    rejects(check_binary_focal_loss(by_name), "torchvision's")
    rejects(check_binary_focal_loss(by_alias), "torchvision's sigmoid_focal_loss")


def test_kornias_focal_loss_is_refused():
    kornia_losses = pytest.importorskip("kornia.losses")
    rejects(check_focal_loss(lambda x, t, g: kornia_losses.focal_loss(x, t, alpha=1.0, gamma=g, reduction="mean")), "kornia's")


def test_an_unloaded_foreign_library_is_refused_by_name():
    def uses_kornia(x, t, g):
        import kornia  # noqa: F401  (never reached: the name alone is refused)

        return naive(x, t, g)

    rejects(check_focal_loss(uses_kornia), "kornia's focal loss")


def test_torch_building_blocks_are_allowed():
    """F.cross_entropy or F.binary_cross_entropy_with_logits for -log p_t is building, not delegating."""

    def with_cross_entropy(x, t, g):
        ce = F.cross_entropy(x, t, reduction="none")
        return ((-torch.expm1(-ce)).clamp_min(1e-12) ** g * ce).mean()

    assert check_focal_loss(with_cross_entropy)
    assert check_binary_focal_loss(by_hand_binary)


def test_the_exercise_solutions_do_not_delegate():
    """05's reference solution is built by hand, not the one-liner the notebook shows above it."""
    assert "focal_teach" not in Path(solutions.__file__).read_text()
