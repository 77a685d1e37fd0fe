"""Interactive explorers: sliders that move the focal loss's curves, in any Jupyter front end."""

from focal_teach.widgets.base import Explorer
from focal_teach.widgets.curves import gradient_explorer, loss_explorer
from focal_teach.widgets.training import TrainingExplorer, training_explorer

__all__ = ["Explorer", "loss_explorer", "gradient_explorer", "TrainingExplorer", "training_explorer"]
