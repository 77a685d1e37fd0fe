"""The course's figures (matplotlib): each function draws on an ``Axes`` it is given, labels it, and returns what it drew.

- :mod:`~focal_teach.figures.curves`: the paper's curves (loss and modulating factor vs p_t,
  dFL/dx vs x_t) and the bars of who carries a batch's loss.
- :mod:`~focal_teach.figures.classifiers`: trained classifiers: decision boundaries, PR curves,
  per-class bars, confusion matrices.
- :mod:`~focal_teach.figures.calibration`: reliability diagrams.
- :mod:`~focal_teach.figures.imbalance_map`: the imbalance map: paired gain against imbalance.
- :mod:`~focal_teach.figures.style`: the colours they share.
"""

from focal_teach._extras import require

require(__name__, "matplotlib", "sklearn")

from focal_teach.figures.calibration import reliability_diagram  # noqa: E402
from focal_teach.figures.classifiers import (  # noqa: E402
    DecisionBoundary,
    plot_class_counts,
    plot_confusion_matrix,
    plot_per_class,
    plot_pr_curves,
)
from focal_teach.figures.curves import (  # noqa: E402
    PAPER_GAMMAS,
    ShareBars,
    format_share,
    gamma_label,
    p_t_grid,
    plot_gradient_curves,
    plot_loss_curves,
    plot_modulating_factor,
    x_t_grid,
)
from focal_teach.figures.imbalance_map import mark_positions, plot_gain_grid, plot_gains, plot_where_on_map  # noqa: E402
from focal_teach.figures.style import NEGATIVE_COLOR, POSITIVE_COLOR, gamma_colors, run_colors  # noqa: E402

__all__ = [
    "PAPER_GAMMAS",
    "p_t_grid",
    "x_t_grid",
    "gamma_label",
    "plot_loss_curves",
    "plot_modulating_factor",
    "plot_gradient_curves",
    "ShareBars",
    "format_share",
    "DecisionBoundary",
    "plot_pr_curves",
    "plot_class_counts",
    "plot_per_class",
    "plot_confusion_matrix",
    "reliability_diagram",
    "plot_gains",
    "plot_gain_grid",
    "mark_positions",
    "plot_where_on_map",
    "POSITIVE_COLOR",
    "NEGATIVE_COLOR",
    "gamma_colors",
    "run_colors",
]
