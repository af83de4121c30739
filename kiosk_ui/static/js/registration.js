// Registration page: JSON API calls with the CSRF header; every text shown through textContent.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf"]').content;
  let lang = localStorage.getItem("lang") || "zh";

  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-zh]").forEach((el) => { el.textContent = el.dataset[lang]; });
    document.getElementById("lang").textContent = lang === "zh" ? "EN" : "中文";
  }

  function show(el, text, ok) {
    el.textContent = text;
    el.className = ok ? "ok" : "err";
  }

  document.getElementById("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("lang", lang);
    applyLang();
  });

  document.getElementById("register").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const body = {};
    for (const [key, value] of new FormData(form).entries()) {
      if (key !== "consent_face" && value !== "") body[key] = value;
    }
    body.consent_face = form.consent_face.checked;
    const res = await fetch("/api/attendees", {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const data = await res.json();
    const out = document.getElementById("register-result");
    if (res.ok) {
      show(out, (lang === "zh" ? "已注册 " : "Registered ") + data.ref + " " + data.name, true);
      form.reset();
    } else {
      show(out, data.error + ": " + data.message, false);
    }
  });

  document.getElementById("import").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const res = await fetch("/api/attendees/import", {
      method: "POST", headers: { "X-CSRF-Token": csrf }, body: new FormData(ev.target),
    });
    const data = await res.json();
    const out = document.getElementById("import-result");
    const table = document.getElementById("import-errors");
    const tbody = table.querySelector("tbody");
    tbody.replaceChildren();
    if (res.ok) {
      show(out, (lang === "zh" ? "已导入 " : "Imported ") + data.imported + " / " + data.total, true);
      table.hidden = true;
      return;
    }
    show(out, data.error + ": " + data.message, false);
    for (const e of data.errors || []) {
      const tr = document.createElement("tr");
      for (const v of [e.row, e.error, e.message]) {
        const td = document.createElement("td");
        td.textContent = String(v);
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
    table.hidden = !(data.errors || []).length;
  });

  applyLang();
})();
