r"""Per-class weights α_c for imbalanced data.

- ``"inverse"``: :math:`\alpha_c \propto 1 / n_c`, inverse class frequency, as most tutorials
  compute it (proportional to scikit-learn's ``class_weight="balanced"``).
- ``"effective"``: Cui et al. (CVPR 2019), "Class-Balanced Loss Based on Effective Number of
  Samples": :math:`\alpha_c \propto (1 - \beta) / (1 - \beta^{n_c})`, the inverse of the
  effective number of samples :math:`E_{n_c} = (1 - \beta^{n_c}) / (1 - \beta)`. β = 0 gives
  equal weights; β → 1 gives inverse frequency.

Both are normalised so that :math:`\sum_c \alpha_c = C`, Cui et al.'s convention. The scale does
not matter to ``focal_loss(..., reduction="mean")`` or ``F.cross_entropy``'s weighted mean,
which divide by the sum of the weights they used; it does for ``"sum"``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._validation import check_real

__all__ = ["class_counts", "class_weights"]

METHODS = ("inverse", "effective")


def class_counts(labels, num_classes: int | None = None) -> Tensor:
    """Number of examples of each class in a 1-D array of integer labels, as a long tensor."""
    labels = torch.as_tensor(labels).reshape(-1)
    if labels.is_floating_point() or labels.dtype == torch.bool:
        raise TypeError(f"labels must be integer class indices; got {labels.dtype}")
    if labels.numel() and labels.min() < 0:
        raise ValueError(f"labels must be ≥ 0; found {labels.min().item()} (drop padding/ignored labels first)")
    return torch.bincount(labels.long(), minlength=num_classes or 0)


def class_weights(
    labels=None,
    method: str = "inverse",
    beta: float = 0.999,
    *,
    counts=None,
    num_classes: int | None = None,
) -> Tensor:
    """One weight per class, from the labels (or from their counts), summing to the number of classes.

    Args:
        labels: 1-D integer class labels of the training set. Give this or ``counts``.
        method: ``"inverse"`` (1 / n_c) or ``"effective"`` (Cui et al.'s (1 - β) / (1 - β^n_c)).
        beta: β ∈ [0, 1) for ``"effective"``; Cui et al. use 0.9, 0.99, 0.999, 0.9999.
        counts: number of examples per class, instead of ``labels``.
        num_classes: C, when the highest classes may be absent from ``labels``.

    Returns:
        float32 tensor ``[C]``, to pass as ``alpha=`` (or ``weight=`` to ``F.cross_entropy``).
    """
    if (labels is None) == (counts is None):
        raise TypeError("give exactly one of labels (the class of each example) or counts= (examples per class)")
    if method not in METHODS:
        raise ValueError(
            f"Invalid method: {method!r} is not a valid value for method; use one of {', '.join(map(repr, METHODS))}"
        )
    if counts is None:
        n = class_counts(labels, num_classes).double()
    else:
        n = torch.as_tensor(counts, dtype=torch.float64).reshape(-1)
        if num_classes is not None and n.numel() != num_classes:
            raise ValueError(f"counts has {n.numel()} entries but num_classes is {num_classes}")
    if n.numel() == 0:
        raise ValueError("no classes: labels/counts are empty")
    if not torch.isfinite(n).all() or (n < 0).any():
        raise ValueError(f"class counts must be finite and ≥ 0; got {n.tolist()}")
    if (n == 0).any():
        missing = (n == 0).nonzero().flatten().tolist()
        raise ValueError(
            f"class(es) {missing} have no examples, so their weight would be infinite; "
            f"remove them from num_classes or give them at least one example"
        )
    if method == "inverse":
        raw = 1.0 / n
    else:
        beta = check_real(beta, "beta", hint="Cui et al. use 0.9, 0.99, 0.999 or 0.9999.")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"beta must lie in [0, 1) for method='effective'; got {beta}. Cui et al. use 0.9 to 0.9999.")
        raw = (1.0 - beta) / (1.0 - torch.pow(torch.tensor(beta, dtype=torch.float64), n))
    return (raw * (n.numel() / raw.sum())).float()
