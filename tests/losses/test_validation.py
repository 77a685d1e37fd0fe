"""Bad input gets a clear error that says what is wrong and how to fix it, never a silent broadcast."""

import math
import re

import pytest
import torch

from focal_teach import (
    BinaryFocalLoss,
    FocalLoss,
    binary_focal_loss,
    binary_focal_loss_star,
    binary_poly1_focal_loss,
    focal_loss,
    poly1_focal_loss,
)
from focal_teach.losses import set_validate_args


def x_t(n=8, c=5):
    return torch.randn(n, c), torch.randint(c, (n,))


def test_binary_shape_mismatch_is_not_broadcast():
    with pytest.raises(ValueError, match=r"target shape \(8, 1\) must equal input shape \(8,\).*view_as"):
        binary_focal_loss(torch.randn(8), torch.ones(8, 1))
    with pytest.raises(ValueError, match="must equal input shape"):
        binary_focal_loss(torch.randn(8, 1), torch.ones(8))
    with pytest.raises(ValueError, match="must equal input shape"):
        binary_focal_loss(torch.randn(8, 2), torch.ones(8, 3))


def test_class_last_input_is_recognised():
    with pytest.raises(ValueError, match=r"looks class-last.*movedim\(-1, 1\)"):
        focal_loss(torch.randn(4, 7, 5), torch.randint(5, (4, 7)))


def test_other_target_shape_mismatches():
    with pytest.raises(ValueError, match=r"needs target \(8,\); got \(9,\)"):
        focal_loss(torch.randn(8, 5), torch.randint(5, (9,)))
    with pytest.raises(ValueError, match=r"one-hot.*argmax\(1\)"):
        focal_loss(torch.randn(8, 5), torch.zeros(8, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\[N, C\].*unsqueeze\(0\).*binary_focal_loss"):
        focal_loss(torch.randn(5), torch.tensor(1))


def test_float_targets_for_softmax():
    with pytest.raises(TypeError, match=r"integer class indices.*argmax\(1\)"):
        focal_loss(torch.randn(8, 5), torch.rand(8))


@pytest.mark.parametrize("bad", [5, 7, -1, -3])
def test_class_index_out_of_range(bad, device):
    if device.type != "cpu":
        pytest.skip("on CUDA a failed device-side assert ends the process's CUDA context")
    x, t = x_t()
    t[3] = bad
    with pytest.raises((ValueError, IndexError), match=rf"class {bad} at index \(3,\), outside \[0, 5\)"):
        focal_loss(x, t)


ENTRY_POINTS = {
    "focal_loss": lambda x, t: focal_loss(x, t),
    "alpha": lambda x, t: focal_loss(x, t, alpha=torch.ones(5)),
    "probabilities": lambda x, t: focal_loss(x.softmax(1), t, from_logits=False),
    "poly1": lambda x, t: poly1_focal_loss(x, t),
    "module": lambda x, t: FocalLoss()(x, t),
    "dense": lambda x, t: focal_loss(x.unsqueeze(-1), t.unsqueeze(-1)),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("bad", [5, -1])
def test_every_entry_point_explains_a_class_out_of_range(entry, bad, device):
    """On the CPU the range is left to gather and indexing, whose error each loss explains."""
    if device.type != "cpu":
        pytest.skip("on CUDA a failed device-side assert ends the process's CUDA context")
    x, t = x_t()
    t[3] = bad
    with pytest.raises(ValueError, match=rf"class {bad} at index \(3,?.*\), outside \[0, 5\)"):
        ENTRY_POINTS[entry](x, t)
    with set_validate_args(False), pytest.raises((RuntimeError, IndexError)) as raised:
        ENTRY_POINTS[entry](x, t)  # unchecked: indexing's own error, as it is
    assert not isinstance(raised.value, ValueError)


def test_other_errors_pass_through_unexplained(monkeypatch):
    """With every target in range, an error from inside the loss is not dressed up as one."""
    from focal_teach.losses import functional

    def broken(*args):
        raise RuntimeError("not about targets")

    monkeypatch.setattr(functional.SoftmaxFocalLoss, "apply", broken)
    x, t = x_t()
    with pytest.raises(RuntimeError, match="not about targets"):
        focal_loss(x, t)


def test_ignore_index_is_not_out_of_range():
    x, t = x_t()
    t[3] = -100
    focal_loss(x, t)
    t[3] = 7
    with pytest.raises(ValueError, match="ignore_index=-100"):
        focal_loss(x, t)


@pytest.mark.parametrize("alpha", [0.25, torch.tensor(0.25), 1])
def test_scalar_alpha_for_softmax_explains_why(alpha):
    x, t = x_t()
    with pytest.raises(ValueError, match=r"one alpha per class.*only rescales the loss.*binary_focal_loss"):
        focal_loss(x, t, alpha=alpha)
    with pytest.raises(ValueError, match="only rescales"):
        FocalLoss(alpha=alpha)


def test_scalar_alpha_message_gives_kornias_and_monais_reading_as_weights():
    """kornia 0.9 and MONAI 1.5 (softmax) weight class 0 by 1 - alpha, every other class by alpha;
    the message's alpha list, passed back, is exactly that."""
    x, t = x_t(c=5)
    with pytest.raises(ValueError, match=r"kornia 0.9 and MONAI 1.5 .*1 - alpha for class 0 \(background\)") as raised:
        focal_loss(x, t, alpha=0.25)
    written = re.search(r"alpha=(\[0.75\] \+ \[0.25\] \* 4)", str(raised.value)).group(1)
    weights = eval(written)  # noqa: S307 (the message's own expression)
    assert weights == [0.75, 0.25, 0.25, 0.25, 0.25]
    focal_loss(x, t, alpha=weights)  # accepted
    with pytest.raises(ValueError, match=r"alpha=\[0.75\] \+ \[0.25\] \* \(C - 1\) for C classes"):
        FocalLoss(alpha=0.25)  # before it sees the input, C is not known


def test_alpha_of_the_wrong_length_or_negative():
    x, t = x_t()
    with pytest.raises(ValueError, match="alpha has 3 weights but input has 5 classes"):
        focal_loss(x, t, alpha=[1, 2, 3])
    with pytest.raises(ValueError, match=r"alpha\[1\] = -0.5"):
        focal_loss(x, t, alpha=[1, -0.5, 1, 1, 1])
    with pytest.raises(ValueError, match="finite"):
        focal_loss(x, t, alpha=[1, math.nan, 1, 1, 1])
    with pytest.raises(ValueError, match="1-D"):
        focal_loss(x, t, alpha=torch.ones(5, 1))
    with pytest.raises(ValueError, match="alpha\\[1\\] = -1"):
        FocalLoss(alpha=[1, -1])


@pytest.mark.parametrize("alpha", [-0.1, 1.5, math.nan])
def test_binary_alpha_outside_unit_interval(alpha):
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\]"):
        binary_focal_loss(torch.randn(4), torch.ones(4), alpha=alpha)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        BinaryFocalLoss(alpha=alpha)


def test_binary_alpha_sequence():
    with pytest.raises(TypeError, match="one number in"):
        binary_focal_loss(torch.randn(4), torch.ones(4), alpha=[0.25, 0.75])


@pytest.mark.parametrize("gamma", [-1.0, math.nan, math.inf])
def test_gamma_negative_or_nan(gamma):
    x, t = x_t()
    with pytest.raises(ValueError, match="gamma must be a finite number ≥ 0"):
        focal_loss(x, t, gamma=gamma)
    with pytest.raises(ValueError, match="gamma"):
        binary_focal_loss(torch.randn(4), torch.ones(4), gamma=gamma)
    with pytest.raises(ValueError, match="gamma"):
        FocalLoss(gamma=gamma)


def test_gamma_of_the_wrong_type():
    x, t = x_t()
    with pytest.raises(TypeError, match="gamma must be a real number"):
        focal_loss(x, t, gamma="2")


def test_callable_gamma_returning_nonsense():
    x, t = x_t()
    with pytest.raises(ValueError, match="finite and ≥ 0"):
        focal_loss(x, t, gamma=lambda p: -torch.ones_like(p))
    with pytest.raises(ValueError, match="broadcastable"):
        focal_loss(x, t, gamma=lambda p: torch.ones(3))


REDUCTION_TAKERS = {
    "focal_loss": lambda r: focal_loss(*x_t(), reduction=r),
    "binary_focal_loss": lambda r: binary_focal_loss(torch.randn(4), torch.ones(4), reduction=r),
    "FocalLoss": lambda r: FocalLoss(reduction=r),
    "BinaryFocalLoss": lambda r: BinaryFocalLoss(reduction=r),
    "poly1_focal_loss": lambda r: poly1_focal_loss(*x_t(), reduction=r),
    "binary_poly1_focal_loss": lambda r: binary_poly1_focal_loss(torch.randn(4), torch.ones(4), reduction=r),
    "binary_focal_loss_star": lambda r: binary_focal_loss_star(torch.randn(4), torch.ones(4), reduction=r),
}


@pytest.mark.parametrize("entry", REDUCTION_TAKERS)
@pytest.mark.parametrize("bad", ["avg", "xyz", "Mean", None, 1])
def test_invalid_reduction_is_named_with_the_choices(entry, bad):
    """As torch ("... is not a valid value for reduction") and torchvision ("Invalid ...")."""
    message = rf"^Invalid reduction: {re.escape(repr(bad))} is not a valid value for reduction; use one of 'mean', 'sum', 'none'"
    with pytest.raises(ValueError, match=message):
        REDUCTION_TAKERS[entry](bad)


@pytest.mark.parametrize("bad, meant", [("avg", "mean"), ("elementwise_mean", "mean"), ("batchmean", "mean"), (None, "none")])
def test_other_libraries_reductions_get_a_suggestion(bad, meant):
    with pytest.raises(ValueError, match=rf"\(did you mean '{meant}'\?\)$"):
        focal_loss(*x_t(), reduction=bad)


@pytest.mark.parametrize("target", [torch.tensor([0.0, 2.0]), torch.tensor([-1, 1]), torch.tensor([0.5, math.nan])])
def test_binary_targets_outside_unit_interval(target):
    with pytest.raises(ValueError, match=r"labels in \[0, 1\]"):
        binary_focal_loss(torch.randn(2), target)


def test_probabilities_outside_unit_interval():
    x, t = x_t()
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*from_logits=True"):
        focal_loss(x * 10, t, from_logits=False)
    with pytest.raises(ValueError, match="probabilities"):
        binary_focal_loss(torch.tensor([1.5, 0.2]), torch.ones(2), from_logits=False)


def test_non_tensor_and_integer_inputs():
    with pytest.raises(TypeError, match=r"input must be a torch.Tensor; got list \(convert it with torch.as_tensor\(input\)\)"):
        focal_loss([[0.1, 0.2]], torch.tensor([0]))
    with pytest.raises(TypeError, match=r"target must be a torch.Tensor of class indices; got list.*torch.as_tensor\(target\)"):
        focal_loss(torch.randn(2, 3), [0, 1])
    with pytest.raises(TypeError, match=r"target must be a torch.Tensor of labels; got list.*torch.as_tensor\(target\)"):
        binary_focal_loss(torch.randn(2), [0, 1])
    with pytest.raises(TypeError, match=r"floating-point.*\.float\(\)"):
        focal_loss(torch.ones(2, 3, dtype=torch.long), torch.tensor([0, 1]))


@pytest.mark.parametrize("bad", ["False", 0, None])
def test_from_logits_must_be_a_bool(bad):
    """A string "False" is truthy: without the check it would silently take logits."""
    with pytest.raises(TypeError, match=r"^from_logits must be True \(input holds logits, the default\) or False"):
        focal_loss(*x_t(), from_logits=bad)
    with pytest.raises(TypeError, match="^from_logits must be True"):
        binary_focal_loss(torch.randn(4), torch.ones(4), from_logits=bad)


@pytest.mark.parametrize("bad", ["-100", -100.0, True])
def test_ignore_index_must_be_an_int_or_none(bad):
    with pytest.raises(TypeError, match=r"^ignore_index must be an int, the target value to skip.*or None"):
        focal_loss(*x_t(), ignore_index=bad)
    with pytest.raises(TypeError, match="^ignore_index must be an int"):
        FocalLoss(ignore_index=bad)  # at construction, not at the first call

