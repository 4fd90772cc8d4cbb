/* The trainers' workbench (/trainer): browse and edit the draft, try it, check it, accept suggestions
 * from traffic, curate the test set, publish and roll back — every action is one /api/trainer call.
 * KB content, customer questions and audit details are untrusted: they are only ever inserted with
 * textContent or .value, never as HTML. */
(function () {
  "use strict";
  var TOKEN_KEY = "faqbot-agent-token";  // shared with the workspace and the dashboard (signin.js)
  var PAGE = 100;
  var i18n = window.faqbotI18n, t = i18n.t;  // trainer-i18n.js: Chinese, or English
  var STATUS = {published: ["已发布", "published"], draft: ["草稿", "draft"], retired: ["已停用", "retired"]};
  var DECISION = {answer: ["回答", "answer"], clarify: ["反问", "clarify"], fallback: ["兜底", "fallback"],
                  handoff: ["转人工", "hand-off"]};
  var SEVERITY = {error: ["错误", "errors"], warning: ["警告", "warnings"], info: ["提示", "notes"]};
  var SOURCE = {learned: ["从点击和好评学到", "learned from clicks and votes"], mined: ["未解决的问题", "unresolved questions"],
                handoff: ["转人工对话里人工客服的回答", "an agent's answer in a hand-off"],
                qa: ["质检发现", "a quality review finding"],
                agent: ["客服结束会话时保存", "saved by an agent at wrap-up"]};
  var GATE_METRICS = [["accuracy_at_1", "accuracy@1", "accuracy@1"], ["wrong_answer_rate", "答错率", "wrong-answer rate"],
                      ["self_service_rate", "自助解决率", "self-service"], ["clarify_rate", "反问率", "clarify rate"]];
  function word(pair, fallback) { return pair ? t(pair[0], pair[1]) : fallback; }
  var FORM_ONLY = {"f-add-similar": true, "f-new-channel": true};  // inputs that are not entry fields

  var token = sessionStorage.getItem(TOKEN_KEY);
  var current = null;      // the entry in the editor, as loaded (with its revision); null: a new entry
  var dirty = false;       // the editor holds changes not saved yet
  var category = "";       // the category filter
  var listed = 0;          // entries shown in the list so far (paging)
  var searchSeq = 0;
  var auditOldest = null;  // paging the audit log

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function button(cls, text, onClick, title) {
    var b = el("button", cls, text);
    b.type = "button";
    if (title) b.title = title;
    b.addEventListener("click", onClick);
    return b;
  }
  function clear(node) { node.textContent = ""; return node; }
  function enc(value) { return encodeURIComponent(value); }
  function noop() {}
  function when(seconds) { return seconds ? new Date(seconds * 1000).toLocaleString("zh-CN", {hour12: false}) : "—"; }
  function short(seconds) {  // tables: month/day hour:minute
    return seconds ? new Date(seconds * 1000).toLocaleString("zh-CN", {hour12: false, month: "2-digit", day: "2-digit",
                                                                       hour: "2-digit", minute: "2-digit"}) : "—";
  }
  function pct(v) { return typeof v === "number" ? (v * 100).toFixed(1) + "%" : "—"; }
  function num(v, digits) { return typeof v === "number" ? v.toFixed(digits) : "—"; }
  function say(node, text, kind) {
    node.textContent = text || "";
    node.className = kind === "ok" ? "msg-ok" : kind === "error" ? "error" : "muted";
  }
  function cell(row, content, cls) {
    var td = el("td", cls);
    if (content instanceof Node) td.appendChild(content); else td.textContent = content === undefined || content === null ? "" : String(content);
    row.appendChild(td);
    return td;
  }
  function entryLink(id, label) {
    var b = button("link", label || id, function () { openEntry(id); }, t("打开条目 ", "open ") + id);
    b.setAttribute("data-entry", id);
    return b;
  }

  // -- the API ---------------------------------------------------------------------------------
  function reason(status, data) {
    var detail = data && data.detail;
    if (Array.isArray(detail))  // the request did not validate (FastAPI's list of problems)
      return detail.map(function (p) { return (p.loc || []).slice(1).join(".") + ": " + p.msg; }).join("; ");
    return detail ? String(detail) : "HTTP " + status;
  }
  function failure(status, data) {
    var error = new Error(reason(status, data));
    error.status = status;
    error.data = data || {};
    return error;
  }
  function request(method, path, body, raw) {
    var headers = {"Authorization": "Bearer " + token};
    if (body !== undefined) headers["Content-Type"] = raw ? "application/octet-stream" : "application/json";
    return fetch(path, {method: method, headers: headers,
                        body: body === undefined ? undefined : raw ? body : JSON.stringify(body)});
  }
  function api(method, path, body, raw) {
    return request(method, path, body, raw).then(function (r) {
      if (r.status === 401) { signOut(t("登录已过期，请重新登录", "please sign in again")); throw failure(401, null); }
      return r.json().catch(function () { return null; }).then(function (data) {
        if (!r.ok) throw failure(r.status, data);
        return data;
      });
    });
  }

  // -- signing in ------------------------------------------------------------------------------
  faqbotSignIn(function (signedIn) { token = signedIn; start(); });
  function start() {
    api("GET", "/api/trainer/me").then(function (me) {
      $("login").style.display = "none";
      $("bench").classList.add("on");
      $("me").textContent = me.name + " · " + me.role;
      refreshOverview();
      loadCategories();
      search(true);
    }).catch(function (err) { if (err.status !== 401) signOut(err.message); });
  }
  function signOut(why) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $("bench").classList.remove("on");
    $("login").style.display = "block";
    $("login-error").textContent = why || "";
  }
  $("logout").addEventListener("click", function () {
    // revokes the token on the server; the tab forgets it too
    api("POST", "/api/trainer/logout").catch(noop).then(function () { signOut(""); });
  });
  window.addEventListener("beforeunload", function (e) { if (dirty) { e.preventDefault(); e.returnValue = ""; } });

  // -- header: draft, live version, what this server serves; publishing -------------------------
  function refreshOverview() {
    return api("GET", "/api/trainer/overview").then(function (o) {
      i18n.configured(o.ui_language);
      $("draft-revision").textContent = "r" + o.draft_revision + " · " + o.entries + t(" 条", " entries");
      $("live-version").textContent = o.live_version ? "v" + o.live_version : "—";
      $("live-version").title = o.live_published ? t("发布于 ", "published ") + when(o.live_published) : "";
      $("served-version").textContent = o.served_here ? "v" + o.served_here : "—";
      $("load-error").hidden = !o.load_error;
      $("load-error").textContent = o.load_error || "";
      $("tests-summary").textContent = t("测试集共 " + o.test_cases + " 题：发布前草稿和线上版本都在这些题上评估，" +
        "accuracy@1 下降或答错率上升超过容忍度时拒绝发布。", o.test_cases + " test questions: before publishing, the draft " +
        "and the live version are evaluated on them; a fall in accuracy@1 or a rise in wrong answers beyond the tolerance refuses it.");
    });
  }
  setInterval(function () { if (token && $("bench").classList.contains("on")) refreshOverview().catch(noop); }, 5000);

  function result(kind) {
    var box = clear($("publish-result"));
    box.className = "on " + kind;
    return box;
  }
  // Publishing is two steps: the draft is trained and compared with the live version question by
  // question (POST /publish/preview), the trainer reads the diff, then confirms (POST /publish).
  $("publish").addEventListener("click", preview);
  function preview() {
    $("publish").disabled = true;
    result("busy").appendChild(el("span", "", "评估中：训练草稿，并在测试集、近期真实问题和核心问题上与线上版本逐题对比…（可能需要几十秒） " +
                                              "/ training the draft and comparing it with the live version…"));
    api("POST", "/api/trainer/publish/preview").then(function (evaluation) {
      showDiff(evaluation, false);
    }).catch(function (err) {
      result("error").appendChild(el("span", "error", "评估失败 / evaluation failed: " + err.message));
    }).then(function () { $("publish").disabled = false; });
  }
  function publish(force, note) {
    $("publish").disabled = true;
    result("busy").appendChild(el("span", "", "发布中… / publishing…"));
    api("POST", "/api/trainer/publish", {note: note, force: force}).then(function (v) {
      var evaluation = v.evaluation || {}, draft = evaluation.draft || {};
      var box = result("ok");
      box.appendChild(el("b", "published", t("已发布 v", "published v") + v.number));
      box.appendChild(el("span", "", " · accuracy@1 " + pct(draft.accuracy_at_1) + t(" · 答错率 ", " · wrong answers ") +
                                     pct(draft.wrong_answer_rate) + " · " + (evaluation.test_cases || 0) + t(" 道测试题", " test questions") +
                                     (evaluation.forced ? t(" · 强制发布", " · forced") : "")));
      box.appendChild(button("link", "✕", function () { box.className = ""; }, t("关闭", "close")));
      $("publish-note").value = "";
      refreshOverview();
      if (isShown("versions")) loadVersions();
      if (isShown("audit")) loadAudit(true);
    }).catch(function (err) {
      if (err.status === 409 && err.data.reasons) showDiff(err.data.evaluation, true);
      else result("error").appendChild(el("span", "error", "发布失败 / publish failed: " + err.message));
    }).then(function () { $("publish").disabled = false; });
  }
  var GATE_LISTS = [["flagship_lost", "gate-flagship", "核心问题失去答案 / flagship questions losing their answer"],
                    ["lost_answers", "gate-lost", "失去答案 / questions losing their answer"],
                    ["changed_answers", "gate-changed", "答案改变 / answered with another entry"],
                    ["fixed", "gate-fixed", "修复 / fixed"]];
  var SOURCES = {"test set": "测试集", "traffic": "真实问题", "flagship": "核心问题"};
  function said(v) { return word(DECISION[v.decision], v.decision) + (v.entry ? " " + v.entry : ""); }
  function showDiff(evaluation, refusedNow) {
    evaluation = evaluation || {};
    var reasons = evaluation.regressions || [], diff = evaluation.diff;
    var box = result(reasons.length ? "refused" : "confirm");
    box.appendChild(el("b", "", reasons.length ? "评估未通过：草稿会让客户失去答案 / the publish gate blocks this draft"
                                                : "发布前请确认与线上版本的差异 / review the changes, then publish"));
    var list = el("ul", "reasons");
    reasons.forEach(function (r) { list.appendChild(el("li", "", r)); });
    box.appendChild(list);
    if (diff) {
      box.appendChild(metricsTable(evaluation));
      ["test_set", "traffic"].forEach(function (source) {
        var s = diff[source];
        box.appendChild(el("div", "muted", (source === "test_set" ? "测试集 test set" : "近期真实问题 recent traffic") + "：" +
          s.questions + " 题，变化 " + s.changed + "，失去答案 " + s.lost_answers + "（" + pct(s.lost_answer_share) +
          "），答案改变 " + s.changed_answers + "，修复 " + s.fixed + "，变差 " + s.broken));
      });
      box.appendChild(el("div", "muted", "核心问题 flagship：" + diff.flagship.questions + " 题，失去答案 " + diff.flagship.lost));
      GATE_LISTS.forEach(function (g) {
        if (!diff[g[0]] || !diff[g[0]].length) return;
        box.appendChild(el("h3", "", g[2]));
        var ul = el("ul", "gate-list");
        ul.id = g[1];
        diff[g[0]].forEach(function (row) {
          ul.appendChild(el("li", "", row.text + " [" + (SOURCES[row.source] || row.source) + "]：" + said(row.before) +
                                      " → " + said(row.after)));
        });
        box.appendChild(ul);
      });
    } else {
      box.appendChild(el("div", "muted", "还没有线上版本，无可对比 / nothing live to compare with"));
    }
    var actions = el("div", "actions");
    if (reasons.length) {
      var note = el("input");
      note.id = "gate-note";
      note.maxLength = 500;
      note.placeholder = "仍然发布的理由（必填，记入审计日志）/ why publish anyway (required)";
      note.value = $("publish-note").value;
      var anyway = button("danger", "仍然发布 publish anyway", function () { publish(true, note.value); });
      anyway.disabled = !note.value.trim();
      note.addEventListener("input", function () { anyway.disabled = !note.value.trim(); });
      actions.appendChild(note);
      actions.appendChild(anyway);
    } else {
      actions.appendChild(button("primary", "确认发布 confirm", function () { publish(false, $("publish-note").value); }));
    }
    actions.appendChild(button("", "取消 cancel", function () { box.className = ""; }));
    box.appendChild(actions);
  }
  function metricsTable(evaluation) {
    var live = evaluation.live || {}, draft = evaluation.draft || {};
    var table = el("table", "gate");
    var head = el("tr");
    [t("指标", "metric"), t("线上 v", "live v") + (evaluation.live_version || "?"), t("草稿", "draft")].forEach(function (t) { head.appendChild(el("th", "", t)); });
    table.appendChild(head);
    GATE_METRICS.forEach(function (m) {
      var row = el("tr");
      cell(row, t(m[1], m[2])); cell(row, pct(live[m[0]])); cell(row, pct(draft[m[0]]));
      table.appendChild(row);
    });
    return table;
  }

  // -- left: categories, search, the list -------------------------------------------------------
  function loadCategories() {
    return api("GET", "/api/trainer/categories").then(function (categories) {
      var tree = clear($("categories")), paths = clear($("category-paths"));
      var all = el("div", "cat" + (category ? "" : " on"), t("全部", "all"));
      all.setAttribute("data-path", "");
      all.addEventListener("click", function () { pickCategory(""); });
      tree.appendChild(all);
      categories.forEach(function (c) {
        var node = el("div", "cat" + (c.path === category ? " on" : ""));
        node.style.paddingLeft = (4 + 14 * (c.depth + 1)) + "px";
        node.title = c.path;
        node.setAttribute("data-path", c.path);
        node.appendChild(document.createTextNode(c.name + " "));
        node.appendChild(el("span", "n", c.entries));
        node.addEventListener("click", function () { pickCategory(c.path); });
        tree.appendChild(node);
        var option = document.createElement("option");
        option.value = c.path;
        paths.appendChild(option);
      });
    });
  }
  function pickCategory(path) {
    category = path;
    Array.prototype.forEach.call($("categories").children, function (node) {
      node.classList.toggle("on", node.getAttribute("data-path") === path);
    });
    search(true);
  }
  var typing = null;
  $("search").addEventListener("input", function () { clearTimeout(typing); typing = setTimeout(function () { search(true); }, 250); });
  $("status-filter").addEventListener("change", function () { search(true); });
  $("more-entries").addEventListener("click", function () { search(false); });
  function search(fresh) {
    var seq = ++searchSeq;
    var offset = fresh ? 0 : listed;
    var query = "?q=" + enc($("search").value) + "&category=" + enc(category) + "&status=" + enc($("status-filter").value) +
                "&limit=" + PAGE + "&offset=" + offset;
    return api("GET", "/api/trainer/entries" + query).then(function (found) {
      if (seq !== searchSeq) return;  // a newer search has been sent
      var list = $("entries");
      if (fresh) clear(list);
      found.entries.forEach(function (e) { list.appendChild(entryItem(e)); });
      listed = offset + found.entries.length;
      $("entry-total").textContent = "(" + found.total + ")";
      $("more-entries").hidden = listed >= found.total;
      if (!found.total) list.appendChild(el("div", "empty", t("没有匹配的条目", "no entries")));
    });
  }
  function entryItem(e) {
    var item = el("div", "entry" + (current && current.id === e.id ? " on" : ""));
    item.setAttribute("data-id", e.id);
    item.appendChild(el("div", "q", e.question));
    var meta = el("div", "meta");
    meta.appendChild(el("span", "badge " + e.status, word(STATUS[e.status], e.status)));
    if (e.handoff) meta.appendChild(el("span", "badge handoff", t("转人工", "hand-off")));
    meta.appendChild(el("span", "id", e.id));
    meta.appendChild(document.createTextNode(t(" · 相似问 ", " · similar ")));
    meta.appendChild(el("span", "similar-count", e.similar));
    item.appendChild(meta);
    item.addEventListener("click", function () { openEntry(e.id); });
    return item;
  }
  function markListed() {
    Array.prototype.forEach.call(document.querySelectorAll("#entries .entry"), function (node) {
      node.classList.toggle("on", !!current && node.getAttribute("data-id") === current.id);
    });
  }
  /** After any change to the draft: the header, the tree and the list follow. */
  function draftChanged() {
    refreshOverview();
    loadCategories();
    search(true);
  }

  // -- the entry editor ------------------------------------------------------------------------
  function leaveEditor() {
    return !dirty || confirm(t("当前条目有未保存的修改，放弃这些修改吗？", "discard unsaved changes?"));
  }
  function openEntry(id) {
    if (!id || !leaveEditor()) return Promise.resolve();
    showTab("editor");
    return api("GET", "/api/trainer/entries/" + enc(id)).then(fill)
      .catch(function (err) { note(t("打不开条目 ", "cannot open ") + id + ": " + err.message, "error"); });
  }
  $("new-entry").addEventListener("click", function () {
    if (!leaveEditor()) return;
    showTab("editor");
    fill(null);
    $("f-id").focus();
  });
  function fill(entry) {
    current = entry;
    dirty = false;
    $("editor-empty").hidden = true;
    $("editor").hidden = false;
    $("f-id").value = entry ? entry.id : "";
    $("f-id").readOnly = !!entry;
    $("f-meta").textContent = entry ? t("修订 ", "revision ") + entry.revision + " · " + (entry.updated_by || "—") + " · " + when(entry.updated)
                                    : t("新条目", "new entry");
    $("f-question").value = entry ? entry.question : "";
    clear($("f-similar"));
    (entry ? entry.similar : []).forEach(function (text) { $("f-similar").appendChild(similarRow(text)); });
    countSimilar();
    $("f-category").value = entry ? entry.category : category;
    var answer = (entry && entry.answer) || {};
    $("f-answer").value = answer["default"] || "";
    clear($("f-channels"));
    Object.keys(answer).forEach(function (channel) { if (channel !== "default") channelBox(channel, answer[channel]); });
    $("f-related").value = entry ? (entry.related || []).join(", ") : "";
    $("f-valid-from").value = (entry && entry.valid_from) || "";
    $("f-valid-to").value = (entry && entry.valid_to) || "";
    $("f-status").value = entry ? entry.status : "published";
    $("f-handoff").checked = !!(entry && entry.handoff);
    var action = (entry && entry.action) || {};
    $("f-action-name").value = action.name || "";
    $("f-action-answer").value = (action.answer || {})["default"] || "";
    $("f-add-similar").value = "";
    $("retire").disabled = !entry || entry.status === "retired";
    $("reload").disabled = !entry;
    $("entry-history").disabled = !entry;
    clear($("problems"));
    note("");
    tryPanel.channels(Object.keys(answer));
    markListed();
  }
  function note(text, kind) { say($("editor-note"), text, kind); }
  function similarRow(text) {
    var line = el("div", "line similar");
    var input = el("input");
    input.value = text;
    input.maxLength = 500;
    line.appendChild(input);
    line.appendChild(button("link", "✕", function () { line.remove(); touched(); countSimilar(); }, t("删除", "remove")));
    return line;
  }
  function countSimilar() { $("f-similar-count").textContent = "(" + $("f-similar").children.length + ")"; }
  function channelBox(name, text) {
    var box = el("div", "channel");
    box.setAttribute("data-channel", name);
    var head = el("div", "line");
    head.appendChild(el("b", "", name));
    head.appendChild(el("span", "grow"));
    head.appendChild(button("link", t("删除渠道 ✕", "remove channel ✕"), function () { box.remove(); touched(); }, "remove channel " + name));
    var area = el("textarea");
    area.maxLength = 5000;
    area.value = text;
    box.appendChild(head);
    box.appendChild(area);
    $("f-channels").appendChild(box);
    return area;
  }
  $("add-channel").addEventListener("click", function () {
    var name = $("f-new-channel").value.trim();
    if (!name) return;
    var taken = Array.prototype.some.call($("f-channels").children, function (b) { return b.getAttribute("data-channel") === name; });
    if (name === "default" || taken) { note(t("渠道 " + name + " 已存在", "channel " + name + " is already there"), "error"); return; }
    $("f-new-channel").value = "";
    channelBox(name, "").focus();
    touched();
  });
  $("editor").addEventListener("input", function (e) { if (!FORM_ONLY[e.target.id]) touched(); });
  $("editor").addEventListener("change", function (e) { if (!FORM_ONLY[e.target.id]) touched(); });
  function touched() {
    if (!dirty) note(t("有未保存的修改", "unsaved changes"));
    dirty = true;
  }
  /** The entry as the form shows it; fields the form does not show (keywords, tags, metadata) are kept. */
  function collect() {
    var entry = {};
    if (current) Object.keys(current).forEach(function (k) {
      if (k !== "revision" && k !== "updated" && k !== "updated_by") entry[k] = current[k];
    });
    entry.id = $("f-id").value.trim();
    entry.question = $("f-question").value.trim();
    entry.similar = Array.prototype.map.call($("f-similar").querySelectorAll("input"), function (i) { return i.value.trim(); })
      .filter(function (t) { return t; });
    entry.category = $("f-category").value.trim();
    var answer = {};
    if ($("f-answer").value.trim()) answer["default"] = $("f-answer").value.trim();
    Array.prototype.forEach.call($("f-channels").children, function (box) {
      var text = box.querySelector("textarea").value.trim();
      if (text) answer[box.getAttribute("data-channel")] = text;
    });
    entry.answer = answer;
    entry.related = $("f-related").value.split(/[,，\s]+/).filter(function (t) { return t; });
    entry.valid_from = $("f-valid-from").value || null;
    entry.valid_to = $("f-valid-to").value || null;
    entry.status = $("f-status").value;
    entry.handoff = $("f-handoff").checked;
    var actionName = $("f-action-name").value.trim();  // other channels' templates are kept as they were
    var templates = Object.assign({}, ((current && current.action) || {}).answer || {});
    templates["default"] = $("f-action-answer").value.trim();
    entry.action = actionName ? {name: actionName, answer: templates} : {};
    return entry;
  }
  $("editor").addEventListener("submit", function (e) {
    e.preventDefault();
    var entry = collect(), existing = current;
    $("save").disabled = true;
    var saving = existing ? api("PUT", "/api/trainer/entries/" + enc(existing.id), {entry: entry, revision: existing.revision})
                          : api("POST", "/api/trainer/entries", entry);
    saving.then(function (saved) {
      fill(saved);
      note((existing ? t("已保存到草稿", "saved to the draft") : t("已创建", "created")) + t(" · 修订 ", " · revision ") + saved.revision +
           t("（发布后客户才看得到）", " (customers see it after publishing)"), "ok");
      draftChanged();
    }).catch(function (err) {
      if (err.status === 409 && existing) conflict(err); else problems(err);
    }).then(function () { $("save").disabled = false; });
  });
  function problems(err, list, where) {
    var box = clear(list || $("problems")), said = where || $("editor-note");
    say(said, (err.message || "").split("\n")[0], "error");
    (err.data && err.data.problems || []).forEach(function (p) { box.appendChild(el("li", "", p)); });
    (box.firstChild ? box : said).scrollIntoView({block: "nearest"});
  }
  function conflict(err) {
    clear($("problems"));
    var box = clear($("editor-note"));
    box.className = "error conflict";
    box.appendChild(el("div", "", t("保存冲突：有人在你打开之后修改了这个条目，你的修改没有保存。", "edit conflict: someone changed this entry after you opened it; nothing was overwritten.")));
    box.appendChild(el("div", "detail", err.message));
    box.appendChild(button("", t("重新加载最新内容（放弃我的修改）", "reload the latest (drop my changes)"), function () { reloadEntry(); }));
    box.scrollIntoView({block: "nearest"});
  }
  function reloadEntry() {
    if (!current) return Promise.resolve();
    return api("GET", "/api/trainer/entries/" + enc(current.id)).then(function (entry) {
      fill(entry);
      note(t("已加载最新内容 · 修订 ", "reloaded · revision ") + entry.revision, "ok");
    }).catch(function (err) { note(err.message, "error"); });
  }
  $("reload").addEventListener("click", function () { if (leaveEditor()) reloadEntry(); });
  $("retire").addEventListener("click", function () {
    if (!current || !leaveEditor()) return;
    api("POST", "/api/trainer/entries/" + enc(current.id) + "/retire", {revision: current.revision}).then(function (entry) {
      fill(entry);
      note(t("已停用：下一个版本起不再回答客户（条目保留在草稿中）", "retired: not answered from the next version on (kept in the draft)"), "ok");
      draftChanged();
    }).catch(function (err) { if (err.status === 409) conflict(err); else problems(err); });
  });
  $("entry-history").addEventListener("click", function () {
    if (!current) return;
    $("audit-target").value = current.id;
    showTab("audit");
  });
  $("add-similar").addEventListener("click", function () { addSimilar($("f-add-similar").value, note); });
  $("f-add-similar").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); addSimilar($("f-add-similar").value, note); }
  });
  /** A saved entry without unsaved edits: added to the draft at once (POST …/similar, safe to repeat).
   * A new entry, or one with unsaved edits: added to the form, saved with it. */
  function addSimilar(text, tell) {
    text = (text || "").trim();
    if (!text) return;
    if (!current || dirty) {
      $("f-similar").appendChild(similarRow(text));
      $("f-add-similar").value = "";
      countSimilar();
      touched();
      tell(t("已加入表单，保存后生效", "added to the form: save to keep it"));
      return;
    }
    var before = current.similar.length;
    api("POST", "/api/trainer/entries/" + enc(current.id) + "/similar", {texts: [text]}).then(function (entry) {
      fill(entry);
      tell(entry.similar.length > before ? t("已添加相似问并保存到草稿：", "similar question added to the draft: ") + text
                                         : t("这个问题已经在条目里了", "already there"), "ok");
      if (entry.similar.length > before) draftChanged();
    }).catch(function (err) { problems(err, null, tell === note ? null : $("try-actions-note")); });
  }

  // -- 测试窗 (trainer-try.js) ------------------------------------------------------------------
  var tryPanel = window.faqbotTryPanel({
    api: api, el: el, clear: clear, say: say, cell: cell, num: num, entryLink: entryLink, t: t, addSimilar: addSimilar,
    decision: function (kind) { return word(DECISION[kind], kind); },
    currentId: function () { return current ? current.id : ""; },
    testAdded: function () { refreshOverview(); if (isShown("tests")) loadTests(); }});

  // -- tabs ------------------------------------------------------------------------------------
  var LOADERS = {quality: loadQuality, suggestions: loadSuggestions, versions: loadVersions,
                 audit: function () { return loadAudit(true); }, tests: loadTests};
  Array.prototype.forEach.call($("tabs").children, function (tab) {
    tab.addEventListener("click", function () { showTab(tab.getAttribute("data-tab")); });
  });
  function isShown(name) { return $("pane-" + name).classList.contains("on"); }
  function showTab(name) {
    Array.prototype.forEach.call($("tabs").children, function (tab) { tab.classList.toggle("on", tab.getAttribute("data-tab") === name); });
    Array.prototype.forEach.call(document.querySelectorAll(".pane"), function (pane) { pane.classList.toggle("on", pane.id === "pane-" + name); });
    if (LOADERS[name]) LOADERS[name]().catch(function (err) { paneError(name, err); });
  }
  function paneError(name, err) {
    var pane = $("pane-" + name);
    var old = pane.querySelector(".pane-error");
    if (old) old.remove();
    pane.insertBefore(el("p", "error pane-error", t("加载失败：", "could not load: ") + err.message), pane.firstChild);
  }
  function rows(table) { return clear(table.tBodies[0]); }
  function emptyRow(body, columns, text) {
    var row = el("tr");
    var td = el("td", "empty", text);
    td.colSpan = columns;
    row.appendChild(td);
    body.appendChild(row);
  }

  // 质量检查
  $("quality-refresh").addEventListener("click", function () { loadQuality().catch(function (err) { paneError("quality", err); }); });
  function loadQuality() {
    say($("quality-summary"), t("检查中…", "checking…"));
    return api("GET", "/api/trainer/quality?lang=" + i18n.lang()).then(function (findings) {
      var body = rows($("quality")), counts = {};
      findings.forEach(function (f) {
        counts[f.severity] = (counts[f.severity] || 0) + 1;
        var row = el("tr");
        row.setAttribute("data-kind", f.kind);
        cell(row, el("span", "badge " + f.severity, word(SEVERITY[f.severity], f.severity)));
        cell(row, f.kind_label || f.kind);
        cell(row, f.message);
        var links = cell(row, "");
        f.entry_ids.forEach(function (id) { links.appendChild(entryLink(id)); links.appendChild(document.createTextNode(" ")); });
        body.appendChild(row);
      });
      if (!findings.length) emptyRow(body, 4, t("没有发现问题", "nothing found"));
      say($("quality-summary"), Object.keys(SEVERITY).map(function (s) { return word(SEVERITY[s]) + " " + (counts[s] || 0); }).join(" · "));
    });
  }

  // 待处理建议
  $("mine").addEventListener("click", function () {
    $("mine").disabled = true;
    say($("mine-result"), t("正在从最近的对话里挖掘…", "mining recent conversations…"));
    api("POST", "/api/trainer/mine").then(function (r) {
      say($("mine-result"), t("未解决的问题 " + r.mined + " 条 · 点击和好评 " + r.learned + " 条 · 人工客服的回答 " + r.handoff + " 条待处理", r.mined + " unresolved · " + r.learned + " from clicks and votes · " + r.handoff + " from agents open"), "ok");
      return loadSuggestions();
    }).catch(function (err) { say($("mine-result"), err.message, "error"); })
      .then(function () { $("mine").disabled = false; });
  });
  function loadSuggestions() {
    return api("GET", "/api/trainer/suggestions?lang=" + i18n.lang()).then(function (list) {
      var box = clear($("suggestions"));
      list.forEach(function (s) { box.appendChild(suggestionCard(s)); });
      if (!list.length) box.appendChild(el("div", "empty", t("没有待处理的建议。点「立即挖掘」从最近的对话里找", "nothing open — mine recent conversations")));
    });
  }
  function suggestionCard(s) {
    var card = el("div", "card suggestion");
    card.setAttribute("data-suggestion", s.id);
    var head = el("div");
    head.appendChild(el("b", "volume", s.volume + t(" 位客户问过", " customers asked")));
    head.appendChild(el("span", "muted", " · " + word(SOURCE[s.kind], s.kind) + " · #" + s.id));
    card.appendChild(head);
    var questions = el("div", "qs");
    s.questions.forEach(function (q) {
      var label = el("label");
      var box = el("input");
      box.type = "checkbox";
      box.checked = true;
      box.value = q;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + q));
      questions.appendChild(label);
    });
    card.appendChild(questions);
    if (s.reason) card.appendChild(el("div", "details reason", s.reason));
    if (s.answer) card.appendChild(el("div", "details agent-answer", t("人工客服的回答：", "the agent replied: ") + s.answer));
    var plan = el("div", "actions plan");
    var target = el("input");
    target.maxLength = 255;
    target.placeholder = t("条目 id", "entry id");
    var newId = null, answer = null;
    if (s.action === "add_similar") {
      plan.appendChild(el("span", "", t("建议：加为相似问 →", "suggested: add as similar questions of →")));
      target.value = s.entry_id || "";
      plan.appendChild(target);
      if (s.entry_id) plan.appendChild(entryLink(s.entry_id, s.entry_question || s.entry_id));
      if (typeof s.score === "number") plan.appendChild(el("span", "muted score", t("置信度 ", "confidence ") + s.score.toFixed(2)));
      card.appendChild(plan);
    } else {
      plan.appendChild(el("span", "", t("建议：新建条目", "suggested: a new entry")));
      newId = el("input");
      newId.maxLength = 255;
      newId.placeholder = t("新条目 id（可空）", "new entry id (optional)");
      plan.appendChild(newId);
      card.appendChild(plan);
      answer = el("textarea");
      answer.maxLength = 5000;
      answer.placeholder = t("答案（空：存为草稿条目，补上答案后才会回答客户）", "answer (empty: a draft entry, answered once it has one)");
      answer.value = s.answer || "";
      card.appendChild(answer);
      var instead = el("div", "actions");
      instead.appendChild(el("span", "muted", t("或者加为已有条目的相似问：", "or add to entry:")));
      instead.appendChild(target);
      card.appendChild(instead);
    }
    var actions = el("div", "actions");
    var said = el("span", "muted");
    var accept = button("primary", t("采纳", "accept"), function () {
      var chosen = Array.prototype.filter.call(questions.querySelectorAll("input"), function (b) { return b.checked; })
        .map(function (b) { return b.value; });
      if (!chosen.length) { say(said, t("至少选一个问题", "choose at least one question"), "error"); return; }
      var body = {questions: chosen.length === s.questions.length ? null : chosen};
      var entryId = target.value.trim();
      if (entryId && entryId !== s.entry_id) body.entry_id = entryId;
      if (newId) { body.new_id = newId.value.trim(); body.answer = answer.value; }
      decide("accept", body, function (entry) {
        say(said, t("已采纳 → ", "accepted → "), "ok");
        said.appendChild(entryLink(entry.id));
        draftChanged();
      });
    });
    var reject = button("", t("拒绝", "reject"), function () {
      decide("reject", undefined, function () { say(said, t("已拒绝", "rejected")); });
    });
    function decide(how, body, done) {
      accept.disabled = reject.disabled = true;
      api("POST", "/api/trainer/suggestions/" + s.id + "/" + how, body).then(function (r) {
        card.classList.add("decided");
        done(r);
      }).catch(function (err) {
        accept.disabled = reject.disabled = false;
        say(said, err.message, "error");
      });
    }
    actions.appendChild(accept);
    actions.appendChild(reject);
    actions.appendChild(said);
    card.appendChild(actions);
    return card;
  }

  // 版本
  function loadVersions() {
    return api("GET", "/api/trainer/versions").then(function (versions) {
      var body = rows($("versions"));
      versions.forEach(function (v) {
        var evaluation = v.evaluation || {}, draft = evaluation.draft || {};
        var row = el("tr", v.live ? "live-row" : "");
        row.setAttribute("data-version", v.number);
        var name = cell(row, "v" + v.number + " ");
        if (v.live) name.appendChild(el("span", "badge live", t("线上", "live")));
        cell(row, short(v.created) + " · " + v.created_by).title = when(v.created);
        var noteCell = cell(row, v.note);
        if (evaluation.forced) noteCell.appendChild(el("span", "badge retired", t("强制", "forced")));
        cell(row, pct(draft.accuracy_at_1), "accuracy");
        cell(row, pct(draft.wrong_answer_rate), "wrong");
        cell(row, evaluation.test_cases === undefined ? "—" : evaluation.test_cases);
        var actions = cell(row, "");
        if (!v.live) actions.appendChild(button("", t("回滚", "roll back"), function () { rollback(v.number); },
                                                t("回滚：让客户重新用这个版本", "make this version live again")));
        actions.appendChild(button("", t("恢复草稿", "restore draft"), function () { restore(v.number); },
                                   t("用这个版本的内容替换草稿", "replace the draft with this version")));
        body.appendChild(row);
      });
      if (!versions.length) emptyRow(body, 7, t("还没有发布过", "nothing published yet"));
    });
  }
  function rollback(number) {
    if (!confirm(t("把线上版本切换为 v" + number + "？所有服务器会在几秒内切换。", "make v" + number + " live? Every server switches within seconds."))) return;
    api("POST", "/api/trainer/rollback", {version: number}).then(function () {
      result("ok").appendChild(el("b", "", t("已切换到 v" + number, "v" + number + " is live")));
      refreshOverview();
      loadVersions();
    }).catch(function (err) { result("error").appendChild(el("span", "error", t("回滚失败：", "rollback failed: ") + err.message)); });
  }
  function restore(number) {
    if (!confirm(t("用 v" + number + " 的内容替换整个草稿？草稿里未发布的修改会丢失。", "replace the whole draft with v" + number + "? Unpublished changes are lost."))) return;
    api("POST", "/api/trainer/versions/" + number + "/restore").then(function (summary) {
      result("ok").appendChild(el("b", "", t("草稿已恢复为 v" + number + "：新增 " + summary.added + "，修改 " + summary.changed + "，删除 " + summary.removed,
                                            "the draft now holds v" + number + ": " + summary.added + " added, " + summary.changed +
                                            " changed, " + summary.removed + " removed")));
      draftChanged();
      if (current) { dirty = false; reloadEntry(); }
    }).catch(function (err) { result("error").appendChild(el("span", "error", err.message)); });
  }

  // 审计日志
  $("audit-refresh").addEventListener("click", function () { loadAudit(true).catch(function (err) { paneError("audit", err); }); });
  $("audit-more").addEventListener("click", function () { loadAudit(false).catch(function (err) { paneError("audit", err); }); });
  function loadAudit(fresh) {
    var target = $("audit-target").value.trim();
    var query = "?limit=100" + (target ? "&target=" + enc(target) : "") + (!fresh && auditOldest ? "&before=" + auditOldest : "");
    return api("GET", "/api/trainer/audit" + query).then(function (log) {
      var body = fresh ? rows($("audit")) : $("audit").tBodies[0];
      log.forEach(function (a) {
        var row = el("tr");
        row.setAttribute("data-action", a.action);
        cell(row, short(a.created)).title = when(a.created);
        cell(row, a.actor);
        cell(row, a.action);
        cell(row, a.action.indexOf("entry.") === 0 ? entryLink(a.target) : a.target);
        var details = JSON.stringify(a.details);
        cell(row, details.length > 400 ? details.slice(0, 400) + "…" : details, "details");
        body.appendChild(row);
      });
      if (log.length) auditOldest = log[log.length - 1].id;
      if (fresh && !log.length) emptyRow(body, 5, t("没有记录", "nothing logged"));
      $("audit-more").hidden = log.length < 100;
    });
  }

  // 测试集
  function loadTests() {
    return api("GET", "/api/trainer/tests").then(function (cases) {
      var body = rows($("tests"));
      cases.slice().reverse().forEach(function (c) {  // newest first
        var row = el("tr");
        row.setAttribute("data-case", c.id);
        cell(row, c.id);
        cell(row, c.text, "text");
        cell(row, c.expected_id ? entryLink(c.expected_id) : el("span", "muted", t("（不应回答）", "(must not answer)")));
        cell(row, c.created_by);
        cell(row, button("link", t("删除", "remove"), function () {
          api("DELETE", "/api/trainer/tests/" + c.id).then(function () { row.remove(); refreshOverview(); })
            .catch(function (err) { paneError("tests", err); });
        }, t("从测试集删除", "remove from the test set")));
        body.appendChild(row);
      });
      if (!cases.length) emptyRow(body, 5, t("测试集是空的：发布时不做评估", "empty: publishing is not gated"));
    });
  }
  $("test-add").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("test-text").value.trim();
    if (!text) return;
    api("POST", "/api/trainer/tests", {text: text, expected_id: $("test-expected").value.trim() || null}).then(function () {
      $("test-text").value = "";
      $("test-expected").value = "";
      refreshOverview();
      return loadTests();
    }).catch(function (err) { paneError("tests", err); });
  });

  // 导入导出
  $("import").addEventListener("click", function () {
    var file = $("import-file").files[0], merge = $("import-merge").checked;
    clear($("import-problems"));
    if (!file) { say($("import-result"), t("先选一个文件", "choose a file"), "error"); return; }
    if (!merge && !confirm(t("不合并：用 " + file.name + " 替换整个草稿？", "replace the whole draft with " + file.name + "?"))) return;
    say($("import-result"), t("导入中…", "importing…"));
    api("POST", "/api/trainer/import?filename=" + enc(file.name) + "&merge=" + merge, file, true).then(function (s) {
      say($("import-result"), t("已导入 " + file.name + "：新增 " + s.added + " · 修改 " + s.changed + " · 删除 " + s.removed +
                                " 条（" + (merge ? "合并" : "替换") + "）", file.name + " imported: " + s.added + " added · " +
                                s.changed + " changed · " + s.removed + " removed (" + (merge ? "merged" : "replaced") + ")"), "ok");
      draftChanged();
    }).catch(function (err) { problems(err, $("import-problems"), $("import-result")); });
  });
  $("exports").addEventListener("click", function (e) {
    var format = e.target.closest("button") && e.target.closest("button").getAttribute("data-format");
    if (format) download("/api/trainer/export?format=" + enc(format), "kb-draft." + format, $("export-result"));
  });
  /** A file from the API (with the sign-in token) saved by the browser under the server's name. */
  function download(path, fallbackName, said) {
    say(said, t("导出中…", "exporting…"));
    request("GET", path).then(function (r) {
      if (!r.ok) return r.json().catch(function () { return null; }).then(function (d) { throw failure(r.status, d); });
      var named = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
      return r.blob().then(function (blob) {
        var link = el("a");
        link.href = URL.createObjectURL(blob);
        link.download = named ? named[1] : fallbackName;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
        say(said, t("已下载 ", "downloaded ") + link.download + t("（" + blob.size + " 字节）", " (" + blob.size + " bytes)"), "ok");
      });
    }).catch(function (err) { say(said, err.message, "error"); });
  }
  var analytics = window.faqbotAnalytics({api: api, el: el, download: download, entryLink: entryLink, t: t,
                                          paneError: function (err) { paneError("analytics", err); }});
  LOADERS.analytics = analytics.load;
  LOADERS.canned = window.faqbotCanned({api: api, el: el, clear: clear, t: t}).load;

  if (token) start();
})();
