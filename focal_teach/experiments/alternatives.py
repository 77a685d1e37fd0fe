r"""What a user would try instead of the focal loss, each in a few lines (the imbalance map and notebook 08).

- :func:`asymmetric_loss`: Ridnik et al., "Asymmetric Loss For Multi-Label Classification"
  (ICCV 2021). A sigmoid loss that focuses the *negatives* only (:math:`\gamma_-`, with
  :math:`\gamma_+ = 0` for the positives) and discards the easiest negatives outright by a
  probability margin :math:`m`. Built for the many-negatives-per-positive setting of
  multi-label classification, which is also the setting of a detector's K sigmoid outputs.
- :func:`logit_adjusted_cross_entropy`: Menon et al., "Long-tail learning via logit
  adjustment" (ICLR 2021); with :math:`\tau = 1` it is Ren et al.'s balanced softmax (NeurIPS
  2020). Softmax cross-entropy on logits shifted by :math:`\tau \log \pi_y`, the log class
  prior: rare classes must win by a larger margin during training; predictions use the
  plain logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from focal_teach._checks import check_real

__all__ = ["asymmetric_loss", "logit_adjusted_cross_entropy"]


def asymmetric_loss(
    input: Tensor, target: Tensor, gamma_neg: float = 4.0, gamma_pos: float = 0.0, margin: float = 0.05, reduction: str = "none"
) -> Tensor:
    r"""Asymmetric loss (Ridnik et al. 2021), from logits.

    .. math::

        \ell = -y\,(1 - p)^{\gamma_+} \log p \;-\; (1 - y)\, p_m^{\gamma_-} \log(1 - p_m),
        \qquad p = \sigma(x),\; p_m = \max(p - m, 0)

    A negative with :math:`p \le m` gets no loss and no gradient at all (hard thresholding of
    the easy negatives); the others are focused with :math:`\gamma_-`. The paper's defaults
    are :math:`\gamma_- = 4`, :math:`\gamma_+ = 0`, :math:`m = 0.05`.

    Args:
        input: logits, any shape.
        target: 0/1 labels of ``input``'s shape (float).
        gamma_neg, gamma_pos: focusing of the negatives and of the positives, ≥ 0.
        margin: the probability margin :math:`m \in [0, 1)`.
        reduction: ``"none"``, ``"sum"`` or ``"mean"``.
    """
    gamma_neg = check_real(gamma_neg, "gamma_neg", minimum=0.0)
    gamma_pos = check_real(gamma_pos, "gamma_pos", minimum=0.0)
    margin = check_real(margin, "margin", minimum=0.0)
    if margin >= 1:
        raise ValueError(f"margin must be in [0, 1); got {margin}")
    if target.shape != input.shape:
        raise ValueError(f"target must have input's shape {tuple(input.shape)}; got {tuple(target.shape)}")
    p = torch.sigmoid(input)
    positive = F.logsigmoid(input) * (1.0 - p).pow(gamma_pos) if gamma_pos else F.logsigmoid(input)
    # 1 - p_m = min(1 - p + m, 1) = min(σ(-x) + m, 1): never below m, so its log is finite
    p_m = (p - margin).clamp_min(0.0)
    negative = torch.log((torch.sigmoid(-input) + margin).clamp_max(1.0)) * p_m.pow(gamma_neg)
    loss = -(target * positive + (1.0 - target) * negative)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    raise ValueError(f"{reduction!r} is not a valid value for reduction: use 'none', 'sum' or 'mean'")


def logit_adjusted_cross_entropy(input: Tensor, target: Tensor, class_counts: Tensor, tau: float = 1.0) -> Tensor:
    r"""Logit-adjusted softmax cross-entropy (Menon et al. 2021); balanced softmax (Ren et al. 2020) at τ = 1.

    .. math:: \ell = -\log \frac{e^{x_y + \tau \log \pi_y}}{\sum_c e^{x_c + \tau \log \pi_c}},
              \qquad \pi_c = \frac{n_c}{\sum_k n_k}

    Train with this loss and predict with ``input.argmax(1)``, the plain logits: the offset
    asks the rare classes to win by a margin of :math:`\tau \log(\pi_{\text{head}} / \pi_c)`
    during training, which moves the decision boundaries toward the head classes.

    Args:
        input: logits ``[N, C]``.
        target: class indices ``[N]``.
        class_counts: ``[C]`` training examples per class (all > 0).
        tau: strength of the adjustment, ≥ 0 (0: plain cross-entropy).

    Returns:
        The mean loss.
    """
    tau = check_real(tau, "tau", minimum=0.0)
    counts = torch.as_tensor(class_counts, dtype=input.dtype, device=input.device)
    if counts.shape != (input.shape[1],) or bool((counts <= 0).any()):
        raise ValueError(f"class_counts must hold {input.shape[1]} positive counts, one per class; got {counts.tolist()}")
    log_prior = torch.log(counts / counts.sum())
    return F.cross_entropy(input + tau * log_prior, target)
