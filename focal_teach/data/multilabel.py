"""Multi-label points with rare labels: several labels per example, most of them rare (notebook 09)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import torch

from focal_teach._checks import check_int, check_real, check_seed
from focal_teach.data.split import Split

__all__ = ["rare_multilabel"]


def rare_multilabel(
    n_train: int = 1000,
    n_test: int = 2000,
    num_labels: int = 10,
    dim: int = 16,
    frequencies: tuple[float, float] = (0.25, 0.01),
    noise: float = 1.0,
    seed: int = 0,
) -> Split:
    r"""A seeded multi-label problem: each example may carry any number of ``num_labels`` labels, most of them rare.

    The inputs are standard normal, :math:`x \sim \mathcal N(0, I_d)`. Label :math:`k` is on when
    a noisy linear score passes a threshold,

    .. math:: y_k = [\, 3\, w_k^\top x + \varepsilon_k > t_k \,], \qquad
              \varepsilon_k \sim \mathcal N(0, \text{noise}^2),

    with random directions :math:`w_k \sim \mathcal N(0, I_d / d)` (drawn from ``seed``) and
    :math:`t_k` the exact quantile that makes label :math:`k`'s frequency :math:`f_k`: the
    frequencies fall geometrically from ``frequencies[0]`` (label 0) to ``frequencies[1]``
    (the last label). Labels are independent given the score's noise, so an example can have
    none, one or several; the noise makes none of them perfectly predictable. The test set is
    drawn from the same distribution as the training set.

    Args:
        n_train, n_test: examples in each set.
        num_labels: K, at least 2.
        dim: d, input features.
        frequencies: the most and the least frequent label's probability, each in (0, 1).
        noise: standard deviation of the score noise (> 0: 0 would make every label separable).
        seed: the same seed gives the same tensors (and the same label directions).

    Returns:
        :class:`Split` with ``x`` float32 ``[n, dim]`` and ``y`` float32 ``[n, num_labels]`` of 0/1
        (multi-hot: one column per label, for a sigmoid per label), class names ``"L0"``, ``"L1"``, ….
    """
    n_train = check_int(n_train, "n_train", 1)
    n_test = check_int(n_test, "n_test", 1)
    num_labels = check_int(num_labels, "num_labels", 2)
    dim = check_int(dim, "dim", 1)
    noise = check_real(noise, "noise", minimum=0.0, exclusive=True)
    if not isinstance(frequencies, (tuple, list)) or len(frequencies) != 2:
        raise TypeError(f"frequencies must be a pair (most frequent, least frequent), e.g. (0.25, 0.01); got {frequencies!r}")
    high, low = (check_real(f, "frequencies", minimum=0.0, exclusive=True) for f in frequencies)
    if not (high < 1 and low < 1 and low <= high):
        raise ValueError(f"frequencies must be (most frequent, least frequent) with 0 < least ≤ most < 1; got {frequencies!r}")
    rng = np.random.default_rng(check_seed(seed))
    directions = rng.normal(size=(dim, num_labels)) / np.sqrt(dim)
    freqs = np.geomspace(high, low, num_labels)
    # The score of label k is normal with mean 0 and this standard deviation: its exact quantile is the threshold.
    scale = np.sqrt(9.0 * (directions**2).sum(0) + noise**2)
    thresholds = scale * np.array([NormalDist().inv_cdf(1.0 - f) for f in freqs])
    n = n_train + n_test
    x = rng.normal(size=(n, dim))
    scores = 3.0 * x @ directions + noise * rng.normal(size=(n, num_labels))
    y = (scores > thresholds).astype(np.float32)
    x = torch.from_numpy(x.astype(np.float32))
    y = torch.from_numpy(y)
    return Split(x[:n_train], y[:n_train], x[n_train:], y[n_train:], tuple(f"L{k}" for k in range(num_labels)))
