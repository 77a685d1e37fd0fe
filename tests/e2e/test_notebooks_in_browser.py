"""Notebooks in a real JupyterLab: they run clean; the explorers and the training cell respond."""

from __future__ import annotations

import statistics
import time

import pytest
from notebook_page import NotebookPage

pytestmark = pytest.mark.e2e
EXPLORER_NOTEBOOKS = ["01_from_cross_entropy_to_focal_loss.ipynb", "02_gradients_and_hard_examples.ipynb"]
TRAINING_NOTEBOOK = "03_binary_imbalanced.ipynb"
# Run all in JupyterLab: the notebooks with widgets (the explorers, 03's train button), the start page
# and the map (08). Every notebook's every cell already runs under nbval in five environments
# (classroom, colab, binder, oldest, other_cpu); what the browser adds is the front end, which these
# exercise. The others would add minutes of the same kernel work to make test.
NOTEBOOKS = ["00_start_here.ipynb", *EXPLORER_NOTEBOOKS, TRAINING_NOTEBOOK, "08_when_does_focal_loss_win.ipynb"]
# The explorers re-render in ≤ 100 ms in the kernel (benchmarks/bench_widgets.py); the rest is
# the slider's message to the kernel, the PNG's way back and the browser decoding it.
SLIDER_LIMIT_S = 1.0
TRAIN_LIMIT_S = 10.0


@pytest.fixture(scope="session")
def executed(browser, lab):
    """Each notebook opened and run top to bottom once, kept open for the tests that need it."""
    pages: dict[str, NotebookPage] = {}

    def run(name: str) -> NotebookPage:
        if not (lab.root / name).exists():
            pytest.fail(f"notebooks/{name} does not exist")
        if name not in pages:
            notebook = NotebookPage(browser, lab, name)
            notebook.seconds = notebook.run_all()
            pages[name] = notebook
        # Chromium defers rendering in background tabs: widgets there may never appear.
        pages[name].page.bring_to_front()
        return pages[name]

    yield run
    for notebook in pages.values():
        notebook.close()


def wait_for_new_picture(page, image, before: str, limit_s: float) -> float:
    start = time.perf_counter()
    handle = image.element_handle()
    page.wait_for_function("([img, before]) => img.getAttribute('src') !== before", arg=[handle, before], timeout=limit_s * 1000)
    return time.perf_counter() - start


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_without_errors(executed, name, artifacts):
    notebook = executed(name)
    notebook.page.screenshot(path=artifacts / "after-run-all.png")
    assert notebook.errors() == [], f"{name} shows errors in JupyterLab"


@pytest.mark.parametrize("name", EXPLORER_NOTEBOOKS)
def test_explorer_sliders_move_the_picture(executed, name, artifacts, record_property):
    notebook = executed(name)
    page = notebook.page
    boxes = notebook.widget_boxes()
    assert boxes.count() >= 1, f"{name}: no explorer rendered"
    delays = []
    for b in range(boxes.count()):
        box = boxes.nth(b)
        box.scroll_into_view_if_needed()
        image = box.locator("img.widget-image").first
        sliders = box.locator(".widget-slider")
        assert sliders.count() >= 1
        for s in range(sliders.count()):
            slider = sliders.nth(s)
            readout = slider.locator(".widget-readout")
            label = slider.locator(".widget-label").inner_text() or f"slider {s}"
            before_src, before_readout = image.get_attribute("src"), readout.inner_text()
            box.screenshot(path=artifacts / f"explorer{b}-slider{s}-before.png")
            slider.locator(".noUi-handle").focus()
            key = "ArrowLeft" if slider.locator(".noUi-handle").get_attribute("aria-valuenow") == slider.locator(".noUi-handle").get_attribute("aria-valuemax") else "ArrowRight"
            page.keyboard.press(key)
            delays.append(wait_for_new_picture(page, image, before_src, SLIDER_LIMIT_S))
            assert readout.inner_text() != before_readout, f"{name}: the readout of {label!r} did not change"
            box.screenshot(path=artifacts / f"explorer{b}-slider{s}-after.png")
    record_property("median_update_ms", round(1000 * statistics.median(delays)))
    print(f"{name}: {len(delays)} slider moves, median {1000 * statistics.median(delays):.0f} ms, max {1000 * max(delays):.0f} ms")


def test_training_cell_retrains_and_redraws(executed, artifacts):
    notebook = executed(TRAINING_NOTEBOOK)
    page = notebook.page
    box = page.locator(".jp-OutputArea-output .widget-vbox:has(.widget-image):has(button)").first
    box.scroll_into_view_if_needed()
    image = box.locator("img.widget-image").first
    button = box.locator("button", has_text="rain").first  # "Train" / "train" / "Retrain"
    sliders = box.locator(".widget-slider")
    assert sliders.count() >= 1
    box.screenshot(path=artifacts / "before.png")
    before = image.get_attribute("src")
    sliders.first.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    button.click()
    seconds = wait_for_new_picture(page, image, before, TRAIN_LIMIT_S)
    box.screenshot(path=artifacts / "after.png")
    print(f"{TRAINING_NOTEBOOK}: retrained and redrawn in {seconds:.2f} s")
