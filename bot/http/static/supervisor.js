/* The live console: every queued and active conversation with alerts, refreshed whenever the desk socket
 * (relayed between workers) says something moved, and every 3 s; watch one, whisper to its agent, take it
 * over, hand it to another agent, reply once it is yours. */
(function () {
  "use strict";
  var token = sessionStorage.getItem("faqbot-agent-token");
  var me = null, watching = null, rows = {}, socket = null, pending = false;
  var STATES = {bot: "机器人", queued: "排队中", active: "人工中"};
  var ROLES = {agent: "坐席", supervisor: "主管", admin: "管理员"};
  function info(text, ok) { $("watch-error").textContent = text; $("watch-error").className = ok ? "ok" : "error"; }
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) { var n = document.createElement(tag); if (cls) n.className = cls; if (text !== undefined) n.textContent = text; return n; }
  function call(method, path, body) {
    return fetch(path, {method: method, headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
                        body: body ? JSON.stringify(body) : undefined})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(d.detail || d.message || r.status); return d; }); });
  }
  function seconds(s) { return s === null || s === undefined ? "—" : s < 60 ? s + " 秒" : Math.floor(s / 60) + " 分 " + (s % 60) + " 秒"; }
  faqbotSignIn(function (signedIn) { token = signedIn; start(); });
  function start() {
    call("GET", "/api/agent/me").then(function (d) { me = d; refresh(); listen(); })
      .catch(function (err) { $("login").style.display = "block"; $("login-error").textContent = err.message; });
  }
  function refresh() {
    if (pending) return;
    pending = true;
    call("GET", "/api/supervisor/live").then(render).then(function () { pending = false; if (watching) watch(watching); })
      .catch(function (err) { pending = false; $("login").style.display = "block"; $("console").classList.remove("on"); $("login-error").textContent = err.message; });
  }
  function render(data) {
    $("login").style.display = "none";
    $("console").classList.add("on");
    $("clock").textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN");
    alerts(data.alerts);
    var body = $("live").tBodies[0];
    body.textContent = "";
    rows = {};
    data.conversations.forEach(function (c) {
      rows[c.session_id] = c;
      var tr = el("tr");
      tr.setAttribute("data-session", c.session_id);
      if (c.session_id === watching) tr.className = "watching";
      var state = el("td"); state.appendChild(el("span", "tag state-" + c.state, STATES[c.state] || c.state));
      tr.appendChild(state);
      [c.channel, c.group || "—", c.agent || "—", seconds(c.wait_s), seconds(c.duration_s)].forEach(function (v) { tr.appendChild(el("td", "", v)); });
      tr.appendChild(el("td", "last", c.last_message));
      tr.appendChild(el("td", "emotion", c.emotion.length ? c.emotion.map(function (e) { return e.toFixed(2); }).join(" → ") : "—"));
      tr.appendChild(el("td", "", c.rule || "—"));
      var cell = el("td");
      c.alerts.forEach(function (a) { cell.appendChild(el("span", "tag alert", a.label)); });
      tr.appendChild(cell);
      tr.addEventListener("click", function () { watch(c.session_id); });
      body.appendChild(tr);
    });
    var select = $("reassign-to");
    if (!select.options.length) data.staff.forEach(function (s) { var o = el("option", "", s.name + "（" + (ROLES[s.role] || s.role) + "）"); o.value = s.id; select.appendChild(o); });
  }
  function alerts(list) {
    var box = $("alerts");
    box.textContent = "";
    if (!list.length) { box.appendChild(el("div", "none", "暂无告警")); return; }
    list.forEach(function (a) {
      var line = el("div", "alert-line", "【" + a.label + "】" + a.detail + " · 会话 " + a.session_id);
      line.setAttribute("data-kind", a.kind);
      line.addEventListener("click", function () { watch(a.session_id); });
      box.appendChild(line);
    });
  }
  function watch(sessionId) {
    watching = sessionId;
    Array.prototype.forEach.call($("live").tBodies[0].rows, function (tr) { tr.classList.toggle("watching", tr.getAttribute("data-session") === sessionId); });
    call("GET", "/api/supervisor/conversations/" + encodeURIComponent(sessionId)).then(function (d) {
      if (watching !== sessionId) return;
      $("watch-empty").style.display = "none";
      var row = rows[sessionId] || {};
      $("watch-title").textContent = sessionId + (row.agent ? " · 坐席 " + row.agent : " · " + (STATES[row.state] || ""));
      var box = $("transcript"), atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 20;
      box.textContent = "";
      d.messages.forEach(function (m) {
        var who = {customer: "客户", bot: "机器人", agent: m.author || "坐席", system: ""}[m.sender];
        var line = el("div", "msg " + m.sender);
        if (who) line.appendChild(el("div", "who", who + (m.emotion !== null && m.sender === "customer" ? " · 情绪 " + m.emotion.toFixed(2) : "")));
        line.appendChild(document.createTextNode(m.text));
        box.appendChild(line);
      });
      if (atBottom) box.scrollTop = box.scrollHeight;
    }).catch(function (err) { info(err.message); });
  }
  function handoffId() {
    var row = rows[watching];
    if (!row || !row.handoff_id) { info("这个会话还没有转人工"); return null; }
    info("", true);
    return row.handoff_id;
  }
  function act(path, body, done) {
    var id = handoffId();
    if (id === null) return;
    call("POST", "/api/supervisor/handoffs/" + id + path, body).then(function (d) { if (done) done(d); refresh(); })
      .catch(function (err) { info(err.message); });
  }
  $("whisper").addEventListener("click", function () {
    var text = $("whisper-text").value.trim();
    if (text) act("/whisper", {text: text}, function () { $("whisper-text").value = ""; info("已悄悄提醒坐席", true); });
  });
  $("take-over").addEventListener("click", function () { act("/take-over", null, function () { info("已接管，可直接回复客户", true); }); });
  $("reassign").addEventListener("click", function () { act("/reassign", {agent_id: Number($("reassign-to").value)}); });
  $("reply").addEventListener("click", function () {
    var id = handoffId(), text = $("reply-text").value.trim();
    if (id === null || !text) return;
    call("POST", "/api/agent/handoffs/" + id + "/messages", {text: text}).then(function () { $("reply-text").value = ""; watch(watching); })
      .catch(function (err) { info(err.message); });
  });
  function listen() {
    socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/agent");
    socket.onopen = function () { socket.send(JSON.stringify({token: token})); };
    socket.onmessage = function () { refresh(); };  // something moved somewhere (any worker): read the picture again
    socket.onclose = function (e) { if (token && e.code !== 4401 && e.code !== 4403) setTimeout(listen, 1000); };
  }
  setInterval(function () { if (token && me) refresh(); }, 3000);  // waits and silences grow without events
  if (token) start();
})();
