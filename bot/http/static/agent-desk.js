/* The workspace's desk parts around the chat (agent.js): tickets (留言/工单), the assist panel (bot candidates,
 * knowledge-base search, canned replies), the customer's history and internal notes, the wrap-up after closing,
 * and keyboard shortcuts. Plain DOM; every text goes in as textContent. */
(function () {
  "use strict";
  var desk = window.faqbotDesk = window.faqbotDesk || {};
  var ticket = null;  // the open ticket's id (the chat pane shows it instead of a hand-off)
  var candidates = [];  // the bot's candidates shown, for Alt+1…5
  var ACTIONS = {"ticket.create": "留言", "ticket.assign": "分配", "ticket.reply": "回复客户", "ticket.reopen": "客户回复，重新打开",
                 "ticket.transfer": "转组", "ticket.resolve": "已解决", "ticket.close": "关闭"};
  var STATUS = {"new": "新建", assigned: "已分配", waiting: "等待客户回复", resolved: "已解决", closed: "已关闭"};
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) { return desk.el(tag, cls, text); }
  function when(t) { return t ? new Date(t * 1000).toLocaleString("zh-CN", {hour12: false}) : "—"; }
  function failed(err) { desk.show({sender: "system", text: "操作失败：" + err.message}); }
  function button(label, cls, onClick) {
    var b = el("button", cls || "", label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  function field(dl, label, value, cls) {
    dl.appendChild(el("dt", "", label));
    dl.appendChild(el("dd", cls || "", value === null || value === undefined || value === "" ? "—" : value));
  }
  function insert(text) {  // into the reply box, where the agent may still edit it
    var box = $("text");
    box.value = text;
    box.focus();
  }

  // -- tickets ------------------------------------------------------------------------------------
  desk.ticket = function () { return ticket; };
  desk.leaveTicket = function () { ticket = null; };
  desk.tickets = function (list) {
    var box = $("tickets");
    box.textContent = "";
    list.forEach(function (t) {
      var item = el("div", "item ticket" + (t.overdue ? " overdue" : "") + (t.id === ticket ? " current" : ""));
      item.setAttribute("data-ticket", t.id);
      item.appendChild(el("div", "", "#" + t.id + " · " + STATUS[t.status] + (t.overdue ? " · 已超时" : "")));
      item.appendChild(el("div", "meta", t.text.slice(0, 40)));
      item.appendChild(el("div", "meta", t.group + " · 截止 " + when(t.due)));
      item.addEventListener("click", function () { openTicket(t.id); });
      box.appendChild(item);
    });
  };
  function openTicket(id) {
    desk.leaveHandoff();
    ticket = id;
    return desk.api("GET", "/api/agent/tickets/" + id).then(function (t) {
      $("log").textContent = "";
      t.transcript.forEach(desk.show);
      showTicket(t);
      desk.refresh();
    }).catch(failed);
  }
  function act(path, body) {
    var id = ticket;
    return desk.api("POST", "/api/agent/tickets/" + id + path, body).then(function () { return openTicket(id); }).catch(failed);
  }
  desk.ticketEvent = function (e) {  // the customer answered the open ticket (or someone changed it): show it
    if (e.ticket_id === ticket && e.event !== "ticket.reply") openTicket(ticket);
  };
  desk.replyToTicket = function (text) { act("/reply", {text: text}); };

  function showTicket(t) {
    var side = $("packet");
    side.textContent = "";
    side.appendChild(el("h3", "", "工单 #" + t.id));
    var dl = el("dl");
    field(dl, "状态 status", STATUS[t.status], "ticket-status");
    field(dl, "截止 due", when(t.due) + (t.overdue ? "（已超时）" : ""), t.overdue ? "ticket-due overdue-text" : "ticket-due");
    field(dl, "技能组 group", t.group + " · 优先级 " + t.priority);
    field(dl, "联系方式 contact", t.contact.join("、"), "ticket-contact");
    field(dl, "客户 customer", t.customer_id);
    field(dl, "分类 category", t.category);
    side.appendChild(dl);
    var actions = el("div", "actions");
    if (t.status === "new") actions.appendChild(button("接单", "primary take", function () { act("/assign", {}); }));
    if (["new", "assigned", "waiting"].indexOf(t.status) >= 0)
      actions.appendChild(button("已解决", "resolve", function () { act("/resolve"); }));
    if (t.status !== "closed") actions.appendChild(button("关闭并邀请评价", "danger close-ticket", function () { act("/close"); }));
    side.appendChild(actions);
    if (["new", "assigned", "waiting"].indexOf(t.status) >= 0) side.appendChild(transferForm());
    side.appendChild(el("h3", "", "处理记录 / changes"));
    t.changes.forEach(function (c) {
      side.appendChild(el("div", "meta change", when(c.created) + " · " + (c.actor === "customer" ? "客户" : c.actor) + " · " +
                          (ACTIONS[c.action] || c.action) +
                          (c.details.note ? "：" + c.details.note : "")));
    });
  }
  function transferForm() {
    var form = el("form", "transfer-ticket");
    var group = el("select");
    Array.prototype.forEach.call($("group").options, function (o) { group.appendChild(el("option", "", o.value)); });
    var note = el("input");
    note.placeholder = "转组说明（必填）";
    note.maxLength = 2000;
    form.appendChild(group); form.appendChild(note);
    form.appendChild(el("button", "", "转组"));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      act("/transfer", {group: group.value, note: note.value});
    });
    return form;
  }

  // -- assist panel and customer, beside an open hand-off --------------------------------------------
  desk.opened = function (p) {
    var side = $("packet");
    var assist = el("div", "assist");
    assist.appendChild(el("h3", "", "机器人候选 / candidates（Alt+1…5 插入）"));
    var found = el("div"); found.id = "candidates"; assist.appendChild(found);
    assist.appendChild(el("h3", "", "知识库搜索 / search（Alt+K）"));
    var form = el("form"); form.id = "kb-search";
    var q = el("input"); q.id = "kb-q"; q.placeholder = "搜索知识库"; q.maxLength = 500;
    form.appendChild(q); form.appendChild(el("button", "", "搜索"));
    var results = el("div"); results.id = "kb-results";
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!q.value.trim()) return;
      desk.api("GET", "/api/agent/assist/search?channel=" + encodeURIComponent(p.channel) + "&q=" + encodeURIComponent(q.value))
        .then(function (list) { entries(results, list, false); }).catch(failed);
    });
    assist.appendChild(form); assist.appendChild(results);
    assist.appendChild(el("h3", "", "常用语 / canned replies"));
    var canned = el("div"); canned.id = "canned"; assist.appendChild(canned);
    side.appendChild(assist);
    var who = el("div"); who.id = "customer"; side.appendChild(who);
    loadCandidates(p.id);
    desk.api("GET", "/api/agent/handoffs/" + p.id + "/canned").then(function (list) {
      if (!list.length) canned.appendChild(el("div", "meta", "（本组还没有常用语）"));
      list.forEach(function (r) {
        var item = el("div", "item canned-reply");
        item.appendChild(el("div", "", r.title));
        item.appendChild(el("div", "meta", r.filled));
        item.appendChild(button("插入", "insert", function () { insert(r.filled); }));
        canned.appendChild(item);
      });
    });
    loadCustomer(p.id);
  };
  desk.customerSaid = function (e) { if (e.handoff_id === desk.handoff()) loadCandidates(e.handoff_id); };
  function loadCandidates(id) {
    desk.api("GET", "/api/agent/handoffs/" + id + "/candidates").then(function (c) {
      if (desk.handoff() !== id || !$("candidates")) return;
      candidates = c.candidates;
      entries($("candidates"), c.candidates, true);
    });
  }
  function entries(box, list, numbered) {
    box.textContent = "";
    list.forEach(function (c, i) {
      var item = el("div", "item candidate");
      item.appendChild(el("div", "", (numbered ? (i + 1) + ". " : "") + c.question + " · " + c.score.toFixed(2)));
      item.appendChild(el("div", "meta", c.answer));
      item.appendChild(button("插入", "insert", function () { insert(c.answer); }));
      box.appendChild(item);
    });
    if (!list.length) box.appendChild(el("div", "meta", "—"));
  }

  function loadCustomer(id) {
    desk.api("GET", "/api/agent/handoffs/" + id + "/customer").then(function (c) {
      var box = $("customer");
      if (!box || desk.handoff() !== id) return;
      box.textContent = "";
      box.appendChild(el("h3", "", "客户历史 / history" + (c.customer_id ? "（" + c.customer_id + "）" : "")));
      c.conversations.forEach(function (s) {
        box.appendChild(el("div", "meta earlier", when(s.created) + " · " + s.channel + " · " + (s.first || "") +
                           (s.handoffs ? " · 转人工" : "")));
      });
      c.tickets.forEach(function (t) {
        box.appendChild(el("div", "meta earlier-ticket", "工单 #" + t.id + " · " + STATUS[t.status] + " · " + t.text.slice(0, 30)));
      });
      c.ratings.forEach(function (r) { box.appendChild(el("div", "meta rating", "评价 " + r.csat + " 星 " + (r.comment || ""))); });
      if (!c.conversations.length && !c.tickets.length && !c.ratings.length) box.appendChild(el("div", "meta", "—"));
      box.appendChild(el("h3", "", "内部备注（客户看不到）/ notes（Alt+N）"));
      c.notes.forEach(function (n) { box.appendChild(el("div", "note", n.author + "：" + n.text)); });
      var form = el("form"); form.id = "note-form";
      var text = el("input"); text.id = "note-text"; text.placeholder = "添加备注"; text.maxLength = 2000;
      form.appendChild(text); form.appendChild(el("button", "", "添加"));
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (!text.value.trim()) return;
        desk.api("POST", "/api/agent/handoffs/" + id + "/notes", {text: text.value}).then(function () { loadCustomer(id); }).catch(failed);
      });
      box.appendChild(form);
    });
  }

  // -- wrap-up after closing --------------------------------------------------------------------
  desk.closed = function (id) {
    desk.api("GET", "/api/agent/handoffs/" + id + "/wrapup").then(function (w) {
      var side = $("packet");
      side.textContent = "";
      side.appendChild(el("h3", "", "会话小结 #" + id));
      var form = el("form"); form.id = "wrapup";
      var reason = el("select"); reason.id = "reason";
      w.reasons.forEach(function (r) { reason.appendChild(el("option", "", r)); });
      if (w.suggested) reason.value = w.suggested;
      var resolved = el("select"); resolved.id = "resolved";
      resolved.appendChild(el("option", "", "已解决")); resolved.appendChild(el("option", "", "未解决"));
      var note = el("textarea"); note.id = "wrap-note"; note.placeholder = "备注（可选）";
      var save = el("input"); save.type = "checkbox"; save.id = "save-suggestion";
      var question = el("textarea"); question.id = "sugg-question"; question.value = w.question;
      var answer = el("textarea"); answer.id = "sugg-answer"; answer.value = w.answer;
      var target = el("select"); target.id = "sugg-target";
      target.appendChild(el("option", "", "新条目"));
      if (w.entry_id) { var o = el("option", "", "相似问：" + w.entry_question); o.value = w.entry_id; target.appendChild(o); }
      target.options[0].value = "";
      [["咨询原因 reason", reason], ["是否解决 resolved", resolved], ["备注 note", note]].forEach(function (pair) {
        form.appendChild(el("label", "", pair[0])); form.appendChild(pair[1]);
      });
      var saving = el("label", "", " 保存为知识建议（交给训练师）");
      saving.insertBefore(save, saving.firstChild);
      form.appendChild(saving);
      [["客户问题", question], ["客服回答", answer], ["放入", target]].forEach(function (pair) {
        form.appendChild(el("label", "", pair[0])); form.appendChild(pair[1]);
      });
      form.appendChild(el("button", "primary", "提交小结"));
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var body = {reason: reason.value, resolved: resolved.selectedIndex === 0, note: note.value};
        if (save.checked) body.suggestion = {question: question.value, answer: answer.value, entry_id: target.value || null};
        desk.api("POST", "/api/agent/handoffs/" + id + "/wrapup", body).then(function (done) {
          side.textContent = "";
          side.appendChild(el("div", "wrapup-done", "小结已保存：" + done.reason + (done.suggestion_id ? "，已生成知识建议 #" + done.suggestion_id : "")));
        }).catch(failed);
      });
      side.appendChild(form);
    }).catch(failed);
  };

  // -- keyboard shortcuts -----------------------------------------------------------------------
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && document.activeElement === $("text")) { $("text").value = ""; return; }
    if (!e.altKey) return;
    var digit = /^Digit([1-5])$/.exec(e.code);
    if (digit && candidates[digit[1] - 1]) { e.preventDefault(); insert(candidates[digit[1] - 1].answer); }
    else if (e.code === "KeyK" && $("kb-q")) { e.preventDefault(); $("kb-q").focus(); }
    else if (e.code === "KeyN" && $("note-text")) { e.preventDefault(); $("note-text").focus(); }
  });
})();
