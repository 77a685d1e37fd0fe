/* "Will focal loss help my problem?" answered in the page, without a kernel (site/_ext/focal_site.py,
 * {advice}): the report that print(will_focal_loss_help(...)) prints, word for word.
 *
 * The reports and the error messages are the package's, written when the site was built
 * (site/advice_data.py: window.FOCAL_ADVICE_DATA): one report per task, metric and measured level,
 * with the user's number left as a slot, and the floats where the nearest level changes. This
 * script reads the form as Python would run
 *
 *   imbalance = None if the field is empty else float(field)
 *   counts = None if the field is empty else [float(c) for c in field.split(",")]
 *   will_focal_loss_help(imbalance, counts=counts, task=task, metric=metric)
 *
 * checks the input in the package's order, picks the report of the level the package picks and
 * prints the user's number into it as Python's {:,.4g} does (python.js).
 *
 * For the tests: window.FOCAL_ADVICE(task, metric, imbalanceText, countsText) -> {ok, text, field}.
 */
(function () {
  "use strict";

  var py = window.FOCAL_PYTHON;
  var data = window.FOCAL_ADVICE_DATA;

  function fill(template, value) { return template.split("{value}").join(value); }

  function failure(text, field) { return { ok: false, text: text, field: field }; }

  // The user's number, or null for an empty field; a text that is not a number is refused here,
  // before the package would see it (Python's float() raises), with the example it needs.
  function readNumber(text) {
    return text.trim() === "" ? null : py.float(text);
  }

  function answer(task, metric, imbalanceText, countsText) {
    var entry = data.tasks[task];
    var imbalance = readNumber(imbalanceText);
    if (imbalance === null && imbalanceText.trim() !== "")
      return failure("imbalance must be a number, such as 1000, 2.5e3 or 1_000; got " + py.repr(imbalanceText.trim()), "imbalance");
    var counts = null;
    if (countsText.trim() !== "") {
      var pieces = countsText.split(",");
      counts = [];
      for (var i = 0; i < pieces.length; i++) {
        var v = py.float(pieces[i]);
        if (v === null)
          return failure("counts must be numbers separated by commas, such as 80000, 40; got " + py.repr(pieces[i].trim()), "counts");
        counts.push(v);
      }
    }
    // will_focal_loss_help's checks, in its order, with its words (site/advice_data.py).
    if ((imbalance === null) === (counts === null)) return failure(data.errors.one_of, imbalance === null ? "imbalance" : "counts");
    var value;
    if (counts !== null) {
      var bad = counts.length < 2 || counts.some(function (c) { return !isFinite(c) || c <= 0; });
      if (bad) return failure(fill(data.errors.counts, "[" + counts.map(py.floatRepr).join(", ") + "]"), "counts");
      if (task === "detection" && counts.length !== 2) return failure(fill(data.errors.detection_counts, String(counts.length)), "counts");
      value = task === "detection" ? counts[0] / counts[1] : Math.max.apply(null, counts) / Math.min.apply(null, counts);
    } else {
      if (!isFinite(imbalance) || imbalance <= 0) return failure(fill(data.errors.imbalance, py.floatRepr(imbalance)), "imbalance");
      value = imbalance;
    }
    // The nearest level: the package's own boundaries between levels, as exact floats.
    var reports = entry.metrics[metric], template;
    if (value < entry.inside[0]) template = reports.below;
    else if (value > entry.inside[1]) template = reports.above;
    else template = reports.reports[entry.thresholds.filter(function (t) { return value >= t; }).length];
    return { ok: true, text: template.split(data.slot).join(py.formatG(value, 4, true)), field: null };
  }

  function start() {
    window.FOCAL_ADVICE = answer;
    document.querySelectorAll(".ft-advice").forEach(function (root) {
      var form = root.querySelector("form");
      var report = root.querySelector(".ft-advice-report");
      var fields = { imbalance: form.elements.imbalance, counts: form.elements.counts };
      var metricRow = root.querySelector(".ft-advice-metric");
      var shown = false;

      function task() { return form.elements.task.value; }

      // The labels and hints speak of the chosen task's numbers.
      function relabel() {
        var t = task();
        root.querySelectorAll("[data-detection]").forEach(function (el) {
          el.textContent = el.getAttribute("data-" + t);
        });
        metricRow.hidden = t !== "classification";
      }

      function ask() {
        var t = task();
        var metric = t === "classification" ? form.elements.metric.value : data.tasks[t].default_metric;
        var result = answer(t, metric, fields.imbalance.value, fields.counts.value);
        // One block per line of the package's text (its indents kept): the verdict in bold, the
        // indented lines wrapped under their own start.
        report.textContent = "";
        result.text.split("\n").forEach(function (line, i) {
          var block = report.appendChild(document.createElement(i === 0 && result.ok ? "strong" : "div"));
          block.className = "ft-line" + (/^ /.test(line) ? " ft-indented" : "");
          block.textContent = line;
        });
        report.className = "ft-advice-report " + (result.ok ? "ft-answer" : "ft-error");
        Object.keys(fields).forEach(function (name) {
          if (name === result.field) fields[name].setAttribute("aria-invalid", "true");
          else fields[name].removeAttribute("aria-invalid");
        });
        shown = true;
      }

      form.addEventListener("submit", function (event) { event.preventDefault(); ask(); });
      // A new task or metric changes the answer already shown.
      form.addEventListener("change", function (event) {
        if (event.target.name === "task") relabel();
        if ((event.target.name === "task" || event.target.name === "metric") && shown) ask();
      });
      relabel();
      root.classList.add("ft-ready");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
