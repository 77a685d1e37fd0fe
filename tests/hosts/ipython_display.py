"""What IPython shows for an object, captured: the same formatter a cell's last expression goes through.

Works with IPython 7 to 9 and ipywidgets 7 and 8 (which display widgets differently: 7 through
``_ipython_display_``, 8 through ``_repr_mimebundle_``), so a test that uses it holds in every
environment of the matrix (noxfile.py).
"""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell
from IPython.display import display
from IPython.utils.capture import capture_output
from traitlets.config import Config

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def shell() -> InteractiveShell:
    if not InteractiveShell.initialized():
        config = Config()
        config.HistoryManager.enabled = False  # no history database in the user's IPython directory
        InteractiveShell.instance(config=config)
    return InteractiveShell.instance()


def displayed(obj) -> list[dict]:
    """The MIME bundles IPython publishes when it displays ``obj``.

    IPython catches an exception raised by a display method and prints its traceback instead
    of the object (what a learner sees): that traceback fails here.
    """
    shell()
    with capture_output() as captured:
        display(obj)
    printed = captured.stdout + captured.stderr
    assert "Traceback" not in printed and "Error" not in printed, f"displaying {type(obj).__name__} failed:\n{printed}"
    return [output.data for output in captured.outputs]


def displayed_widget_ids(obj) -> list[str]:
    """The model ids of the widget views IPython shows for ``obj``: what a notebook renders."""
    return [bundle[WIDGET_VIEW]["model_id"] for bundle in displayed(obj) if WIDGET_VIEW in bundle]
