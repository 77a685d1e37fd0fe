"""focal_teach: focal loss (Lin et al. 2017), step by step, and the notebooks' helpers.

The step-by-step pieces (:mod:`focal_teach.terms`) are the paper's equations on probabilities,
for teaching and plotting. The losses (:mod:`focal_teach.functional`, :mod:`focal_teach.modules`)
take logits and are what to train with.
"""

from focal_teach.functional import binary_focal_loss, focal_loss
from focal_teach.modules import BinaryFocalLoss, FocalLoss
from focal_teach.seeding import seed_everything
from focal_teach.terms import alpha_weight, cross_entropy_term, focal_term, modulating_factor
from focal_teach.training import fit, predict
from focal_teach.weights import class_counts, class_weights
from focal_teach.variants import (
    binary_focal_loss_star,
    binary_poly1_focal_loss,
    flsd_53_gamma,
    piecewise_gamma,
    poly1_focal_loss,
)
from focal_teach.detection import prior_bias
from focal_teach.calibration import expected_calibration_error, fit_temperature

__version__ = "0.1.0"

__all__ = [
    "cross_entropy_term",
    "modulating_factor",
    "alpha_weight",
    "focal_term",
    "focal_loss",
    "binary_focal_loss",
    "FocalLoss",
    "BinaryFocalLoss",
    "seed_everything",
    "class_counts",
    "class_weights",
    "fit",
    "predict",
    "piecewise_gamma",
    "flsd_53_gamma",
    "binary_focal_loss_star",
    "poly1_focal_loss",
    "binary_poly1_focal_loss",
    "prior_bias",
    "expected_calibration_error",
    "fit_temperature",
]
