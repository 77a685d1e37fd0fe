"""Interactive explorers: sliders that move the focal loss's curves, in any Jupyter front end."""

from focal_teach.widgets.base import Explorer
from focal_teach.widgets.curves import gradient_explorer, loss_explorer

__all__ = ["Explorer", "loss_explorer", "gradient_explorer"]
