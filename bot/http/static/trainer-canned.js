/* 常用语 (canned replies) tab of the trainers' workbench: one standard wording per skill group for agents to
 * insert, with {customer_name}, {order_id} and {agent_name} filled in at the desk. trainer.js hands it the
 * page's API helpers. Texts are inserted with textContent only. */
window.faqbotCanned = function (tools) {
  "use strict";
  var api = tools.api, el = tools.el, clear = tools.clear, t = tools.t;
  var editing = null;  // the id of the reply in the form, or null for a new one
  function $(id) { return document.getElementById(id); }
  function note(text, cls) { var n = $("canned-note"); n.textContent = text; n.className = cls || "muted"; }

  function load() {
    return api("GET", "/api/canned").then(function (data) {
      var group = $("canned-group");
      if (!group.options.length) data.groups.forEach(function (g) { group.appendChild(el("option", "", g)); });
      var list = clear($("canned-list"));
      data.replies.forEach(function (r) { list.appendChild(card(r)); });
      if (!data.replies.length) list.appendChild(el("div", "empty", t("还没有常用语", "no canned replies yet")));
    });
  }
  function card(r) {
    var box = el("div", "card canned");
    box.setAttribute("data-canned", r.id);
    box.appendChild(el("b", "", r.title));
    box.appendChild(el("span", "muted", " · " + r.group + " · " + r.updated_by));
    box.appendChild(el("div", "details", r.text));
    var actions = el("div", "actions");
    var edit = el("button", "", t("编辑", "edit"));
    edit.type = "button";
    edit.addEventListener("click", function () {
      editing = r.id;
      $("canned-group").value = r.group; $("canned-title").value = r.title; $("canned-text").value = r.text;
      note(t("正在编辑 #", "editing #") + r.id);
    });
    var remove = el("button", "danger", t("删除", "delete"));
    remove.type = "button";
    remove.addEventListener("click", function () {
      api("POST", "/api/canned/" + r.id + "/delete").then(load).catch(function (err) { note(err.message, "error"); });
    });
    actions.appendChild(edit); actions.appendChild(remove);
    box.appendChild(actions);
    return box;
  }
  $("canned-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = {group: $("canned-group").value, title: $("canned-title").value, text: $("canned-text").value};
    api("POST", "/api/canned" + (editing ? "/" + editing : ""), body).then(function () {
      editing = null;
      $("canned-title").value = ""; $("canned-text").value = "";
      note(t("已保存", "saved"));
      return load();
    }).catch(function (err) { note(err.message, "error"); });
  });
  return {load: load};
};
