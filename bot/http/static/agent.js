(function () {
  "use strict";
  var token = sessionStorage.getItem("faqbot-agent-token");
  var current = null;  // the open hand-off id
  var unread = {};
  var socket = null;
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function api(method, path, body) {
    return fetch(path, {method: method, headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
                        body: body ? JSON.stringify(body) : undefined})
      .then(function (r) {
        if (r.status === 401) { signOut(); throw new Error("signed out"); }
        return r.json().then(function (data) { if (!r.ok) throw new Error(data.detail || r.status); return data; });
      });
  }
  function minutes(since) { return Math.max(0, Math.round((Date.now() / 1000 - since) / 60)) + " 分钟"; }

  faqbotSignIn(function (signedIn) { token = signedIn; start(); });
  function signOut() {
    token = null;
    sessionStorage.removeItem("faqbot-agent-token");
    if (socket) socket.close();
    $("desk").classList.remove("on");
    $("login").style.display = "block";
  }
  $("logout").addEventListener("click", function () { api("POST", "/api/agent/logout").finally(signOut); });
  $("status").addEventListener("change", function () { api("POST", "/api/agent/status", {status: $("status").value}); });

  function start() {
    api("GET", "/api/agent/me").then(function (me) {
      $("login").style.display = "none";
      $("desk").classList.add("on");
      $("me").textContent = me.name + "（" + me.groups.join("、") + "）";
      return api("POST", "/api/agent/status", {status: "online"});
    }).then(function () { $("status").value = "online"; refresh(); listen(); });
  }
  setInterval(function () { if (token) refresh(); }, 5000);  // waiting times, and changes made on other workers

  function listen() {
    socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/agent");
    socket.onopen = function () {
      socket.send(JSON.stringify({token: token}));  // signs the socket in; never in the URL
      if ($("status").value === "online") api("POST", "/api/agent/status", {status: "online"});  // back after a drop
    };
    socket.onmessage = function (event) {
      var e = JSON.parse(event.data);
      if (e.type === "ready") return;
      if (e.type === "customer" && e.handoff_id === current) {
        var m = {id: e.message_id, sender: "customer", text: e.text};
        pushed.push(m);
        show(m);
        desk.customerSaid(e);
      }
      else if (e.type === "customer") { unread[e.handoff_id] = true; refresh(); }
      else if (e.type === "ticket") { desk.ticketEvent(e); refresh(); }
      else refresh();
    };
    socket.onclose = function (e) {  // 4401: signed out or expired, 4403: not an agent — no retry
      if (token && e.code !== 4401 && e.code !== 4403) setTimeout(listen, 1000);
    };
  }

  function refresh() {
    return api("GET", "/api/agent/queue").then(function (q) {
      var queue = $("queue");
      queue.textContent = "";
      Object.keys(q.groups).forEach(function (group) {
        queue.appendChild(el("div", "meta", group + "（在线 " + q.online[group] + "，排队 " + q.groups[group].length + "）"));
        q.groups[group].forEach(function (h) {
          var item = el("div", "item");
          item.setAttribute("data-handoff", h.id);
          item.appendChild(el("div", "", "#" + h.id + " · " + h.rule));
          item.appendChild(el("div", "meta", h.channel + " · 优先级 " + h.priority + " · 等待 " + minutes(h.created)));
          var take = el("button", "primary", "接入");
          take.addEventListener("click", function () {
            api("POST", "/api/agent/handoffs/" + h.id + "/accept").then(function () { open(h.id); refresh(); })
              .catch(function (err) { show({sender: "system", text: "无法接入：" + err.message}); });  // e.g. at the limit
          });
          item.appendChild(take);
          queue.appendChild(item);
        });
      });
      var mine = $("mine");
      mine.textContent = "";
      q.mine.forEach(function (h) {
        var item = el("div", "item" + (h.id === current ? " current" : "") + (unread[h.id] ? " unread" : ""), "#" + h.id + " · " + h.rule);
        item.setAttribute("data-mine", h.id);
        item.addEventListener("click", function () { open(h.id); });
        mine.appendChild(item);
      });
      desk.tickets(q.tickets);
      var select = $("group");
      if (!select.options.length) q.all_groups.forEach(function (g) { select.appendChild(el("option", "", g)); });
    });
  }

  var shownIds = {};  // a message pushed while the transcript loads must appear once, and not be lost
  var pushed = [];
  function show(m) {
    if (m.id) { if (shownIds[m.id]) return; shownIds[m.id] = true; }
    var log = $("log");
    var node = el("div", "msg " + m.sender);
    if (m.sender === "bot") node.appendChild(el("span", "tag", "机器人 · " + m.decision + (m.entry_id ? " · " + m.entry_id : "")));
    if (m.sender === "agent") node.appendChild(el("span", "tag", m.author || "客服"));
    node.appendChild(document.createTextNode(m.text));
    if (m.sender === "customer") attachment(node, m.text);
    if (m.sender === "bot" && m.candidates && m.candidates.length)
      node.appendChild(el("span", "tag", "候选: " + m.candidates.map(function (c) { return c[0] + " " + c[1]; }).join(", ")));
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
  }

  function sparkline(values) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "280"); svg.setAttribute("height", "50"); svg.setAttribute("class", "emotion-chart");
    var n = values.length;
    var points = values.map(function (v, i) { return (n === 1 ? 140 : 10 + i * 260 / (n - 1)) + "," + (45 - v * 40); }).join(" ");
    var line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points); line.setAttribute("fill", "none"); line.setAttribute("stroke", "#e4393c"); line.setAttribute("stroke-width", "2");
    svg.appendChild(line);
    return svg;
  }

  function attachment(node, text) {  // a customer's picture shown, a PDF offered as a download (bot/http/attachments.py)
    var found = /^\[(图片|文件)\].* #(\d+)$/.exec(text);
    if (!found || !current) return;
    fetch("/api/agent/handoffs/" + current + "/attachments/" + found[2], {headers: {"Authorization": "Bearer " + token}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.blob(); })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        if (found[1] === "图片") {
          var img = el("img", "attachment");
          img.src = url;
          img.alt = "客户发送的图片";
          img.style.cssText = "display:block;max-width:240px;max-height:240px;margin-top:4px";
          node.appendChild(img);
        } else {
          var link = el("a", "attachment", "下载文件");
          link.href = url;
          link.download = "";
          node.appendChild(link);
        }
      }).catch(function () {});
  }

  function earlier(id, packet) {  // the customer's conversations on every channel (web, WeChat …), oldest first
    api("GET", "/api/agent/handoffs/" + id + "/conversations").then(function (conversations) {
      if (id !== current || conversations.length < 2) return;
      var box = el("div", "earlier");
      box.appendChild(el("h3", "", "客户的会话 / on every channel"));
      conversations.forEach(function (c) {
        var said = c.messages.filter(function (m) { return m.sender === "customer"; }).map(function (m) { return m.text; });
        var row = el("div", "conversation", c.channel + " · " + new Date(c.created * 1000).toLocaleString() +
                                            " · " + (said.join(" / ") || "—"));
        row.setAttribute("data-channel", c.channel);
        box.appendChild(row);
      });
      packet.appendChild(box);
    }).catch(function () {});
  }

  function open(id) {
    desk.leaveTicket();
    current = id;
    pushed = [];
    delete unread[id];
    api("GET", "/api/agent/handoffs/" + id).then(function (p) {
      var log = $("log");
      log.textContent = "";
      shownIds = {};
      p.transcript.forEach(show);
      pushed.forEach(show);
      var packet = $("packet");
      packet.textContent = "";
      packet.appendChild(el("h3", "", "转接信息 #" + p.id));
      var dl = el("dl");
      [["规则 rule", p.rule], ["原因 reason", p.reason], ["技能组 group", p.group + " · 优先级 " + p.priority],
       ["渠道 channel", p.channel], ["客户 customer", p.customer_id || "—"], ["状态 status", p.status]].forEach(function (pair) {
        dl.appendChild(el("dt", "", pair[0])); dl.appendChild(el("dd", "field-" + pair[0].split(" ")[1], pair[1]));
      });
      dl.appendChild(el("dt", "", "客户属性 attributes"));
      var attrs = el("dd", "attributes");
      Object.keys(p.attributes || {}).forEach(function (k) { attrs.appendChild(el("div", "", k + ": " + p.attributes[k])); });
      if (!attrs.childNodes.length) attrs.textContent = "—";
      dl.appendChild(attrs);
      dl.appendChild(el("dt", "", "情绪轨迹 emotion"));
      var emo = el("dd", "emotion");
      emo.appendChild(el("div", "", p.emotion.map(function (v) { return v.toFixed(2); }).join(" → ") || "—"));
      if (p.emotion.length) emo.appendChild(sparkline(p.emotion));
      dl.appendChild(emo);
      packet.appendChild(dl);
      desk.opened(p);
      window.faqbotLookups(packet, p, api, el);
      earlier(p.id, packet);
      refresh();
    });
  }

  $("compose").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("text").value.trim();
    if (text && desk.ticket() !== null) { $("text").value = ""; desk.replyToTicket(text); return; }
    if (!text || current === null) return;
    $("text").value = "";
    api("POST", "/api/agent/handoffs/" + current + "/messages", {text: text})
      .then(function () { show({sender: "agent", text: text, author: $("me").textContent.split("（")[0]}); })
      .catch(function (err) { show({sender: "system", text: "发送失败：" + err.message}); });
  });
  $("transfer").addEventListener("click", function () {
    if (current === null) return;
    api("POST", "/api/agent/handoffs/" + current + "/transfer", {group: $("group").value}).then(function () {
      current = null; $("log").textContent = ""; $("packet").textContent = ""; refresh();
    }).catch(function (err) { show({sender: "system", text: err.message}); });
  });
  $("close").addEventListener("click", function () {
    if (current === null) return;
    var closing = current;
    api("POST", "/api/agent/handoffs/" + current + "/close").then(function () {
      show({sender: "system", text: "会话已结束 / closed"});
      current = null; refresh();
      desk.closed(closing);
    }).catch(function (err) { show({sender: "system", text: err.message}); });
  });

  // the desk's other parts (agent-desk.js: tickets, assist panel, customer, wrap-up) share these
  var desk = window.faqbotDesk = window.faqbotDesk || {};
  desk.api = api; desk.el = el; desk.show = show; desk.refresh = refresh;
  desk.handoff = function () { return current; };
  desk.leaveHandoff = function () { current = null; shownIds = {}; pushed = []; };
  desk.me = function () { return $("me").textContent.split("（")[0]; };
  ["tickets", "opened", "closed", "leaveTicket", "customerSaid", "ticketEvent"].forEach(function (name) { if (!desk[name]) desk[name] = function () {}; });
  if (!desk.ticket) desk.ticket = function () { return null; };

  if (token) start();
})();
