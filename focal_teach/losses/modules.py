"""``nn.Module`` forms of the focal losses, for ``criterion = FocalLoss(...)`` training loops."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from ._validation import (
    check_binary_alpha,
    check_class_alpha,
    check_gamma,
    check_ignore_index,
    check_not_traced,
    check_reduction,
    refuses_torchscript,
)
from .functional import Gamma, binary_focal_loss, focal_loss

__all__ = ["FocalLoss", "BinaryFocalLoss"]


@refuses_torchscript
class FocalLoss(nn.Module):
    r"""Softmax focal loss :math:`-\alpha_t (1 - p_t)^\gamma \log p_t`; see :func:`focal_teach.focal_loss`.

    The per-class ``alpha`` is a registered buffer: ``.to(device)``, ``.double()`` and
    ``state_dict()`` carry it, so there is no ``device=`` argument.

    Example:
        >>> criterion = FocalLoss(gamma=2.0, alpha=[0.25, 0.75])
        >>> loss = criterion(torch.randn(8, 2), torch.randint(2, (8,)))
    """

    alpha: Tensor | None

    def __init__(
        self,
        gamma: Gamma = 2.0,
        alpha: Sequence[float] | Tensor | None = None,
        reduction: str = "mean",
        ignore_index: int = -100,
    ) -> None:
        super().__init__()
        self.gamma = check_gamma(gamma, allow_callable=True)
        self.reduction = check_reduction(reduction)
        self.ignore_index = check_ignore_index(ignore_index)
        weights = check_class_alpha(alpha, num_classes=None)
        self.register_buffer("alpha", None if weights is None else weights.detach().clone())

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        check_not_traced("FocalLoss")
        return focal_loss(input, target, self.gamma, self.alpha, self.reduction, self.ignore_index)

    def extra_repr(self) -> str:
        alpha = None if self.alpha is None else [round(a, 4) for a in self.alpha.tolist()]
        return f"gamma={self.gamma}, alpha={alpha}, reduction={self.reduction!r}, ignore_index={self.ignore_index}"


@refuses_torchscript
class BinaryFocalLoss(nn.Module):
    r"""Sigmoid focal loss :math:`\alpha_t (1 - p_t)^\gamma\,\mathrm{BCE}`; see :func:`focal_teach.binary_focal_loss`.

    Example:
        >>> criterion = BinaryFocalLoss(gamma=2.0, alpha=0.25)
        >>> loss = criterion(torch.randn(8), torch.randint(2, (8,)))
    """

    def __init__(self, gamma: Gamma = 2.0, alpha: float | None = None, reduction: str = "mean") -> None:
        super().__init__()
        self.gamma = check_gamma(gamma, allow_callable=True)
        self.alpha = check_binary_alpha(alpha)
        self.reduction = check_reduction(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        check_not_traced("BinaryFocalLoss")
        return binary_focal_loss(input, target, self.gamma, self.alpha, self.reduction)

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}, alpha={self.alpha}, reduction={self.reduction!r}"
