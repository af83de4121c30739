// Delegate phone: a one-time code opens the page once; then the entrance code is fetched again
// before it expires and drawn here as a QR code (qrcode-generator, /vendor/qrcode.js; without it
// the server draws the image: ?qr=1), and the journey timeline is shown. Below it the attendee
// allows or stops face template updates and removes the updated photos (/api/public/phone/face-updates).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const T = window.I18N;
  let timer = null;
  let lastStatus = null;
  let faceUpdates = null; // the last answer of /api/public/phone/face-updates
  let faceConsent = null; // consent to face recognition: true, false, or not known yet
  let faceNote = null; // [word key, ...args] of the last action's result
  let faceSession = 0; // counts phone sessions on this page: an old answer arriving late is dropped

  const WORDS = {
    invalid: ["此码无效或已使用，请联系会务组获取新链接", "This code is not valid or was used already: ask the organisers for a new link"],
    fu_on: ["已允许人脸更新（{0} 起）", "Face updates allowed (since {0})"],
    fu_off: ["未允许人脸更新", "Face updates not allowed"],
    fu_allow: ["允许人脸更新", "Allow face updates"],
    fu_stop: ["停止人脸更新", "Stop face updates"],
    fu_stop_remove: ["停止人脸更新并删除更新照片", "Stop face updates and remove the updated photos"],
    fu_count: ["已保存 {0} 张更新照片（最多 3 张）", "Updated photos kept: {0} (at most 3)"],
    fu_none: ["暂无更新照片", "No updated photos yet"],
    fu_at_gate: ["{0} · 闸机 {1}", "{0} · gate {1}"],
    fu_on_site: ["{0} · 场馆现场", "{0} · at the venue"],
    fu_confirm: ["确定删除全部 {0} 张更新照片吗？", "Remove all updated photos ({0})?"],
    fu_allowed: ["已允许人脸更新", "Face updates are allowed"],
    fu_stopped: ["已停止人脸更新", "Face updates stopped"],
    fu_stopped_removed: ["已停止人脸更新，删除了 {0} 张更新照片", "Face updates stopped; updated photos removed: {0}"],
    fu_removed: ["已删除 {0} 张更新照片", "Updated photos removed: {0}"],
  };

  // The QR image as a PNG data URL: medium error correction, 8 px modules, quiet zone of 4.
  function qrImage(text) {
    const qr = window.qrcode(0, "M");
    qr.addData(text);
    qr.make();
    const cell = 8, quiet = 4, n = qr.getModuleCount(), size = (n + 2 * quiet) * cell;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    ctx.fillStyle = "#000";
    for (let r = 0; r < n; r += 1) {
      for (let c = 0; c < n; c += 1) {
        if (qr.isDark(r, c)) ctx.fillRect((c + quiet) * cell, (r + quiet) * cell, cell, cell);
      }
    }
    return canvas.toDataURL("image/png");
  }

  function render(s) {
    lastStatus = s;
    $("login").hidden = true;
    $("pass").hidden = false;
    $("who").textContent = s.attendee.name;
    if ($("qr").dataset.code !== s.code) $("qr").src = s.qr || qrImage(s.code);
    $("qr").dataset.code = s.code;
    $("expires").textContent = T.localTime(s.expires_at);
    const list = $("journey");
    list.replaceChildren();
    s.journey.forEach((step) => {
      const li = document.createElement("li");
      li.dataset.stage = step.stage;
      li.textContent = T.stage(step.stage) + " · " + T.localDateTime(step.at);
      list.appendChild(li);
    });
  }

  function refresh() {
    clearTimeout(timer);
    const path = window.qrcode ? "/api/public/phone/status" : "/api/public/phone/status?qr=1";
    T.api(path, { token: "" })
      .then((body) => {
        $("status-error").textContent = "";
        render(body);
        if (!faceUpdates) loadFaceUpdates();
        timer = setTimeout(refresh, body.refresh_seconds * 1000);
      })
      .catch((err) => {
        if (err.status === 401) { showLogin(); return; }
        // Too many requests or no network: say so and try again; the last code stays shown.
        $("status-error").textContent = T.reason(err.error);
        timer = setTimeout(refresh, err.status === 429 ? 10000 : 5000);
      });
  }

  // Where an update came from, in words: "gate:3 access_event:41" -> "gate 3".
  function updateLine(u) {
    const gate = /(?:^|\s)gate:(\d+)(?:\s|$)/.exec(u.source || "");
    const when = T.localDateTime(u.created_at);
    return gate ? T.t(WORDS.fu_at_gate, when, gate[1]) : T.t(WORDS.fu_on_site, when);
  }

  function renderFaceUpdates() {
    const d = faceUpdates;
    if (!d) return;
    $("fu").hidden = false;
    // Consent to updates or a kept update implies consent to faces; the server may also say it.
    if (typeof d.face_consent === "boolean") faceConsent = d.face_consent;
    else if (d.consent || d.updates.length) faceConsent = true;
    $("fu-no-face").hidden = faceConsent !== false;
    $("fu-controls").hidden = faceConsent === false;
    $("fu-state").textContent = d.consent ? T.t(WORDS.fu_on, T.localDateTime(d.consent_at)) : T.t(WORDS.fu_off);
    $("fu-toggle").textContent = T.t(!d.consent ? WORDS.fu_allow : d.updates.length ? WORDS.fu_stop_remove : WORDS.fu_stop);
    $("fu-toggle").dataset.consent = d.consent ? "1" : "0";
    $("fu-count").textContent = d.updates.length ? T.t(WORDS.fu_count, d.updates.length) : T.t(WORDS.fu_none);
    $("fu-list").replaceChildren(...d.updates.map((u) => {
      const li = document.createElement("li");
      li.textContent = updateLine(u);
      return li;
    }));
    $("fu-remove").hidden = !d.updates.length;
    $("fu-confirm-text").textContent = T.t(WORDS.fu_confirm, d.updates.length);
    if (!d.updates.length) $("fu-confirm").hidden = true;
    $("fu-msg").textContent = faceNote ? T.t(WORDS[faceNote[0]], ...faceNote.slice(1)) : "";
  }

  function faceError(err) {
    if (err.status === 401) { clearTimeout(timer); showLogin(); return; }
    if (err.error === "no_consent") { faceConsent = false; renderFaceUpdates(); return; }
    if (!faceUpdates) { $("fu").hidden = false; $("fu-controls").hidden = true; } // only the reason
    $("fu-error").textContent = T.reason(err.error);
  }

  // Read once after opening the page and after each change (not with every code refresh).
  function loadFaceUpdates() {
    const asked = faceSession;
    return T.api("/api/public/phone/face-updates", { token: "" })
      .then((body) => {
        if (asked !== faceSession) return;
        faceUpdates = body;
        $("fu-error").textContent = "";
        renderFaceUpdates();
      })
      .catch((err) => { if (asked === faceSession) faceError(err); });
  }

  function faceAction(path, options, note) {
    $("fu-error").textContent = "";
    faceNote = null;
    $("fu-toggle").disabled = $("fu-remove-yes").disabled = true;
    return T.api(path, Object.assign({ token: "" }, options))
      .then((body) => { faceNote = note(body); $("fu-confirm").hidden = true; return loadFaceUpdates(); })
      .catch(faceError)
      .finally(() => { $("fu-toggle").disabled = $("fu-remove-yes").disabled = false; });
  }

  function toggleConsent() {
    const consent = $("fu-toggle").dataset.consent !== "1";
    faceAction("/api/public/phone/face-updates/consent", { method: "POST", json: { consent } },
      (body) => (consent ? ["fu_allowed"] : body.removed ? ["fu_stopped_removed", body.removed] : ["fu_stopped"]));
  }

  function removeUpdates() {
    faceAction("/api/public/phone/face-updates", { method: "DELETE" }, (body) => ["fu_removed", body.removed]);
  }

  function showLogin() {
    $("pass").hidden = true;
    $("login").hidden = false;
    // Another person may open the page next: nothing of this one's face updates stays.
    faceUpdates = faceConsent = faceNote = null;
    faceSession += 1;
    $("fu").hidden = true;
  }

  function login(ev) {
    ev.preventDefault();
    const code = $("portal-code").value.trim();
    T.api("/api/public/phone/login", { method: "POST", json: { code }, token: "" })
      .then(() => { history.replaceState(null, "", "/phone"); refresh(); })
      .catch((err) => {
        // The true reason: a used or unknown code, an expired one, or too many tries (wait).
        $("login-error").textContent = err.error === "portal_code_invalid" ? T.t(WORDS.invalid) : T.reason(err.error);
      });
  }

  function forget() {
    // Ends the phone session on the server too: a copied cookie stops working as well.
    clearTimeout(timer);
    fetch("/api/public/phone/logout", { method: "POST", credentials: "same-origin" })
      .finally(() => {
        lastStatus = null;
        $("qr").removeAttribute("src");
        delete $("qr").dataset.code;
        showLogin();
      });
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", login);
    $("forget").addEventListener("click", forget);
    $("fu-toggle").addEventListener("click", toggleConsent);
    $("fu-remove").addEventListener("click", () => { $("fu-confirm").hidden = false; $("fu-remove-no").focus(); });
    $("fu-remove-no").addEventListener("click", () => { $("fu-confirm").hidden = true; $("fu-remove").focus(); });
    $("fu-remove-yes").addEventListener("click", removeUpdates);
    T.onChange(() => { if (lastStatus) render(lastStatus); renderFaceUpdates(); });
    if ($("portal-code").value) showLogin(); else refresh();
  });
})();
