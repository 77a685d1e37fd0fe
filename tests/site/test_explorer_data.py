"""The explorers' embedded numbers are focal_teach's: every curve, every share, every label."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from focal_teach.experiments.loss_shares import EASY_AND_HARD, shares
from focal_teach.figures.curves import format_share, p_t_grid, x_t_grid
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


def test_every_embedded_curve_is_the_package(embedded):
    kind, data = embedded
    curve, grid, _ = PACKAGE[kind]
    x = grid(len(data["x"]))
    np.testing.assert_allclose(data["x"], x.numpy(), atol=1e-6)
    values = explorer_data.decode(data["curves"])
    assert values.shape == (len(data["gammas"]), len(data["alphas"]), len(data["x"]))
    step = (data["curves"]["hi"] - data["curves"]["lo"]) / data["curves"]["levels"]
    with torch.no_grad():
        expected = np.stack([np.stack([curve(x, g, a).numpy() for a in data["alphas"]]) for g in data["gammas"]])
    assert np.abs(values - expected).max() <= step / 2 + 1e-12  # the 16-bit quantisation, nothing more


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
