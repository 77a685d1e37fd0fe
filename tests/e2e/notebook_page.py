"""Driving one notebook in JupyterLab: open, run all, wait, read errors, move widgets."""

from __future__ import annotations

import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout

# Guarded at every step: a predicate may run in a page that is still loading (or has reloaded),
# where `window.jupyterapp` does not exist yet.
CURRENT = "(window.jupyterapp && window.jupyterapp.shell && window.jupyterapp.shell.currentWidget)"
# Ready: the notebook we asked for is the current widget and its kernel is idle.
NOTEBOOK_READY = f"""(name) => {{
  const w = {CURRENT};
  if (!w || !w.context || w.context.path !== name) return false;
  const kernel = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}}"""
# Done: the kernel is idle and every code cell holds an execution count (queued ones hold null),
# or a cell shows an error.
# The marker set by run_all() vanishes if the page reloads, so a reload cannot pass for a run.
ALL_EXECUTED = f"""() => {{
  if (!window.__focalTeachRunAll) throw new Error('the page reloaded during Run All');
  const w = {CURRENT};
  const kernel = w && w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  // A cell that raised stops Run All: the cells after it stay queued forever, so done means
  // every cell executed, or an error shown (which the tests then report).
  const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
  return cells.length > 0 && (failed || cells.every(c => typeof c.model.executionCount === 'number'));
}}"""
ERRORS = f"""() => {{
  const errors = [];
  {CURRENT}.content.widgets.forEach((cell, i) => {{
    if (cell.model.type !== 'code') return;
    for (const out of cell.model.outputs.toJSON())
      if (out.output_type === 'error') errors.push(`cell ${{i}}: ${{out.ename}}: ${{out.evalue}}`);
  }});
  return errors;
}}"""


class NotebookPage:
    def __init__(self, browser, lab, name: str):
        self.name = name
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.goto(lab.url(name))
        try:
            self.page.wait_for_function(NOTEBOOK_READY, arg=name, timeout=90_000, polling=250)
        except PlaywrightTimeout:
            path = self.page.evaluate(f"(() => {{ const w = {CURRENT}; return w && w.context ? w.context.path : null; }})()")
            raise AssertionError(f"{name} did not open with an idle kernel within 90 s (JupyterLab shows {path!r})") from None
        if self.page.locator(".jp-NotebookPanel:visible").count() != 1:
            raise AssertionError(f"expected exactly one notebook on the page for {name}")

    def run_all(self, timeout_s: float = 180) -> float:
        # Clear the committed outputs first, so that nothing checked below comes from the file.
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        start = time.monotonic()
        self.page.evaluate("window.__focalTeachRunAll = true; window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(ALL_EXECUTED, timeout=timeout_s * 1000, polling=250)
        return time.monotonic() - start

    def errors(self) -> list[str]:
        return self.page.evaluate(ERRORS)

    def widget_boxes(self):
        """Output areas holding an explorer: its controls and its picture."""
        return self.page.locator(".jp-OutputArea-output .widget-vbox:has(.widget-image)")

    def close(self):
        self.page.evaluate(f"{CURRENT}.sessionContext.shutdown()")
        self.page.close()
