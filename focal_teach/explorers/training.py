"""An explorer that *trains*: pick γ and α, press "train", see the new boundary and its metrics.

Training takes a fraction of a second on the 2-D data set of notebook 03, too long to redo on
every slider step, so moving a slider only arms the "train" button; pressing it retrains a fresh
model (same seed, same initialisation) and redraws the figure in place.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import ipywidgets as widgets
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve
from torch import nn

from focal_teach.data import Split
from focal_teach.experiments import binary_metrics, fit, predict, seed_everything
from focal_teach.explorers.explorer import Explorer
from focal_teach.figures.classifiers import DecisionBoundary
from focal_teach.figures.style import NEGATIVE_COLOR, POSITIVE_COLOR
from focal_teach.losses import binary_focal_loss

__all__ = ["TrainingExplorer", "training_explorer"]


class TrainingExplorer(Explorer):
    """An :class:`Explorer` whose update is expensive: controls arm a button, the button refreshes.

    Args:
        figure, controls, update: as :class:`Explorer`; ``update(**values)`` runs when the
            button is pressed (and once at construction), not when a control moves.
        description: the button's text.

    Attributes:
        button: the ``ipywidgets.Button``; ``button.click()`` refreshes, as a press does.
        status: an ``ipywidgets.Label`` saying whether the figure shows the controls' values.
        seconds: how long the last refresh took (training and drawing).
    """

    def __init__(self, figure: Figure, controls, update: Callable[..., None], *, description: str = "train", **kwargs):
        self.button = widgets.Button(description=description, icon="play", tooltip="retrain with these values")
        self.status = widgets.Label()
        self.seconds = float("nan")
        super().__init__(figure, controls, update, **kwargs)
        self.button.on_click(lambda _button: self.refresh())
        self.widget = widgets.VBox(
            [widgets.HBox([*self.controls.values(), self.button, self.status]), self.image]
        )

    def refresh(self) -> None:
        self.status.value = "training…"
        start = time.perf_counter()
        super().refresh()
        self.seconds = time.perf_counter() - start
        self.button.button_style = ""
        self.status.value = f"trained and drawn in {self.seconds:.1f} s"

    def _on_change(self, change) -> None:
        # A moved control only arms the button: the figure keeps showing the last trained model.
        self.button.button_style = "primary"
        self.status.value = "press train to see these values"


def training_explorer(
    data: Split,
    make_model: Callable[[], nn.Module],
    *,
    epochs: int = 300,
    lr: float = 0.03,
    seed: int = 0,
    gamma: float = 2.0,
    alpha: float = 0.25,
    threshold: float = 0.5,
    baseline: nn.Module | None = None,
    baseline_name: str = "cross-entropy",
) -> TrainingExplorer:
    """Sliders for γ and α, a "train" button, and the trained model's boundary, PR curve and metrics.

    Each press seeds everything with ``seed``, builds ``make_model()``, trains it with
    ``fit(model, binary_focal_loss(gamma=γ, alpha=α), data.x_train, data.y_train, epochs, lr)``
    and evaluates it on the test set with :func:`focal_teach.experiments.binary_metrics`.

    Args:
        data: a 2-D binary :class:`~focal_teach.data.Split`, e.g. ``imbalanced_2d()``.
        make_model: builds an untrained model mapping ``[N, 2]`` points to ``[N]`` logits.
        epochs, lr, seed: passed to :func:`focal_teach.experiments.fit` (and the seed to ``seed_everything``).
        gamma, alpha: the sliders' initial values (α is the positives' weight, negatives get 1 − α).
        threshold: the fixed threshold of the boundary and of the precision/recall shown.
        baseline: optionally a trained model drawn for reference in the PR panel (grey, dashed,
            its operating point a square; the trained model's is solid red with a circle).
        baseline_name: its legend label.

    Returns:
        A :class:`TrainingExplorer`; make it the last expression of a cell to display it.
    """
    if not isinstance(data, Split) or data.x_train.ndim != 2 or data.x_train.shape[1] != 2:
        raise TypeError("data must be a focal_teach Split of 2-D points (x_train of shape [N, 2]), e.g. imbalanced_2d()")
    if isinstance(make_model, nn.Module) or not callable(make_model):
        raise TypeError(
            f"make_model must be a function returning a fresh, untrained nn.Module (each press trains a new "
            f"one), e.g. `lambda: nn.Sequential(...)`; got {type(make_model).__name__}"
        )
    y_test = data.y_test.numpy()

    figure = Figure(figsize=(10.5, 4.4), layout="constrained")
    ax_map, ax_pr = figure.subplots(1, 2, width_ratios=[1.15, 1])
    boundary = DecisionBoundary(ax_map, data.x_train, data.y_train, threshold=threshold)
    ax_map.legend(loc="upper left", fontsize=8, framealpha=0.9)

    if baseline is not None:
        base_scores = predict(baseline, data.x_test).sigmoid().numpy()
        precision, recall, _ = precision_recall_curve(y_test, base_scores)
        at = binary_metrics(y_test, base_scores, threshold)
        ax_pr.step(recall, precision, where="post", color="0.6", lw=1.4, ls="--", marker="s", markevery=[],
                   label=f"{baseline_name} (AP = {at['average_precision']:.2f})")
        ax_pr.plot(at["recall"], at["precision"], "s", color="0.6", mec="black", mew=0.8, ms=8, zorder=5)
    (curve,) = ax_pr.step([], [], where="post", color=POSITIVE_COLOR, lw=1.8, label="this model")
    (point,) = ax_pr.plot([], [], "o", color=POSITIVE_COLOR, mec="black", mew=0.8, ms=9, zorder=6,
                          label=f"operating point at threshold {threshold:g}")
    prevalence = float((y_test == 1).mean())
    ax_pr.axhline(prevalence, color=NEGATIVE_COLOR, lw=1, ls=":", label=f"chance (AP = {prevalence:.2f})")
    ax_pr.set_xlim(0, 1.01)
    ax_pr.set_ylim(0, 1.03)
    ax_pr.set_xlabel("recall (fraction of positives found)")
    ax_pr.set_ylabel("precision (fraction of alarms that are positives)")
    legend = ax_pr.legend(loc="lower left", fontsize=8)

    controls = {
        "gamma": widgets.FloatSlider(value=gamma, min=0.0, max=5.0, step=0.25, description="γ", continuous_update=False),
        "alpha": widgets.FloatSlider(value=alpha, min=0.05, max=0.95, step=0.05, description="α", continuous_update=False),
    }

    def update(gamma: float, alpha: float) -> None:
        seed_everything(seed)
        model = make_model()
        loss_fn = functools.partial(binary_focal_loss, gamma=gamma, alpha=alpha)
        fit(model, loss_fn, data.x_train, data.y_train, epochs=epochs, lr=lr, seed=seed)
        boundary.draw(model)
        scores = predict(model, data.x_test).sigmoid().numpy()
        at = binary_metrics(y_test, scores, threshold)
        precision, recall, _ = precision_recall_curve(y_test, scores)
        curve.set_data(recall, precision)
        point.set_data([at["recall"]], [at["precision"]])
        label = f"γ = {gamma:g}, α = {alpha:g} (AP = {at['average_precision']:.2f})"
        curve.set_label(label)
        legend.get_texts()[1 if baseline is not None else 0].set_text(label)
        ax_map.set_title(f"focal loss, γ = {gamma:g}, α = {alpha:g}: boundary at P = {threshold:g}")
        ax_pr.set_title(
            f"test set, threshold {threshold:g}: recall {at['recall']:.2f}, precision {at['precision']:.2f}"
        )

    return TrainingExplorer(figure, controls, update)
