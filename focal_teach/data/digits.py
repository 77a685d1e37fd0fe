"""scikit-learn's bundled 8×8 digits with a long-tailed training set (notebooks 04 and 07); no download."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_digits

from focal_teach._checks import check_int, check_real, check_seed
from focal_teach.data.split import Split

__all__ = ["long_tailed_digits", "long_tail_profile"]


def long_tail_profile(num_classes: int, max_per_class: int, imbalance: float) -> list[int]:
    r"""Examples per class of an exponential long tail: :math:`n_c = n_{max} \cdot r^{-c/(C-1)}`, rounded.

    Class 0 keeps ``max_per_class``; the last class ``max_per_class / imbalance`` (at least 1),
    as in the long-tailed CIFAR of Cui et al. 2019.
    """
    num_classes = check_int(num_classes, "num_classes", 2)
    max_per_class = check_int(max_per_class, "max_per_class", 1)
    imbalance = check_real(imbalance, "imbalance", minimum=1.0)
    c = np.arange(num_classes)
    counts = np.round(max_per_class * imbalance ** (-c / (num_classes - 1))).astype(int)
    return np.maximum(counts, 1).tolist()


def long_tailed_digits(
    imbalance: float = 50.0, max_per_class: int = 100, test_per_class: int = 50, seed: int = 0
) -> Split:
    """scikit-learn's bundled digits (1,797 8×8 images), with a long-tailed training set.

    Each class's images are shuffled with ``seed``; the first ``test_per_class`` go to a
    *balanced* test set (so every class is present and measured with the same precision), and
    the training set keeps ``long_tail_profile(10, max_per_class, imbalance)`` of the rest:
    digit 0 is the head, digit 9 the tail (100 vs 2 images with the defaults).

    Args:
        imbalance: head/tail ratio of training counts, ≥ 1.
        max_per_class: training images of the head class.
        test_per_class: test images of every class.
        seed: which images are drawn; the same seed gives the same tensors.

    Returns:
        :class:`Split` with ``x`` float32 ``[n, 64]`` (pixels scaled to [0, 1]) and ``y`` long ``[n]``.
    """
    max_per_class = check_int(max_per_class, "max_per_class", 1)
    test_per_class = check_int(test_per_class, "test_per_class", 1)
    digits = load_digits()
    available = int(np.bincount(digits.target).min())
    if max_per_class + test_per_class > available:
        raise ValueError(
            f"max_per_class + test_per_class must be ≤ {available}, the fewest images of any digit; "
            f"got {max_per_class} + {test_per_class}. Lower one of them."
        )
    train_counts = long_tail_profile(10, max_per_class, imbalance)
    rng = np.random.default_rng(check_seed(seed))
    train, test = [], []
    for digit, n_train in enumerate(train_counts):
        images = rng.permutation(np.flatnonzero(digits.target == digit))
        test.append(images[:test_per_class])
        train.append(images[test_per_class : test_per_class + n_train])
    train, test = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
    x = torch.from_numpy((digits.data / 16.0).astype(np.float32))
    y = torch.from_numpy(digits.target.astype(np.int64))
    return Split(x[train], y[train], x[test], y[test], tuple(str(d) for d in range(10)))
