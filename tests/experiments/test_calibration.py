"""Calibration: ECE by hand, agreement with sklearn's calibration_curve, temperature scaling."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402

from focal_teach.experiments import expected_calibration_error, fit_temperature  # noqa: E402
from focal_teach.experiments.calibration import (  # noqa: E402
    calibration_bins,
    ece_sampling_floor,
    top_label,
)

# ------------------------------------------------------------------ ECE


def test_ece_by_hand():
    # confidences 0.9, 0.9, 0.62, 0.7; right, wrong, right, right.
    # 15 bins of width 1/15: 0.9 -> (0.867, 0.933], 0.62 -> (0.6, 0.667], 0.7 -> (0.667, 0.733]
    # ECE = 2/4 |0.5 - 0.9| + 1/4 |1 - 0.62| + 1/4 |1 - 0.7| = 0.2 + 0.095 + 0.075 = 0.37
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.62, 0.38], [0.3, 0.7]])
    labels = np.array([0, 1, 0, 1])
    assert expected_calibration_error(probs, labels) == pytest.approx(0.37, abs=1e-12)
    # one bin holding everything: |accuracy - mean confidence| = |0.75 - 0.78|
    assert expected_calibration_error(probs, labels, n_bins=1) == pytest.approx(0.03, abs=1e-12)


def test_ece_of_calibrated_and_of_overconfident_predictions():
    # ten examples at confidence 0.8, eight of them right: calibrated
    probs = np.tile([0.8, 0.2], (10, 1))
    labels = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(probs, labels) == pytest.approx(0.0, abs=1e-12)
    # all at confidence 1.0, half right
    probs = np.tile([1.0, 0.0, 0.0], (4, 1))
    assert expected_calibration_error(probs, np.array([0, 0, 1, 2])) == pytest.approx(0.5)


def test_bins_are_closed_on_the_right():
    # with 4 bins, confidence 0.75 belongs to (0.5, 0.75], not (0.75, 1]
    bins = calibration_bins(np.array([[0.75, 0.25]]), np.array([0]), n_bins=4)
    assert bins.count.tolist() == [0, 0, 1, 0]
    np.testing.assert_allclose(bins.edges, [0, 0.25, 0.5, 0.75, 1.0])


def test_bins_agree_with_sklearn_calibration_curve():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3000, 10)) * 3
    probs = torch.softmax(torch.tensor(logits), 1).numpy()
    labels = rng.integers(0, 10, 3000)
    bins = calibration_bins(probs, labels)
    confidence, correct = top_label(probs, labels)
    accuracy, mean_confidence = calibration_curve(correct, confidence, n_bins=15, strategy="uniform")
    full = bins.count > 0
    np.testing.assert_allclose(bins.accuracy[full], accuracy)
    np.testing.assert_allclose(bins.confidence[full], mean_confidence)
    assert np.isnan(bins.accuracy[~full]).all() and bins.count.sum() == 3000
    ece = expected_calibration_error(probs, labels)
    assert ece == pytest.approx(np.sum(bins.count[full] * np.abs(accuracy - mean_confidence)) / 3000)


def test_torch_and_numpy_inputs_agree():
    probs = torch.softmax(torch.randn(200, 5), 1)
    labels = torch.randint(5, (200,))
    from_numpy = expected_calibration_error(probs.numpy(), labels.numpy())
    assert expected_calibration_error(probs, labels) == pytest.approx(from_numpy)


@pytest.mark.parametrize(
    "probs, labels, error, complaint",
    [
        (np.array([0.2, 0.9]), np.array([0, 1]), ValueError, "np.stack"),
        (np.array([[0.2, 0.8]]), np.array([0.0]), TypeError, "integer class indices"),
        (np.array([[0.2, 0.8]]), np.array([2]), ValueError, r"\[0, 2\)"),
        (np.array([[0.2, 0.8]]), np.array([0, 1]), ValueError, "labels must be \\[N\\]"),
        (np.array([[-2.0, 3.0]]), np.array([1]), ValueError, "softmax"),
    ],
)
def test_ece_rejects_bad_input(probs, labels, error, complaint):
    with pytest.raises(error, match=complaint):
        expected_calibration_error(probs, labels)


def test_ece_rejects_bad_bins():
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error(np.array([[0.2, 0.8]]), np.array([1]), n_bins=0)


# ------------------------------------------------------------------ the sampling floor


def test_sampling_floor_is_what_a_calibrated_model_shows_and_shrinks_with_n():
    rng = np.random.default_rng(1)
    conf = rng.uniform(0.5, 1.0, 20000)
    probs = np.stack([conf, 1 - conf], 1)
    small, _ = ece_sampling_floor(probs[:200], draws=100)
    large, spread = ece_sampling_floor(probs, draws=100)
    assert large < small / 5  # ~1/sqrt(n)
    assert 0 < large < 0.01 and spread > 0
    # one calibrated test set drawn the same way lands within the floor's spread
    labels = (rng.random(20000) >= conf).astype(np.int64)  # class 0 right with probability conf
    assert abs(expected_calibration_error(probs, labels) - large) < 4 * spread


# ------------------------------------------------------------------ temperature scaling


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_temperature_scaling_recovers_a_known_temperature(true_t):
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(20000, 10, generator=gen, dtype=torch.float64) * 2
    labels = torch.multinomial(torch.softmax(z, 1), 1, generator=gen).squeeze(1)  # calibrated at z
    logits = z * true_t  # what an over- (T > 1) or under-confident (T < 1) model would output
    fitted = fit_temperature(logits, labels)
    assert fitted == pytest.approx(true_t, rel=0.03)
    before = expected_calibration_error(torch.softmax(logits, 1), labels)
    after = expected_calibration_error(torch.softmax(logits / fitted, 1), labels)
    if true_t != 1.0:
        assert after < before / 3
    assert F.cross_entropy(logits / fitted, labels) <= F.cross_entropy(logits, labels) + 1e-12


def test_temperature_scaling_rejects_bad_input():
    with pytest.raises(ValueError, match="logits must be"):
        fit_temperature(torch.randn(10), torch.zeros(10, dtype=torch.long))
    with pytest.raises(TypeError, match="integer"):
        fit_temperature(torch.randn(10, 3), torch.zeros(10))
    with pytest.raises(ValueError, match="finite"):
        fit_temperature(torch.full((2, 3), float("nan")), torch.zeros(2, dtype=torch.long))
