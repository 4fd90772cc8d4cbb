/* The sign-in form shared by the agent workspace and the dashboard: #login with #username,
 * #password and #login-error → a bearer token kept in sessionStorage for this tab. */
window.faqbotSignIn = function (onSignedIn) {
  "use strict";
  function $(id) { return document.getElementById(id); }
  $("login").addEventListener("submit", function (e) {
    e.preventDefault();
    fetch("/api/agent/login", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({username: $("username").value, password: $("password").value})})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(d.detail); return d; }); })
      .then(function (d) { sessionStorage.setItem("faqbot-agent-token", d.token); onSignedIn(d.token); })
      .catch(function (err) { $("login-error").textContent = err.message || "登录失败"; });
  });
};
