"""Sphinx extension of the course website: the ``{explorer}``, ``{quiz}`` and ``{advice}``
directives, and each page's "Edit this page" link to its real source file.

    ```{explorer} loss
    ```

puts a kernel-free explorer on the page ("loss": the focal loss against p_t and the shares of a
batch's loss, notebook 01; "gradient": dFL/dx_t against x_t and the shares of the batch's
gradient, notebook 02). The directive writes the controls, native ``<input type="range">`` with
a ``<label>`` each (keyboard and screen readers work without any script), and the empty
containers that ``_static/explorer.js`` fills with uPlot charts from the data that
``site/explorer_data.py`` wrote with focal_teach at build time. Only the pages that hold an
explorer load uPlot, its data and the script.

    ```{advice}
    ```

puts the "Will focal loss help my problem?" form on the page: a native form (task, metric,
imbalance or counts, each with a ``<label>``) whose answer, the package's report word for word,
``_static/advice.js`` writes into a live region from what ``site/advice_data.py`` wrote.
"""

from __future__ import annotations

import json
import math
import socket
import time
from html import escape
from pathlib import Path
from subprocess import PIPE, Popen

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

KINDS = {
    "loss": {
        "heading": "Try it here: the focal loss and who carries it",
        "chart": "The focal loss of one example against p_t",
        "bars": "Each group's share of the batch's loss",
        "hint": "Move γ from 0 to 5: the easy negatives' share of the loss collapses and the hard "
                "positives take over. Then move α.",
    },
    "gradient": {
        "heading": "Try it here: the gradient and who carries it",
        "chart": "The gradient dFL/dx_t of one example against x_t",
        "bars": "Each group's share of the batch's gradient magnitude",
        "hint": "Move γ from 0 to 5: right of x_t = 0 the gradient flattens to zero while far left it "
                "stays near its cross-entropy value.",
    },
}
SLIDERS = (
    ("gamma", "γ (gamma)", 0.0, 5.0, 0.1, 2.0),
    ("alpha", "α (alpha)", 0.0, 1.0, 0.05, 0.25),
)


class ExplorerDirective(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self):
        kind = self.arguments[0]
        if kind not in KINDS:
            raise self.error(f"explorer: unknown kind {kind!r}; one of {sorted(KINDS)}")
        text = KINDS[kind]
        use_widget(self.env, self.env.docname, "explorer")
        use_widget(self.env, self.env.docname, f"explorer-{kind}")
        base = f"ft-{kind}"
        controls = []
        for name, label, lo, hi, step, value in SLIDERS:
            digits = 1 if step >= 0.1 else 2
            shown = f"{value:.{digits}f}"
            controls.append(
                f'<div class="ft-control">'
                f'<label for="{base}-{name}">{escape(label)}</label>'
                f'<input type="range" id="{base}-{name}" name="{name}" min="{lo}" max="{hi}" step="{step}" '
                f'value="{value}" aria-valuetext="{escape(label.split()[0])} = {shown}" data-digits="{digits}">'
                f'<output id="{base}-{name}-value" for="{base}-{name}">{shown}</output>'
                f"</div>"
            )
        html = f"""
<section class="ft-explorer" id="{base}" data-explorer="{kind}" aria-labelledby="{base}-heading">
<h3 class="ft-heading" id="{base}-heading">{escape(text["heading"])}</h3>
<p class="ft-hint">{escape(text["hint"])} Computed in the browser from numbers that
<code>focal_teach</code> produced when this page was built: no kernel, nothing to install.</p>
<div class="ft-controls">{''.join(controls)}</div>
<div class="ft-charts">
<figure class="ft-figure ft-figure-curves"><div class="ft-chart" id="{base}-curves" role="img"
 aria-label="{escape(text["chart"])}"></div>
<figcaption id="{base}-curves-caption">{escape(text["chart"])}.</figcaption></figure>
<figure class="ft-figure ft-figure-bars"><div class="ft-chart" id="{base}-bars" role="img"
 aria-label="{escape(text["bars"])}"></div>
<figcaption id="{base}-bars-caption">{escape(text["bars"])}.</figcaption></figure>
</div>
<p class="ft-summary" id="{base}-summary" aria-live="polite"></p>
<noscript><p>This explorer needs JavaScript; the picture above shows its starting point.</p></noscript>
</section>
"""
        return [nodes.raw("", html, format="html")]


# name -> (scripts, stylesheets) under _static; loaded, in this order, only by pages that use them.
WIDGETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def register_widget(name: str, js: tuple[str, ...] = (), css: tuple[str, ...] = ()) -> None:
    WIDGETS[name] = (tuple(js), tuple(css))


register_widget("explorer", js=("vendor/uplot/uPlot.iife.min.js", "explorer.js"), css=("vendor/uplot/uPlot.min.css",))
register_widget("explorer-loss", js=("explorers/loss.js",))
register_widget("explorer-gradient", js=("explorers/gradient.js",))
register_widget("quiz", js=("python.js", "quiz.js"))
register_widget("advice", js=("python.js", "advice/imbalance_map.js", "advice.js"))


def use_widget(env, docname: str, name: str) -> None:
    if name not in WIDGETS:
        raise ValueError(f"unknown widget {name!r}; register it with register_widget")
    pages = getattr(env, "focal_widgets", {})
    pages.setdefault(docname, set()).add(name)
    env.focal_widgets = pages


class QuizDirective(SphinxDirective):
    """A prediction question answered in the page, from focal_teach.exercises (module docstring)."""

    required_arguments = 1
    has_content = False

    def run(self):
        bank = BUILD_DATA.get("quizzes", {})
        question = self.arguments[0]
        if question not in bank:
            raise self.error(f"quiz: unknown question {question!r}; one of {sorted(bank)} (_quizzes.json, site/build.py)")
        data = bank[question]
        if not (math.isfinite(data["lo"]) and math.isfinite(data["hi"]) and data["lo"] <= data["hi"]):
            raise self.error(f"quiz {question}: no accepted interval")
        use_widget(self.env, self.env.docname, "quiz")
        base = "ft-quiz-" + "".join(c if c.isalnum() else "-" for c in question)
        html = f"""
<section class="ft-quiz" id="{base}" aria-labelledby="{base}-title" data-quiz="{escape(json.dumps(data, ensure_ascii=False))}">
<p class="ft-quiz-title" id="{base}-title"><strong>Your prediction, checked in this page</strong>
<span class="ft-quiz-id">({escape(question)})</span></p>
<p class="ft-quiz-text" id="{base}-text">{escape(data["text"])}</p>
<form class="ft-quiz-form" novalidate>
<label for="{base}-answer">Your answer</label>
<input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" id="{base}-answer" name="answer" aria-describedby="{base}-text">
<button type="submit">Check</button>
</form>
<p class="ft-quiz-feedback" id="{base}-feedback" role="status" aria-live="polite" aria-atomic="true"></p>
<noscript><p>Checking an answer here needs JavaScript; in the notebook, <code>check_answer("{escape(question)}", value)</code> does it.</p></noscript>
</section>
"""
        return [nodes.raw("", html, format="html")]


# The form's words for what the package names (focal_teach.experiments.advice: TASKS, METRICS).
ADVICE_WORDS = {
    "imbalance": {"detection": "Negative outputs per positive output",
                  "classification": "Head/tail ratio: the largest class's examples ÷ the smallest's"},
    "counts": {"detection": "Or the counts: negative outputs, positive outputs",
               "classification": "Or the counts: one per class"},
    "counts_hint": {"detection": "Two numbers separated by a comma, e.g. 80000, 80.",
                    "classification": "One number per class, separated by commas, e.g. 5000, 800, 50."},
}


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


class AdviceDirective(SphinxDirective):
    """The map's answer to "will focal loss help my problem?", in the page (module docstring)."""

    has_content = False

    def run(self):
        tasks = BUILD_DATA.get("advice", {})
        if not tasks:
            raise self.error("advice: no _advice.json (site/build.py writes it with site/advice_data.py)")
        if "advice" in getattr(self.env, "focal_widgets", {}).get(self.env.docname, ()):
            raise self.error("advice: one form per page")
        use_widget(self.env, self.env.docname, "advice")
        base = "ft-advice"

        def varying(words: dict[str, str]) -> str:  # advice.js shows the chosen task's words
            return "".join(f' data-{task}="{escape(text)}"' for task, text in words.items())

        def imbalance_hint(task: str) -> str:
            low, high = tasks[task]["levels"][0], tasks[task]["levels"][-1]
            example = "1000" if task == "detection" else "100"
            return f"A number, e.g. {example}. The map measured {_number(low)} to {_number(high)}; beyond that, its answer is an extrapolation."

        first = next(iter(tasks))
        choices = "".join(
            f'<div class="ft-choice"><input type="radio" name="task" id="{base}-task-{task}" value="{task}"'
            f'{" checked" if task == first else ""} aria-describedby="{base}-task-{task}-hint">'
            f'<label for="{base}-task-{task}">{escape(task)}</label>'
            f'<p class="ft-choice-hint" id="{base}-task-{task}-hint">{escape(entry["description"])}.</p></div>'
            for task, entry in tasks.items()
        )
        metrics = tasks.get("classification", {}).get("metrics", {})  # the package's name -> the words for it
        options = "".join(f'<option value="{escape(m)}">{escape(words)}</option>' for m, words in metrics.items())
        words = {k: {task: v[task] for task in tasks} for k, v in ADVICE_WORDS.items()}
        hints = {task: imbalance_hint(task) for task in tasks}
        html = f"""
<section class="ft-advice" id="{base}" aria-labelledby="{base}-heading">
<h3 class="ft-heading" id="{base}-heading">Try it here: will focal loss help your problem?</h3>
<p class="ft-hint">Give your task and one of the two: your imbalance, or your counts. The answer is
what <code>print(will_focal_loss_help(...))</code> prints, from the map that <code>focal_teach</code>
ships, looked up when this page was built: no kernel, nothing to install.</p>
<form class="ft-advice-form" novalidate>
<fieldset class="ft-advice-task"><legend>Task</legend>{choices}</fieldset>
<div class="ft-field ft-advice-metric" hidden><label for="{base}-metric">Metric</label>
<select id="{base}-metric" name="metric">{options}</select></div>
<div class="ft-field"><label for="{base}-imbalance"{varying(words["imbalance"])}>{escape(words["imbalance"][first])}</label>
<input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" id="{base}-imbalance" name="imbalance" aria-describedby="{base}-imbalance-hint">
<p class="ft-field-hint" id="{base}-imbalance-hint"{varying(hints)}>{escape(hints[first])}</p></div>
<div class="ft-field"><label for="{base}-counts"{varying(words["counts"])}>{escape(words["counts"][first])}</label>
<input type="text" autocomplete="off" spellcheck="false" id="{base}-counts" name="counts" aria-describedby="{base}-counts-hint">
<p class="ft-field-hint" id="{base}-counts-hint"{varying(words["counts_hint"])}>{escape(words["counts_hint"][first])}</p></div>
<button type="submit">Ask the map</button>
</form>
<div class="ft-advice-report" id="{base}-report" role="status" aria-live="polite" aria-atomic="true"></div>
<noscript><p>This form needs JavaScript; in the notebook, <code>print(will_focal_loss_help(...))</code> gives the same report.</p></noscript>
</section>
"""
        return [nodes.raw("", html, format="html")]


def _page_assets(app, pagename, templatename, context, doctree):
    edit = BUILD_DATA.get("edit_links", {}).get(pagename)
    if edit:  # the real source file (README.md for index, CONTRIBUTING.md, ...), not the staged copy
        context["theme_source_edit_link"] = edit
    names = getattr(app.env, "focal_widgets", {}).get(pagename)
    if not names:
        return
    for name in sorted(names, key=lambda n: (not n.startswith("explorer-"), n)):  # data before the scripts that read it
        scripts, styles = WIDGETS[name]
        for css in styles:
            app.add_css_file(css)
        for js in scripts:
            app.add_js_file(js, loading_method="defer")


def _purge(app, env, docname):
    getattr(env, "focal_widgets", {}).pop(docname, None)


def _merge(app, env, docnames, other):
    pages = getattr(env, "focal_widgets", {})
    pages.update(getattr(other, "focal_widgets", {}))
    env.focal_widgets = pages


BUILD_DATA: dict[str, dict] = {}


def _read_build_data(app):
    """What site/build.py wrote from the package and the repository: edit links, the question bank,
    the advice form's tasks and metrics."""
    for name, key in (("_edit_links.json", "edit_links"), ("_quizzes.json", "quizzes"), ("_advice.json", "advice")):
        path = Path(app.srcdir) / name
        BUILD_DATA[key] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _start_katex_server(cls, rundir, timeout):
    """sphinxcontrib-katex 0.9.11's start_server_process, retrying the connection.

    Its server creates the socket file when it binds and accepts only once it listens; under
    load the first connect() can fall in between and fail with ConnectionRefusedError (seen
    here while other builds ran on the 2 cores). Same steps, with retries until ``timeout``.
    """
    socket_path = rundir / "katex.sock"
    process = Popen(cls.build_command(socket=socket_path), stdin=PIPE, stdout=PIPE, cwd=rundir)
    start = time.monotonic()
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the KaTeX render server (node) exited with code {process.returncode}")
        if socket_path.is_socket():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(max(0.1, start + timeout - time.monotonic()))
                sock.connect(str(socket_path))
                sock.settimeout(None)
                return process, sock
            except (ConnectionRefusedError, FileNotFoundError):
                sock.close()
        if time.monotonic() - start > timeout:
            process.kill()
            raise cls.timeout_error(timeout)
        time.sleep(0.01)


def setup(app):
    from sphinxcontrib import katex

    katex.KaTeXServer.start_server_process = classmethod(_start_katex_server)
    app.add_directive("explorer", ExplorerDirective)
    app.add_directive("quiz", QuizDirective)
    app.add_directive("advice", AdviceDirective)
    app.add_js_file("site.js", loading_method="defer")  # every page: scroll hints, figures, back-to-top
    app.connect("builder-inited", _read_build_data)
    app.connect("html-page-context", _page_assets)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
