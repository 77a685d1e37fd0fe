r"""The focal loss's gradient with respect to the logit, in closed form (Lin et al. 2017, appendix B).

For one binary example with label :math:`y \in \{-1, +1\}` and logit :math:`x`, write
:math:`x_t = y\,x` (positive when the model leans the right way) and
:math:`p_t = \sigma(x_t)`. Then

.. math::

    \frac{\partial\,\mathrm{CE}}{\partial x} = y\,(p_t - 1), \qquad
    \frac{\partial\,\mathrm{FL}}{\partial x} = y\,(1 - p_t)^{\gamma}\,
        \bigl(\gamma\, p_t \log p_t + p_t - 1\bigr).

The loss depends on :math:`x` only through :math:`x_t`, so :math:`\partial\mathrm{FL}/\partial x_t`
is the same expression without :math:`y`: the quantity the paper's Figure 6 plots against
:math:`x_t` (for CE, FL with γ = 2 and two FL* settings), and what :func:`focal_loss_grad` returns. With :math:`\gamma = 0` it is the
cross-entropy's :math:`p_t - 1`.
"""

from __future__ import annotations

from numbers import Real

import torch
import torch.nn.functional as F
from torch import Tensor

from ._validation import as_float_tensor, check_gamma

__all__ = ["focal_loss_grad"]


def focal_loss_grad(x_t, gamma=2.0, alpha_t=1.0) -> Tensor:
    r"""Derivative of the α-balanced focal loss with respect to the signed logit :math:`x_t`.

    .. math::

        \frac{\partial\,\mathrm{FL}}{\partial x_t}
        = \alpha_t\,(1 - p_t)^{\gamma}\,\bigl(\gamma\, p_t \log p_t + p_t - 1\bigr),
        \qquad p_t = \sigma(x_t)

    (Lin et al. 2017, appendix B). For an example with label :math:`y \in \{-1, +1\}` and
    logit :math:`x`, the gradient with respect to :math:`x` is ``y * focal_loss_grad(y * x)``.

    Computed from the logit, never from a rounded probability: :math:`1 - p_t = \sigma(-x_t)`
    and :math:`\log p_t = \log\sigma(x_t)`, so there is no cancellation as :math:`p_t \to 1`
    and no :math:`(1 - p_t)^{\gamma - 1}`, the factor whose derivative makes autograd return
    NaN for :math:`\gamma < 1` (notebook 02).

    Args:
        x_t: signed logits :math:`y\,x`, any shape; a tensor (float32 or float64), an array or
            a number. Large positive values are confident, correct predictions.
        gamma: focusing parameter :math:`\gamma \ge 0`, a number or a tensor broadcastable to
            ``x_t``. 0 gives the cross-entropy's gradient :math:`p_t - 1`.
        alpha_t: weight of each example, a number or a tensor broadcastable to ``x_t``.

    Returns:
        Tensor of the broadcast shape, in ``x_t``'s floating dtype. Every value is
        :math:`\le 0` for :math:`\alpha_t \ge 0` (raising :math:`x_t` lowers the loss) and
        finite for every finite ``x_t`` and every :math:`\gamma \ge 0`.

    Example:
        >>> focal_loss_grad(torch.tensor([-2.0, 0.0, 2.0]), gamma=0.0)  # p_t - 1
        tensor([-0.8808, -0.5000, -0.1192])
    """
    x_t = as_float_tensor(x_t, "x_t")
    gamma = check_gamma(gamma)
    if not (isinstance(alpha_t, Real) and not isinstance(alpha_t, bool)):
        alpha_t = as_float_tensor(alpha_t, "alpha_t")  # a number stays a Python float: no rounding to float32
    p_t = torch.sigmoid(x_t)
    q = torch.sigmoid(-x_t)  # 1 - p_t, exact where p_t rounds to 1
    log_p_t = F.logsigmoid(x_t)
    # p_t - 1 written as -q: the same number, without the cancellation.
    return alpha_t * torch.pow(q, gamma) * (gamma * p_t * log_p_t - q)
