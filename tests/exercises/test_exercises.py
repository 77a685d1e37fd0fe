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
    EXERCISES,
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
    check_tuned_alpha,
    grade,
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
        (check_tuned_alpha, solutions.tuned_alpha),
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


# ------------------------------------------------------------ rejected, with the reason, in the right part


mistakes_spec = importlib.util.spec_from_file_location("exercise_mistakes", Path(__file__).with_name("mistakes.py"))
mistakes = sys.modules["exercise_mistakes"] = importlib.util.module_from_spec(mistakes_spec)  # dataclasses look it up
mistakes_spec.loader.exec_module(mistakes)


@pytest.mark.parametrize("seed", [0, 2026])
@pytest.mark.parametrize("mistake", mistakes.MISTAKES, ids=lambda m: m.id)
def test_each_typical_mistake_is_named_and_costs_its_own_parts_only(mistake, seed):
    """The notebook's checker names the mistake. An autograder grades the parts one by one: the
    mistake fails its parts, each with the notebook checker's message, and passes the others."""
    exercise = EXERCISES[mistake.exercise]
    whole = exercise.check(mistake.fn, seed=seed)
    rejects(whole, *mistake.phrases)
    verdicts = {part.key: exercise.check(mistake.fn, part=part.key, seed=seed) for part in exercise.parts}
    assert {key for key, feedback in verdicts.items() if not feedback} == mistake.fails
    first = next(key for key in verdicts if key in mistake.fails)
    assert verdicts[first].message == whole.message
    for key in mistake.fails:
        with pytest.raises(AssertionError) as raised:
            grade(mistake.exercise, key, mistake.fn, seed=seed)
        assert str(raised.value) == verdicts[key].message


def test_every_part_has_a_mistake_that_fails_it():
    """No part is dead weight: some typical mistake is caught by each."""
    for name, exercise in EXERCISES.items():
        caught = set().union(*(m.fails for m in mistakes.MISTAKES if m.exercise == name))
        assert caught == {part.key for part in exercise.parts}, name


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_reference_solution_passes_every_part_on_other_seeds(name):
    for seed in (0, 1, 2026):
        for part in EXERCISES[name].parts:
            grade(name, part.key, getattr(solutions, name), seed=seed)


def test_grade_says_when_the_function_is_missing():
    with pytest.raises(AssertionError, match="not defined"):
        grade("focal_loss", "gradient", None)


def test_cross_entropy_shape_mistake():
    rejects(check_cross_entropy_term(lambda p: -torch.log(p).mean()), "shape")


def test_modulating_factor_odd_answers():
    rejects(check_modulating_factor(lambda p, g: ((1 - p) ** g).mean()), "shape")
    rejects(check_modulating_factor(lambda p, g: None), "forget `return`")
    rejects(check_modulating_factor(lambda p, g: 1 / 0), "ZeroDivisionError")
    rejects(check_modulating_factor(lambda p, g: "0.5"), "not a tensor or number")
    rejects(check_modulating_factor(lambda p, g: torch.zeros_like(p) if g == 0 else (1 - p) ** g), "with γ = 0 it returns 0")
    rejects(check_modulating_factor(1.0), "not a function")


def test_alpha_weight_odd_answers():
    rejects(check_alpha_weight(lambda y, a: torch.full((len(y),), a)), "gives every example α")


def naive(logits, target, gamma):
    log_p_t = torch.log_softmax(logits, 1).gather(1, target[:, None]).squeeze(1)
    return (-((1 - log_p_t.exp()) ** gamma) * log_p_t).mean()


def test_focal_loss_odd_answers():
    rejects(check_focal_loss(lambda x, t, g: (-(1 - torch.softmax(x, 1)) ** g * torch.log_softmax(x, 1)).sum(1).mean()), "EVERY class", "p_t")
    rejects(check_focal_loss(lambda x, t, g: naive(x, t, g).expand(3)), "not a single number")
    rejects(check_focal_loss(lambda x, t, g: naive(x, t, g) + 0.1), "γ = 0", "cross-entropy")
    rejects(check_focal_loss(lambda x, t, g: (-torch.log(x.gather(1, t[:, None]))).mean()), "NaN", "logits")
    rejects(check_focal_loss(lambda x, t, g: F.cross_entropy(torch.softmax(x, 1), t)), "softmax twice")
    rejects(check_focal_loss(lambda x, t, g: naive(x, t, g).item()), "no gradient")


def test_the_naive_version_really_is_right_away_from_saturation():
    """So the NaN rejection is about saturation, not about a wrong formula."""
    x, t = torch.randn(8, 5), torch.randint(5, (8,))
    torch.testing.assert_close(naive(x, t, 0.5), focal_loss(x, t, 0.5))


def test_binary_focal_loss_odd_answers():
    def zero_negatives(x, y, g, a):
        bce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        return (a * y * torch.where(y == 1, torch.sigmoid(-x), torch.sigmoid(x)).clamp_min(1e-12) ** g * bce).mean()

    rejects(check_binary_focal_loss(zero_negatives), "negative gets no gradient")
    rejects(check_binary_focal_loss(lambda x, y, g, a: mistakes.bf_alpha_wrong_side(x, y, g, a) * 0 + mistakes.bf_alpha_wrong_side(x, y, 0.0, a)),
            "wrong class")


def test_class_weights_inverse_frequency():
    rejects(check_class_weights(lambda n, b: len(n) * (1 / n.double()) / (1 / n.double()).sum()), "inverse frequency")


def test_sequence_focal_loss_odd_answers():
    def reshaped(x, t, g):
        b, tt, c = x.shape
        return mistakes.sq_mean_over_all_positions(x.reshape(b, c, tt).movedim(1, -1), t, g) * t.numel() / (t != -100).sum()

    rejects(check_sequence_focal_loss(reshaped), "reshape", "movedim")
    rejects(check_sequence_focal_loss(lambda x, t, g: -solutions.sequence_focal_loss(x, t, g)), "minus sign")

    def gathers_padding(x, t, g):
        log_p_t = torch.log_softmax(x, -1).gather(-1, t.unsqueeze(-1)).squeeze(-1)
        return (-((-torch.expm1(log_p_t)).clamp_min(1e-12) ** g) * log_p_t).mean()

    rejects(check_sequence_focal_loss(gathers_padding), "index -100 is out of bounds", "tags != -100")


def test_ece_odd_answers():
    rejects(check_expected_calibration_error(lambda p, l, n_bins=15: 100 * solutions.expected_calibration_error(p, l, n_bins)), "percentage")


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
        return solutions.binary_focal_loss(inputs, targets, gamma, alpha)

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

    def with_weight(x, y, g, a):  # α_t through BCE's weight argument
        ce = F.binary_cross_entropy_with_logits(x, y, weight=torch.where(y == 1, a, 1 - a), reduction="none")
        return (torch.where(y == 1, torch.sigmoid(-x), torch.sigmoid(x)).clamp_min(1e-12) ** g * ce).mean()

    def with_nll(x, t, g):  # the real tokens first, then log_softmax and nll_loss
        real = t != -100
        log_p_t = -F.nll_loss(torch.log_softmax(x[real], -1), t[real], reduction="none")
        return (-((-torch.expm1(log_p_t)).clamp_min(1e-12) ** g) * log_p_t).mean()

    assert check_focal_loss(with_cross_entropy)
    assert check_binary_focal_loss(with_weight)
    assert check_sequence_focal_loss(with_nll)


def test_the_exercise_solutions_do_not_delegate():
    """05's reference solution is built by hand, not the one-liner the notebook shows above it."""
    assert "focal_teach" not in Path(solutions.__file__).read_text()


PRIVATE_ROUTES = [  # (exercise, a thin call into focal_teach's internals, the culprit named)
    ("focal_loss", lambda x, t, g: focal_teach_kernels().SoftmaxFocalLoss.apply(x, t, g, None, None)[0].mean(), "SoftmaxFocalLoss"),
    ("focal_loss", lambda x, t, g: (lambda l: -(1 - l.exp()).clamp_min(1e-12) ** g * l)(focal_teach_kernels().log_target_probability(x, t, None)).mean(),
     "log_target_probability"),
    ("focal_loss", lambda x, t, g: torch.stack([focal_teach_terms().focal_term(p, g) for p in torch.softmax(x, 1).gather(1, t[:, None])]).mean(),
     "focal_term"),
    ("binary_focal_loss", lambda x, y, g, a: focal_teach_kernels().SigmoidFocalLoss.apply(x, y, g, torch.where(y == 1, a, 1 - a))[0].mean(),
     "SigmoidFocalLoss"),
    ("binary_focal_loss", lambda x, y, g, a: binary_focal_loss(x, y, g, a, reduction="none").mean(), "binary_focal_loss"),
    ("binary_focal_loss", lambda x, y, g, a: private_binary_focal(x, y, g, a), "binary_arguments"),
    ("sequence_focal_loss", lambda x, t, g: focal_teach.FocalLoss(gamma=g)(x.movedim(-1, 1), t), "FocalLoss"),
    ("expected_calibration_error", lambda p, l, n_bins=15: float(calibration_bins_ece(p, l, n_bins)), "calibration_bins"),
    ("class_weights", lambda n, b: torch.as_tensor(importlib.import_module("focal_teach.losses.class_weights").class_weights(counts=n, method="effective", beta=b)),
     "class_weights"),
    ("alpha_weight", lambda y, a: getattr(importlib.import_module("focal_teach.losses.terms"), "alpha_" + "weight")(y, a), "alpha_weight"),
]


def focal_teach_kernels():
    return importlib.import_module("focal_teach.losses._kernels")


def private_binary_focal(x, y, g, a):
    """functional._binary_focal, fed by the argument parser it expects: two private functions."""
    functional = importlib.import_module("focal_teach.losses.functional")
    return functional._binary_focal(functional.binary_arguments(x, y, g, a, "none")).mean()


def focal_teach_terms():
    return importlib.import_module("focal_teach.losses.terms")


def calibration_bins_ece(p, l, n_bins):
    from focal_teach.experiments import calibration_bins

    bins = calibration_bins(p, l, n_bins)
    full = bins.count > 0
    return (bins.count[full] * abs(bins.accuracy[full] - bins.confidence[full])).sum() / bins.count.sum()


import focal_teach  # noqa: E402  (used by PRIVATE_ROUTES' lambdas, at call time)


@pytest.mark.parametrize("exercise, fn, culprit", PRIVATE_ROUTES, ids=lambda v: v if isinstance(v, str) else "")
def test_a_thin_call_into_any_focal_teach_function_is_refused(exercise, fn, culprit):
    """Public or private, however it is reached (importlib, getattr, autograd.Function.apply)."""
    rejects(EXERCISES[exercise].check(fn), f"calls focal_teach's {culprit}", "instead of computing")


def test_a_call_on_some_inputs_only_is_refused_too():
    """Every call the checker makes is watched, not one probe: here only γ < 1 delegates, to dodge the NaN."""

    def dodges_saturation(x, t, g):
        if g < 1:
            return focal_teach.focal_loss(x, t, g)
        return naive(x, t, g)

    rejects(check_focal_loss(dodges_saturation), "calls focal_teach's focal_loss")
    for part in ("modulating_factor", "gradient"):
        with pytest.raises(AssertionError, match="calls focal_teach's focal_loss"):
            grade("focal_loss", part, dodges_saturation)


def test_other_libraries_focal_losses_are_refused():
    focal_loss_torch = pytest.importorskip("focal_loss.focal_loss")

    def with_focal_loss_torch(x, t, g):
        return focal_loss_torch.FocalLoss(gamma=g)(torch.softmax(x, 1), t)

    rejects(check_focal_loss(with_focal_loss_torch), "focal-loss-torch's FocalLoss")


def test_the_watch_is_removed_afterwards_and_keeps_a_profiler():
    calls = []

    def profiler(frame, event, arg):
        calls.append(event)

    sys.setprofile(profiler)
    try:
        check_focal_loss(solutions.focal_loss)
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(None)
    assert sys.getprofile() is None


def test_the_solutions_stay_out_of_the_students_path():
    """Not importable where the notebooks run (notebooks/, the installed package), not in the package."""
    import subprocess
    import tomllib

    root = Path(__file__).parents[2]
    probe = "import importlib.util; print(importlib.util.find_spec('solutions'))"
    found = subprocess.run([sys.executable, "-c", probe], cwd=root / "notebooks", capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "None"
    include = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    assert include == ["focal_teach*"]  # the package is focal_teach and its subpackages only
    assert not (root / "solutions" / "__init__.py").exists() and not (root / "focal_teach" / "solutions").exists()
