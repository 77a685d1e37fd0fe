"""The explorers' embedded numbers are focal_teach's: every curve (each point to a relative 1e-3,
down to the 1e-30 of γ = 5 near p_t = 1), every share, every label; and the curves' colours
have 3:1 against the chart (WCAG 1.4.11)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from focal_teach.experiments.loss_shares import EASY_AND_HARD, shares
from focal_teach.figures.curves import format_share, p_t_grid, x_t_grid
from focal_teach.figures.style import NEGATIVE_COLOR, POSITIVE_COLOR
from focal_teach.losses import focal_loss_grad, focal_term

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("focal_site_explorer_data", ROOT / "site" / "explorer_data.py")
explorer_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(explorer_data)

PACKAGE = {
    "loss": (lambda x, g, a: focal_term(x, g, a), p_t_grid, lambda group, g, a: group.loss(g, a)),
    "gradient": (lambda x, g, a: focal_loss_grad(x, g, a), x_t_grid, lambda group, g, a: group.gradient(g, a)),
}


@pytest.fixture(scope="module", params=["loss", "gradient"])
def embedded(request, site_dir):
    return request.param, explorer_data.read(site_dir / "_static" / "explorers" / f"{request.param}.js")


def test_grids_are_the_notebook_sliders(embedded):
    _, data = embedded
    assert data["gammas"] == pytest.approx(np.arange(0, 5.0001, 0.1).tolist())
    assert data["alphas"] == pytest.approx(np.arange(0, 1.0001, 0.05).tolist())
    assert data["default"] == {"gamma": 2.0, "alpha": 0.25}


def test_every_embedded_curve_is_the_package_to_a_relative_1e_3(embedded):
    kind, data = embedded
    curve, grid, _ = PACKAGE[kind]
    x = torch.tensor(data["x"], dtype=torch.float64)
    # The notebook's grid is all there (the page adds points, never moves one).
    notebook = grid(explorer_data.POINTS).numpy()
    assert np.isin(notebook, x.numpy()).all()
    values = explorer_data.decode(data["curves"])
    assert values.shape == (len(data["gammas"]), len(data["alphas"]), len(data["x"]))
    with torch.no_grad():
        expected = np.stack([np.stack([curve(x, g, a).numpy() for a in data["alphas"]]) for g in data["gammas"]])
    relative = np.abs(values - expected) / np.where(expected == 0, 1.0, np.abs(expected))
    assert (values[expected == 0] == 0).all(), "an exact zero of the package is not stored as zero"
    worst = np.unravel_index(relative.argmax(), relative.shape)
    assert relative.max() <= 1e-3, (
        f"γ = {data['gammas'][worst[0]]}, α_t = {data['alphas'][worst[1]]}, x = {data['x'][worst[2]]}: "
        f"{values[worst]:.6g} stored, {expected[worst]:.6g} by the package")
    assert relative.max() <= data["curves"]["relative_error"] + 1e-12
    # Tiny values are values too: nothing the package gives as non-zero is stored as zero.
    assert (values[expected != 0] != 0).all()


def test_the_loss_grid_reaches_where_the_chart_does():
    """Every pixel column of a chart up to 2,000 device pixels wide has a point of its own near 1
    (the curves fall there as (1 - p_t)^(γ+1)), and no two points are further apart than 1 %."""
    x = explorer_data.loss_x()
    assert x[0] == pytest.approx(1e-3) and x[-1] == 1.0
    assert np.diff(x).max() <= 0.01 + 1e-12
    gaps = 1.0 - x[(x > 0.97) & (x < 1.0)]  # 1 - p_t, falling
    assert gaps.min() <= 1.0001e-5
    assert (gaps[:-1] / gaps[1:]).max() <= 2.0, "1 - p_t more than halves between two points near 1"


def test_every_curve_colour_has_3_to_1_against_the_chart(embedded):
    _, data = embedded
    colors = [f["color"] for f in data["family"]] + [data["positive"]["color"], data["negative"]["color"]]
    colors += [g["color"] for g in data["groups"]]
    assert POSITIVE_COLOR in colors and NEGATIVE_COLOR in colors
    ratios = {c: min(explorer_data.contrast(c, bg) for bg in explorer_data.BACKGROUNDS) for c in colors}
    assert min(ratios.values()) >= 3.0, ratios
    # Told apart without colour too: every thin curve has its own line style.
    styles = [tuple(f["dash"]) for f in data["family"]]
    assert len(set(styles)) == len(styles)


def test_contrast_is_the_wcag_formula():
    assert explorer_data.contrast("#000000") == pytest.approx(21.0)
    assert explorer_data.contrast("#ffffff") == pytest.approx(1.0)
    assert explorer_data.contrast("#767676") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert explorer_data.contrast("#9bd93c") == pytest.approx(1.7, abs=0.05)  # the old γ = 5 colour


def test_every_embedded_share_and_label_is_the_package(embedded):
    kind, data = embedded
    _, _, total = PACKAGE[kind]
    n = len(EASY_AND_HARD)
    k = 0
    for g in data["gammas"]:
        for a in data["alphas"]:
            totals = [total(group, g, a) for group in EASY_AND_HARD]
            fractions = shares(totals)
            assert data["bar_shares"][k:k + n] == pytest.approx([100 * f for f in fractions], abs=1e-4)
            assert data["bar_labels"][k:k + n] == [f"{format_share(f)}, total {t:.4g}" for f, t in zip(fractions, totals)]
            k += n
    assert k == len(data["bar_labels"])
    assert [grp["name"] for grp in data["groups"]] == [f"{grp.count:,} {grp.name}" for grp in EASY_AND_HARD]
