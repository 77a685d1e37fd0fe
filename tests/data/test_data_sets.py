import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from focal_teach.data import (
    IGNORE_INDEX,
    PAD,
    TAGS,
    Split,
    imbalanced_2d,
    long_tail_profile,
    long_tailed_digits,
    most_likely_tags,
    rare_tag_sequences,
    render_sequence,
)


def assert_same(a: Split, b: Split):
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a, field), getattr(b, field)), field


def assert_differ(a: Split, b: Split):
    assert not torch.equal(a.x_train, b.x_train) and not torch.equal(a.x_test, b.x_test)


# ---------------------------------------------------------------- 2-D binary


def test_imbalanced_2d_shapes_dtypes_and_exact_ratio():
    data = imbalanced_2d(n_train=5100, n_test=1020, ratio=50, seed=0)
    assert data.x_train.shape == (5100, 2) and data.x_train.dtype == torch.float32
    assert data.y_train.shape == (5100,) and data.y_train.dtype == torch.long
    assert data.x_test.shape == (1020, 2)
    assert data.y_train.sum().item() == 100 and data.y_test.sum().item() == 20  # 1 : 50 exactly
    assert set(data.y_train.unique().tolist()) == {0, 1}
    assert data.class_names == ("negative", "positive") and data.num_classes == 2


@pytest.mark.parametrize("ratio", [1, 10, 200])
def test_imbalanced_2d_ratio_argument(ratio):
    data = imbalanced_2d(n_train=4000, n_test=100, ratio=ratio, seed=1)
    positives = data.y_train.sum().item()
    assert positives == round(4000 / (ratio + 1))


def test_imbalanced_2d_dtype_gives_the_same_points_in_that_dtype():
    single, double = imbalanced_2d(n_train=200, n_test=100, seed=2), imbalanced_2d(n_train=200, n_test=100, seed=2, dtype=torch.float64)
    assert double.x_train.dtype == double.x_test.dtype == torch.float64 and double.y_train.dtype == torch.long
    assert torch.equal(double.x_train, single.x_train.double()) and torch.equal(double.y_test, single.y_test)
    with pytest.raises(TypeError, match="dtype must be a floating torch dtype"):
        imbalanced_2d(dtype=torch.int64)
    with pytest.raises(TypeError, match="dtype must be a floating torch dtype"):
        imbalanced_2d(dtype="float64")


def test_imbalanced_2d_is_deterministic_and_seeded():
    assert_same(imbalanced_2d(seed=3), imbalanced_2d(seed=3))
    assert_differ(imbalanced_2d(seed=3), imbalanced_2d(seed=4))


def test_imbalanced_2d_has_an_easy_and_a_hard_pocket():
    data = imbalanced_2d(n_train=20000, seed=0)
    positives = data.x_train[data.y_train == 1]
    easy = positives[:, 1] > 0.5  # the pocket at (2.3, 2.3); the other is at (1.4, -1.4)
    assert 0.4 < easy.float().mean() < 0.6
    assert torch.allclose(positives[easy].mean(0), torch.tensor([2.3, 2.3]), atol=0.1)
    assert torch.allclose(positives[~easy].mean(0), torch.tensor([1.4, -1.4]), atol=0.1)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"ratio": 0.5}, ValueError, "ratio must be a finite number ≥ 1"),
        ({"n_train": 1}, ValueError, "n_train must be ≥ 2"),
        ({"n_test": 10.0}, TypeError, "n_test must be an int"),
        ({"seed": -1}, ValueError, "seed must be ≥ 0"),
        ({"ratio": float("nan")}, ValueError, "ratio must be a finite number"),
    ],
)
def test_imbalanced_2d_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        imbalanced_2d(**kwargs)


# ---------------------------------------------------------------- long-tailed digits


def test_long_tail_profile_is_exponential_from_head_to_tail():
    counts = long_tail_profile(10, 100, 50)
    assert counts == [100, 65, 42, 27, 18, 11, 7, 5, 3, 2]
    assert counts[0] / counts[-1] == 50
    ratios = np.array(counts[:-1]) / np.array(counts[1:])
    assert np.allclose(ratios, 50 ** (1 / 9), rtol=0.25)  # a constant ratio, up to rounding
    assert long_tail_profile(3, 10, 1.0) == [10, 10, 10]
    assert long_tail_profile(4, 5, 1000.0)[-1] == 1  # never an empty class


def test_long_tailed_digits_counts_and_balanced_test_set():
    data = long_tailed_digits(imbalance=50, max_per_class=100, test_per_class=50, seed=0)
    assert torch.bincount(data.y_train, minlength=10).tolist() == long_tail_profile(10, 100, 50)
    assert torch.bincount(data.y_test, minlength=10).tolist() == [50] * 10  # every class in test
    assert data.x_train.shape == (280, 64) and data.x_train.dtype == torch.float32
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert data.class_names == tuple("0123456789")


def test_long_tailed_digits_are_real_digits_and_train_test_disjoint():
    digits = load_digits()
    pool = {row.tobytes(): label for row, label in zip((digits.data / 16.0).astype(np.float32), digits.target)}
    data = long_tailed_digits(seed=2)
    train = [row.tobytes() for row in data.x_train.numpy()]
    test = [row.tobytes() for row in data.x_test.numpy()]
    assert all(pool[r] == y for r, y in zip(train, data.y_train.tolist()))  # images keep their labels
    assert all(pool[r] == y for r, y in zip(test, data.y_test.tolist()))
    assert len(set(train) | set(test)) == len(train) + len(test)  # no image twice, none in both


def test_long_tailed_digits_is_deterministic_and_seeded():
    assert_same(long_tailed_digits(seed=1), long_tailed_digits(seed=1))
    assert_differ(long_tailed_digits(seed=1), long_tailed_digits(seed=2))


def test_long_tailed_digits_bad_input():
    with pytest.raises(ValueError, match="max_per_class \\+ test_per_class must be ≤ 174"):
        long_tailed_digits(max_per_class=150, test_per_class=50)
    with pytest.raises(ValueError, match="imbalance must be a finite number ≥ 1"):
        long_tailed_digits(imbalance=0.5)
    with pytest.raises(ValueError, match="test_per_class must be ≥ 1"):
        long_tailed_digits(test_per_class=0)


# ---------------------------------------------------------------- sequences


def test_rare_tag_sequences_shapes_and_padding():
    data = rare_tag_sequences(n_train=300, n_test=200, min_len=5, max_len=30, seed=0)
    assert data.x_train.shape == data.y_train.shape == (300, 30)
    assert data.x_test.shape == (200, 30) and data.x_train.dtype == data.y_train.dtype == torch.long
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        padded = x == PAD
        assert torch.equal(padded, y == IGNORE_INDEX)  # padding and ignored labels coincide
        lengths = (~padded).sum(1)
        assert 5 <= lengths.min() and lengths.max() <= 30
        assert torch.equal(padded, torch.arange(30) >= lengths[:, None])  # padding only at the end
        assert lengths.unique().numel() > 10  # lengths really vary
    assert data.class_names == TAGS


def test_rare_tags_are_rare_and_present():
    data = rare_tag_sequences(seed=0)
    for y in (data.y_train, data.y_test):
        labels = y[y != IGNORE_INDEX]
        share = torch.bincount(labels, minlength=4).double() / labels.numel()
        assert share[0] > 0.9
        assert ((share[1:] > 0.001) & (share[1:] < 0.05)).all()  # a few % of tokens, or less
        assert 0.01 < share[1:].sum() < 0.06
        assert share[1] > share[2] > share[3]  # NAME > PLACE > DATE


def test_tags_follow_the_rule_except_ambiguous_words():
    data = rare_tag_sequences(n_train=2000, seed=1)
    x, y = data.x_train, data.y_train
    best = most_likely_tags(x)
    ambiguous = (x >= 20) & (x < 30)
    real = y != IGNORE_INDEX
    assert torch.equal(best[~real], y[~real])
    assert torch.equal(best[real & ~ambiguous], y[real & ~ambiguous])  # deterministic part: exactly the rule
    # An ambiguous entity word right after a trigger is tagged about 40 % of the time.
    after_trigger = torch.zeros_like(x, dtype=torch.bool)
    after_trigger[:, 1:] = (x[:, :-1] >= 1) & (x[:, :-1] <= 3)
    tagged = (y[ambiguous & after_trigger] > 0).double()
    assert tagged.numel() > 200
    assert 0.3 < tagged.mean().item() < 0.5


def test_the_same_word_gets_different_tags_in_different_contexts():
    data = rare_tag_sequences(n_train=2000, seed=0)
    x, y = data.x_train, data.y_train
    word = 12  # an unambiguous entity word
    assert set(y[x == word].unique().tolist()) == {0, 1, 2, 3}


def test_rare_tag_sequences_is_deterministic_and_seeded():
    assert_same(rare_tag_sequences(seed=5), rare_tag_sequences(seed=5))
    assert_differ(rare_tag_sequences(seed=5), rare_tag_sequences(seed=6))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"min_len": 10, "max_len": 5}, "max_len must be ≥ 10"),
        ({"vocab_size": 20}, "vocab_size must be ≥ 40"),
        ({"entity_rates": (0.1, 0.1)}, "entity_rates must be three rates"),
        ({"entity_rates": (0.2, 0.1, 0.1)}, "summing to less than 0.3"),
        ({"n_train": 0}, "n_train must be ≥ 1"),
    ],
)
def test_rare_tag_sequences_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rare_tag_sequences(**kwargs)


def test_most_likely_tags_and_render_sequence():
    tokens = torch.tensor([[1, 12, 30, 2, 5, 14, 3, 25, 0, 0]])
    best = most_likely_tags(tokens)
    # mr E12 -> NAME; in old E14 -> PLACE (across a modifier); on E25 -> O (ambiguous); padding ignored
    assert best.tolist() == [[0, 1, 0, 0, 0, 2, 0, 0, IGNORE_INDEX, IGNORE_INDEX]]
    assert render_sequence(tokens[0], best[0]) == "mr E12/NAME w30 in old E14/PLACE on E25"
    assert render_sequence([31, 4]) == "w31 the"
    with pytest.raises(ValueError, match="shape \\[n, T\\]"):
        most_likely_tags(torch.tensor([1, 12]))
    with pytest.raises(ValueError, match="one entry per token"):
        render_sequence([1, 12], [0])


def test_split_repr_is_short():
    text = repr(imbalanced_2d(n_train=10, n_test=10))
    assert text == "Split(train: x 10×2, y 10; test: x 10×2, y 10; classes ['negative', 'positive'])"
