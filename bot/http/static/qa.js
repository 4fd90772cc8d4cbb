/* Quality inspection: reviewers (QA, supervisors) take conversations from the sample, read the automatic
 * findings, fill in the scorecard and turn findings into knowledge suggestions; agents see their own scores
 * and appeal; reviewers decide appeals. */
(function () {
  "use strict";
  var token = sessionStorage.getItem("faqbot-agent-token");
  var me = null, current = null, lastReview = null;
  var STATUS = {pending: "申诉处理中", upheld: "申诉成立", rejected: "申诉驳回"};
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) { var n = document.createElement(tag); if (cls) n.className = cls; if (text !== undefined) n.textContent = text; return n; }
  function call(method, path, body) {
    return fetch(path, {method: method, headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
                        body: body ? JSON.stringify(body) : undefined})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(typeof d.detail === "string" ? d.detail : (d.message || JSON.stringify(d.detail))); return d; }); });
  }
  function reviewer() { return me && me.role !== "agent"; }
  faqbotSignIn(function (signedIn) { token = signedIn; start(); });
  function start() {
    call("GET", "/api/qa/me").then(function (d) {
      me = d;
      $("login").style.display = "none";
      $("page").classList.add("on");
      $("who").textContent = d.name + (reviewer() ? "（质检）" : "（坐席）");
      $("sample-box").classList.toggle("hidden", !reviewer());
      $("appeals-box").classList.toggle("hidden", !reviewer());
      $("reviews-title").textContent = reviewer() ? "已完成的质检" : "我的质检结果";
      load();
    }).catch(function (err) { $("login").style.display = "block"; $("login-error").textContent = err.message; });
  }
  function load() {
    if (reviewer()) {
      call("GET", "/api/qa/sample").then(sample);
      call("GET", "/api/qa/reviews?appealed=true").then(function (list) { reviews($("appeals"), list, true); });
    }
    call("GET", "/api/qa/reviews").then(function (list) { reviews($("reviews"), list, false); });
  }
  function sample(list) {
    var box = $("sample");
    box.textContent = list.length ? "" : "队列已清空";
    list.forEach(function (h) {
      var item = el("div", "item");
      item.setAttribute("data-handoff", h.id);
      h.reasons.forEach(function (r) { item.appendChild(el("span", "tag", r)); });
      item.appendChild(document.createTextNode("#" + h.id + " · " + (h.agent || "—") + " · " + h.group + (h.csat ? " · " + h.csat + "★" : "")));
      item.addEventListener("click", function () { inspect(h.id); });
      box.appendChild(item);
    });
  }
  function inspect(id) {
    call("GET", "/api/qa/handoffs/" + id).then(function (d) {
      current = id;
      $("inspect").classList.remove("hidden");
      $("inspect-title").textContent = "#" + id;
      var findings = $("findings");
      findings.textContent = d.findings.length ? "" : "自动检查：未发现问题";
      d.findings.forEach(function (f) { findings.appendChild(el("div", "finding", "自动检查 · " + f.label + "：" + f.detail)); });
      var box = $("conversation");
      box.textContent = "";
      d.messages.forEach(function (m) { box.appendChild(el("div", "msg " + m.sender, ({customer: "客户：", bot: "机器人：", agent: (m.author || "坐席") + "："}[m.sender] || "") + m.text)); });
      var items = $("items");
      items.textContent = "";
      d.scorecard.forEach(function (i) {
        var row = el("div", "score-row");
        var input = el("input");
        input.type = "number"; input.min = 0; input.max = i.max; input.required = true; input.name = i.key;
        row.appendChild(el("label", "", i.label + "（0–" + i.max + "）"));
        row.appendChild(input);
        row.appendChild(el("span", "hint", i.hint));
        items.appendChild(row);
      });
    }).catch(function (err) { $("inspect-error").textContent = err.message; });
  }
  $("scorecard").addEventListener("submit", function (e) {
    e.preventDefault();
    var scores = {};
    Array.prototype.forEach.call($("items").querySelectorAll("input"), function (i) { scores[i.name] = Number(i.value); });
    call("POST", "/api/qa/handoffs/" + current + "/review", {scores: scores, comment: $("comment").value})
      .then(function (review) {
        lastReview = review;
        $("inspect").classList.add("hidden");
        $("comment").value = "";
        $("suggest-box").classList.remove("hidden");
        $("suggest-done").textContent = "";
        load();
      }).catch(function (err) { $("inspect-error").textContent = err.message; });
  });
  $("suggest").addEventListener("click", function () {
    if (!lastReview) return;
    call("POST", "/api/qa/reviews/" + lastReview.id + "/suggestion", {question: $("suggest-question").value, answer: $("suggest-answer").value})
      .then(function () { $("suggest-done").textContent = "已提交给训练师"; $("suggest-question").value = ""; $("suggest-answer").value = ""; })
      .catch(function (err) { $("suggest-done").textContent = err.message; });
  });
  function reviews(box, list, appeals) {
    box.textContent = list.length ? "" : (appeals ? "暂无申诉" : "暂无质检结果");
    list.forEach(function (r) {
      var item = el("div", "item review");
      item.setAttribute("data-review", r.id);
      item.appendChild(el("span", "score", r.score + " 分"));
      item.appendChild(document.createTextNode(" 会话 #" + r.handoff_id + " · 坐席 " + (r.agent || "—") + " · 质检员 " + r.reviewer));
      item.appendChild(el("div", "hint", r.scores.map(function (s) { return s.label + " " + s.points; }).join("，")));
      if (r.comment) item.appendChild(el("div", "", "评语：" + r.comment));
      r.checks.forEach(function (f) { item.appendChild(el("div", "finding", "自动检查 · " + f.label + "：" + f.detail)); });
      if (r.appeal) item.appendChild(el("div", "", "申诉：" + r.appeal + "（" + (STATUS[r.appeal_status] || "") + "）"));
      if (!appeals && !reviewer() && !r.appeal) appealForm(item, r);
      if (appeals) decideButtons(item, r);
      box.appendChild(item);
    });
  }
  function appealForm(item, r) {
    var text = el("input"), button = el("button", "", "申诉");
    text.placeholder = "不同意？写明理由";
    button.type = "button";
    button.addEventListener("click", function () {
      call("POST", "/api/qa/reviews/" + r.id + "/appeal", {text: text.value}).then(load)
        .catch(function (err) { button.textContent = err.message; });
    });
    item.appendChild(text);
    item.appendChild(button);
  }
  function decideButtons(item, r) {
    [["upheld", "申诉成立"], ["rejected", "驳回"]].forEach(function (d) {
      var b = el("button", "", d[1]);
      b.type = "button";
      b.addEventListener("click", function () { call("POST", "/api/qa/reviews/" + r.id + "/appeal-decision", {decision: d[0]}).then(load); });
      item.appendChild(b);
    });
  }
  if (token) start();
})();
