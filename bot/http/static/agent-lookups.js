/* The agent workspace's 查询 / 操作 panel: the same lookups the bot runs (order status …), and the actions
 * that change something (refund …) within the agent's role limit — the server checks and audits them.
 * What the bot already looked up in this conversation is shown first. Every text goes in with textContent. */
window.faqbotLookups = function (packet, p, api, el) {
  "use strict";
  var box = el("div", "lookups");
  box.appendChild(el("h3", "", "查询 / 操作 lookups"));
  ((p.packet || {}).lookups || []).forEach(function (l) { box.appendChild(result(l)); });
  var form = el("form", "lookup-form");
  var pick = el("select", "lookup-action");
  var fields = el("div", "lookup-inputs");
  var run = el("button", "primary", "执行");
  var out = el("div", "lookup-result");
  form.appendChild(pick); form.appendChild(fields); form.appendChild(run); box.appendChild(form); box.appendChild(out);
  packet.appendChild(box);
  var known = {};
  var given = {};  // numbers from the conversation prefill the inputs
  ((p.packet || {}).lookups || []).forEach(function (l) { Object.keys(l.inputs || {}).forEach(function (k) { given[k] = l.inputs[k]; }); });
  api("GET", "/api/agent/actions").then(function (actions) {
    if (!actions.length) { box.appendChild(el("div", "empty", "未配置查询 / no actions")); form.style.display = "none"; return; }
    actions.forEach(function (a) {
      known[a.name] = a;
      var label = a.name + (a.changes ? "（操作，上限 " + a.limit + "）" : "");
      var option = el("option", "", label); option.value = a.name; pick.appendChild(option);
    });
    inputs();
  });
  pick.addEventListener("change", inputs);
  function inputs() {
    fields.textContent = "";
    (known[pick.value] || {inputs: []}).inputs.forEach(function (name) {
      var input = el("input"); input.name = name; input.placeholder = name; input.value = given[name] || "";
      fields.appendChild(input);
    });
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var values = {};
    Array.prototype.forEach.call(fields.querySelectorAll("input"), function (i) { values[i.name] = i.value.trim(); });
    out.textContent = "查询中…";
    api("POST", "/api/agent/actions/" + encodeURIComponent(pick.value), {inputs: values, handoff_id: p.id})
      .then(function (l) { out.textContent = ""; out.appendChild(result(l)); })
      .catch(function (err) { out.textContent = ""; out.appendChild(el("div", "error", "失败：" + err.message)); });
  });
  function result(l) {
    var card = el("div", "item lookup");
    card.appendChild(el("div", "meta", l.action + " · " + JSON.stringify(l.inputs) + " · " + l.outcome));
    Object.keys(l.result || {}).forEach(function (k) { card.appendChild(el("div", "", k + ": " + l.result[k])); });
    if (l.error) card.appendChild(el("div", "error", l.error));
    return card;
  }
};
