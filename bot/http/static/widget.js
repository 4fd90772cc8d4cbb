/* faqbot web widget: <script src="https://your-bot/widget.js" data-categories="物流" data-lang="zh"
 *   data-customer-id="u123" data-attributes='{"vip_level": 3}'></script>
 * Opens a chat panel (a dialog: Esc or 关闭 closes it, Tab stays inside), shows 猜你想问 and the
 * first-screen menu, suggests questions while typing, talks over a WebSocket (HTTP fallback), renders
 * options and related questions as buttons, asks for feedback; after a hand-off shows the agent's
 * messages and, when the agent closes, the satisfaction survey. A reload restores what the customer saw.
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
  var pageLang = script.getAttribute("data-lang") || document.documentElement.lang || "zh";
  var T = {
    zh: {launch: "在线客服", title: "智能客服", close: "关闭", placeholder: "请输入您的问题", send: "发送",
         helpful: "有帮助", unhelpful: "没帮助", thanks: "感谢您的反馈", voted: {yes: "您觉得有帮助", no: "您觉得没帮助"},
         related: "相关问题：", agent: "人工客服", offline: "连接中断，正在重连…", failed: "消息发送失败，请稍后再试。",
         rate: "请为本次人工服务打分：", nps: "您有多大可能把我们推荐给朋友？（0–10）", comment: "还有什么想对我们说的？（选填）",
         submit: "提交评价", pick: "请先选择评分", retry: "提交失败，请重试", rated: "感谢您的评价！", person: "转人工",
         suggestions: "推荐问题", stars: "星", attach: "发送图片或文件", first: "请先发送一条消息，再发送图片或文件。",
         refused: "文件未能发送：", resolvedAsk: "问题解决了吗？", solved: "解决了", unsolved: "没解决",
         leaveQueue: "不等了，取消排队", aboutOrder: "咨询这个订单"},
    en: {launch: "Chat with us", title: "Support", close: "Close", placeholder: "Type your question", send: "Send",
         helpful: "Helpful", unhelpful: "Not helpful", thanks: "Thanks for your feedback",
         voted: {yes: "You found this helpful", no: "You found this not helpful"}, related: "Related questions:",
         agent: "Agent", offline: "Connection lost, reconnecting…", failed: "Sending failed, please try again later.",
         rate: "Please rate the agent:", nps: "How likely are you to recommend us to a friend? (0–10)",
         comment: "Anything else you want to tell us? (optional)", submit: "Submit", pick: "Please choose a rating first",
         retry: "Failed, please try again", rated: "Thanks for your rating!", person: "Talk to a person",
         suggestions: "Suggested questions", stars: "stars", attach: "Send a picture or file",
         first: "Please send a message first, then the picture or file.", refused: "The file was not sent: ",
         resolvedAsk: "Did that solve your problem?", solved: "Yes", unsolved: "No", leaveQueue: "Stop waiting",
         aboutOrder: "Ask about this order"}
  };
  var t = T[/^en/i.test(pageLang) ? "en" : "zh"];
  var chosenLang = script.hasAttribute("data-lang");  // else an English knowledge base switches to English
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
  function button(cls, text, label) {
    var b = el("button", cls, text);
    b.type = "button";
    if (label) { b.setAttribute("aria-label", label); b.title = label; }
    return b;
  }
  var PATHS = {  // icons drawn inline: no emoji font or image request needed
    clip: "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5" +
          "a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z",
    close: "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12 19 6.4 17.6 5 12 10.6z",
    up: "M2 21h4V9H2v12zm21-11c0-1.1-.9-2-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.5-1.1L14.2 1 7.6 7.6C7.2 8 7 8.5 7 9v10" +
        "c0 1.1.9 2 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7c.1-.3.2-.5.2-.8v-2z",
    down: "M15 3H6c-.8 0-1.5.5-1.8 1.2l-3 7c-.1.3-.2.5-.2.8v2c0 1.1.9 2 2 2h6.3l-1 4.6v.3c0 .4.2.8.5 1.1L9.8 23" +
          "l6.6-6.6c.4-.4.6-.9.6-1.4V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z"
  };
  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", PATHS[name]);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  var RED = "#c2162b";  // white on it, and it on white: 6:1 (WCAG AA needs 4.5:1)
  var style = el("style");
  style.textContent =
    ".fq-launch{position:fixed;right:24px;bottom:calc(24px + env(safe-area-inset-bottom));border:0;border-radius:28px;" +
    "padding:14px 20px;background:" + RED + ";color:#fff;font-size:15px;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.2);z-index:9999}" +
    ".fq-panel{position:fixed;right:24px;bottom:84px;width:360px;height:520px;max-height:calc(100% - 108px);background:#fff;" +
    "color:#1f1f1f;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.25);display:none;flex-direction:column;" +
    "overflow:hidden;z-index:10000;font:14px/1.5 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;box-sizing:border-box}" +
    ".fq-panel.open{display:flex}.fq-head{display:flex;align-items:center;gap:8px;background:" + RED + ";color:#fff;" +
    "padding:8px 8px 8px 16px;font-weight:600}.fq-title{flex:1}" +
    ".fq-close{border:0;background:none;color:#fff;cursor:pointer;padding:8px;border-radius:6px;line-height:0}" +
    ".fq-panel button:focus-visible,.fq-launch:focus-visible,.fq-form input:focus-visible{outline:3px solid #1a5fb4;outline-offset:1px}" +
    ".fq-close:focus-visible{outline-color:#fff}" +
    ".fq-log{flex:1;overflow-y:auto;padding:12px;background:#f5f5f5}" +
    ".fq-msg{max-width:85%;margin:6px 0;padding:8px 12px;border-radius:10px;white-space:pre-wrap;word-break:break-word}" +
    ".fq-bot{background:#fff}.fq-me{background:#ffe4e4;margin-left:auto}" +
    ".fq-opt{display:block;margin:4px 0;padding:6px 10px;border:1px solid " + RED + ";border-radius:14px;background:#fff;" +
    "color:" + RED + ";cursor:pointer;text-align:left;font:inherit}" +
    ".fq-fb{margin-top:4px;color:#555}.fq-fb button{border:0;background:none;cursor:pointer;color:#555;padding:4px 6px;line-height:0}" +
    ".fq-form{display:flex;border-top:1px solid #ddd;position:relative;background:#fff}" +
    ".fq-form input{flex:1;min-width:0;border:0;padding:12px;font-size:16px;color:#1f1f1f}" +
    ".fq-form button{border:0;background:" + RED + ";color:#fff;padding:0 16px;cursor:pointer;font-size:15px}" +
    ".fq-form .fq-attach{background:#fff;color:#555;padding:0 10px;line-height:0}.fq-file{display:none}" +
    ".fq-msg img{display:block;max-width:100%;max-height:200px;border-radius:6px}" +
    ".fq-sug{position:absolute;bottom:100%;left:0;right:0;background:#fff;border-top:1px solid #ddd}" +
    ".fq-sug button{display:block;width:100%;text-align:left;border:0;background:#fff;color:#1f1f1f;padding:6px 12px;" +
    "cursor:pointer;font:inherit}.fq-sug button:hover,.fq-sug button:focus{background:#eee}" +
    ".fq-state{font-size:12px;font-weight:400}" +
    ".fq-agent{background:#e8f4ff}.fq-who{font-size:12px;color:#555;margin-top:8px}" +
    ".fq-note{text-align:center;color:#555;font-size:12px;margin:8px 0}" +
    ".fq-survey{background:#fff;border-radius:10px;padding:10px;margin:8px 0}" +
    ".fq-stars button,.fq-nps button{border:1px solid #767676;background:#fff;color:#1f1f1f;margin:2px;padding:4px 7px;" +
    "cursor:pointer;border-radius:4px}" +
    ".fq-stars button.on,.fq-nps button.on{background:" + RED + ";color:#fff;border-color:" + RED + "}" +
    ".fq-order{display:block;margin:4px 0;padding:6px 10px;border:1px solid " + RED + ";border-radius:14px;" +
    "background:#fff;color:" + RED + ";cursor:pointer;text-align:left;font:inherit}" +
    ".fq-resolve{margin:4px 6px 0 0;padding:4px 12px;border:1px solid " + RED + ";border-radius:14px;background:#fff;" +
    "color:" + RED + ";cursor:pointer;font:inherit}.fq-resolved{background:#fff;border-radius:10px;padding:10px;margin:8px 0}" +
    ".fq-survey textarea{width:100%;box-sizing:border-box;margin:6px 0;min-height:40px}" +
    ".fq-survey .fq-submit{border:0;background:" + RED + ";color:#fff;padding:6px 14px;border-radius:4px;cursor:pointer}" +
    ".fq-bar{display:flex;flex-wrap:wrap;gap:6px;padding:6px 8px;background:#fff;border-top:1px solid #ddd}" +
    ".fq-bar:empty{display:none}.fq-bar button{border:1px solid " + RED + ";background:#fff;color:" + RED + ";" +
    "border-radius:14px;padding:4px 12px;cursor:pointer;font:inherit}" +
    "@media (max-width:480px){.fq-panel{right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0;" +
    "padding:env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left)}" +
    ".fq-launch{right:calc(12px + env(safe-area-inset-right));bottom:calc(12px + env(safe-area-inset-bottom))}" +
    ".fq-launch.fq-covered{display:none}}";
  document.head.appendChild(style);

  var launch = el("button", "fq-launch", t.launch);
  launch.type = "button";
  launch.setAttribute("aria-expanded", "false");
  launch.setAttribute("aria-controls", "fq-panel");
  var panel = el("div", "fq-panel");
  panel.id = "fq-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", t.title);
  var head = el("div", "fq-head");
  var title = el("span", "fq-title", t.title);
  var state = el("span", "fq-state");
  state.setAttribute("role", "status");
  var closer = button("fq-close", undefined, t.close);
  closer.appendChild(icon("close"));
  head.appendChild(title);
  head.appendChild(state);
  head.appendChild(closer);
  var log = el("div", "fq-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.tabIndex = 0;  // scrollable by keyboard
  var bar = el("div", "fq-bar");  // 转人工 and the first-screen menu
  var form = el("form", "fq-form");
  var input = el("input");
  input.placeholder = t.placeholder;
  input.setAttribute("aria-label", t.placeholder);
  input.maxLength = 200;
  var send = el("button", "", t.send);
  send.type = "submit";
  var sug = el("div", "fq-sug");
  sug.setAttribute("aria-label", t.suggestions);
  var attach = button("fq-attach", undefined, t.attach);
  attach.appendChild(icon("clip"));
  attach.hidden = true;  // shown when the server takes files (/api/welcome)
  var file = el("input", "fq-file");
  file.type = "file";
  file.tabIndex = -1;
  form.appendChild(sug);
  form.appendChild(attach);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(bar);
  panel.appendChild(form);
  panel.appendChild(file);
  document.body.appendChild(launch);
  document.body.appendChild(panel);
  function labels() {  // the fixed texts, again when the knowledge base's language decides them
    launch.textContent = t.launch;
    panel.setAttribute("aria-label", t.title);
    title.textContent = t.title;
    [closer, attach].forEach(function (b, i) { var text = [t.close, t.attach][i]; b.setAttribute("aria-label", text); b.title = text; });
    input.placeholder = t.placeholder;
    input.setAttribute("aria-label", t.placeholder);
    send.textContent = t.send;
    sug.setAttribute("aria-label", t.suggestions);
  }

  function scroll() { log.scrollTop = log.scrollHeight; }
  function say(text, who) {
    var node = el("div", "fq-msg " + (who === "me" ? "fq-me" : "fq-bot"), text);
    log.appendChild(node);
    return node;
  }
  function buttons(parent, items) {
    (items || []).forEach(function (item) {
      var b = button("fq-opt", item.question);
      b.addEventListener("click", function () { ask(item.question, "/select:" + item.id); });
      parent.appendChild(b);
    });
  }
  function feedback(parent, messageId, given) {
    var box = el("div", "fq-fb");
    if (given) { box.textContent = t.voted[given]; parent.appendChild(box); return; }
    [["up", true, t.helpful], ["down", false, t.unhelpful]].forEach(function (kind) {
      var b = button("", undefined, kind[2]);
      b.appendChild(icon(kind[0]));
      b.addEventListener("click", function () {
        post("/api/feedback", {session_id: sessionId, message_id: messageId, helpful: kind[1]});
        box.textContent = t.thanks;
        input.focus();  // the pressed button is gone: focus stays in the panel
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
      var box = el("div", "fq-resolved", t.resolvedAsk);
      [[t.solved, true], [t.unsolved, false]].forEach(function (pair) {
        var b = el("button", "fq-resolve", pair[0]);
        b.type = "button";
        b.addEventListener("click", function () {
          post("/api/feedback", {session_id: sessionId, message_id: messageId, helpful: pair[1], kind: "resolved"});
          box.textContent = t.thanks;
        });
        box.appendChild(b);
      });
      log.appendChild(box);
      scroll();
    }, askResolvedAfter);
  }
  var shown = {};  // message ids already on screen: pushed, fetched or restored, each shown once
  function seen(id) { if (!id) return true; var was = shown[id]; shown[id] = true; return !was; }
  function note(text) { var node = el("div", "fq-note", text); log.appendChild(node); return node; }
  function agentSays(text, author) {
    log.appendChild(el("div", "fq-who", author || t.agent));
    log.appendChild(el("div", "fq-msg fq-agent", text));
  }
  function survey(id, withNps, text) {
    var done = JSON.parse(localStorage.getItem(key + "-rated") || "[]");
    if (done.indexOf(id) >= 0) return;
    var box = el("div", "fq-survey");
    box.appendChild(el("div", "", text || t.rate));
    var chosen = {csat: 0, nps: null};
    function scale(cls, from, to, field, label, spoken) {
      var row = el("div", cls);
      row.setAttribute("role", "group");
      for (var n = from; n <= to; n++) (function (n) {
        var b = button("", label(n), spoken(n));
        b.setAttribute("data-score", String(n));
        b.setAttribute("aria-pressed", "false");
        b.addEventListener("click", function () {
          chosen[field] = n;
          Array.prototype.forEach.call(row.children, function (x) {
            x.classList.toggle("on", x === b);
            x.setAttribute("aria-pressed", String(x === b));
          });
        });
        row.appendChild(b);
      })(n);
      box.appendChild(row);
    }
    scale("fq-stars", 1, 5, "csat", function (n) { return n + "★"; }, function (n) { return n + " " + t.stars; });
    if (withNps) {
      box.appendChild(el("div", "", t.nps));
      scale("fq-nps", 0, 10, "nps", String, String);
    }
    var comment = el("textarea");
    comment.placeholder = t.comment;
    comment.setAttribute("aria-label", t.comment);
    comment.maxLength = 500;
    box.appendChild(comment);
    var submit = button("fq-submit", t.submit);
    submit.addEventListener("click", function () {
      if (!chosen.csat) { submit.textContent = t.pick; return; }
      post("/api/surveys/" + id, {session_id: sessionId, csat: chosen.csat, nps: chosen.nps, comment: comment.value})
        .then(function (r) {
          if (r.status !== "thanks") { submit.textContent = t.retry; return; }  // the rating is kept on screen
          done.push(id);
          localStorage.setItem(key + "-rated", JSON.stringify(done));
          box.textContent = t.rated;
          input.focus();
        }, function () { submit.textContent = t.retry; });
    });
    box.appendChild(submit);
    log.appendChild(box);
  }
  var queueButton = null;
  function leaveQueueButton(notice) {  // waiting for an agent is the customer's choice: they may stop
    var b = queueButton = el("button", "fq-resolve fq-leave-queue", t.leaveQueue);
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
    show(reply);
    scroll();  // after the options and buttons are in: the last ones are in view
  }
  function show(reply) {
    if (!reply || !reply.type && typeof reply.text !== "string") {  // a refusal (too many messages, too long …)
      say((reply && (reply.error || reply.detail)) || t.failed, "bot");
      return;
    }
    if (!seen(reply.message_id)) return;
    if (queueButton && /^(agent|system|survey)$/.test(reply.type)) { queueButton.remove(); queueButton = null; }
    if (reply.handoff && reply.handoff.status === "queued") withAgent(true);
    if (reply.type === "relayed") return;  // an agent has the conversation: their answer comes as "agent"
    if (reply.type === "agent") { agentSays(reply.text, reply.author); return; }
    if (reply.type === "system") { note(reply.text); return; }
    if (reply.type === "survey") { withAgent(false); survey(reply.survey, reply.nps, reply.text); return; }
    botSays(reply);
    if (reply.handoff) { handedOff = true; clearTimeout(resolvedTimer); }
    if (reply.decision === "answer") askResolvedLater(reply.message_id); else clearTimeout(resolvedTimer);
    if (reply.handoff && reply.handoff.notice && seen(reply.handoff.notice_id)) leaveQueueButton(note(reply.handoff.notice));
  }
  function botSays(reply) {  // a bot reply, live or restored: the text, options, related questions, feedback
    var clarify = reply.decision === "clarify";
    var node = say(clarify ? reply.text.split("\n")[0] : reply.text, "bot");  // options come as buttons
    if (clarify) buttons(node, reply.options);
    if (reply.decision === "answer" && reply.related && reply.related.length) {
      node.appendChild(el("div", "", t.related));
      buttons(node, reply.related);
    }
    if (reply.decision === "answer") feedback(node, reply.message_id, reply.feedback);
    offerPerson(reply.decision);
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
      status(t.offline);
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
        scroll();
      })
      .catch(function () {});
  }
  function ask(shownText, sent) {
    say(shownText, "me");
    scroll();
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
            var row = button("", item.question);
            row.addEventListener("click", function () {
              closeSuggestions(); input.value = ""; input.focus(); ask(item.question, "/select:" + item.id);
            });
            sug.appendChild(row);
          });
        });
    }, 150);
  });
  function moveInSuggestions(event) {  // ↑/↓ walk the suggestions from the input and back
    var rows = Array.prototype.slice.call(sug.children);
    if (!rows.length || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
    var at = rows.indexOf(document.activeElement);
    event.preventDefault();
    if (event.key === "ArrowUp" && at <= 0) { input.focus(); return; }
    rows[event.key === "ArrowDown" ? Math.min(at + 1, rows.length - 1) : at - 1].focus();
  }
  form.addEventListener("keydown", moveInSuggestions);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    closeSuggestions();
    ask(text, text);
  });

  var settings = {person: "never", menu: []};  // from /api/welcome: the 转人工 button and the first-screen menu
  function offerPerson(decision) {  // "after_miss": from the first reply the bot could not answer
    if (settings.person === "after_miss" && (decision === "fallback" || decision === "clarify")) personButton();
  }
  function personButton() {
    if (bar.querySelector(".fq-person")) return;
    var b = button("fq-person", t.person);
    b.addEventListener("click", function () { ask(t.person, "/person"); });
    bar.appendChild(b);
  }
  function menu(items) {
    (items || []).forEach(function (item) {
      var b = button("fq-menu", item.label);
      b.addEventListener("click", function () { ask(item.label, item.payload); });
      bar.insertBefore(b, bar.querySelector(".fq-person"));
    });
  }
  function sentFile(text, attachmentId, type) {  // the customer's picture shown as a picture, a file as its name
    var node = say(text, "me");
    if (attachmentId && /^image\//.test(type)) {
      node.textContent = "";
      var img = el("img");
      img.alt = text;
      img.src = base + "/api/sessions/" + encodeURIComponent(sessionId) + "/attachments/" + attachmentId +
                "?token=" + encodeURIComponent(sessionToken);
      img.addEventListener("load", scroll);
      node.appendChild(img);
    }
    return node;
  }
  attach.addEventListener("click", function () { file.click(); });
  file.addEventListener("change", function () {
    var chosen = file.files[0];
    file.value = "";
    input.focus();
    if (!chosen) return;
    if (!sessionToken) { note(t.first); scroll(); return; }
    fetch(base + "/api/attachments?session_id=" + encodeURIComponent(sessionId) + "&name=" + encodeURIComponent(chosen.name),
          {method: "POST", headers: owned(), body: chosen})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (r) {
        if (!r.ok) { note(t.refused + (r.body.detail || r.body.error || r.body.message || "")); scroll(); return; }
        seen(r.body.message_id);
        sentFile(r.body.text, r.body.attachment_id, r.body.content_type);
        scroll();
      }, function () { note(t.failed); scroll(); });
  });
  function welcome() {  // 猜你想问 and the widget's settings: the 转人工 button, the first-screen menu
    return fetch(base + "/api/welcome?categories=" + encodeURIComponent(categories) +
                 "&attributes=" + encodeURIComponent(attributes)).then(function (r) { return r.json(); })
      .then(function (card) {
        if (!chosenLang && T[card.language] && T[card.language] !== t) { t = T[card.language]; labels(); }
        settings.person = card.person_button || "never";
        if (card.file_types && card.file_types.length) { attach.hidden = false; file.accept = card.file_types.join(","); }
        menu(card.menu);
        if (settings.person === "always") personButton();
        return card;
      }, function () { return null; });
  }
  function welcomeCard(card) {  // only a new conversation starts with it
    if (!card) return;
    buttons(say(card.text, "bot"), card.questions);
    if (card.recent_order) {  // "您最近的订单 … 已发货，想咨询这个订单吗？" from the shop's order service
      var order = say(card.recent_order.text, "bot");
      var b = el("button", "fq-order", t.aboutOrder);
      b.type = "button";
      b.addEventListener("click", function () { ask(card.recent_order.question, card.recent_order.question); });
      order.appendChild(b);
    }
    scroll();
  }
  function restore() {  // after a reload the conversation is still there, as the customer saw it
    return history()
      .then(function (messages) {
        messages.forEach(restoreOne);
        restored = true;
        scroll();
        return messages.length;
      });
  }
  function restoreOne(m) {
    if (!seen(m.id)) return;
    if (m.sender === "system" && m.survey) withAgent(false);
    if (m.sender === "agent" || m.decision === "handoff") withAgent(true);
    if (m.sender === "agent") agentSays(m.text, m.author);
    else if (m.sender === "system" && m.survey) { if (!m.answered) survey(m.survey, m.nps, m.text); }
    else if (m.sender === "system") note(m.text);
    else if (m.sender === "customer") sentFile(m.text, m.attachment && m.attachment.id, m.attachment && m.attachment.content_type);
    else botSays(Object.assign({message_id: m.id}, m));
  }

  function small() { return window.matchMedia("(max-width: 480px)").matches; }
  var opened = false;
  function open() {
    panel.classList.add("open");
    launch.classList.add("fq-covered");  // on a phone the panel covers the screen: 关闭 in its header closes it
    launch.setAttribute("aria-expanded", "true");
    if (!small()) localStorage.setItem(key + "-open", "1");  // a phone reload starts closed, launcher in reach
    input.focus();
    if (opened) return;
    opened = true;
    connect();
    welcome().then(function (card) { return restore().then(function (n) { if (!n) welcomeCard(card); }); });
  }
  function close() {
    panel.classList.remove("open");
    launch.classList.remove("fq-covered");
    launch.setAttribute("aria-expanded", "false");
    localStorage.removeItem(key + "-open");
    launch.focus();
  }
  function focusable() {
    return Array.prototype.filter.call(panel.querySelectorAll("button, input, textarea, [tabindex]"), function (n) {
      return !n.disabled && n.tabIndex >= 0 && n.getClientRects().length;
    });
  }
  panel.addEventListener("keydown", function (event) {  // a dialog: Esc closes it, Tab cycles inside it
    if (event.key === "Escape") { event.preventDefault(); close(); return; }
    if (event.key !== "Tab") return;
    var nodes = focusable();
    var first = nodes[0], last = nodes[nodes.length - 1];
    if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  });
  closer.addEventListener("click", close);
  launch.addEventListener("click", function () { if (panel.classList.contains("open")) close(); else open(); });
  if (localStorage.getItem(key + "-open") && !small()) open();
})();
