/* Kernel-free explorers of the course website (notebooks 01 and 02).
 *
 * Every number drawn here was computed by focal_teach when the site was built
 * (site/explorer_data.py → _static/explorers/<kind>.js, window.FOCAL_EXPLORERS): this script
 * decodes those tables and looks curves up by the sliders' grid indices. It computes no loss.
 * Charts are uPlot (vendored from npm by `make site`); the sliders are native range inputs.
 *
 * For the tests: window.FOCAL_EXPLORER_CHARTS[kind] = {curves, bars, draws, lastDraw, state}.
 */
(function () {
  "use strict";

  // Log-scaled 16-bit codes (site/explorer_data.py): 0 is an exact zero, else
  // sign * exp(ln_lo + (code - 1) * ln_step), the package's value to a relative 6e-4.
  function decode(curves) {
    var bin = atob(curves.base64);
    var values = new Float64Array(bin.length / 2);
    for (var i = 0; i < values.length; i++) {
      var code = bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8);
      values[i] = code === 0 ? 0 : curves.sign * Math.exp(curves.ln_lo + (code - 1) * curves.ln_step);
    }
    return values;
  }

  function nearest(grid, value) {
    var best = 0;
    for (var i = 1; i < grid.length; i++) if (Math.abs(grid[i] - value) < Math.abs(grid[best] - value)) best = i;
    return best;
  }

  function Explorer(root, data) {
    var kind = data.kind;
    var values = decode(data.curves);
    var nx = data.x.length, na = data.alphas.length;
    var groups = data.groups;
    var stats = { draws: 0, lastDraw: 0, state: null };

    // The curve of one example at grid indices (γ, α_t), decoded from the table: a lookup.
    function curve(gi, ai) {
      var out = new Array(nx), base = (gi * na + ai) * nx;
      for (var k = 0; k < nx; k++) out[k] = values[base + k];
      return out;
    }

    var gammaInput = root.querySelector('input[name="gamma"]');
    var alphaInput = root.querySelector('input[name="alpha"]');
    var curvesEl = root.querySelector(".ft-figure-curves .ft-chart");
    var barsEl = root.querySelector(".ft-figure-bars .ft-chart");
    var summary = root.querySelector(".ft-summary");
    var family = data.family.map(function (f) { return { f: f, y: curve(nearest(data.gammas, f.gamma), na - 1) }; });

    function onDraw(u) {
      stats.draws += 1;
      stats.lastDraw = performance.now();
    }

    function shade(u) {
      var ctx = u.ctx, x0 = u.valToPos(data.shade[0], "x", true), x1 = u.valToPos(data.shade[1], "x", true);
      ctx.save();
      ctx.fillStyle = "#f0f0f0";
      ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
      if (kind === "gradient") {  // the zero line
        var y0 = u.valToPos(0, "y", true);
        ctx.strokeStyle = "#999";
        ctx.lineWidth = 1;
        ctx.beginPath(); ctx.moveTo(u.bbox.left, y0); ctx.lineTo(u.bbox.left + u.bbox.width, y0); ctx.stroke();
      }
      ctx.restore();
    }

    function marker(dash) { return dash.length === 0 ? "solid" : dash[0] < 2 * dash[1] ? "dotted" : "dashed"; }
    var series = [{}];
    family.forEach(function (item) {
      series.push({ label: item.f.label + ", " + item.f.style, stroke: item.f.color, width: 1.4, dash: item.f.dash, points: { show: false } });
    });
    series.push({ label: data.positive.label + ": thick solid", stroke: data.positive.color, width: 3, dash: data.positive.dash, points: { show: false } });
    series.push({ label: data.negative.label + ": thick dashed", stroke: data.negative.color, width: 3, dash: data.negative.dash, points: { show: false } });

    function size(el, ratio, min) {
      var w = Math.max(min, Math.floor(el.clientWidth || el.parentNode.clientWidth || 320));
      return { width: w, height: Math.round(Math.min(360, Math.max(220, w * ratio))) };
    }
    var axisFont = "13px system-ui, sans-serif";
    var curvesChart = new uPlot(Object.assign(size(curvesEl, 0.62, 260), {
      series: series,
      scales: { x: { time: false, range: data.xlim }, y: { range: data.ylim } },
      axes: [
        { label: data.xlabel, font: axisFont, labelFont: axisFont, stroke: "#222", grid: { stroke: "#e4e4e4" } },
        { label: data.ylabel, font: axisFont, labelFont: axisFont, stroke: "#222", grid: { stroke: "#e4e4e4" }, size: 48 },
      ],
      cursor: { show: false },
      legend: { show: true, live: false, markers: { width: 3, dash: function (u, i) { return marker(u.series[i].dash || []); } } },
      hooks: { drawClear: [shade], draw: [onDraw] },
    }), null, curvesEl);

    var labelsFor = function (gi, ai) { var k = (gi * na + ai) * groups.length; return data.bar_labels.slice(k, k + groups.length); };
    var sharesFor = function (gi, ai) { var k = (gi * na + ai) * groups.length; return data.bar_shares.slice(k, k + groups.length); };
    var current = { labels: [] };
    function annotate(u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.font = Math.round(12 * devicePixelRatio) + "px system-ui, sans-serif";
      ctx.fillStyle = "#222";
      ctx.textAlign = "center";
      for (var i = 0; i < groups.length; i++) {
        var v = u.data[i + 1][i];
        ctx.fillText(current.labels[i].split(", ")[0], u.valToPos(i, "x", true), u.valToPos(v, "y", true) - 6 * devicePixelRatio);
      }
      ctx.restore();
    }
    var barSeries = [{}];
    var bars = uPlot.paths.bars({ size: [0.6, 160] });
    groups.forEach(function (g) {
      barSeries.push({ label: g.name + " (p_t = " + g.p_t + ")", fill: g.color, stroke: g.color, paths: bars, points: { show: false } });
    });
    var barsChart = new uPlot(Object.assign(size(barsEl, 0.9, 220), {
      series: barSeries,
      scales: { x: { time: false, range: [-0.6, groups.length - 0.4] }, y: { range: [0, 122] } },
      axes: [
        { font: axisFont, stroke: "#222", grid: { show: false }, splits: function () { return groups.map(function (g, i) { return i; }); },
          values: function () { return groups.map(function (g) { return g.name.split(" ").join("\n") + "\np_t = " + g.p_t; }); }, size: 96 },
        { label: "share of the " + data.quantity + " (%)", font: axisFont, labelFont: axisFont, stroke: "#222", size: 48,
          splits: function () { return [0, 25, 50, 75, 100]; }, grid: { stroke: "#e4e4e4" } },
      ],
      cursor: { show: false },
      legend: { show: false },
      hooks: { draw: [annotate, onDraw] },
    }), null, barsEl);

    function update() {
      var gi = nearest(data.gammas, parseFloat(gammaInput.value));
      var ai = nearest(data.alphas, parseFloat(alphaInput.value));
      var gamma = data.gammas[gi], alpha = data.alphas[ai];
      [[gammaInput, "γ", gamma, 1], [alphaInput, "α", alpha, 2]].forEach(function (c) {
        var shown = c[2].toFixed(c[3]);
        c[0].setAttribute("aria-valuetext", c[1] + " = " + shown);
        root.querySelector("#" + c[0].id + "-value").textContent = shown;
      });
      // α_t = α for a positive, 1 − α for a negative: both on the α grid, indices ai and na-1-ai.
      var ys = [data.x].concat(family.map(function (f) { return f.y; }), [curve(gi, ai), curve(gi, na - 1 - ai)]);
      current.labels = labelsFor(gi, ai);
      var s = sharesFor(gi, ai);
      stats.state = { gamma: gamma, alpha: alpha };
      curvesChart.setData(ys);  // fixed ranges: rescaling keeps them
      barsChart.setData([groups.map(function (g, i) { return i; })].concat(groups.map(function (g, i) {
        return groups.map(function (h, j) { return i === j ? s[i] : null; });
      })));
      var parts = groups.map(function (g, i) { return g.name + " (p_t = " + g.p_t + "): " + current.labels[i]; });
      var text = "At γ = " + gamma.toFixed(1) + ", α = " + alpha.toFixed(2) + ", share of the batch's " + data.quantity + ": " + parts.join("; ") + ".";
      summary.textContent = text;
      curvesEl.setAttribute("aria-label", data.title + " against " + data.xlabel.split(",")[0] + ", for γ = " + gamma.toFixed(1) +
        ": a positive weighted α_t = " + alpha.toFixed(2) + " (thick solid red) and a negative weighted α_t = " + (1 - alpha).toFixed(2) +
        " (thick dashed slate), over the paper's curves for γ = 0, 0.5, 1, 2 and 5 (thin).");
      barsEl.setAttribute("aria-label", text);
    }

    gammaInput.addEventListener("input", update);
    alphaInput.addEventListener("input", update);
    update();

    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        curvesChart.setSize(size(curvesEl, 0.62, 260));
        barsChart.setSize(size(barsEl, 0.9, 220));
      }).observe(root.querySelector(".ft-charts"));
    }
    stats.curves = curvesChart;
    stats.bars = barsChart;
    return stats;
  }

  function start() {
    var charts = (window.FOCAL_EXPLORER_CHARTS = window.FOCAL_EXPLORER_CHARTS || {});
    document.querySelectorAll(".ft-explorer[data-explorer]").forEach(function (root) {
      var kind = root.getAttribute("data-explorer");
      var data = (window.FOCAL_EXPLORERS || {})[kind];
      if (!data) throw new Error("explorer data for '" + kind + "' is missing (site/explorer_data.py)");
      charts[kind] = Explorer(root, data);
      root.classList.add("ft-ready");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
