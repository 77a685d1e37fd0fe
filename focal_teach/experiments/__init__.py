"""Training and measuring: what the notebooks run to turn a loss into numbers.

- :mod:`~focal_teach.experiments.seeds`: :func:`seed_everything`, and :func:`over_seeds` to repeat
  an experiment and compare runs seed by seed.
- :mod:`~focal_teach.experiments.training`: :func:`fit` and :func:`predict`, a small deterministic loop.
- :mod:`~focal_teach.experiments.metrics`: scikit-learn's metrics for imbalanced problems.
- :mod:`~focal_teach.experiments.loss_shares`: who carries the loss (easy vs hard examples;
  the paper's Figure 4).
- :mod:`~focal_teach.experiments.detection`: the toy dense detector, its loss and training.
- :mod:`~focal_teach.experiments.sampling`: OHEM and 1:3 sampling, the paper's baselines.
- :mod:`~focal_teach.experiments.calibration`: ECE and temperature scaling.
- :mod:`~focal_teach.experiments.alternatives`: what to try instead of focal loss (asymmetric
  loss, logit adjustment).
- :mod:`~focal_teach.experiments.imbalance_map`: the sweep that measures when focal loss wins
  (``python -m focal_teach.experiments.imbalance_map``), and its shipped results;
  :mod:`~focal_teach.experiments.map_reading` reads them as paired gains.
"""

from focal_teach._extras import require

require(__name__, "numpy", "scipy", "sklearn", "tqdm")

from focal_teach.experiments.calibration import (  # noqa: E402
    CalibrationBins,
    calibration_bins,
    ece_sampling_floor,
    expected_calibration_error,
    fit_temperature,
    top_label,
)
from focal_teach.experiments.detection import (  # noqa: E402
    DetectorTrace,
    TinyDetector,
    anchor_average_precision,
    average_precision,
    dense_detection_loss,
    prior_bias,
    train_detector,
    train_detectors,
)
from focal_teach.experiments.sampling import anchor_cross_entropy, nms_1d, ohem_loss, sampled_loss  # noqa: E402
from focal_teach.experiments.loss_shares import (  # noqa: E402
    EASY_AND_HARD,
    EASY_NEGATIVES,
    HARD_NEGATIVES,
    HARD_POSITIVES,
    ExampleGroup,
    cumulative_loss_share,
    loss_share_of_hardest,
    shares,
)
from focal_teach.experiments.metrics import binary_metrics, classification_metrics  # noqa: E402
from focal_teach.experiments.seeds import Difference, SeedResults, over_seeds, portable_linear_init, seed_everything  # noqa: E402
from focal_teach.experiments.training import fit, predict  # noqa: E402
from focal_teach.experiments.alternatives import asymmetric_loss, logit_adjusted_cross_entropy  # noqa: E402
from focal_teach.experiments.imbalance_map import PAPER_NEG_PER_POS, load_imbalance_map  # noqa: E402
from focal_teach.experiments.map_reading import classification_gains, detection_gains, gain_table  # noqa: E402

__all__ = [
    "seed_everything",
    "portable_linear_init",
    "over_seeds",
    "SeedResults",
    "Difference",
    "fit",
    "predict",
    "binary_metrics",
    "classification_metrics",
    "ExampleGroup",
    "EASY_NEGATIVES",
    "HARD_NEGATIVES",
    "HARD_POSITIVES",
    "EASY_AND_HARD",
    "shares",
    "cumulative_loss_share",
    "loss_share_of_hardest",
    "prior_bias",
    "TinyDetector",
    "dense_detection_loss",
    "DetectorTrace",
    "train_detector",
    "anchor_average_precision",
    "average_precision",
    "train_detectors",
    "nms_1d",
    "anchor_cross_entropy",
    "ohem_loss",
    "sampled_loss",
    "top_label",
    "CalibrationBins",
    "calibration_bins",
    "expected_calibration_error",
    "ece_sampling_floor",
    "fit_temperature",
    "asymmetric_loss",
    "logit_adjusted_cross_entropy",
    "PAPER_NEG_PER_POS",
    "load_imbalance_map",
    "detection_gains",
    "classification_gains",
    "gain_table",
]
