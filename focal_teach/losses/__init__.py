r"""The loss library: the focal loss (Lin et al. 2017) step by step, and from logits. Depends on torch alone.

.. math::

    \mathrm{FL}(p_t) = -\alpha_t \, (1 - p_t)^{\gamma} \, \log p_t

- :mod:`~focal_teach.losses.terms`: the paper's equations on probabilities, one function each
  (cross-entropy, α_t, the modulating factor, their product), for teaching and plotting;
  :mod:`~focal_teach.losses.gradients`: the derivative with respect to the logit (appendix B).
- :mod:`~focal_teach.losses.functional`: :func:`focal_loss` (softmax, ``F.cross_entropy``'s
  layout) and :func:`binary_focal_loss` (sigmoid, ``torchvision.ops.sigmoid_focal_loss``), from
  logits, exact, stable and fast; :mod:`~focal_teach.losses.modules`: their ``nn.Module`` forms.
- :mod:`~focal_teach.losses.variants`: FL*, Poly-1, sample-dependent γ (FLSD-53).
- :mod:`~focal_teach.losses.class_weights`: per-class α from class counts.
- :class:`set_validate_args`: the switch for the losses' checks of tensor values (on by
  default, and free of host syncs either way).

This folder imports nothing else from ``focal_teach``: copy it into a project as it is.
"""

from .class_weights import class_counts, class_weights
from .functional import binary_focal_loss, focal_loss
from .gradients import focal_loss_grad
from .modules import BinaryFocalLoss, FocalLoss
from .terms import alpha_weight, cross_entropy_term, focal_term, modulating_factor
from ._validation import get_validate_args, set_validate_args
from .variants import (
    binary_focal_loss_star,
    binary_poly1_focal_loss,
    flsd_53_gamma,
    piecewise_gamma,
    poly1_focal_loss,
)

__all__ = [
    # the paper's equations, one at a time
    "cross_entropy_term",
    "modulating_factor",
    "alpha_weight",
    "focal_term",
    "focal_loss_grad",
    # the losses, from logits
    "focal_loss",
    "binary_focal_loss",
    "FocalLoss",
    "BinaryFocalLoss",
    # variants
    "piecewise_gamma",
    "flsd_53_gamma",
    "binary_focal_loss_star",
    "poly1_focal_loss",
    "binary_poly1_focal_loss",
    # class weights
    "class_counts",
    "class_weights",
    # the value checks' switch
    "set_validate_args",
    "get_validate_args",
]
