"""focal_teach.figures.curves: the curves drawn are the paper's equations; the bars move in place."""

import math

import matplotlib.colors
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from focal_teach.figures.curves import (
    PAPER_GAMMAS,
    ShareBars,
    format_share,
    gamma_colors,
    p_t_grid,
    plot_gradient_curves,
    plot_loss_curves,
    plot_modulating_factor,
    x_t_grid,
)


@pytest.fixture
def ax():
    return Figure().add_subplot()


def test_loss_curves_are_figure_1(ax):
    lines = plot_loss_curves(ax)
    assert list(lines) == list(PAPER_GAMMAS)
    for gamma, line in lines.items():
        p, y = line.get_xdata(), line.get_ydata()
        np.testing.assert_allclose(y, (1 - p) ** gamma * -np.log(p), rtol=1e-12, atol=1e-15)
    assert lines[0.0].get_label() == r"$\gamma$ = 0 (CE)" and lines[2.0].get_label() == r"$\gamma$ = 2"
    assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 5)
    assert "p_t" in ax.get_xlabel() and "nats" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [line.get_label() for line in lines.values()]


def test_loss_curves_with_alpha_and_line_options(ax):
    lines = plot_loss_curves(ax, [2.0], alpha_t=0.25, p_t=[0.1, 0.9], legend=False, lw=1, alpha=0.5)
    np.testing.assert_allclose(lines[2.0].get_ydata(), 0.25 * (1 - np.array([0.1, 0.9])) ** 2 * -np.log([0.1, 0.9]))
    assert lines[2.0].get_alpha() == 0.5 and lines[2.0].get_linewidth() == 1
    assert ax.get_legend() is None


@pytest.mark.parametrize("log", [False, True])
def test_modulating_factor(ax, log):
    lines = plot_modulating_factor(ax, log=log)
    for gamma, line in lines.items():
        np.testing.assert_allclose(line.get_ydata(), (1 - line.get_xdata()) ** gamma)
    assert ax.get_yscale() == ("log" if log else "linear")


def test_gradient_curves_are_figure_6(ax):
    lines = plot_gradient_curves(ax, (0.0, 2.0))
    x = lines[0.0].get_xdata()
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(lines[0.0].get_ydata(), p - 1, atol=1e-12)
    np.testing.assert_allclose(lines[2.0].get_ydata(), (1 - p) ** 2 * (2 * p * np.log(p) + p - 1), atol=1e-12)
    assert ax.get_xlim() == (-6, 6)


def test_every_curve_is_finite_at_the_grid_edges(ax):
    for plot in (plot_loss_curves, plot_modulating_factor, plot_gradient_curves):
        for line in plot(ax, (0.0, 0.25, 5.0)).values():
            assert np.isfinite(line.get_ydata()).all()


def test_grids_and_colors():
    assert p_t_grid(3).tolist() == [1e-3, 0.5005, 1.0]
    assert x_t_grid(3, limit=2).tolist() == [-2.0, 0.0, 2.0]
    colors = gamma_colors(PAPER_GAMMAS)
    assert len(set(colors)) == len(PAPER_GAMMAS)


def test_share_bars_move_in_place(ax):
    bars = ShareBars(ax, ["easy", "hard"], [3.0, 1.0], quantity="loss", colors=["k", "r"])
    rectangles, texts = list(bars.bars), list(bars.texts)
    assert [r.get_height() for r in rectangles] == [75.0, 25.0]
    assert texts[0].get_text() == "75.0 %\ntotal 3"
    assert ax.get_xlim() == (-0.6, 1.6)
    bars.set_totals([0.001, 99.999])
    assert list(bars.bars) == rectangles and list(ax.patches) == rectangles and bars.texts == texts
    assert rectangles[0].get_height() == pytest.approx(0.001) and texts[1].get_text().startswith("99.999 %")
    assert texts[1].get_position()[1] == pytest.approx(rectangles[1].get_height() + 2)
    bars.set_totals({"easy": 0.0, "hard": 0.0})
    assert [r.get_height() for r in rectangles] == [0.0, 0.0]
    assert ax.get_ylabel() == "share of the loss (%)"


def test_format_share_never_rounds_a_small_part_away():
    assert [format_share(s) for s in (0, 0.000537, 0.8138, 0.99946, 1)] == ["0 %", "0.054 %", "81.4 %", "99.946 %", "100 %"]


@pytest.mark.parametrize(
    "call, error, word",
    [
        (lambda ax: plot_loss_curves("ax"), TypeError, "ax"),
        (lambda ax: plot_loss_curves(ax, 2.0), TypeError, "gammas"),
        (lambda ax: plot_loss_curves(ax, []), TypeError, "gammas"),
        (lambda ax: plot_gradient_curves(ax, [-1.0]), ValueError, "gamma"),
        (lambda ax: plot_modulating_factor(ax, p_t=torch.ones(2, 2)), ValueError, "p_t"),
        (lambda ax: plot_gradient_curves(ax, x_t="wide"), TypeError, "x_t"),
        (lambda ax: p_t_grid(1), ValueError, "num"),
        (lambda ax: x_t_grid(10, limit=-1), ValueError, "limit"),
        (lambda ax: ShareBars(ax, "easy"), TypeError, "labels"),
        (lambda ax: ShareBars(ax, ["a", "b"], colors=["r"]), ValueError, "colors"),
        (lambda ax: ShareBars(ax, ["a", "b"], [1.0]), ValueError, "totals"),
        (lambda ax: ShareBars(ax, ["a", "b"], [1.0, math.nan]), ValueError, "totals"),
        (lambda ax: format_share(81.4), ValueError, "share"),
    ],
)
def test_bad_input_names_the_argument(ax, call, error, word):
    with pytest.raises(error, match=word):
        call(ax)


def test_share_bars_for_groups(ax):
    from focal_teach.experiments.loss_shares import EASY_AND_HARD
    from focal_teach.figures.style import NEGATIVE_COLOR, POSITIVE_COLOR

    bars = ShareBars.for_groups(ax, EASY_AND_HARD, [g.loss() for g in EASY_AND_HARD], quantity="cross-entropy")
    assert [t.get_text() for t in ax.get_xticklabels()] == [g.label for g in EASY_AND_HARD]
    assert [b.get_facecolor()[:3] for b in bars.bars] == [matplotlib.colors.to_rgb(c) for c in (NEGATIVE_COLOR, POSITIVE_COLOR)]
    assert bars.bars[0].get_height() == pytest.approx(100 * 100.503 / (100.503 + 23.026), rel=1e-4)
