"""rare_multilabel: seeded, multi-hot, with the label frequencies it promises."""

import pytest
import torch

from focal_teach.data.multilabel import rare_multilabel


def test_shapes_dtypes_and_names():
    data = rare_multilabel(n_train=100, n_test=50, num_labels=4, dim=3, seed=1)
    assert data.x_train.shape == (100, 3) and data.x_test.shape == (50, 3)
    assert data.y_train.shape == (100, 4) and data.y_train.dtype == torch.float32
    assert set(data.y_train.unique().tolist()) <= {0.0, 1.0}
    assert data.class_names == ("L0", "L1", "L2", "L3")


def test_the_same_seed_gives_the_same_tensors_and_another_seed_others():
    a, b, c = rare_multilabel(seed=5), rare_multilabel(seed=5), rare_multilabel(seed=6)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, c.x_train)


def test_label_frequencies_fall_geometrically_as_asked():
    data = rare_multilabel(n_train=200_000, n_test=1, num_labels=5, frequencies=(0.3, 0.003), seed=0)
    expected = torch.logspace(torch.log10(torch.tensor(0.3)), torch.log10(torch.tensor(0.003)), 5)
    torch.testing.assert_close(data.y_train.mean(0), expected, rtol=0.06, atol=0.0)


def test_examples_carry_several_labels():
    y = rare_multilabel(seed=0).y_train
    per_example = y.sum(1)
    assert (per_example == 0).any() and (per_example == 1).any() and (per_example >= 2).float().mean() > 0.1


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_labels=1), "num_labels must be ≥ 2"),
    (dict(noise=0.0), "noise must be a finite number > 0"),
    (dict(frequencies=(0.01, 0.2)), "0 < least ≤ most < 1"),
    (dict(frequencies=(1.0, 0.1)), "0 < least ≤ most < 1"),
    (dict(frequencies=0.2), "must be a pair"),
    (dict(seed=-1), "seed must be ≥ 0"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        rare_multilabel(**kwargs)
