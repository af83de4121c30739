// Gate / kiosk page: camera frames (downscaled JPEG, about 4 a second, one in flight at a
// time) go to the server over Socket.IO as `camera_frame` (purpose "gate"); the decision comes
// back and is shown full screen. While the server waits, it may ask for a blink or head turn
// (liveness); the page shows that. A typed or scanner-entered entrance code goes the same way
// (`camera_code`). The device must be bound to this gate by an admin. Server text is set as
// text only.
//
// One result per person: the server decides once per presence and answers `{held: true}`
// while that person stays in view. A result stays on screen while frames are held (up to
// MAX_MS), and goes when the person has left (a frame is no longer held) once it has been
// shown MIN_MS. A typed code's answer is shown CODE_MS with no frames sent meanwhile, so the
// camera cannot replace it.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const T = window.I18N;
  const FRAME_WIDTH = 480;
  const FRAME_MS = 250;
  const MIN_MS = 2500;
  const CODE_MS = 5000;
  const MAX_MS = 30000;
  T.token.fromLink(); // a set-up link's #token= is kept and leaves the address bar
  let token = T.token.get();
  let gateId = parseInt(localStorage.getItem("summit.gate_id") || "", 10) || null;
  let socket = null;
  let inFlight = false;
  let last = null; // the answer on screen
  let shownAt = 0;
  let byCode = false;
  let zoneLabel = () => "";

  const WORDS = {
    granted: ["✔ 请通行", "✔ Please go ahead"],
    refused: ["✖ 暂不能通行", "✖ Not yet"],
    first_seen: ["今日首次入场 {0}", "First check-in today {0}"],
    opens_at: ["{0} 起开放", "Opens at {0}"],
    offline: ["离线", "Offline"],
    no_camera: ["摄像头不可用，请输入入场码", "No camera: please enter your entrance code"],
    looking: ["正在识别…", "Looking…"],
    blink: ["请眨眨眼", "Please blink"],
    turn_left: ["请把头慢慢转向左边，停一下", "Please turn your head slowly to the left and hold it a moment"],
    turn_right: ["请把头慢慢转向右边，停一下", "Please turn your head slowly to the right and hold it a moment"],
  };

  // Set-up: the device token (typed, or from a #token= link), then the gate chosen from the
  // list of the venue's gates the token can see (zone · gate code · in/out).
  function setup() {
    const form = $("setup");
    form.hidden = false;
    if (token) form.token.value = token;
    let zones = null;
    const paint = () => {
      if (!zones) return;
      const list = $("gate-list");
      const chosen = list.value;
      list.replaceChildren(...zones.flatMap((z) => z.gates.map((g) => {
        const o = document.createElement("option");
        o.value = g.id;
        const zone = T.lang() === "zh" ? z.name_zh : z.name_en;
        o.textContent = `${zone} · ${g.code} · ${T.value(g.direction)}`;
        return o;
      })));
      if (chosen) list.value = chosen;
    };
    const find = async () => {
      $("setup-error").textContent = "";
      try {
        zones = (await T.api("/api/zones", { token: form.token.value.trim() })).zones;
        paint();
        $("gate-pick").hidden = false;
        $("save").hidden = false;
      } catch (err) { $("setup-error").textContent = T.reason(err.error); }
    };
    T.onChange(paint);
    $("find-gates").addEventListener("click", find);
    if (token) find();
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      T.token.set(form.token.value.trim());
      localStorage.setItem("summit.gate_id", $("gate-list").value);
      location.reload();
    });
  }

  function nonce() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function show(out, code) {
    if (!(last && last.decision && out.decision && last.decision.event_id === out.decision.event_id)) {
      shownAt = Date.now();
    }
    last = out;
    byCode = code;
    paint();
  }

  function paint() {
    const out = last;
    const d = out.decision;
    $("result").hidden = false;
    $("result").className = "result " + (d.granted ? "granted" : "refused");
    const day = (iso) => new Date(iso).toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
    const later = out.opens_at && day(out.opens_at) !== day(new Date().toISOString());
    const opens = out.opens_at
      ? T.t(WORDS.opens_at, later ? T.localDateTime(out.opens_at) : T.localTime(out.opens_at, true)) : "";
    $("r-title").textContent = [T.t(d.granted ? WORDS.granted : WORDS.refused), T.reason(d.reason), opens]
      .filter(Boolean).join(" · ");
    $("r-name").textContent = d.attendee ? d.attendee.name : "";
    const seen = d.first_seen ? T.t(WORDS.first_seen, T.localTime(d.first_seen)) : "";
    $("r-detail").textContent = d.granted ? [zoneLabel(), seen].filter(Boolean).join(" · ") : seen;
  }

  function hide() {
    last = null;
    $("result").hidden = true;
  }

  function codeShowing() {
    return last && byCode && Date.now() - shownAt < CODE_MS;
  }

  function onAnswer(out, code) {
    if (!code) inFlight = false;
    if (!out) return;
    if (out.decision) { show(out, code); return; }
    if (out.held || out.dropped) return;
    if (last && !codeShowing() && Date.now() - shownAt >= MIN_MS) hide(); // the person has left
    if (out.error) $("status").textContent = T.reason(out.error);
    else if (out.pending) $("status").textContent = T.t(WORDS[out.challenge] || WORDS.looking);
  }

  function sendFrame(video, canvas) {
    if (last && Date.now() - shownAt >= MAX_MS) hide();
    if (inFlight || codeShowing() || !socket || !socket.connected || !video.videoWidth) return;
    canvas.width = FRAME_WIDTH;
    canvas.height = Math.round(video.videoHeight * FRAME_WIDTH / video.videoWidth);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    inFlight = true;
    canvas.toBlob((blob) => {
      blob.arrayBuffer().then((buf) => {
        const frame = { image: buf, t: performance.now() / 1000, purpose: "gate", gate_id: gateId };
        socket.timeout(5000).emit("camera_frame", frame, (err, out) => onAnswer(err ? null : out, false));
      });
    }, "image/jpeg", 0.8);
  }

  function startCamera() {
    const video = $("video");
    const canvas = $("frame");
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false })
      .then((stream) => {
        video.srcObject = stream;
        setInterval(() => sendFrame(video, canvas), FRAME_MS);
      })
      .catch(() => { $("status").textContent = T.t(WORDS.no_camera); });
  }

  function connect() {
    socket = io("/live", { auth: { token }, transports: ["websocket", "polling"] });
    const net = $("net");
    socket.on("connect", () => { net.hidden = true; inFlight = false; });
    socket.on("disconnect", () => { net.hidden = false; net.textContent = T.t(WORDS.offline); });
    socket.on("connect_error", () => { net.hidden = false; net.textContent = T.t(WORDS.offline); });
  }

  function loadGate() {
    T.api("/api/gates/" + gateId).catch(() => null)
      .then((g) => {
        if (!g) return;
        zoneLabel = () => (T.lang() === "zh" ? g.zone.name_zh : g.zone.name_en);
        const paint = () => { $("zone-name").textContent = zoneLabel() + " · " + g.code; };
        paint();
        T.onChange(paint);
      });
  }

  function codeForm() {
    $("code-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const code = $("code").value.trim();
      $("code").value = "";
      const body = { code, nonce: nonce(), purpose: "gate", gate_id: gateId };
      socket.emit("camera_code", body, (out) => onAnswer(out, true));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!token || !gateId) { setup(); return; }
    $("scan").hidden = false;
    T.onChange(() => { if (last) paint(); });
    connect();
    loadGate();
    codeForm();
    startCamera();
  });
})();
