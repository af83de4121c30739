// One attendee, masked, with the journey timeline; admins may unmask with an audited reason.
(function () {
  "use strict";
  const C = window.SummitConsole;
  const S = window.Summit;
  let shown = null; // [data, unmasked, steps] for a language switch
  const box = document.getElementById("person");
  const id = box.dataset.attendee;
  const FIELDS = ["ref", "name", "category", "organisation", "id_type", "id_number", "phone",
    "email", "nationality", "language", "consent_face"];

  function showFields(data, unmasked) {
    document.getElementById("p-name").textContent = data.name;
    document.getElementById("p-ref").textContent = data.ref;
    const dl = document.getElementById("p-fields");
    dl.classList.toggle("unmasked", !!unmasked);
    dl.replaceChildren(...FIELDS.flatMap((f) => [C.el("dt", S.field(f)), C.el("dd", C.cell(f, data[f] ?? ""))]));
  }

  function showTimeline(steps) {
    document.getElementById("timeline").replaceChildren(...steps.map((s) => {
      const li = C.el("li");
      const detail = /^[a-z_]+:\d+$/.test(s.detail || "") ? "" : s.detail; // a record's id: not for people
      li.append(C.el("time", S.localDateTime(s.at)),
        C.el("strong", S.stage(s.stage)), C.el("span", [C.actor(s.by), detail].filter(Boolean).join(" · "), "muted"));
      return li;
    }));
  }

  async function load() {
    try {
      const data = await C.api("/api/attendees/" + id);
      shown = [data, false];
      showFields(data, false);
      showTimeline(data.journey);
      S.onChange(() => { showFields(...shown); showTimeline(data.journey); });
    } catch (err) {
      document.getElementById("p-error").textContent = C.reason(err);
    }
  }

  const form = document.getElementById("unmask");
  if (form) form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const msg = document.getElementById("unmask-msg");
    try {
      const data = await C.api(`/api/attendees/${id}/unmask`, { method: "POST", json: { reason: form.reason.value } });
      shown = [data, true];
      showFields(data, true);
      msg.textContent = S.t(["已显示完整信息（已记录审计）", "Full data shown (audited)"]);
      msg.className = "ok";
    } catch (err) {
      msg.textContent = C.reason(err);
      msg.className = "err";
    }
  });

  C.boot();
  load().then(() => { document.body.dataset.ready = "1"; });
})();
