// The audit log for admins: newest first, older pages on demand, a filter over what is loaded.
(function () {
  "use strict";
  const C = window.SummitConsole;
  let entries = [];

  function show() {
    const q = document.getElementById("audit-q").value.trim().toLowerCase();
    const rows = entries.filter((e) => !q || [e.actor, e.action, e.target, e.reason]
      .some((v) => String(v || "").toLowerCase().includes(q)));
    C.fillTable(document.querySelector("#audit tbody"),
      rows.map((e) => [e.id, window.Summit.localDateTime(e.at), C.actor(e.actor), C.cell("action", e.action),
        window.Summit.prose(e.target), window.Summit.prose(e.reason)]));
  }

  async function load(before) {
    const data = await C.api("/api/audit" + (before ? "?before=" + before : ""));
    entries = entries.concat(data.entries);
    document.getElementById("audit-more").hidden = data.entries.length < 200;
    show();
  }

  C.boot();
  window.Summit.onChange(show);
  document.getElementById("audit-q").addEventListener("input", show);
  document.getElementById("audit-filter").addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("audit-more").addEventListener("click", () => {
    const oldest = entries.length ? entries[entries.length - 1].id : 0;
    load(oldest);
  });
  load(0).then(() => { document.body.dataset.ready = "1"; });
})();
