(function () {
  "use strict";
  var token = sessionStorage.getItem("faqbot-agent-token");
  var CARDS = [["csat", "人工后满意度 CSAT (4–5分占比)", "pct"], ["csat_mean", "CSAT 平均分", "num"],
               ["participation_rate", "评价参与率", "pct"], ["nps", "NPS", "num"],
               ["transfer_rate", "转人工率", "pct"], ["self_service_rate", "机器人自助解决率", "pct"],
               ["first_contact_resolution", "首次联系解决率 FCR", "pct"], ["helpful_rate", "答案有用率", "pct"],
               ["conversations", "会话数", "num"], ["surveys_sent", "已邀请评价", "num"], ["ratings", "已评价", "num"]];
  var BARS = ["csat", "participation_rate", "transfer_rate", "self_service_rate", "first_contact_resolution"];
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) { var n = document.createElement(tag); if (cls) n.className = cls; if (text !== undefined) n.textContent = text; return n; }
  function fmt(v, kind) { return v === null || v === undefined ? "—" : kind === "pct" ? (v * 100).toFixed(1) + "%" : String(v); }
  faqbotSignIn(function (signedIn) { token = signedIn; load(); });
  function load() {
    fetch("/api/report?since=" + $("since").value + "&by=" + $("by").value, {headers: {"Authorization": "Bearer " + token}})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(d.detail); return d; }); })
      .then(render)
      .catch(function (err) { $("login").style.display = "block"; $("board").classList.remove("on"); $("login-error").textContent = err.message; });
  }
  function render(report) {
    $("login").style.display = "none";
    $("board").classList.add("on");
    var cards = $("cards");
    cards.textContent = "";
    CARDS.forEach(function (c) {
      var card = el("div", "card");
      card.setAttribute("data-metric", c[0]);
      card.appendChild(el("div", "label", c[1]));
      card.appendChild(el("div", "value", fmt(report.totals[c[0]], c[2])));
      cards.appendChild(card);
    });
    var head = $("rows").tHead, body = $("rows").tBodies[0];
    head.textContent = ""; body.textContent = "";
    var tr = el("tr");
    tr.appendChild(el("th", "", report.by));
    ["conversations"].concat(BARS).concat(["csat_mean", "nps"]).forEach(function (k) { tr.appendChild(el("th", "", k)); });
    head.appendChild(tr);
    (report.rows || []).forEach(function (row) {
      var r = el("tr");
      r.appendChild(el("td", "", row.key));
      r.appendChild(el("td", "", row.conversations));
      BARS.forEach(function (k) {
        var td = el("td");
        var bar = el("span", "bar");
        bar.style.width = Math.round((row[k] || 0) * 120) + "px";
        td.appendChild(bar);
        td.appendChild(document.createTextNode(fmt(row[k], "pct")));
        r.appendChild(td);
      });
      r.appendChild(el("td", "", fmt(row.csat_mean, "num")));
      r.appendChild(el("td", "", fmt(row.nps, "num")));
      body.appendChild(r);
    });
  }
  $("since").addEventListener("change", load);
  $("by").addEventListener("change", load);
  if (token) load();
})();
