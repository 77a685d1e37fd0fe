"""The course's toy problems and data sets, each seeded and generated or bundled (no download).

- :func:`imbalanced_2d` (:mod:`~focal_teach.data.points`): 1:50 points in the plane (notebook 03).
- :func:`long_tailed_digits` (:mod:`~focal_teach.data.digits`): scikit-learn's digits with a 50:1
  long tail (notebooks 04, 07).
- :func:`rare_tag_sequences` (:mod:`~focal_teach.data.tagging`): token sequences with rare tags
  and padding (notebook 05).
- :func:`make_dense_detection` (:mod:`~focal_teach.data.anchors`): 1-D images with thousands of
  anchors and a handful of objects (notebook 06).

Every set but the detector's comes as a :class:`Split` of tensors.
"""

from focal_teach._extras import require

require(__name__, "numpy", "sklearn")

from focal_teach.data.anchors import (  # noqa: E402
    CLASS_NAMES,
    IGNORE,
    DenseDetectionData,
    assign_anchors,
    interval_iou,
    make_dense_detection,
)
from focal_teach.data.digits import long_tail_profile, long_tailed_digits  # noqa: E402
from focal_teach.data.points import imbalanced_2d  # noqa: E402
from focal_teach.data.split import Split  # noqa: E402
from focal_teach.data.tagging import (  # noqa: E402
    AMBIGUOUS_TAG_PROBABILITY,
    IGNORE_INDEX,
    PAD,
    TAGS,
    most_likely_tags,
    rare_tag_sequences,
    render_sequence,
)

__all__ = [
    "Split",
    "imbalanced_2d",
    "long_tailed_digits",
    "long_tail_profile",
    "rare_tag_sequences",
    "most_likely_tags",
    "render_sequence",
    "AMBIGUOUS_TAG_PROBABILITY",
    "PAD",
    "IGNORE_INDEX",
    "TAGS",
    "DenseDetectionData",
    "make_dense_detection",
    "IGNORE",
    "CLASS_NAMES",
    "interval_iou",
    "assign_anchors",
]
