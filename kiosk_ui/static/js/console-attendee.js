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

  async function load() {
    try {
      const data = await C.api("/api/attendees/" + id);
      shown = [data, false];
      showFields(data, false);
      showTimeline(data.journey);
      const status = await C.api(`/api/console/attendees/${id}/status`);
      showStatus(status);
      S.onChange(() => { showFields(...shown); showTimeline(data.journey); showStatus(status); });
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
