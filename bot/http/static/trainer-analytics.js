/* 知识分析 (knowledge analytics) tab of the trainers' workbench: one row per entry from
 * /api/trainer/analytics, sorted by any column (click its header; again: the other way), filtered to
 * stale entries, exported as CSV. trainer.js hands it the page's API helpers. Entry texts and customer
 * questions are untrusted: inserted with textContent only. */
window.faqbotAnalytics = function (tools) {
  "use strict";
  var api = tools.api, el = tools.el, download = tools.download, entryLink = tools.entryLink, t = tools.t;
  var rows = [], sortKey = "hits", descending = true;
  var COLUMNS = [  // [key, Chinese, English]
    ["entry_id", "条目", "entry"], ["hits", "命中", "hits"], ["helpful_rate", "有帮助率", "helpful"],
    ["near", "相近问题", "near"], ["clarify_share", "反问占比", "clarify"], ["fallback_share", "兜底占比", "fallback"],
    ["last_asked", "最近被问", "last asked"], ["stale", "需要处理", "stale"], ["unanswered", "最近未解决的相近问题", "recent unanswered"]];
  var STALE = {no_hits: ["无命中", "no hits"], expiring: ["即将过期", "expiring"], expired: ["已过期", "expired"]};

  function $(id) { return document.getElementById(id); }
  function pct(v) { return typeof v === "number" ? (v * 100).toFixed(0) + "%" : "—"; }
  function when(s) {
    return s ? new Date(s * 1000).toLocaleString(t("zh-CN", "en-GB"), {hour12: false, month: "2-digit", day: "2-digit",
                                                                       hour: "2-digit", minute: "2-digit"}) : "—";
  }
  function value(row, key) {  // what a column sorts by
    if (key === "stale" || key === "unanswered") return row[key].length;
    var v = row[key];
    return v === null || v === undefined ? -1 : v;
  }

  function head() {
    var tr = $("analytics").tHead.rows[0];
    tr.textContent = "";
    COLUMNS.forEach(function (c) {
      var th = el("th", "sortable", t(c[1], c[2]) + (c[0] === sortKey ? (descending ? " ▼" : " ▲") : ""));
      th.setAttribute("data-sort", c[0]);
      th.addEventListener("click", function () {
        descending = c[0] === sortKey ? !descending : c[0] !== "entry_id";
        sortKey = c[0];
        render();
      });
      tr.appendChild(th);
    });
  }
  function render() {
    head();
    var body = $("analytics").tBodies[0], onlyStale = $("analytics-stale").checked;
    body.textContent = "";
    var shown = rows.filter(function (r) { return !onlyStale || r.stale.length; }).sort(function (a, b) {
      var x = value(a, sortKey), y = value(b, sortKey);
      var order = x < y ? -1 : x > y ? 1 : a.entry_id < b.entry_id ? -1 : 1;
      return descending && x !== y ? -order : order;
    });
    shown.forEach(function (r) {
      var tr = el("tr");
      tr.setAttribute("data-entry-row", r.entry_id);
      var name = el("td");
      name.appendChild(entryLink(r.entry_id));
      name.appendChild(el("div", "muted", r.question));
      tr.appendChild(name);
      [r.hits, pct(r.helpful_rate), r.near, pct(r.clarify_share), pct(r.fallback_share), when(r.last_asked)]
        .forEach(function (v, i) { tr.appendChild(el("td", COLUMNS[i + 1][0], v)); });
      var stale = el("td", "stale");
      r.stale.forEach(function (s) { stale.appendChild(el("span", "badge warning", t.apply(null, STALE[s] || [s, s]))); });
      if (r.valid_to) stale.appendChild(el("div", "muted", t("有效期至 ", "valid to ") + r.valid_to));
      tr.appendChild(stale);
      tr.appendChild(el("td", "unanswered", r.unanswered.join(" · ")));
      body.appendChild(tr);
    });
    $("analytics-summary").textContent = t(shown.length + " 个条目 · 需要处理 " + rows.filter(function (r) { return r.stale.length; }).length,
                                           shown.length + " entries · " + rows.filter(function (r) { return r.stale.length; }).length + " stale");
  }
  function load() {
    $("analytics-summary").textContent = t("统计中…", "counting…");
    return api("GET", "/api/trainer/analytics?days=" + encodeURIComponent($("analytics-days").value || 30)).then(function (found) {
      rows = found;
      render();
    });
  }
  $("analytics-refresh").addEventListener("click", function () { load().catch(tools.paneError); });
  $("analytics-stale").addEventListener("change", render);
  $("analytics-export").addEventListener("click", function () {
    download("/api/trainer/analytics.csv?days=" + encodeURIComponent($("analytics-days").value || 30), "kb-analytics.csv",
             $("analytics-summary"));
  });
  return {load: load};
};
