/* In the agent workspace: what a supervisor whispers (never shown to the customer), notices when a
 * supervisor takes a conversation over or hands one to this agent, and a link to one's quality reviews.
 * Its own socket on /ws/agent, so the workspace's script stays as it is. */
(function () {
  "use strict";
  var header = document.querySelector("header");
  if (header) {
    var reviews = document.createElement("a");
    reviews.href = "/qa";
    reviews.target = "_blank";
    reviews.textContent = "我的质检";
    reviews.setAttribute("style", "color:#9cf");
    header.insertBefore(reviews, document.getElementById("logout"));
  }
  var box = document.createElement("div");
  box.id = "whispers";
  box.setAttribute("style", "position:fixed;right:16px;bottom:16px;max-width:320px;z-index:50");
  document.body.appendChild(box);
  function show(text, kind) {
    var note = document.createElement("div");
    note.className = "whisper " + kind;
    note.setAttribute("style", "background:" + (kind === "whisper" ? "#fffbe6;border:1px solid #ffe58f" : "#e6f4ff;border:1px solid #91caff") +
      ";border-radius:6px;padding:8px 12px;margin-top:8px;box-shadow:0 2px 8px rgba(0,0,0,.15)");
    note.textContent = text;
    note.addEventListener("click", function () { note.remove(); });
    box.appendChild(note);
  }
  function listen() {
    var token = sessionStorage.getItem("faqbot-agent-token");
    if (!token) { setTimeout(listen, 1000); return; }  // not signed in yet
    var socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/agent");
    socket.onopen = function () { socket.send(JSON.stringify({token: token})); };
    socket.onmessage = function (event) {
      var e = JSON.parse(event.data);
      if (e.type === "whisper") show("主管 " + e.author + " 悄悄提醒（客户看不到）：" + e.text, "whisper");
      if (e.type === "taken_over") show("会话 #" + e.handoff_id + " 已由 " + e.by + " 接管（转给 " + e.to + "）", "notice");
      if (e.type === "assigned") show(e.by + " 把会话 #" + e.handoff_id + " 交给了您", "notice");
    };
    socket.onclose = function (e) { if (e.code !== 4401 && e.code !== 4403) setTimeout(listen, 1000); else setTimeout(listen, 3000); };
  }
  listen();
})();
