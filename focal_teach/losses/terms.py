r"""The focal loss one equation at a time (Lin et al. 2017, "Focal Loss for Dense Object Detection").

Each function is one factor of the α-balanced focal loss

.. math::

    \mathrm{FL}(p_t) = -\alpha_t \, (1 - p_t)^{\gamma} \, \log p_t ,

written on probabilities so that each factor can be plotted and tested on its own. ``p_t`` is
the probability the model gives the *true* class: ``p`` for a positive, ``1 - p`` for a
negative, ``softmax(x)[target]`` for many classes.

These are teaching pieces: they differentiate with plain autograd, which breaks where the
equations are singular (the derivative of :math:`(1 - p_t)^\gamma` is infinite at
:math:`p_t = 1` for :math:`\gamma < 1`). Train with :func:`focal_teach.focal_loss` and
:func:`focal_teach.binary_focal_loss`, which take logits and use the closed-form gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import torch
from torch import Tensor

from ._validation import (
    as_float_tensor,
    check_binary_alpha,
    check_binary_target,
    check_class_alpha,
    check_class_indices,
    check_gamma,
    check_probabilities,
)

__all__ = ["cross_entropy_term", "modulating_factor", "alpha_weight", "focal_term"]


def cross_entropy_term(p_t) -> Tensor:
    r"""Cross-entropy of the true class (Lin et al., eq. 2).

    .. math:: \mathrm{CE}(p_t) = -\log p_t

    Args:
        p_t: probability of the true class, any shape, values in [0, 1].

    Returns:
        Tensor of ``p_t``'s shape; ``+inf`` where ``p_t = 0``.
    """
    p_t = check_probabilities(as_float_tensor(p_t, "p_t"), "p_t")
    return -torch.log(p_t)


def modulating_factor(p_t, gamma) -> Tensor:
    r"""The focal modulating factor (Lin et al., eq. 4).

    .. math:: (1 - p_t)^{\gamma}, \qquad \gamma \ge 0

    It is 1 for every example when :math:`\gamma = 0` (plain cross-entropy) and shrinks the
    loss of well-classified examples (:math:`p_t \to 1`) more the larger :math:`\gamma` is.

    Args:
        p_t: probability of the true class, any shape, values in [0, 1].
        gamma: focusing parameter, a number ≥ 0, or a tensor of them broadcastable to ``p_t``
            (a sample-dependent γ).

    Returns:
        Tensor of the broadcast shape, values in [0, 1] (``0 ** 0`` is 1).
    """
    p_t = check_probabilities(as_float_tensor(p_t, "p_t"), "p_t")
    gamma = check_gamma(gamma)
    return torch.pow(1.0 - p_t, gamma)


def alpha_weight(target, alpha) -> Tensor:
    r"""The class weight :math:`\alpha_t` of each target (Lin et al., eq. 3).

    - ``alpha`` a number in [0, 1] (binary): :math:`\alpha_t = \alpha` for positives and
      :math:`1 - \alpha` for negatives. For a soft target :math:`y \in [0, 1]` it is the
      interpolation :math:`\alpha y + (1 - \alpha)(1 - y)`.
    - ``alpha`` a sequence or 1-D tensor of one weight per class (multiclass):
      :math:`\alpha_t = \alpha[\text{target}]`.
    - ``alpha`` ``None``: every weight is 1.

    Args:
        target: binary labels (bool, int or float in [0, 1]) for a scalar ``alpha``; integer
            class indices for a per-class ``alpha``. Any shape.
        alpha: see above.

    Returns:
        Floating tensor of ``target``'s shape.
    """
    target = torch.as_tensor(target)
    if alpha is None:
        return torch.ones(target.shape, dtype=torch.get_default_dtype(), device=target.device)
    if isinstance(alpha, Real) and not isinstance(alpha, bool):
        alpha = check_binary_alpha(alpha)
        y = check_binary_target(target, torch.get_default_dtype())
        return alpha * y + (1.0 - alpha) * (1.0 - y)
    if isinstance(alpha, (Sequence, Tensor)) or hasattr(alpha, "__array__"):
        weights = check_class_alpha(alpha, num_classes=None, device=target.device)
        check_class_indices(target, weights.numel(), ignore_index=None, what="target")
        return weights[target]
    raise TypeError(
        f"alpha must be None, a number in [0, 1] (binary) or one weight per class; "
        f"got {type(alpha).__name__}"
    )


def focal_term(p_t, gamma, alpha_t=1.0) -> Tensor:
    r"""The α-balanced focal loss of each example (Lin et al., eq. 5).

    .. math:: \mathrm{FL}(p_t) = \alpha_t \cdot (1 - p_t)^{\gamma} \cdot (-\log p_t)

    Composed literally of :func:`alpha_weight`'s output, :func:`modulating_factor` and
    :func:`cross_entropy_term`. With ``gamma=0`` and ``alpha_t=1`` it is the cross-entropy.

    Args:
        p_t: probability of the true class, any shape, values in [0, 1].
        gamma: focusing parameter ≥ 0 (number, or tensor broadcastable to ``p_t``).
        alpha_t: weight of each example, a number or a tensor broadcastable to ``p_t``
            (e.g. from :func:`alpha_weight`).

    Returns:
        Tensor of the broadcast shape.
    """
    p_t = as_float_tensor(p_t, "p_t")
    if not isinstance(alpha_t, Real) or isinstance(alpha_t, bool):  # a number stays exact
        alpha_t = as_float_tensor(alpha_t, "alpha_t")
    return alpha_t * modulating_factor(p_t, gamma) * cross_entropy_term(p_t)
