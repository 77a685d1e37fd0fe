"""loss_explorer and gradient_explorer, driven as a browser would: by setting controls' values."""

import io
import math

import numpy as np
import pytest
from PIL import Image

from focal_teach.experiments.loss_shares import EASY_AND_HARD, EASY_NEGATIVES, HARD_NEGATIVES, HARD_POSITIVES, ExampleGroup, shares
from focal_teach.explorers import Explorer, gradient_explorer, loss_explorer
from hosts.ipython_display import displayed_widget_ids


def expected_loss(x, gamma, alpha_t):
    return alpha_t * (1 - x) ** gamma * -np.log(x)


def expected_gradient(x, gamma, alpha_t):
    p = 1 / (1 + np.exp(-x))
    return alpha_t * (1 - p) ** gamma * (gamma * p * np.log(p) + p - 1)


EXPLORERS = {
    "loss": (loss_explorer, expected_loss, ExampleGroup.loss),
    "gradient": (gradient_explorer, expected_gradient, ExampleGroup.gradient),
}


def artists(explorer):
    """Every artist of the figure, by identity: an update must move these, never add or remove."""
    found = []
    for ax in explorer.figure.axes:
        found += [ax, ax.title, *ax.lines, *ax.patches, *ax.texts]
    return found


def highlighted(explorer):
    lines = {line.get_gid(): line for line in explorer.figure.axes[0].lines if line.get_gid()}
    return lines["positive"], lines["negative"]


def check_state(explorer, kind, gamma, alpha, groups=EASY_AND_HARD):
    """The picture shows what (gamma, alpha) mean: curves from the paper's formula, bars the shares."""
    _, formula, total = EXPLORERS[kind]
    positive, negative = highlighted(explorer)
    x = positive.get_xdata()
    for line, alpha_t in ((positive, alpha), (negative, 1 - alpha)):
        y = line.get_ydata()
        assert np.isfinite(y).all()
        np.testing.assert_allclose(y, formula(x, gamma, alpha_t), rtol=1e-6, atol=1e-9)
    heights = [bar.get_height() for bar in explorer.figure.axes[1].patches]
    assert np.isfinite(heights).all() and sum(heights) == pytest.approx(100.0)
    np.testing.assert_allclose(heights, 100 * np.array(shares([total(g, gamma, alpha) for g in groups])), atol=1e-9)
    assert f"γ = {gamma:.1f}, α = {alpha:.2f}" in explorer.figure.axes[0].get_title()


def slider_values(control, step):
    return [float(v) for v in np.round(np.arange(control.min, control.max + step / 2, step), 6)]


@pytest.mark.parametrize("kind", EXPLORERS)
def test_defaults_are_the_papers_and_the_picture_is_ready(kind):
    explorer = EXPLORERS[kind][0]()
    assert isinstance(explorer, Explorer)
    assert explorer.values == {"gamma": 2.0, "alpha": 0.25}
    assert (explorer.controls["gamma"].min, explorer.controls["gamma"].max) == (0.0, 5.0)
    assert (explorer.controls["alpha"].min, explorer.controls["alpha"].max) == (0.0, 1.0)
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    check_state(explorer, kind, 2.0, 0.25)
    assert displayed_widget_ids(explorer) == [explorer.widget.model_id]  # ipywidgets 7 and 8 alike


@pytest.mark.parametrize("kind", EXPLORERS)
@pytest.mark.parametrize("name, step", [("gamma", 0.5), ("alpha", 0.1)])
def test_each_control_across_its_range_moves_the_same_artists(kind, name, step):
    explorer = EXPLORERS[kind][0]()
    figure, before = explorer.figure, artists(explorer)
    control = explorer.controls[name]
    values = slider_values(control, step)
    assert values[0] == control.min and values[-1] == control.max
    for value in values:
        if value == control.value:
            continue
        picture = bytes(explorer.image.value)
        curves = [line.get_ydata().copy() for line in highlighted(explorer)]
        control.value = value
        assert explorer.figure is figure and artists(explorer) == before
        check_state(explorer, kind, **explorer.values)
        assert bytes(explorer.image.value) != picture, f"{name}={value}: the picture did not change"
        for old, line in zip(curves, highlighted(explorer)):
            assert not np.array_equal(old, line.get_ydata()), f"{name}={value}: a highlighted curve did not move"


@pytest.mark.parametrize("kind", EXPLORERS)
@pytest.mark.parametrize("gamma", ["min", "max"])
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_corners_draw_finite_curves(kind, gamma, alpha):
    explorer = EXPLORERS[kind][0]()
    explorer.controls["alpha"].value = alpha
    explorer.controls["gamma"].value = getattr(explorer.controls["gamma"], gamma)
    check_state(explorer, kind, **explorer.values)
    positive, negative = highlighted(explorer)
    silent = positive if alpha == 0.0 else negative  # α_t = 0: that class has no loss at all
    assert not silent.get_ydata().any()


def test_gamma_zero_alpha_half_is_half_the_cross_entropy():
    explorer = loss_explorer(gamma=0.0, alpha=0.5)
    positive, negative = highlighted(explorer)
    np.testing.assert_allclose(positive.get_ydata(), 0.5 * -np.log(positive.get_xdata()), rtol=1e-6)
    np.testing.assert_array_equal(positive.get_ydata(), negative.get_ydata())


def test_gradient_axis_holds_every_slider_position():
    explorer = gradient_explorer(max_gamma=8.0)
    low, high = explorer.figure.axes[0].get_ylim()
    explorer.controls["alpha"].value = 1.0
    for gamma in (0.0, 0.5, 2.0, 8.0):
        explorer.controls["gamma"].value = gamma
        y = highlighted(explorer)[0].get_ydata()
        assert low <= y.min() and y.max() <= high


def test_custom_groups_get_their_own_bars():
    groups = (EASY_NEGATIVES, HARD_NEGATIVES, HARD_POSITIVES)
    explorer = gradient_explorer(groups=groups)
    assert [t.get_text() for t in explorer.figure.axes[1].get_xticklabels()] == [g.label for g in groups]
    explorer.controls["gamma"].value = 0.0
    check_state(explorer, "gradient", 0.0, 0.25, groups)


@pytest.mark.parametrize("kind", EXPLORERS)
@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"gamma": -0.5}, ValueError, "gamma"),
        ({"gamma": 6.0}, ValueError, "max_gamma"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"alpha": None}, ValueError, "alpha"),
        ({"max_gamma": 0}, ValueError, "max_gamma"),
        ({"max_gamma": math.inf}, ValueError, "max_gamma"),
        ({"groups": []}, TypeError, "groups"),
        ({"groups": EASY_NEGATIVES}, TypeError, "groups"),
        ({"groups": ["easy"]}, TypeError, "ExampleGroup"),
    ],
)
def test_bad_arguments_name_themselves(kind, kwargs, error, word):
    with pytest.raises(error, match=word):
        EXPLORERS[kind][0](**kwargs)


@pytest.mark.parametrize("kind", EXPLORERS)
def test_the_fast_redraw_gives_exactly_the_full_picture(kind):
    # Each move redraws only the artists that change (Explorer(animated=...)); any moving artist
    # left off that list would show here as pixels differing from a full redraw.
    explorer = EXPLORERS[kind][0]()
    for gamma, alpha in ((0.0, 0.5), (5.0, 1.0), (0.3, 0.0), (2.0, 0.25)):
        explorer.controls["gamma"].value = gamma
        explorer.controls["alpha"].value = alpha
        picture = np.asarray(Image.open(io.BytesIO(bytes(explorer.image.value))))
        explorer._canvas.draw()
        np.testing.assert_array_equal(picture, np.asarray(explorer._canvas.buffer_rgba()))
