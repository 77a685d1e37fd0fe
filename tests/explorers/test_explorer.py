import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from focal_teach.explorers import Explorer
from hosts.ipython_display import displayed_widget_ids


def make():
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    x = np.linspace(0, 1, 50)
    (line,) = ax.plot(x, x)
    slider = widgets.FloatSlider(value=1.0, min=0.0, max=5.0)
    return Explorer(fig, {"power": slider}, lambda power: line.set_ydata(x**power)), line, x


def test_moving_a_control_updates_the_figure_in_place_and_the_picture():
    explorer, line, x = make()
    figure, before = explorer.figure, bytes(explorer.image.value)
    explorer.controls["power"].value = 3.0
    assert explorer.figure is figure and line in explorer.figure.axes[0].lines
    np.testing.assert_allclose(line.get_ydata(), x**3)
    after = bytes(explorer.image.value)
    assert after != before and after.startswith(b"\x89PNG")


def test_displays_as_its_widget():
    explorer, _, _ = make()
    assert displayed_widget_ids(explorer) == [explorer.widget.model_id]  # ipywidgets 7 and 8 alike
    assert explorer.widget.children[1] is explorer.image
    assert explorer.values == {"power": 1.0}
