/* Small SVG charts drawn in the page (no library, no CDN): a line chart per day and the table tools
 * (CSV / Excel export) the dashboard and the console share.
 *   faqbotCharts.line(parent, {title, labels: ["2026-11-01", …], series: [{name, values, color}], kind: "pct"|"num"|"s"})
 *   faqbotCharts.exportButtons(parent, tableElement, title, token)
 */
window.faqbotCharts = (function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#1677ff", "#e4393c", "#52c41a", "#fa8c16", "#722ed1"];
  function svg(tag, attrs, text) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function fmt(v, kind) {
    if (v === null || v === undefined) return "—";
    if (kind === "pct") return (v * 100).toFixed(0) + "%";
    if (kind === "s") return (v < 10 ? Math.round(v * 10) / 10 : Math.round(v)) + "秒";
    return String(Math.round(v * 10) / 10);
  }
  function line(parent, spec) {
    var W = 460, H = 220, L = 48, R = 12, T = 30, B = 40;
    var box = document.createElement("div");
    box.className = "chart";
    var chart = svg("svg", {viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": spec.title});
    chart.appendChild(svg("text", {x: L, y: 18, "font-size": 14, "font-weight": 600, fill: "#222"}, spec.title));
    var all = [];
    spec.series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v !== undefined) all.push(v); }); });
    var top = spec.kind === "pct" ? 1 : Math.max(1, Math.max.apply(null, all.length ? all : [1]) * 1.1);
    var n = Math.max(spec.labels.length, 2);
    var x = function (i) { return L + (W - L - R) * i / (n - 1); };
    var y = function (v) { return T + (H - T - B) * (1 - v / top); };
    for (var t = 0; t <= 4; t++) {
      var value = top * t / 4;
      chart.appendChild(svg("line", {x1: L, x2: W - R, y1: y(value), y2: y(value), stroke: "#eee"}));
      chart.appendChild(svg("text", {x: L - 6, y: y(value) + 4, "font-size": 10, "text-anchor": "end", fill: "#888"},
        fmt(value, spec.kind)));
    }
    var step = Math.ceil(spec.labels.length / 7);
    spec.labels.forEach(function (label, i) {
      if (i % step) return;
      chart.appendChild(svg("text", {x: x(i), y: H - B + 16, "font-size": 10, "text-anchor": "middle", fill: "#888"},
        label.slice(5)));
    });
    var legend = L;
    spec.series.forEach(function (s, k) {
      var color = s.color || COLORS[k % COLORS.length], points = [];
      s.values.forEach(function (v, i) {
        if (v === null || v === undefined) return;
        points.push(x(i) + "," + y(v));
        var dot = svg("circle", {cx: x(i), cy: y(v), r: 3, fill: color});
        dot.appendChild(svg("title", {}, spec.labels[i] + " " + s.name + " " + fmt(v, spec.kind)));
        chart.appendChild(dot);
      });
      if (points.length > 1) chart.appendChild(svg("polyline", {points: points.join(" "), fill: "none", stroke: color, "stroke-width": 2}));
      chart.appendChild(svg("rect", {x: legend, y: H - 14, width: 10, height: 10, fill: color}));
      chart.appendChild(svg("text", {x: legend + 14, y: H - 5, "font-size": 11, fill: "#444"}, s.name));
      legend += 30 + 11 * s.name.length;
    });
    if (spec.target !== undefined && spec.target !== null) {
      chart.appendChild(svg("line", {x1: L, x2: W - R, y1: y(spec.target), y2: y(spec.target), stroke: "#e4393c",
        "stroke-dasharray": "4 3"}));
      chart.appendChild(svg("text", {x: W - R, y: y(spec.target) - 4, "font-size": 10, "text-anchor": "end", fill: "#e4393c"},
        "目标 " + fmt(spec.target, spec.kind)));
    }
    box.appendChild(chart);
    parent.appendChild(box);
    return box;
  }
  function rowsOf(table) {
    return Array.prototype.map.call(table.rows, function (tr) {
      return Array.prototype.map.call(tr.cells, function (td) { return td.getAttribute("data-value") !== null ? td.getAttribute("data-value") : td.textContent; });
    });
  }
  function download(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  function csv(table, title) {
    var text = rowsOf(table).map(function (r) {
      return r.map(function (c) { c = String(c === null ? "" : c); if (/^[=+\-@]/.test(c) && isNaN(Number(c))) c = "'" + c; return /[",\n]/.test(c) ? '"' + c.replace(/"/g, '""') + '"' : c; }).join(",");
    }).join("\r\n");
    download(new Blob(["\ufeff" + text], {type: "text/csv;charset=utf-8"}), title + ".csv");
  }
  function excel(table, title, token) {
    var rows = rowsOf(table);
    return fetch("/api/supervisor/export.xlsx", {method: "POST", headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
      body: JSON.stringify({title: title, header: rows[0] || [], rows: rows.slice(1)})})
      .then(function (r) { if (!r.ok) throw new Error("导出失败"); return r.blob(); })
      .then(function (blob) { download(blob, title + ".xlsx"); });
  }
  function exportButtons(parent, table, title, token) {
    var bar = document.createElement("div");
    bar.className = "export";
    [["导出 CSV", function () { csv(table, title); }], ["导出 Excel", function () { excel(table, title, token()); }]].forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b[0];
      button.addEventListener("click", b[1]);
      bar.appendChild(button);
    });
    parent.appendChild(bar);
  }
  return {line: line, exportButtons: exportButtons, fmt: fmt};
})();
