"""Interactive explorers: sliders that move the focal loss's curves, in any Jupyter front end."""

from focal_teach.widgets.base import Explorer

__all__ = ["Explorer"]
