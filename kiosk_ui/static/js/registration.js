// Registration page: JSON API calls through the shared script (CSRF header, catalogue words);
// every refusal is shown in the page's language, with the field it is about.
(function () {
  "use strict";
  const S = window.Summit;
  let lastRegister = null;
  let lastImport = null;

  function show(el, text, ok) {
    el.textContent = text;
    el.className = ok ? "ok" : "err";
  }

  // A refusal in words: the code's text, and for a form check the fields it is about.
  function refusal(err) {
    const fields = (err.fields || []).map((f) => S.field(String(f.field || "").split(".").pop())).filter(Boolean);
    return S.reason(err.error) + (fields.length ? " (" + fields.join(", ") + ")" : "");
  }

  function paintRegister() {
    if (!lastRegister) return;
    const [ok, data] = lastRegister;
    const out = document.getElementById("register-result");
    show(out, ok ? S.t(["已注册 {0} {1}", "Registered {0} {1}"], data.ref, data.name) : refusal(data), ok);
  }

  function paintImport() {
    if (!lastImport) return;
    const [ok, data] = lastImport;
    const out = document.getElementById("import-result");
    const table = document.getElementById("import-errors");
    const tbody = table.querySelector("tbody");
    tbody.replaceChildren();
    if (ok) {
      show(out, S.t(["已导入 {0} / {1}", "Imported {0} / {1}"], data.imported, data.total), true);
      table.hidden = true;
      return;
    }
    show(out, refusal(data), false);
    for (const e of data.errors || []) {
      const tr = document.createElement("tr");
      for (const v of [e.row, S.reason(e.error)]) {
        const td = document.createElement("td");
        td.textContent = String(v);
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
    table.hidden = !(data.errors || []).length;
  }

  document.getElementById("register").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const body = {};
    for (const [key, value] of new FormData(form).entries()) {
      if (key !== "consent_face" && value !== "") body[key] = value;
    }
    body.consent_face = form.consent_face.checked;
    try {
      lastRegister = [true, await S.api("/api/attendees", { method: "POST", json: body, token: "" })];
      form.reset();
    } catch (err) { lastRegister = [false, err]; }
    paintRegister();
  });

  document.getElementById("import").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      lastImport = [true, await S.api("/api/attendees/import",
        { method: "POST", body: new FormData(ev.target), token: "" })];
    } catch (err) { lastImport = [false, err]; }
    paintImport();
  });

  S.onChange(() => { paintRegister(); paintImport(); });
})();
