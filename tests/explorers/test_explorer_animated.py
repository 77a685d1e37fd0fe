"""Explorer(animated=...): redrawing only the moving artists gives the picture a full redraw gives."""

import io

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from focal_teach.explorers import Explorer


def pixels(png) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(bytes(png))))


def full_redraw(explorer) -> np.ndarray:
    explorer._canvas.draw()
    return np.asarray(explorer._canvas.buffer_rgba()).copy()


def make(listed=True):
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    x = np.linspace(0, 1, 50)
    ax.plot(x, 1 - x, color="0.7", label="static")
    (line,) = ax.plot(x, x, lw=3, label="moving")
    title = ax.set_title("power 1")
    ax.set(xlim=(0, 1), ylim=(0, 1))

    def update(power):
        line.set_ydata(x**power)
        title.set_text(f"power {power:g}")

    slider = widgets.FloatSlider(value=1.0, min=0.0, max=5.0)
    animated = [line, title, *ax.spines.values()] if listed else [line]
    return Explorer(fig, {"power": slider}, update, animated=animated), line, title


def test_picture_equals_a_full_redraw_at_every_value():
    explorer, line, _ = make()
    for power in (0.0, 0.5, 3.0, 5.0):
        explorer.controls["power"].value = power
        np.testing.assert_array_equal(pixels(explorer.image.value), full_redraw(explorer))
    assert not line.get_animated()  # the static figure (a full draw) still shows it


def test_an_unlisted_artist_keeps_its_first_picture():
    explorer, _, title = make(listed=False)
    explorer.controls["power"].value = 3.0
    assert title.get_text() == "power 3"
    assert not np.array_equal(pixels(explorer.image.value), full_redraw(explorer))


def test_still_right_after_the_figure_was_shown_cropped_and_after_a_resize():
    explorer, _, _ = make()
    explorer.figure.savefig(io.BytesIO(), format="png", bbox_inches="tight", dpi=50)  # as %matplotlib inline shows it
    explorer.controls["power"].value = 2.0
    np.testing.assert_array_equal(pixels(explorer.image.value), full_redraw(explorer))
    explorer.figure.set_size_inches(5, 3)
    explorer.controls["power"].value = 4.0
    picture = pixels(explorer.image.value)
    assert picture.shape[:2] == (300, 500)
    np.testing.assert_array_equal(picture, full_redraw(explorer))
