"""focal_teach: the focal loss (Lin et al. 2017), step by step, and the course that teaches it.

The package has two halves:

- :mod:`focal_teach.losses`, **the loss library** (torch only): the paper's equations one at a
  time, and focal losses from logits that are exact, stable and as fast as ``F.cross_entropy``.
  Its public names are also here, at the top level: ``from focal_teach import focal_loss``.
- **The course's helpers**, what the notebooks import (``pip install "focal-teach[notebooks]"``
  for matplotlib, ipywidgets, scikit-learn and tqdm): :mod:`focal_teach.data` (the toy problems
  and data sets), :mod:`focal_teach.experiments` (training and measuring),
  :mod:`focal_teach.figures` (matplotlib), :mod:`focal_teach.explorers` (ipywidgets sliders) and
  :mod:`focal_teach.exercises` (checkers with feedback).

``import focal_teach`` imports torch alone; the course's subpackages import their libraries
when they are imported.
"""

from focal_teach.losses import *  # noqa: F403  (the loss library's public names)
from focal_teach.losses import __all__ as __all__  # noqa: E402  (the same public names)

__version__ = "0.2.0"
