"""The shape every explorer shares: a matplotlib figure redrawn in place when a control moves."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import ipywidgets as widgets
from matplotlib.figure import Figure

__all__ = ["Explorer"]


class Explorer:
    """A matplotlib figure that redraws itself when its ipywidgets controls move.

    Args:
        figure: a ``matplotlib.figure.Figure`` built directly, not through pyplot, so the
            inline backend never shows it a second time at the end of a cell.
        controls: name -> ipywidgets control, e.g. ``{"gamma": FloatSlider(...)}``.
        update: called as ``update(**values)`` with every control's value; changes the
            figure's artists in place (``line.set_ydata``, ``bar.set_height``, ...) and never
            builds a new figure.

    Attributes:
        figure, controls: as given. Setting ``controls[name].value`` from Python updates the
            figure synchronously, which is how the tests drive an explorer without a browser.
        image: the ``ipywidgets.Image`` showing the figure, re-rendered as PNG on each change.
        widget: the controls above the image, what the notebook displays.

    The picture is a core ``ipywidgets.Image`` (works in Colab, JupyterLab, VS Code and
    Binder), of fixed size (no page jumps), and needs no ``Output`` widget. In Jupyter the
    explorer displays itself: make it the last expression of a cell.
    """

    def __init__(self, figure: Figure, controls: Mapping[str, widgets.ValueWidget], update: Callable[..., None], *, dpi: float = 100):
        self.figure = figure
        self.controls = dict(controls)
        self._update = update
        self._dpi = dpi
        width, height = (figure.get_size_inches() * dpi).round().astype(int)
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px", height=f"{height}px"))
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values())), self.image])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    @property
    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        """Apply the controls' current values to the figure and re-render the picture."""
        self._update(**self.values)
        self.image.value = self.render_png()

    def render_png(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self._dpi)
        return buffer.getvalue()

    def _on_change(self, change) -> None:
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
