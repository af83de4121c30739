// One attendee, masked, with the journey timeline; admins may unmask with an audited reason;
// admins and staff see and change the attendee's face template updates.
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

  const W = {
    flight: ["航班", "Flight"], ride: ["接送", "Ride"], hotel: ["酒店", "Hotel"], venue: ["场馆", "Venue"],
    face: ["人脸", "Face"], none: ["无", "None"], scheduled: ["计划 {0}", "scheduled {0}"],
    estimated: ["预计 {0}", "expected {0}"], landed: ["落地 {0}", "landed {0}"],
    starts: ["{0} 出发", "leaves {0}"], boarded: ["{0} 上车", "boarded {0}"], room: ["房间 {0}", "room {0}"],
    nights: ["{0} 至 {1}", "{0} to {1}"], since: ["{0} 起", "since {0}"], inside: ["在 {0} 内", "inside {0}"],
    outside: ["不在场内", "not inside"], first: ["{0} 经 {1} 入场", "checked in {0} at {1}"],
    enrolled: ["已登记 {0} 个模板（{1}）", "{0} templates enrolled ({1})"], not_enrolled: ["未登记", "not enrolled"],
    no_consent: ["未同意人脸识别", "no consent to face recognition"], consent: ["已同意（{0}）", "consented ({0})"],
  };
  const w = (k, ...a) => S.t(W[k], ...a);
  const when = (iso) => S.localDateTime(iso);
  const join = (parts) => parts.filter(Boolean).join(" · ");

  function statusLines(st) {
    const name = (zh, en) => (S.lang() === "zh" ? zh : en);
    return [
      ["flight", st.flights.map((f) => join([S.value(f.kind), f.number, f.place, f.terminal,
        w("scheduled", when(f.scheduled_at)), f.estimated_at && w("estimated", when(f.estimated_at)),
        f.landed_at && w("landed", when(f.landed_at))]))],
      ["ride", st.rides.map((r) => join([S.value(r.kind), "#" + r.trip, S.value(r.trip_state), S.value(r.rider_state),
        w("starts", when(r.starts_at)), r.meeting_point, r.driver, r.driver_phone, r.vehicle,
        r.boarded_at && w("boarded", when(r.boarded_at))]))],
      ["hotel", st.stays.map((h) => join([name(h.hotel_zh, h.hotel_en), S.value(h.state), h.room && w("room", h.room),
        w("nights", h.check_in_date, h.check_out_date), h.checked_in_at && when(h.checked_in_at)]))],
      ["venue", [st.venue.inside.length
        ? st.venue.inside.map((z) => join([w("inside", name(z.zone_zh, z.zone_en)), w("since", when(z.since))])).join("; ")
        : w("outside"),
      st.venue.last_check_in && w("first", when(st.venue.last_check_in), st.venue.last_check_in_gate)].filter(Boolean)],
      ["face", [join([st.face.consent ? w("consent", when(st.face.consent_at)) : w("no_consent"),
        st.face.templates ? w("enrolled", st.face.templates, when(st.face.enrolled_at)) : w("not_enrolled")])]],
    ];
  }

  function showStatus(st) {
    const dl = document.getElementById("p-status");
    dl.replaceChildren(...statusLines(st).flatMap(([key, lines]) => {
      const dd = C.el("dd");
      (lines.length ? lines : [w("none")]).forEach((line, i) => { if (i) dd.appendChild(C.el("br")); dd.append(line); });
      return [C.el("dt", w(key)), dd];
    }));
  }

  let status = null;
  async function loadStatus() {
    status = await C.api(`/api/console/attendees/${id}/status`);
    showStatus(status);
  }

  async function load() {
    try {
      const data = await C.api("/api/attendees/" + id);
      shown = [data, false];
      showFields(data, false);
      showTimeline(data.journey);
      await loadStatus();
      S.onChange(() => { showFields(...shown); showTimeline(data.journey); showStatus(status); });
      if (fuBox) await FaceUpdates.load(data.consent_face);
    } catch (err) {
      document.getElementById("p-error").textContent = C.reason(err);
    }
  }

  // Face template updates (admin and staff): consent to them, the kept updates (when, which
  // gate, which engine; never the faces) and their removal, each after a question.
  const fuBox = document.getElementById("face-updates");
  const FU = {
    on: ["已同意人脸更新（{0}）", "Consented to face updates ({0})"],
    off: ["未同意人脸更新", "No consent to face updates"],
    record: ["记录同意人脸更新", "Record consent to updates"],
    withdraw: ["撤回人脸更新同意", "Withdraw consent to updates"],
    withdraw_remove: ["撤回同意并删除更新模板", "Withdraw consent and remove the updates"],
    remove: ["删除", "Remove"],
    remove_one: ["删除 {0} 的更新模板", "Remove the update of {0}"],
    none: ["暂无更新模板", "No updated templates"],
    gate: ["闸机 {0}", "Gate {0}"],
    on_site: ["现场", "On site"],
    ask_one: ["删除 {0}（{1}）的更新模板？", "Remove the update of {0} ({1})?"],
    ask_all: ["删除全部 {0} 个更新模板？", "Remove all updated templates ({0})?"],
    ask_withdraw: ["撤回人脸更新同意？{0} 个更新模板将随之删除。", "Withdraw consent to updates? Updated templates removed with it: {0}."],
    recorded: ["已记录同意（已审计）", "Consent recorded (audited)"],
    withdrawn: ["已撤回同意（已审计）", "Consent withdrawn (audited)"],
    withdrawn_removed: ["已撤回同意，删除 {0} 个更新模板（已审计）", "Consent withdrawn; updates removed: {0} (audited)"],
    removed: ["已删除 {0} 个更新模板（已审计）", "Updates removed: {0} (audited)"],
  };
  const ENGINES = { dlib: "dlib", mobilefacenet: "MobileFaceNet" };

  const FaceUpdates = (function () {
    const $ = (x) => document.getElementById(x);
    const gates = {}; // gate id -> its view (zone names, code), read once each
    let answer = null;
    let faceConsent = null;
    let note = null; // [FU key, ...args] of the last change, or ["error", err]
    let question = null; // [FU key, () => args, action] while the dialog is open

    function gateOf(u) {
      const m = /(?:^|\s)gate:(\d+)(?:\s|$)/.exec(u.source || "");
      return m ? Number(m[1]) : null;
    }

    function place(u) {
      const gate = gateOf(u);
      if (gate === null) return S.t(FU.on_site);
      const g = gates[gate];
      if (!g || !g.code) return S.t(FU.gate, gate);
      return S.t(FU.gate, `${S.lang() === "zh" ? g.zone.name_zh : g.zone.name_en} · ${g.code}`);
    }

    // The gates' names, best effort: without them the gate's number is shown.
    async function readGates(updates) {
      const wanted = [...new Set(updates.map(gateOf))].filter((g) => g !== null && !(g in gates));
      await Promise.all(wanted.map((g) => C.api(`/api/gates/${g}`)
        .then((view) => { gates[g] = view; }).catch(() => { gates[g] = null; })));
    }

    function row(u) {
      const btn = C.el("button", S.t(FU.remove));
      btn.type = "button";
      btn.setAttribute("aria-label", S.t(FU.remove_one, S.localDateTime(u.created_at)));
      btn.addEventListener("click", () => ask("ask_one", () => [S.localDateTime(u.created_at), place(u)],
        () => change(`/api/attendees/${id}/face-updates?template_id=${u.template_id}`, { method: "DELETE" },
          (b) => ["removed", b.removed])));
      return [S.localDateTime(u.created_at), place(u), ENGINES[u.engine] || u.engine, btn];
    }

    function render() {
      if (!answer) return;
      fuBox.hidden = false;
      const n = answer.updates.length;
      $("fu-state").textContent = answer.consent ? S.t(FU.on, S.localDateTime(answer.consent_at)) : S.t(FU.off);
      $("fu-no-face").hidden = faceConsent !== false || answer.consent;
      const toggle = $("fu-toggle");
      toggle.hidden = !answer.consent && faceConsent === false;
      toggle.textContent = S.t(!answer.consent ? FU.record : n ? FU.withdraw_remove : FU.withdraw);
      $("fu-remove-all").hidden = n === 0;
      C.fillTable($("fu-table").tBodies[0], answer.updates.map(row));
      if (!n) $("fu-table").tBodies[0].rows[0].cells[0].textContent = S.t(FU.none);
      const msg = $("fu-msg");
      msg.textContent = note ? (note[0] === "error" ? C.reason(note[1]) : S.t(FU[note[0]], ...note.slice(1))) : "";
      msg.className = note && note[0] === "error" ? "err" : "ok";
      if (question) $("fu-question").textContent = S.t(FU[question[0]], ...question[1]());
    }

    async function load(consentFace) {
      if (consentFace !== undefined) faceConsent = !!consentFace;
      answer = await C.api(`/api/attendees/${id}/face-updates`);
      await readGates(answer.updates);
      render();
    }

    function ask(key, args, action) {
      question = [key, args, action];
      render();
      $("fu-dialog").showModal();
    }

    function answered(yes) {
      const action = question && question[2];
      question = null;
      $("fu-dialog").close();
      if (yes && action) action();
    }

    // One change, then the section and the status (its template count) read again.
    async function change(path, options, done) {
      note = null;
      $("fu-toggle").disabled = $("fu-remove-all").disabled = true;
      try {
        note = done(await C.api(path, options));
        await load();
        await loadStatus().catch(() => null); // the status line's template count; not the change's fault
      } catch (err) {
        if (err.error === "no_consent") faceConsent = false;
        note = ["error", err]; // worded at each render, in the language of the moment
        render();
      } finally {
        $("fu-toggle").disabled = $("fu-remove-all").disabled = false;
      }
    }

    function toggle() {
      const path = `/api/attendees/${id}/face-updates/consent`;
      if (!answer.consent) {
        change(path, { method: "POST", json: { consent: true } }, () => ["recorded"]);
        return;
      }
      const withdraw = () => change(path, { method: "POST", json: { consent: false } },
        (b) => (b.removed ? ["withdrawn_removed", b.removed] : ["withdrawn"]));
      const n = answer.updates.length;
      if (n) ask("ask_withdraw", () => [n], withdraw); else withdraw();
    }

    if (fuBox) {
      $("fu-toggle").addEventListener("click", toggle);
      $("fu-remove-all").addEventListener("click", () => {
        const n = answer.updates.length;
        ask("ask_all", () => [n],
          () => change(`/api/attendees/${id}/face-updates`, { method: "DELETE" }, (b) => ["removed", b.removed]));
      });
      $("fu-yes").addEventListener("click", () => answered(true));
      $("fu-no").addEventListener("click", () => answered(false));
      $("fu-dialog").addEventListener("cancel", () => { question = null; });
      S.onChange(render);
    }
    return { load };
  })();

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
