"""Interactive explorers: sliders that move the focal loss's curves, in any Jupyter front end.

Core ipywidgets only (no ipympl), so they work in Colab, JupyterLab, Notebook 7, VS Code and Binder.

- :mod:`~focal_teach.explorers.explorer`: :class:`Explorer`, a figure redrawn in place when a control moves.
- :mod:`~focal_teach.explorers.curves`: :func:`loss_explorer` (notebook 01), :func:`gradient_explorer` (02).
- :mod:`~focal_teach.explorers.training`: :func:`training_explorer`, which retrains (03).
"""

from focal_teach._extras import require

require(__name__, "ipywidgets", "matplotlib", "PIL", "sklearn")

from focal_teach.explorers.curves import gradient_explorer, loss_explorer  # noqa: E402
from focal_teach.explorers.explorer import Explorer  # noqa: E402
from focal_teach.explorers.training import TrainingExplorer, training_explorer  # noqa: E402

__all__ = ["Explorer", "loss_explorer", "gradient_explorer", "TrainingExplorer", "training_explorer"]
