/* The trainers' workbench speaks one language: Chinese, or English when the UI language is English
 * (config.yml `language: en`, or ?lang=en / ?lang=zh in the address). Static labels carry their English
 * in data-en, data-en-placeholder and data-en-title; the scripts word their messages with t(中文, English). */
window.faqbotI18n = (function () {
  "use strict";
  var asked = /[?&]lang=(zh|en)\b/.exec(location.search);
  var lang = asked ? asked[1] : "zh";

  function swap(node, attribute, property) {
    var key = "zh" + attribute;
    if (!(key in node.dataset)) node.dataset[key] = property === "text" ? node.textContent : node.getAttribute(property) || "";
    var text = lang === "en" ? node.dataset[attribute] : node.dataset[key];
    if (property === "text") node.textContent = text; else node.setAttribute(property, text);
  }
  function apply() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    document.title = lang === "en" ? "faqbot trainers' workbench" : "faqbot 训练师工作台";
    Array.prototype.forEach.call(document.querySelectorAll("[data-en]"), function (n) { swap(n, "en", "text"); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-en-placeholder]"), function (n) { swap(n, "enPlaceholder", "placeholder"); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-en-title]"), function (n) { swap(n, "enTitle", "title"); });
  }
  return {
    lang: function () { return lang; },
    /** The UI language the server configured, unless the address chose one. */
    configured: function (language) { if (!asked && (language === "en" || language === "zh") && language !== lang) { lang = language; apply(); } },
    t: function (zh, en) { return lang === "en" ? en : zh; },
    apply: apply
  };
})();
window.faqbotI18n.apply();
