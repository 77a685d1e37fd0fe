"""Driving one notebook in JupyterLab: open, run all, wait, read errors, move widgets."""

from __future__ import annotations

import time

CURRENT = "window.jupyterapp.shell.currentWidget"
KERNEL_IDLE = f"""() => {{
  const w = {CURRENT};
  const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}}"""
# Done: the kernel is idle and every code cell holds an execution count (queued ones hold null).
ALL_EXECUTED = f"""() => {{
  const w = {CURRENT};
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  return cells.length > 0 && cells.every(c => typeof c.model.executionCount === 'number');
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
        self.page.wait_for_function(KERNEL_IDLE, timeout=90_000)
        path = self.page.evaluate(f"{CURRENT}.context.path")
        if path != name:
            raise AssertionError(f"JupyterLab shows {path!r}, not {name!r}")
        if self.page.locator(".jp-NotebookPanel:visible").count() != 1:
            raise AssertionError(f"expected exactly one notebook on the page for {name}")

    def run_all(self, timeout_s: float = 180) -> float:
        # Clear the committed outputs first, so that nothing checked below comes from the file.
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        start = time.monotonic()
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
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
