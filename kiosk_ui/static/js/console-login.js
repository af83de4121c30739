// Staff login: the JSON login API, then on to the page the user asked for.
(function () {
  "use strict";
  let lang = localStorage.getItem("lang") || "zh";
  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-zh]").forEach((el) => { el.textContent = el.dataset[lang]; });
    document.getElementById("lang").textContent = lang === "zh" ? "EN" : "中文";
  }
  document.getElementById("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("lang", lang);
    applyLang();
  });
  const form = document.getElementById("login");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = document.getElementById("login-error");
    out.textContent = "";
    const res = await fetch("/api/auth/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.username.value, password: form.password.value }),
    });
    if (res.ok) { location.href = form.dataset.next || "/console"; return; }
    const data = await res.json().catch(() => ({}));
    out.textContent = res.status === 401
      ? (lang === "zh" ? "用户名或密码错误" : "Wrong username or password")
      : `${data.error || res.status}: ${data.message || ""}`;
    form.password.value = "";
    form.password.focus();
  });
  applyLang();
})();
