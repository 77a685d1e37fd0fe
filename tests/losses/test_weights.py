import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

from focal_teach import class_counts, class_weights


def test_inverse_by_hand_and_proportional_to_sklearn_balanced():
    labels = np.array([0] * 100 + [1] * 10 + [2] * 1)
    w = class_weights(labels, "inverse")
    # 1/n normalised to sum to C = 3: (1/100, 1/10, 1) * 3 / 1.11
    torch.testing.assert_close(w, torch.tensor([0.03, 0.3, 3.0]) / 1.11)
    balanced = compute_class_weight("balanced", classes=np.arange(3), y=labels)
    ratio = w.double().numpy() / balanced
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-6)


def test_effective_number_formula():
    counts = torch.tensor([5000.0, 500.0, 50.0, 5.0])
    beta = 0.999
    raw = (1 - beta) / (1 - beta ** counts.double())
    expected = raw * 4 / raw.sum()
    torch.testing.assert_close(class_weights(counts=counts, method="effective", beta=beta), expected.float())
    # E_n for n = 1 is 1; for n -> infinity it tends to 1 / (1 - beta) = 1000
    assert (1 - beta**1) / (1 - beta) == pytest.approx(1.0)


def test_effective_limits_beta_zero_and_one():
    counts = [1000, 100, 10]
    torch.testing.assert_close(class_weights(counts=counts, method="effective", beta=0.0), torch.ones(3))
    torch.testing.assert_close(
        class_weights(counts=counts, method="effective", beta=1 - 1e-9), class_weights(counts=counts), rtol=1e-4, atol=0
    )


def test_weights_sum_to_the_number_of_classes_and_favour_rare_classes():
    labels = torch.randint(0, 5, (1000,)) ** 2 % 7  # uneven, classes 0..6 with some missing
    counts = class_counts(labels)
    present = counts > 0
    w = class_weights(counts=counts[present], method="effective", beta=0.99)
    assert w.sum().item() == pytest.approx(present.sum().item(), rel=1e-6)
    order = counts[present].argsort()
    assert (w[order].diff() <= 1e-6).all()  # rarer -> heavier


def test_counts_and_labels_agree():
    labels = [2, 0, 0, 1, 2, 2]
    assert class_counts(labels).tolist() == [2, 1, 3]
    assert class_counts(labels, num_classes=5).tolist() == [2, 1, 3, 0, 0]
    torch.testing.assert_close(class_weights(labels), class_weights(counts=[2, 1, 3]))


def test_bad_input():
    with pytest.raises(TypeError, match="exactly one of labels"):
        class_weights()
    with pytest.raises(TypeError, match="exactly one of labels"):
        class_weights([0, 1], counts=[1, 1])
    with pytest.raises(ValueError, match="^Invalid method: 'sqrt' is not a valid value for method; use one of 'inverse', 'effective'"):
        class_weights([0, 1], method="sqrt")
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] have no examples"):
        class_weights(counts=[3, 0, 2])
    with pytest.raises(ValueError, match="beta must lie in"):
        class_weights(counts=[3, 2], method="effective", beta=1.0)
    with pytest.raises(TypeError, match="beta must be a real number; got str. Cui et al. use"):
        class_weights(counts=[3, 2], method="effective", beta="0.99")
    with pytest.raises(TypeError, match="integer class indices"):
        class_counts([0.5, 1.0])
    with pytest.raises(ValueError, match="drop padding"):
        class_counts([0, -100, 1])
