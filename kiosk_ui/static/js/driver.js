// Driver phone: trips over HTTP, live changes over Socket.IO. Every event is applied at most
// once (its seq is remembered), in order (catch-up replies are buffered and sorted), and
// acknowledged back so the console knows the phone has it. All text goes in via textContent.
(function () {
  "use strict";
  const T = window.DRIVER_TEXT;
  const S = window.Summit;
  let token = S.token.get();
  let online = false;
  const trips = new Map(); // id -> trip snapshot (highest version wins)
  let seen = new Set(JSON.parse(localStorage.getItem("driver_seen") || "[]"));
  let lastSeq = Number(localStorage.getItem("driver_seq") || 0);
  let buffering = false;
  let buffer = [];
  let socket = null;
  const $ = (id) => document.getElementById(id);
  const t = (key) => T[S.lang()][key] || S.word("value", key) || key;
  const fmt = (iso) => S.localDateTime(iso);

  function status(text, bad) {
    $("status").textContent = text;
    $("status").className = bad ? "err" : "";
  }

  async function api(path, body) {
    try {
      return await S.api(path, body === undefined ? { token } : { method: "POST", json: body, token });
    } catch (err) {
      if (err.status === 401) signOut();
      // A refusal in the driver's words (the page's own first, then the shared catalogue).
      throw new Error(T[S.lang()][err.error] || S.reason(err.error));
    }
  }

  function upsert(trip, mark) {
    const old = trips.get(trip.id);
    if (old && old.version >= trip.version && mark) return; // an older snapshot never wins
    if (old && old.version > trip.version) return;
    trip._mark = mark || (old && old._mark) || "";
    trips.set(trip.id, trip);
  }

  function button(label, cls, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (cls) b.className = cls;
    b.addEventListener("click", onClick);
    return b;
  }

  async function act(fn) {
    try { upsert(await fn()); render(); status(""); } catch (e) { status(e.message, true); }
  }

  function riderRow(trip, p) {
    const li = document.createElement("li");
    li.dataset.attendee = p.attendee_id;
    const label = document.createElement("span");
    label.textContent = `${p.name} · ${p.flight} ${p.terminal || ""} · ${t(p.state)}`;
    li.appendChild(label);
    if (trip.state !== "at_pickup" || p.state !== "waiting") return li;
    const code = document.createElement("input");
    code.placeholder = t("code_ph");
    const photo = document.createElement("input");
    photo.type = "file"; photo.accept = "image/*"; photo.capture = "environment"; photo.hidden = true;
    photo.addEventListener("change", () => {
      const reader = new FileReader();
      reader.onload = () => act(() => api(`/api/driver/trips/${trip.id}/board`,
        { attendee_id: p.attendee_id, method: "face", photo: reader.result }));
      if (photo.files[0]) reader.readAsDataURL(photo.files[0]);
    });
    code.setAttribute("aria-label", t("code_ph"));
    const board = (text) => act(() => api(`/api/driver/trips/${trip.id}/board`,
      { attendee_id: p.attendee_id, method: "code", code: text }));
    li.append(" ",
      button(t("scan"), "primary scan", () => scanner.open(p.name, board)),
      code, button(t("board_code"), "", () => board(code.value.trim())),
      button(t("board_face"), "", () => photo.click()), photo,
      button(t("no_show_btn"), "", () => act(() => api(`/api/driver/trips/${trip.id}/no-show`,
        { attendee_id: p.attendee_id }))));
    return li;
  }

  // Scanning a rider's entrance QR code with the phone's camera (jsQR from npm, or the
  // browser's BarcodeDetector where there is one); typing the code stays the last resort.
  const scanner = (function () {
    let stream = null;
    let timer = null;
    let detector = null;
    if ("BarcodeDetector" in window) {
      try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
    }
    async function read(video, canvas) {
      if (!video.videoWidth) return null;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0);
      if (detector) {
        const found = await detector.detect(canvas).catch(() => []);
        if (found.length) return found[0].rawValue;
      }
      if (!window.jsQR) return null;
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
      return found ? found.data : null;
    }
    function close() {
      clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach((tr) => tr.stop());
      stream = null;
      $("scanner").hidden = true;
    }
    async function open(name, onCode) {
      close();
      $("scan-who").textContent = name;
      $("scanner").hidden = false;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      } catch (e) {
        close();
        status(t("no_camera"), true);
        return;
      }
      const video = $("scan-video");
      video.srcObject = stream;
      let busy = false;
      timer = setInterval(async () => {
        if (busy) return;
        busy = true;
        const text = await read(video, $("scan-canvas"));
        busy = false;
        if (text && text.startsWith("SC1.") && timer) { close(); onCode(text); }
      }, 200);
    }
    $("scan-cancel").addEventListener("click", close);
    return { open, close };
  })();

  const NEXT = { assigned: "accept", planned: "accept", accepted: "arrive", at_pickup: "depart", departed: "drop_off" };

  function card(trip) {
    const node = $("trip-tpl").content.firstElementChild.cloneNode(true);
    node.id = "trip-" + trip.id;
    node.dataset.version = trip.version;
    node.classList.toggle("cancelled", trip.state === "cancelled");
    node.classList.toggle("changed", trip._mark === "changed");
    node.querySelector(".when").textContent = fmt(trip.pickup_at);
    node.querySelector(".kind").textContent = (trip._mark === "new" ? t("new_trip") + " · " : "") + t(trip.kind);
    node.querySelector(".state").textContent = t(trip.state);
    node.querySelector(".version").textContent = t("version") + trip.version;
    node.querySelector(".where").textContent = `${t("meet")}: ${trip.place_name} · ${trip.meeting_point}`;
    const hotelName = (h) => (h.id === null ? t("venue") : (S.lang() === "zh" ? h.name_zh : h.name_en));
    node.querySelector(".dest").textContent = `${t("hotel")}: ${hotelName(trip.hotel)}`;
    const stops = trip.stops || [];
    if (stops.length > 1) { // a shared trip: the hotels in visiting order
      node.querySelector(".route").hidden = false;
      node.querySelector(".route-label").textContent = t("stops");
      node.querySelector(".stops").replaceChildren(...stops.map((h) => {
        const li = document.createElement("li");
        li.textContent = hotelName(h);
        return li;
      }));
      node.querySelector(".dest").hidden = true;
    }
    node.querySelector(".vehicle").textContent = trip.vehicle ? `${t("vehicle")}: ${trip.vehicle.plate}` : "";
    const riders = node.querySelector(".riders");
    trip.passengers.forEach((p) => riders.appendChild(riderRow(trip, p)));
    const nobodyCame = trip.state === "at_pickup" && trip.passengers.length > 0
      && trip.passengers.every((p) => p.state === "no_show");
    const next = nobodyCame ? "close" : NEXT[trip.state];
    if (next) {
      node.querySelector(".actions").appendChild(button(t(next), "primary next",
        () => act(() => api(`/api/driver/trips/${trip.id}/${next}`, {}))));
    }
    return node;
  }

  function render() {
    const list = [...trips.values()].sort((a, b) => a.pickup_at.localeCompare(b.pickup_at) || a.id - b.id);
    $("trips").replaceChildren(...list.map(card));
    $("empty").hidden = list.length > 0;
  }

  function remember(seq) {
    seen.add(seq);
    lastSeq = Math.max(lastSeq, seq);
    if (seen.size > 500) seen = new Set([...seen].sort((a, b) => a - b).slice(-300));
    localStorage.setItem("driver_seen", JSON.stringify([...seen]));
    localStorage.setItem("driver_seq", String(lastSeq));
  }

  const NOTICE = { trip_assigned: "new_trip", trip_updated: "changed", trip_cancelled: "cancelled" };

  function note(env, trip) { // the driver's list of what changed, newest first
    const li = document.createElement("li");
    li.dataset.seq = env.seq;
    li.textContent = `${fmt(env.at)} · ${t(NOTICE[env.event] || env.event)} #${trip.id} ${t("version")}${trip.version}`;
    $("changes").prepend(li);
    while ($("changes").children.length > 20) $("changes").lastElementChild.remove();
  }

  function apply(env) {
    if (seen.has(env.seq)) return; // exactly once: a replayed or repeated event is ignored
    remember(env.seq);
    const trip = env.data && env.data.trip;
    if (trip) {
      upsert(trip, env.event === "trip_assigned" ? "new" : "changed");
      render();
      note(env, trip);
    }
    socket.emit("trip_ack", { seq: env.seq, trips: trip ? { [trip.id]: trip.version } : {} });
  }

  function onEvent(env) {
    if (buffering) buffer.push(env); else apply(env);
  }

  function connect(ackedSeq) {
    socket = io("/live", { auth: { token: token }, transports: ["websocket"] });
    socket.on("connect", () => {
      online = true;
      paintLink();
      buffering = true; buffer = [];
      socket.emit("catch_up", { after: Math.max(lastSeq, ackedSeq) });
    });
    socket.on("caught_up", () => {
      buffering = false;
      buffer.sort((a, b) => a.seq - b.seq).forEach(apply);
      buffer = [];
      document.body.dataset.synced = "1"; // for people and tests: the phone is up to date
    });
    socket.on("event", onEvent);
    socket.on("disconnect", () => {
      delete document.body.dataset.synced;
      online = false;
      paintLink();
    });
    socket.on("connect_error", () => status(t("offline"), true));
  }

  async function start() {
    const before = token;
    const linked = S.token.fromLink(); // #token=... is stored and leaves the address bar
    if (linked) {
      if (linked !== before) forget();
      token = linked;
    }
    if (!token) { $("login").hidden = false; return; }
    try {
      const data = await api("/api/driver/trips");
      data.trips.forEach((trip) => upsert(trip));
      render();
      connect(data.acked_seq);
    } catch (e) { status(e.message, true); }
  }

  function forget() { // another driver's phone state must not leak into this one
    localStorage.removeItem("driver_seen");
    localStorage.removeItem("driver_seq");
    seen = new Set();
    lastSeq = 0;
  }

  function signOut() {
    S.token.clear();
    token = "";
    status(t("bad_token"), true);
    $("login").hidden = false;
  }

  function paintLink() { // the connection badge keeps its state across a language switch
    $("link").textContent = t(online ? "online" : "offline");
    $("link").className = "link " + (online ? "on" : "off");
  }

  S.onChange(() => { paintLink(); render(); });
  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    token = ev.target.token.value.trim();
    forget();
    S.token.set(token);
    $("login").hidden = true;
    start();
  });
  paintLink();
  start();
})();
