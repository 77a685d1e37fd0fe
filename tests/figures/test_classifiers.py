import numpy as np
import pytest
import torch
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from sklearn.metrics import average_precision_score
from torch import nn

from focal_teach.figures.classifiers import (
    DecisionBoundary,
    plot_class_counts,
    plot_confusion_matrix,
    plot_per_class,
    plot_pr_curves,
    run_colors,
)


class Linear2D(nn.Module):
    """Logit w·x + b: its P = 0.5 boundary is the line w·x + b = 0."""

    def __init__(self, w, b):
        super().__init__()
        self.w, self.b = torch.tensor(w), torch.tensor(b)

    def forward(self, x):
        return x @ self.w + self.b


def points():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(300, 2, generator=gen)
    return x, (x[:, 0] > 1).long()


def test_decision_boundary_draws_probabilities_and_updates_in_place():
    x, y = points()
    ax = Figure().add_subplot()
    boundary = DecisionBoundary(ax, x, y, resolution=50, colorbar=False)
    p = boundary.draw(Linear2D([3.0, 0.0], -3.0))
    assert p.shape == (50, 50)
    g0 = boundary._g0
    np.testing.assert_allclose(p, torch.sigmoid(torch.tensor(3.0 * g0 - 3.0)).numpy(), atol=1e-6)
    np.testing.assert_allclose(boundary.image.get_array(), p)
    first = boundary.contour
    boundary.draw(Linear2D([0.0, 3.0], 0.0))
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert contours == [boundary.contour] and boundary.contour is not first  # replaced, not stacked
    labels = ax.get_legend_handles_labels()[1]
    assert labels == [f"negative ({int((y == 0).sum())})", f"positive ({int(y.sum())})"]


def test_decision_boundary_bad_input():
    x, y = points()
    ax = Figure().add_subplot()
    with pytest.raises(ValueError, match="shape \\[N, 2\\]"):
        DecisionBoundary(ax, torch.randn(10, 3), torch.zeros(10))
    with pytest.raises(ValueError, match="300 points but y has 10"):
        DecisionBoundary(ax, x, y[:10])
    with pytest.raises(ValueError, match="threshold must be a probability"):
        DecisionBoundary(ax, x, y, threshold=1.0)
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        DecisionBoundary(None, x, y)


def test_pr_curves_carry_sklearn_average_precision_and_operating_points():
    x, y = points()
    scores = {"good": torch.sigmoid(3 * x[:, 0] - 3), "noisy": torch.rand(300, generator=torch.Generator().manual_seed(1))}
    ax = Figure().add_subplot()
    displays = plot_pr_curves(ax, y, scores, threshold=0.5)
    for name, s in scores.items():
        assert displays[name].average_precision == pytest.approx(average_precision_score(y.numpy(), s.numpy()))
    good = scores["good"].numpy() >= 0.5
    recall = (good & (y.numpy() == 1)).sum() / y.sum().item()
    points_drawn = [line for line in ax.get_lines() if line.get_marker() == "o" and len(line.get_xdata()) == 1]
    assert any(np.isclose(line.get_xdata()[0], recall) for line in points_drawn)
    labels = ax.get_legend_handles_labels()[1]
    assert any(label.startswith("good (AP = ") for label in labels)
    assert any(label.startswith("chance (AP = ") for label in labels)


def test_per_class_bars_show_means_and_sample_std():
    values = {"A": np.array([[1.0, 2.0], [3.0, 4.0]]), "B": np.array([0.5, 0.5])}
    ax = Figure().add_subplot()
    bars = plot_per_class(ax, values, ["x", "y"], ylabel="metric")
    assert [b.get_height() for b in bars["A"]] == [2.0, 3.0]
    assert [b.get_height() for b in bars["B"]] == [0.5, 0.5]
    assert bars["A"].errorbar is not None and bars["B"].errorbar is None
    segments = bars["A"].errorbar.lines[2][0].get_segments()
    np.testing.assert_allclose([s[1, 1] - s[0, 1] for s in segments], 2 * np.std([1.0, 3.0], ddof=1))
    with pytest.raises(ValueError, match="must be \\[C\\] or \\[num_seeds, C\\] with C = 3"):
        plot_per_class(ax, values, ["x", "y", "z"], ylabel="metric")


def test_per_class_runs_differ_by_hatch_not_only_by_colour():
    values = {name: np.array([0.5, 0.7]) for name in ("A", "B", "C")}
    bars = plot_per_class(Figure().add_subplot(), values, ["x", "y"], ylabel="metric")
    patterns = [bars[name][0].get_hatch() or "" for name in values]
    assert len(set(patterns)) == 3
    chosen = plot_per_class(Figure().add_subplot(), values, ["x", "y"], ylabel="metric", hatches={"A": "//", "B": "", "C": ".."})
    assert chosen["A"][1].get_hatch() == "//"


def test_confusion_matrix_is_row_normalised():
    ax = Figure().add_subplot()
    display = plot_confusion_matrix(ax, [0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 2], ["a", "b", "c"])
    np.testing.assert_allclose(display.confusion_matrix.sum(1), 1.0)
    np.testing.assert_allclose(display.confusion_matrix[1], [1 / 3, 2 / 3, 0])
    assert sorted(t.get_text() for t in ax.texts) == sorted(["50", "50", "33", "67", "100"])


def test_class_counts_bars():
    ax = Figure().add_subplot()
    bars = plot_class_counts(ax, [100, 10, 2], ["a", "b", "c"], test_counts=[5, 5, 5], log=True)
    assert [b.get_height() for b in bars] == [100, 10, 2]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="counts has 3 entries but class_names has 2"):
        plot_class_counts(ax, [1, 2, 3], ["a", "b"])


def test_run_colors_are_stable_per_name():
    colors = run_colors(["CE", "focal"])
    assert colors["CE"] != colors["focal"]
    assert run_colors(["CE", "focal", "x"])["CE"] == colors["CE"]
