/* 测试窗 of the trainers' workbench: a question answered by the draft (through the production path,
 * /api/trainer/try) beside the live version. While the edited draft retrains the draft's side says
 * 重新训练中 and the page asks again every second — it never shows an earlier draft's reply. The
 * question can be filed in the test set or added to the open entry. trainer.js hands it the page's
 * helpers; replies are inserted with textContent only. */
window.faqbotTryPanel = function (tools) {
  "use strict";
  var api = tools.api, el = tools.el, clear = tools.clear, say = tools.say, cell = tools.cell, num = tools.num;
  var entryLink = tools.entryLink, t = tools.t, addSimilar = tools.addSimilar;
  var lastTry = null;  // {text, result} of the last question the draft answered
  var trySeq = 0;      // a newer question stops asking about an older one
  function $(id) { return document.getElementById(id); }

  function tryChannels(channels) {
    var select = clear($("try-channel"));
    ["default"].concat(channels.filter(function (c) { return c !== "default"; })).forEach(function (c) {
      select.appendChild(el("option", "", c === "default" ? t("默认", "default") : c)).value = c;
    });
  }
  $("try-text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("try-form").requestSubmit(); }
  });
  $("try-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("try-text").value.trim();
    if (!text) return;
    $("try").disabled = true;
    say($("try-note"), t("正在试…", "trying…"));
    askDraft(text, $("try-channel").value, ++trySeq);
  });
  /** Asks until the draft has answered: while it retrains the page says so, never an earlier draft's reply. */
  function askDraft(text, channel, seq) {
    api("POST", "/api/trainer/try", {text: text, channel: channel}).then(function (r) {
      if (seq !== trySeq) return;
      showTry(text, r);
      if (r.retraining && !r.draft_error) {
        say($("try-note"), t("重新训练中… 草稿 r" + r.draft_revision + " 训练好后自动显示它的回答", "retraining… the reply of draft r" + r.draft_revision + " shows once it is trained") + trainingStep(r.progress));
        setTimeout(function () { askDraft(text, channel, seq); }, 1000);
        return;
      }
      say($("try-note"), r.draft_error ? t("草稿训练失败：", "the draft did not train: ") + r.draft_error : "", r.draft_error ? "error" : "");
      $("try").disabled = false;
    }).catch(function (err) { say($("try-note"), err.message, "error"); $("try").disabled = false; });
  }
  var STEPS = {"encoding questions": "编码问题", "held-out questions": "用留出的问题校准",
               "fine-tuning the encoder": "微调编码器", "fine-tuning the adapter": "微调适配器"};
  /** " — 编码问题 120/866": the step the draft's training is at, as the trainer sees it move. */
  function trainingStep(p) {
    if (!p) return "";
    return " — " + t(STEPS[p.step] || p.step, p.step) + " " + p.done + "/" + p.total;
  }
  function showTry(text, r) {
    var box = clear($("try-result"));
    if (r.draft) box.appendChild(replyBox(t("草稿 r", "draft r") + r.draft_revision, r.draft, "draft"));
    else box.appendChild(el("div", "reply draft retraining", t("草稿 r" + r.draft_revision + "：重新训练中…", "draft r" + r.draft_revision + ": retraining…")));
    if (r.live) box.appendChild(replyBox(t("线上 v", "live v") + r.live_version, r.live, "live"));
    $("try-actions").hidden = !r.draft;
    if (!r.draft) return;
    lastTry = {text: text, result: r};
    $("try-expected").value = r.draft.entry_id || tools.currentId();
    say($("try-actions-note"), "");
  }
  function replyBox(title, reply, cls) {
    var box = el("div", "reply " + cls);
    var head = el("h4", "", title + " ");
    var badge = head.appendChild(el("span", "badge decision " + reply.decision, tools.decision(reply.decision)));
    badge.setAttribute("data-decision", reply.decision);
    box.appendChild(head);
    var meta = el("div", "muted");
    meta.appendChild(document.createTextNode(t("置信度 ", "confidence ")));
    meta.appendChild(el("b", "confidence", num(reply.confidence, 3)));
    var limits = reply.thresholds || {};
    meta.appendChild(document.createTextNode(t("（回答 ≥ ", " (answer ≥ ") + num(limits.answer, 2) + t("，反问 ≥ ", ", clarify ≥ ") + num(limits.clarify, 2) + t("）", ")")));
    if (reply.exact_match) meta.appendChild(el("span", "badge", t("原句命中", "exact question")));
    if (reply.entry_id) {
      meta.appendChild(document.createTextNode(t(" · 条目 ", " · entry ")));
      meta.appendChild(entryLink(reply.entry_id));
    }
    if (reply.handoff) meta.appendChild(el("span", "rule", t(" · 转人工规则 ", " · hand-off rule ") + reply.handoff.rule + " → " + reply.handoff.group));
    box.appendChild(meta);
    box.appendChild(el("div", "text", reply.text));
    if (reply.options && reply.options.length) {
      var options = el("div", "muted", t("反问选项：", "options: "));
      reply.options.forEach(function (o) { options.appendChild(entryLink(o.id, o.question)); });
      box.appendChild(options);
    }
    var table = el("table", "candidates");
    var head2 = el("tr");
    [t("候选", "candidate"), t("标准问", "question"), t("分数", "score")].forEach(function (h) { head2.appendChild(el("th", "", h)); });
    table.appendChild(head2);
    (reply.candidates || []).forEach(function (c) {
      var row = el("tr");
      cell(row, entryLink(c.id)); cell(row, c.question); cell(row, num(c.score, 3), "score");
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }
  $("try-add-test").addEventListener("click", function () {
    if (!lastTry) return;
    var expected = $("try-expected").value.trim();
    api("POST", "/api/trainer/tests", {text: lastTry.text, expected_id: expected || null}).then(function (added) {
      say($("try-actions-note"), t("已加入测试集 #" + added.id + "（" + (expected || "不应回答") + "）", "added to the test set as #" + added.id + " (" + (expected || "must not answer") + ")"), "ok");
      tools.testAdded();
    }).catch(function (err) { say($("try-actions-note"), err.message, "error"); });
  });
  $("try-add-similar").addEventListener("click", function () {
    if (!lastTry) return;
    if (!tools.currentId()) { say($("try-actions-note"), t("先在左侧打开一个条目", "open an entry first"), "error"); return; }
    addSimilar(lastTry.text, function (text, kind) { say($("try-actions-note"), text, kind); });
  });

  return {channels: tryChannels};
};
