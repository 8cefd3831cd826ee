// remediation-bot dashboard chart: draws the page's #chart from the JSON in #chart-data as SVG.
// No library, no build: runs data (pass rate line, failure bars) or one test (duration, outcomes).
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var W = 900, H = 260, L = 48, R = 48, T = 12, B = 28;

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, value, anchor) {
    var t = el("text", { x: x, y: y, "class": "label", "text-anchor": anchor || "start" }, parent);
    t.textContent = value;
    return t;
  }
  function xAt(i, n) { return n <= 1 ? L + (W - L - R) / 2 : L + i * (W - L - R) / (n - 1); }
  function axes(svg, leftLabel, rightLabel) {
    el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, "class": "axis" }, svg);
    el("line", { x1: L, y1: T, x2: L, y2: H - B, "class": "axis" }, svg);
    el("line", { x1: W - R, y1: T, x2: W - R, y2: H - B, "class": "axis" }, svg);
    text(svg, L - 4, T + 8, leftLabel, "end");
    text(svg, W - R + 4, T + 8, rightLabel);
  }

  function drawRuns(svg, data) {
    var n = data.labels.length;
    var maxFail = Math.max(1, Math.max.apply(null, data.failures.concat([0])));
    axes(svg, "100%", String(maxFail));
    text(svg, L - 4, H - B, "0%", "end");
    var bw = Math.min(24, Math.max(1, (W - L - R) / Math.max(n, 1) * 0.6));
    data.failures.forEach(function (f, i) {
      var h = (H - T - B) * f / maxFail;
      var bar = el("rect", { x: xAt(i, n) - bw / 2, y: H - B - h, width: bw, height: h, "class": "bar" }, svg);
      el("title", {}, bar).textContent = data.labels[i] + ": " + f + " failing";
    });
    var points = [];
    data.pass_rate.forEach(function (r, i) {
      if (r !== null) points.push(xAt(i, n) + "," + (T + (H - T - B) * (1 - r)));
    });
    if (points.length) el("polyline", { points: points.join(" "), "class": "rate" }, svg);
    if (n) { text(svg, L, H - 8, data.labels[0]); text(svg, W - R, H - 8, data.labels[n - 1], "end"); }
  }

  function drawTest(svg, data) {
    var n = data.labels.length;
    var durations = data.durations.filter(function (d) { return d !== null; });
    var maxD = Math.max(0.001, Math.max.apply(null, durations.concat([0])));
    axes(svg, maxD.toFixed(3) + " s", "");
    var points = [];
    data.durations.forEach(function (d, i) {
      if (d !== null) points.push(xAt(i, n) + "," + (T + (H - T - B) * (1 - d / maxD)));
    });
    if (points.length) el("polyline", { points: points.join(" "), "class": "duration" }, svg);
    data.outcomes.forEach(function (o, i) {
      var dot = el("circle", { cx: xAt(i, n), cy: H - B - 6, r: 4, "class": "dot " + o }, svg);
      el("title", {}, dot).textContent = data.labels[i] + ": " + o;
    });
    if (n) { text(svg, L, H - 8, data.labels[0]); text(svg, W - R, H - 8, data.labels[n - 1], "end"); }
  }

  function draw() {
    var figure = document.getElementById("chart");
    var source = document.getElementById("chart-data");
    if (!figure || !source) return;
    var data = JSON.parse(source.textContent);
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img" }, null);
    if (figure.getAttribute("data-kind") === "test") drawTest(svg, data); else drawRuns(svg, data);
    figure.appendChild(svg);
    figure.setAttribute("data-drawn", String(data.labels.length));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
