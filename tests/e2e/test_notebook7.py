"""The notebooks in Jupyter Notebook 7 (the interface many classroom JupyterHubs default to): the
entry notebook and the first explorer's open at /notebooks/<name> and run all without an error, and
the explorer's slider moves its picture. (Every notebook runs in JupyterLab, test_notebooks_in_browser;
Notebook 7 is built from the same components, so two notebooks keep make test within its time.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from notebook_page import NotebookPage
from test_notebooks_in_browser import SLIDER_LIMIT_S, wait_for_new_picture

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
EXPLORER_NOTEBOOK = "01_from_cross_entropy_to_focal_loss.ipynb"
NOTEBOOKS = ["00_start_here.ipynb", EXPLORER_NOTEBOOK]


@pytest.fixture
def opened(browser, notebook7):
    pages = []

    def open_(name: str) -> NotebookPage:
        page = NotebookPage(browser, notebook7, name)
        pages.append(page)
        assert "/notebooks/" in page.page.url, f"{name} did not open in Notebook 7's interface: {page.page.url}"
        return page

    yield open_
    for page in pages:
        page.close()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_without_errors_in_notebook7(opened, name, artifacts):
    if not (ROOT / "notebooks" / name).exists():
        pytest.fail(f"notebooks/{name} does not exist")
    notebook = opened(name)
    notebook.run_all()
    notebook.page.screenshot(path=artifacts / "after-run-all.png")
    assert notebook.errors() == [], f"{name} shows errors in Notebook 7"
    if name == EXPLORER_NOTEBOOK:
        box = notebook.widget_boxes().first
        assert notebook.widget_boxes().count() >= 1, f"{name}: no explorer rendered in Notebook 7"
        box.scroll_into_view_if_needed()
        image = box.locator("img.widget-image").first
        slider = box.locator(".widget-slider").first
        before_src, before_readout = image.get_attribute("src"), slider.locator(".widget-readout").inner_text()
        box.screenshot(path=artifacts / "explorer-before-move.png")
        # Dragged with the mouse, as a learner does: in Notebook 7 the focused handle's arrow keys
        # did not reach the slider under Playwright, while a drag does.
        handle = slider.locator(".noUi-handle").bounding_box()
        y = handle["y"] + handle["height"] / 2
        notebook.page.mouse.move(handle["x"] + handle["width"] / 2, y)
        notebook.page.mouse.down()
        notebook.page.mouse.move(handle["x"] + 40, y, steps=5)
        notebook.page.mouse.up()
        wait_for_new_picture(notebook.page, image, before_src, SLIDER_LIMIT_S)
        assert slider.locator(".widget-readout").inner_text() != before_readout
        box.screenshot(path=artifacts / "explorer-after-move.png")
