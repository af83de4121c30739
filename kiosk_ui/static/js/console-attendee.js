// One attendee, masked, with the journey timeline; admins may unmask with an audited reason.
(function () {
  "use strict";
  const C = window.SummitConsole;
  const box = document.getElementById("person");
  const id = box.dataset.attendee;
  const FIELDS = ["ref", "name", "category", "organisation", "id_type", "id_number", "phone",
    "email", "nationality", "language", "consent_face"];

  function showFields(data, unmasked) {
    document.getElementById("p-name").textContent = data.name;
    document.getElementById("p-ref").textContent = data.ref;
    const dl = document.getElementById("p-fields");
    dl.classList.toggle("unmasked", !!unmasked);
    dl.replaceChildren(...FIELDS.flatMap((f) => [C.el("dt", f), C.el("dd", data[f] ?? "")]));
  }

  function showTimeline(steps) {
    document.getElementById("timeline").replaceChildren(...steps.map((s) => {
      const li = C.el("li");
      li.append(C.el("time", new Date(s.at).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false })),
        C.el("strong", s.stage), C.el("span", [s.by, s.detail].filter(Boolean).join(" · "), "muted"));
      return li;
    }));
  }

  async function load() {
    try {
      const data = await C.api("/api/attendees/" + id);
      showFields(data, false);
      showTimeline(data.journey);
    } catch (err) {
      document.getElementById("p-error").textContent = `${err.error}: ${err.message}`;
    }
  }

  const form = document.getElementById("unmask");
  if (form) form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const msg = document.getElementById("unmask-msg");
    try {
      const data = await C.api(`/api/attendees/${id}/unmask`, { method: "POST", json: { reason: form.reason.value } });
      showFields(data, true);
      msg.textContent = C.lang === "zh" ? "已显示完整信息（已记录审计）" : "Full data shown (audited)";
      msg.className = "ok";
    } catch (err) {
      msg.textContent = `${err.error}: ${err.message}`;
      msg.className = "err";
    }
  });

  C.boot();
  load().then(() => { document.body.dataset.ready = "1"; });
})();
