/* faqbot web widget: <script src="https://your-bot/widget.js" data-categories="物流"
 *   data-customer-id="u123" data-attributes='{"vip_level": 3}'></script>
 * Opens a chat panel, shows 猜你想问, suggests questions while typing, talks over a WebSocket
 * (HTTP fallback), renders options and related questions as buttons, asks for feedback; after a
 * hand-off shows the agent's messages and, when the agent closes, the satisfaction survey.
 * Every text is inserted with textContent: nothing a customer, agent or KB writes becomes HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script.src, location.href).origin;
  var categories = script.getAttribute("data-categories") || "";
  var attributes = script.getAttribute("data-attributes") || "";  // e.g. '{"recent_order": "2026…"}'
  var channel = script.getAttribute("data-channel") || "web";
  var customerId = script.getAttribute("data-customer-id") || null;
  var customerAttributes = null;
  try { customerAttributes = attributes ? JSON.parse(attributes) : null; } catch (e) { customerAttributes = null; }
  var key = "faqbot-session";
  var sessionId = localStorage.getItem(key);
  if (!sessionId || !localStorage.getItem(key + "-token")) {  // without its token a conversation cannot go on
    var random = new Uint32Array(4);
    crypto.getRandomValues(random);
    sessionId = "s-" + Array.prototype.map.call(random, function (n) { return n.toString(36); }).join("");
    localStorage.setItem(key, sessionId);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var style = el("style");
  style.textContent =
    ".fq-launch{position:fixed;right:24px;bottom:24px;border:0;border-radius:28px;padding:14px 20px;" +
    "background:#e4393c;color:#fff;font-size:15px;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.2);z-index:9999}" +
    ".fq-panel{position:fixed;right:24px;bottom:84px;width:360px;height:520px;background:#fff;border-radius:12px;" +
    "box-shadow:0 8px 28px rgba(0,0,0,.25);display:none;flex-direction:column;overflow:hidden;z-index:9999;" +
    "font:14px/1.5 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif}" +
    ".fq-panel.open{display:flex}.fq-head{background:#e4393c;color:#fff;padding:12px 16px;font-weight:600}" +
    ".fq-log{flex:1;overflow-y:auto;padding:12px;background:#f5f5f5}" +
    ".fq-msg{max-width:85%;margin:6px 0;padding:8px 12px;border-radius:10px;white-space:pre-wrap;word-break:break-word}" +
    ".fq-bot{background:#fff}.fq-me{background:#ffe4e4;margin-left:auto}" +
    ".fq-opt,.fq-order{display:block;margin:4px 0;padding:6px 10px;border:1px solid #e4393c;border-radius:14px;background:#fff;" +
    "color:#e4393c;cursor:pointer;text-align:left}.fq-fb button{border:0;background:none;cursor:pointer;font-size:16px}" +
    ".fq-form{display:flex;border-top:1px solid #eee;position:relative}.fq-form input{flex:1;border:0;padding:12px;font-size:14px}" +
    ".fq-form button{border:0;background:#e4393c;color:#fff;padding:0 16px;cursor:pointer}" +
    ".fq-sug{position:absolute;bottom:100%;left:0;right:0;background:#fff;border-top:1px solid #eee}" +
    ".fq-sug div{padding:6px 12px;cursor:pointer}.fq-sug div:hover{background:#f5f5f5}" +
    ".fq-state{font-size:12px;font-weight:400;opacity:.9}" +
    ".fq-agent{background:#e8f4ff}.fq-who{font-size:12px;color:#888;margin-top:8px}" +
    ".fq-note{text-align:center;color:#888;font-size:12px;margin:8px 0}" +
    ".fq-resolve{margin:4px 6px 0 0;padding:4px 12px;border:1px solid #e4393c;border-radius:14px;background:#fff;color:#e4393c;cursor:pointer}" +
    ".fq-survey,.fq-resolved{background:#fff;border-radius:10px;padding:10px;margin:8px 0}" +
    ".fq-stars button,.fq-nps button{border:1px solid #ddd;background:#fff;margin:2px;padding:4px 7px;cursor:pointer;border-radius:4px}" +
    ".fq-stars button.on,.fq-nps button.on{background:#e4393c;color:#fff;border-color:#e4393c}" +
    ".fq-survey textarea{width:100%;box-sizing:border-box;margin:6px 0;min-height:40px}" +
    ".fq-survey .fq-submit{border:0;background:#e4393c;color:#fff;padding:6px 14px;border-radius:4px;cursor:pointer}" +
    "@media (max-width:480px){.fq-panel{right:0;bottom:0;width:100%;height:100%;border-radius:0}" +
    ".fq-launch{right:12px;bottom:12px}}";
  document.head.appendChild(style);

  var launch = el("button", "fq-launch", "在线客服");
  var panel = el("div", "fq-panel");
  var head = el("div", "fq-head", "智能客服");
  var log = el("div", "fq-log");
  var form = el("form", "fq-form");
  var input = el("input");
  input.placeholder = "请输入您的问题";
  input.maxLength = 200;
  var send = el("button", "", "发送");
  send.type = "submit";
  var sug = el("div", "fq-sug");
  form.appendChild(sug);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(form);
  document.body.appendChild(launch);
  document.body.appendChild(panel);

  function scroll() { log.scrollTop = log.scrollHeight; }
  function say(text, who) {
    var node = el("div", "fq-msg " + (who === "me" ? "fq-me" : "fq-bot"), text);
    log.appendChild(node);
    scroll();
    return node;
  }
  function buttons(parent, items) {
    items.forEach(function (item) {
      var b = el("button", "fq-opt", item.question);
      b.type = "button";
      b.addEventListener("click", function () { ask(item.question, "/select:" + item.id); });
      parent.appendChild(b);
    });
  }
  function feedback(parent, messageId) {
    var box = el("div", "fq-fb");
    [["👍", true], ["👎", false]].forEach(function (pair) {
      var b = el("button", "", pair[0]);
      b.type = "button";
      b.title = pair[1] ? "有帮助" : "没帮助";
      b.addEventListener("click", function () {
        post("/api/feedback", {session_id: sessionId, message_id: messageId, helpful: pair[1]});
        box.textContent = "感谢您的反馈";
      });
      box.appendChild(b);
    });
    parent.appendChild(box);
  }
  // 问题解决了吗？: asked once, when the customer has been quiet for a while after a bot answer (bot CSAT)
  var askResolvedAfter = Number(script.getAttribute("data-ask-resolved-after") || 30) * 1000, resolvedTimer = null;
  var resolvedAsked = false, handedOff = false;
  function askResolvedLater(messageId) {
    clearTimeout(resolvedTimer);
    if (resolvedAsked || handedOff || !(askResolvedAfter > 0)) return;
    resolvedTimer = setTimeout(function () {
      resolvedAsked = true;
      var box = el("div", "fq-resolved", "问题解决了吗？");
      [["解决了", true], ["没解决", false]].forEach(function (pair) {
        var b = el("button", "fq-resolve", pair[0]);
        b.type = "button";
        b.addEventListener("click", function () {
          post("/api/feedback", {session_id: sessionId, message_id: messageId, helpful: pair[1], kind: "resolved"});
          box.textContent = "感谢您的反馈";
        });
        box.appendChild(b);
      });
      log.appendChild(box);
      scroll();
    }, askResolvedAfter);
  }
  var shown = {};  // message ids already on screen: pushed, fetched or restored, each shown once
  function seen(id) { if (!id) return true; var was = shown[id]; shown[id] = true; return !was; }
  function note(text) { var node = el("div", "fq-note", text); log.appendChild(node); scroll(); return node; }
  function agentSays(text, author) {
    log.appendChild(el("div", "fq-who", author || "人工客服"));
    var node = el("div", "fq-msg fq-agent", text);
    log.appendChild(node);
    scroll();
  }
  function survey(id, withNps, text) {
    var done = JSON.parse(localStorage.getItem(key + "-rated") || "[]");
    if (done.indexOf(id) >= 0) return;
    var box = el("div", "fq-survey");
    box.appendChild(el("div", "", text || "请为本次人工服务打分："));
    var chosen = {csat: 0, nps: null};
    function scale(cls, from, to, field, label) {
      var row = el("div", cls);
      for (var n = from; n <= to; n++) (function (n) {
        var b = el("button", "", label(n));
        b.type = "button";
        b.setAttribute("data-score", String(n));
        b.addEventListener("click", function () {
          chosen[field] = n;
          Array.prototype.forEach.call(row.children, function (x) { x.classList.toggle("on", x === b); });
        });
        row.appendChild(b);
      })(n);
      box.appendChild(row);
    }
    scale("fq-stars", 1, 5, "csat", function (n) { return n + "★"; });
    if (withNps) {
      box.appendChild(el("div", "", "您有多大可能把我们推荐给朋友？（0–10）"));
      scale("fq-nps", 0, 10, "nps", String);
    }
    var comment = el("textarea");
    comment.placeholder = "还有什么想对我们说的？（选填）";
    comment.maxLength = 500;
    box.appendChild(comment);
    var submit = el("button", "fq-submit", "提交评价");
    submit.type = "button";
    submit.addEventListener("click", function () {
      if (!chosen.csat) { submit.textContent = "请先选择评分"; return; }
      post("/api/surveys/" + id, {session_id: sessionId, csat: chosen.csat, nps: chosen.nps, comment: comment.value})
        .then(function (r) {
          if (r.status !== "thanks") { submit.textContent = "提交失败，请重试"; return; }  // the rating is kept on screen
          done.push(id);
          localStorage.setItem(key + "-rated", JSON.stringify(done));
          box.textContent = "感谢您的评价！";
        }, function () { submit.textContent = "提交失败，请重试"; });
    });
    box.appendChild(submit);
    log.appendChild(box);
    scroll();
  }
  var queueButton = null;
  function leaveQueueButton(notice) {  // waiting for an agent is the customer's choice: they may stop
    var b = queueButton = el("button", "fq-resolve fq-leave-queue", "不等了，取消排队");
    b.type = "button";
    b.addEventListener("click", function () {
      fetch(base + "/api/sessions/" + encodeURIComponent(sessionId) + "/leave-queue", {method: "POST", headers: owned()})
        .then(function (r) { return r.json(); })
        .then(function (reply) { b.remove(); if (reply.type === "system") { withAgent(false); render(reply); } });
    });
    notice.appendChild(el("br"));
    notice.appendChild(b);
  }
  function render(reply) {
    if (!reply || !reply.type && typeof reply.text !== "string") {  // a refusal (too many messages, too long …)
      say((reply && (reply.error || reply.detail)) || "消息发送失败，请稍后再试。", "bot");
      return;
    }
    if (!seen(reply.message_id)) return;
    if (queueButton && /^(agent|system|survey)$/.test(reply.type)) { queueButton.remove(); queueButton = null; }
    if (reply.handoff && reply.handoff.status === "queued") withAgent(true);
    if (reply.type === "relayed") return;  // an agent has the conversation: their answer comes as "agent"
    if (reply.type === "agent") { agentSays(reply.text, reply.author); return; }
    if (reply.type === "system") { note(reply.text); return; }
    if (reply.type === "survey") { withAgent(false); survey(reply.survey, reply.nps, reply.text); return; }
    var clarify = reply.decision === "clarify";
    var node = say(clarify ? reply.text.split("\n")[0] : reply.text, "bot");  // options come as buttons
    if (clarify) buttons(node, reply.options);
    if (reply.decision === "answer" && reply.related && reply.related.length) {
      node.appendChild(el("div", "", "相关问题："));
      buttons(node, reply.related);
    }
    if (reply.decision === "answer") feedback(node, reply.message_id);
    if (reply.handoff) { handedOff = true; clearTimeout(resolvedTimer); }
    if (reply.decision === "answer") askResolvedLater(reply.message_id); else clearTimeout(resolvedTimer);
    if (reply.handoff && reply.handoff.notice && seen(reply.handoff.notice_id)) leaveQueueButton(note(reply.handoff.notice));
  }
  // The conversation's token (from its first reply) proves this browser owns it: reading the history,
  // pushed agent messages, ratings and votes need it.
  var sessionToken = localStorage.getItem(key + "-token") || "";
  function remember(reply) {
    if (reply && reply.session_token && reply.session_token !== sessionToken) {
      sessionToken = reply.session_token;
      localStorage.setItem(key + "-token", sessionToken);
    }
    return reply;
  }
  function owned() { return sessionToken ? {"X-Session-Token": sessionToken} : {}; }
  function post(path, body) {
    return fetch(base + path, {method: "POST", headers: Object.assign({"Content-Type": "application/json"}, owned()),
                               body: JSON.stringify(body)}).then(function (r) { return r.json(); }).then(remember);
  }
  function history() {
    return fetch(base + "/api/sessions/" + encodeURIComponent(sessionId) + "/messages", {headers: owned()})
      .then(function (r) { return r.ok ? r.json() : []; });
  }

  var socket = null;
  var polling = null;
  function withAgent(on) {  // while a person has the conversation, also fetch what they said (any worker)
    if (on && !polling) polling = setInterval(catchUp, 4000);
    if (!on && polling) { clearInterval(polling); polling = null; }
  }
  var pending = [];
  var retry = 500;
  var state = el("div", "fq-state");
  head.appendChild(state);
  function status(text) { state.textContent = text; }
  function connect() {
    try {
      socket = new WebSocket(base.replace(/^http/, "ws") + "/ws/" + encodeURIComponent(sessionId));
    } catch (e) { socket = null; return; }
    socket.onmessage = function (event) { render(remember(JSON.parse(event.data))); };
    socket.onopen = function () {
      status("");
      retry = 500;
      if (sessionToken) socket.send(JSON.stringify({session_token: sessionToken}));  // agent messages are pushed to the owner
      pending.splice(0).forEach(function (m) { socket.send(m); });
      catchUp();
    };
    socket.onclose = function () {  // network drop: say so, retry with backoff; messages go over HTTP meanwhile
      socket = null;
      status("连接中断，正在重连…");
      catchUp();
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }
  var restored = false;
  function catchUp() {  // what agents said while the socket was down (or on another worker)
    if (!restored) return Promise.resolve();  // the first load shows the whole history in order
    return history()
      .then(function (messages) {
        messages.forEach(function (m) { if (m.sender !== "customer" && m.sender !== "bot") restoreOne(m); });
      })
      .catch(function () {});
  }
  function ask(shown, sent) {
    say(shown, "me");
    var body = {text: sent, channel: channel, customer_id: customerId, attributes: customerAttributes};
    var payload = JSON.stringify(body);
    if (socket && socket.readyState === 1) socket.send(payload);
    else if (socket && socket.readyState === 0) pending.push(payload);
    else post("/api/messages", Object.assign({session_id: sessionId}, body)).then(render);
  }

  var timer = null;
  var typed = 0;  // a late answer for older typing must not reopen the list
  function closeSuggestions() { clearTimeout(timer); typed++; sug.textContent = ""; }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    var mine = ++typed;
    if (!q) { sug.textContent = ""; return; }
    timer = setTimeout(function () {
      fetch(base + "/api/suggest?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); })
        .then(function (items) {
          if (mine !== typed) return;
          sug.textContent = "";
          items.forEach(function (item) {
            var row = el("div", "", item.question);
            row.addEventListener("click", function () { closeSuggestions(); input.value = ""; ask(item.question, "/select:" + item.id); });
            sug.appendChild(row);
          });
        });
    }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    closeSuggestions();
    ask(text, text);
  });

  function welcome() {
    return fetch(base + "/api/welcome?categories=" + encodeURIComponent(categories) +
                 "&attributes=" + encodeURIComponent(attributes)).then(function (r) { return r.json(); })
      .then(function (card) {
        var node = say(card.text, "bot");
        buttons(node, card.questions);
        if (card.recent_order) {  // "您最近的订单 … 已发货，想咨询这个订单吗？" from the shop's order service
          var order = say(card.recent_order.text, "bot");
          var b = el("button", "fq-order", "咨询这个订单");
          b.type = "button";
          b.addEventListener("click", function () { ask(card.recent_order.question, card.recent_order.question); });
          order.appendChild(b);
        }
      });
  }
  function restore() {  // after a reload the conversation is still there
    return history()
      .then(function (messages) {
        messages.forEach(restoreOne);
        restored = true;
        return messages.length;
      });
  }
  function restoreOne(m) {
    if (!seen(m.id)) return;
    if (m.sender === "system" && m.survey) withAgent(false);
    if (m.sender === "agent" || m.decision === "handoff") withAgent(true);
    if (m.sender === "agent") agentSays(m.text, m.author);
    else if (m.sender === "system" && m.survey) survey(m.survey, m.nps, m.text);
    else if (m.sender === "system") note(m.text);
    else say(m.decision === "clarify" ? m.text.split("\n")[0] : m.text, m.sender === "customer" ? "me" : "bot");
  }

  var opened = false;
  function open() {
    panel.classList.add("open");
    localStorage.setItem(key + "-open", "1");
    if (opened) return;
    opened = true;
    connect();
    restore().then(function (n) { if (!n) welcome(); });
    input.focus();
  }
  launch.addEventListener("click", function () {
    if (panel.classList.contains("open")) { panel.classList.remove("open"); localStorage.removeItem(key + "-open"); }
    else open();
  });
  if (localStorage.getItem(key + "-open")) open();
})();
