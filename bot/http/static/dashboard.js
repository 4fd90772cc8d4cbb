/* The supervisors' dashboard: cards against the targets from config, alerts, per-day trend charts (charts.js),
 * the tables by dimension and per agent, hot and unanswered questions, call-backs; every table exports to
 * CSV and Excel; refreshes itself every 30 s. Labels come with the data (handoff/metric_labels.py). */
(function () {
  "use strict";
  var token = sessionStorage.getItem("faqbot-agent-token");
  var CARDS = ["csat", "csat_mean", "participation_rate", "nps", "bot_csat", "service_level", "wait_p50_s", "wait_p90_s",
               "abandon_rate", "first_response_p50_s", "handle_time_p50_s", "occupancy", "complaint_rate_per_1000",
               "complaint_handle_p50_s", "transfer_rate", "self_service_rate", "first_contact_resolution", "helpful_rate",
               "qa_score", "conversations", "surveys_sent", "ratings"];
  var COLUMNS = ["conversations", "csat", "participation_rate", "nps", "bot_csat", "transfer_rate", "self_service_rate",
                 "first_contact_resolution", "service_level", "wait_p50_s", "abandon_rate", "first_response_p50_s",
                 "handle_time_p50_s", "complaint_rate_per_1000"];
  var AGENT_COLUMNS = ["conversations", "csat", "participation_rate", "nps", "first_response_p50_s", "handle_time_p50_s",
                       "occupancy", "qa_score"];
  var TRENDS = [["会话量", ["conversations", "handoffs"], "num"], ["满意度", ["csat", "bot_csat"], "pct", "csat"],
                ["服务水平", ["service_level", "abandon_rate"], "pct", "service_level"],
                ["等待与响应", ["wait_p50_s", "first_response_p50_s"], "s"]];
  var HOT = [["question", "标准问题"], ["category", "分类"], ["hits", "命中次数"], ["helpful_rate", "有用率"],
             ["clarify_share", "反问占比"], ["fallback_share", "未答出占比"], ["trend", "趋势"]];
  var labels = {}, kinds = {}, timer = null;
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) { var n = document.createElement(tag); if (cls) n.className = cls; if (text !== undefined) n.textContent = text; return n; }
  function kindOf(key) { var k = kinds[key]; return k === "%" ? "pct" : k === "s" ? "s" : "num"; }
  function fmt(v, key) {
    if (v === null || v === undefined) return "—";
    var kind = kindOf(key);
    return kind === "pct" ? (v * 100).toFixed(1) + "%" : kind === "s" ? v + " 秒" : String(v);
  }
  function api(path) {
    return fetch(path, {headers: {"Authorization": "Bearer " + token}})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(d.detail || d.message); return d; }); });
  }
  faqbotSignIn(function (signedIn) { token = signedIn; load(); });
  function query(by) {
    var q = "?since=" + $("since").value + "&by=" + by;
    ["channel", "group", "agent"].forEach(function (f) { if ($(f).value.trim()) q += "&" + f + "=" + encodeURIComponent($(f).value.trim()); });
    return q;
  }
  function load() {
    Promise.all([api("/api/supervisor/report" + query($("by").value)), api("/api/supervisor/report" + query("day")),
                 api("/api/supervisor/report" + query("agent")), api("/api/supervisor/hot-questions?days=14"),
                 api("/api/supervisor/callbacks")])
      .then(function (all) { render.apply(null, all); })
      .catch(function (err) { $("login").style.display = "block"; $("board").classList.remove("on"); $("login-error").textContent = err.message; });
  }
  function render(report, daily, perAgent, hot, callbacks) {
    labels = report.labels; kinds = report.kinds;
    $("login").style.display = "none";
    $("board").classList.add("on");
    groups(report.groups);
    alerts(report);
    cards(report);
    trends(daily);
    table($("rows"), labels[report.by] || "维度", COLUMNS, report.rows || [], function (r) { return r.key; });
    $("rows-title").textContent = "按" + (labels[report.by] || "维度");
    table($("agents"), "坐席", AGENT_COLUMNS, perAgent.rows || [], function (r) { return r.key; });
    hotTable(hot);
    unknown(hot);
    callbackTable(callbacks);
    digest();
    $("updated").textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN");
  }
  function groups(names) {
    var select = $("group");
    if (select.options.length > 1) return;
    names.concat(["(bot)"]).forEach(function (g) { var o = el("option", "", g === "(bot)" ? "仅机器人" : g); o.value = g; select.appendChild(o); });
  }
  function alerts(report) {
    var box = $("alerts");
    box.textContent = "";
    report.targets.forEach(function (t) {
      if (t.met !== false) return;
      box.appendChild(el("div", t.metric === "participation_rate" ? "warn" : "", "⚠ 未达标：" + t.text));
    });
  }
  function cards(report) {
    var box = $("cards"), targets = {};
    report.targets.forEach(function (t) { targets[t.metric] = t; });
    box.textContent = "";
    CARDS.forEach(function (key) {
      var card = el("div", "card"), t = targets[key];
      card.setAttribute("data-metric", key);
      card.appendChild(el("div", "label", labels[key] || key));
      card.appendChild(el("div", "value", fmt(report.totals[key], key)));
      if (t) {
        card.appendChild(el("div", "goal", "目标 " + (t.direction === "min" ? "≥ " : "≤ ") + fmt(t.target, key)));
        if (t.met === false) card.classList.add("missed");
      }
      box.appendChild(card);
    });
  }
  function everyDay(rows) {  // days without conversations are drawn as gaps, not skipped
    if (!rows.length) return rows;
    var byDay = {}, out = [];
    rows.forEach(function (r) { byDay[r.key] = r; });
    for (var d = new Date(rows[0].key + "T00:00:00Z"); d <= new Date(rows[rows.length - 1].key + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + 1)) {
      var key = d.toISOString().slice(0, 10);
      out.push(byDay[key] || {key: key, conversations: 0, handoffs: 0});
    }
    return out;
  }
  function trends(daily) {
    var box = $("charts"), rows = everyDay(daily.rows || []), targets = {};
    daily.targets.forEach(function (t) { targets[t.metric] = t.target; });
    box.textContent = "";
    var days = rows.map(function (r) { return r.key; });
    TRENDS.forEach(function (spec) {
      faqbotCharts.line(box, {title: spec[0], labels: days, kind: spec[2], target: spec[3] ? targets[spec[3]] : undefined,
        series: spec[1].map(function (key) { return {name: labels[key] || key, values: rows.map(function (r) { return r[key]; })}; })});
    });
  }
  function head(tableNode, names) {
    var tr = el("tr");
    names.forEach(function (n) { tr.appendChild(el("th", "", n)); });
    tableNode.tHead.textContent = "";
    tableNode.tHead.appendChild(tr);
  }
  function exportable(tableNode, title) {
    if (tableNode.previousElementSibling && tableNode.previousElementSibling.className === "export") return;
    var holder = document.createElement("div");
    tableNode.parentNode.insertBefore(holder, tableNode);
    faqbotCharts.exportButtons(holder, tableNode, title, function () { return token; });
    holder.replaceWith(holder.firstChild);
  }
  function table(tableNode, first, keys, rows, name) {
    head(tableNode, [first].concat(keys.map(function (k) { return labels[k] || k; })));
    var body = tableNode.tBodies[0];
    body.textContent = "";
    rows.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("td", "", name(row)));
      keys.forEach(function (k) {
        var td = el("td");
        td.setAttribute("data-value", row[k] === null || row[k] === undefined ? "" : row[k]);
        if (kindOf(k) === "pct" && row[k] !== null) { var bar = el("span", "bar"); bar.style.width = Math.round(Math.min(row[k], 1) * 80) + "px"; td.appendChild(bar); }
        td.appendChild(document.createTextNode(fmt(row[k], k)));
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    exportable(tableNode, first);
  }
  function hotTable(hot) {
    head($("hot"), HOT.map(function (c) { return c[1]; }));
    var body = $("hot").tBodies[0];
    body.textContent = "";
    hot.entries.forEach(function (e) {
      var tr = el("tr");
      HOT.forEach(function (c) {
        var v = e[c[0]], text = c[0] === "trend" ? v.join(" ") : /rate|share/.test(c[0]) ? (v === null ? "—" : (v * 100).toFixed(1) + "%") : v;
        tr.appendChild(el("td", "", text === null || text === undefined ? "" : String(text)));
      });
      body.appendChild(tr);
    });
    exportable($("hot"), "热点问题");
  }
  function unknown(hot) {
    var box = $("unknown-chart"), days = hot.unanswered.map(function (d) { return d.day; });
    box.textContent = "";
    faqbotCharts.line(box, {title: "未答出与反问", labels: days, kind: "num", series: [
      {name: "未答出", values: hot.unanswered.map(function (d) { return d.fallback; })},
      {name: "反问", values: hot.unanswered.map(function (d) { return d.clarify; })}]});
    head($("unknown"), ["日期", "机器人回复", "未答出", "反问"]);
    var body = $("unknown").tBodies[0];
    body.textContent = "";
    hot.unanswered.forEach(function (d) {
      var tr = el("tr");
      [d.day, d.replies, d.fallback, d.clarify].forEach(function (v) { tr.appendChild(el("td", "", String(v))); });
      body.appendChild(tr);
    });
    exportable($("unknown"), "未知问题");
  }
  function callbackTable(tasks) {
    head($("callbacks"), ["会话", "技能组", "原因", "客户留言", "坐席", "截止时间", "回访结果"]);
    var body = $("callbacks").tBodies[0];
    body.textContent = "";
    tasks.forEach(function (t) {
      var tr = el("tr");
      [t.session_id, t.group, t.reason, t.comment || "", t.agent || "", new Date(t.due * 1000).toLocaleString("zh-CN") + (t.overdue ? "（已超时）" : "")]
        .forEach(function (v) { tr.appendChild(el("td", "", v)); });
      var cell = el("td"), outcome = el("input"), done = el("button", "", "记录");
      outcome.placeholder = "回访结果";
      done.type = "button";
      done.addEventListener("click", function () {
        fetch("/api/supervisor/callbacks/" + t.id, {method: "POST", headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
          body: JSON.stringify({outcome: outcome.value})}).then(function (r) { if (r.ok) load(); else done.textContent = "请填写结果"; });
      });
      cell.appendChild(outcome);
      cell.appendChild(done);
      tr.appendChild(cell);
      body.appendChild(tr);
    });
    exportable($("callbacks"), "待回访");
  }
  function digest() {
    if (!$("digest-day").value) $("digest-day").value = new Date().toISOString().slice(0, 10);
    api("/api/supervisor/digest?day=" + $("digest-day").value).then(function (d) {
      $("digest-summary").textContent = "评价 " + d.ratings + " 条，不满意 " + d.unhappy + " 条";
      head($("digest"), ["满意度", "NPS", "技能组", "坐席", "留言"]);
      var body = $("digest").tBodies[0];
      body.textContent = "";
      d.comments.forEach(function (c) {
        var tr = el("tr");
        [c.csat === null ? "—" : c.csat + "★", c.nps === null ? "—" : String(c.nps), c.group, c.agent || "—", c.comment]
          .forEach(function (v) { tr.appendChild(el("td", "", v)); });
        body.appendChild(tr);
      });
      exportable($("digest"), "评价留言");
    });
  }
  $("digest-day").addEventListener("change", digest);
  ["since", "by", "group"].forEach(function (id) { $(id).addEventListener("change", load); });
  ["channel", "agent"].forEach(function (id) { $(id).addEventListener("change", load); });
  function schedule() {
    clearInterval(timer);
    if ($("auto").checked) timer = setInterval(function () { if (token) load(); }, 30000);
  }
  $("auto").addEventListener("change", schedule);
  schedule();
  if (token) load();
})();
