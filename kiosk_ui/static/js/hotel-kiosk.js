// Hotel lobby kiosk: identify -> show reservation -> confirm check-in (room, PIN, key QR,
// Wi-Fi) or check-out (departure transfer). "Recognise my face" streams camera frames
// (downscaled JPEG, about 4 a second, one in flight) over Socket.IO as `camera_frame` with
// purpose "hotel"; the server's face stream decides (asking for a blink or head turn where the
// desk checks liveness) and answers with a short-lived identification ticket, which the page
// hands to POST /api/hotel/kiosk/identify. An entrance code goes there directly. All server
// text goes in via textContent; QR images are data: URIs made by the server.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const S = window.Summit;
  let token = S.token.get();
  let ticket = null;
  let action = null;
  let idleTimer = null;
  let shown = null; // the last welcome, so a language switch can re-word it
  let socket = null;
  let looking = null; // the frame timer while the camera is looking for a face
  let lookUntil = 0;
  let inFlight = false;
  const FRAME_WIDTH = 480;
  const FRAME_MS = 250;
  const LOOK_MS = 20000; // stop looking after this long without an answer

  const WORDS = {
    check_in: ["确认入住", "Check in"],
    check_out: ["确认退房", "Check out"],
    working: ["请稍候…", "One moment…"],
    looking: ["正在识别，请看摄像头…", "Looking: please face the camera…"],
    blink: ["请眨眨眼", "Please blink"],
    turn_left: ["请把头慢慢转向左边，停一下", "Please turn your head slowly to the left and hold it a moment"],
    turn_right: ["请把头慢慢转向右边，停一下", "Please turn your head slowly to the right and hold it a moment"],
    offline: ["网络断开，请稍后再试或使用入场码", "Offline: try again shortly, or use your entrance code"],
    no_camera: ["摄像头不可用，请使用入场码", "No camera: please use your entrance code"],
    no_token: ["请先输入设备令牌", "Enter this kiosk's device token first"],
    floor: ["{0} 层", "floor {0}"],
    none: ["—", "—"],
    no_transfer: ["未查到送站安排，请到交通服务台", "No departure transfer found: please see the transport desk"],
    transfer: ["送站：{0} {1}，{2} 在 {3} 上车", "Departure {0} {1}: your car leaves at {2} from {3}"],
    transfer_pending: ["送站：{0} {1}，用车安排稍后发送到您的手机", "Departure {0} {1}: your ride will be sent to your phone"],
    // Error codes from the API.
    face_not_recognised: ["未能识别，请使用入场码或到前台办理", "We could not recognise you: use your entrance code or see the front desk"],
    liveness_failed: ["活体检测未通过，请使用入场码或到前台办理", "Liveness check failed: use your entrance code or see the front desk"],
    multiple_faces: ["请一次一人", "One person at a time, please"],
    device_not_bound: ["此设备未绑定酒店，请联系工作人员", "This kiosk is not linked to a hotel: please call staff"],
    reservation_not_found: ["未找到您的酒店预订，请到前台", "No hotel reservation found: please see the front desk"],
    wrong_hotel: ["您的预订在另一家酒店：{0}", "Your reservation is at another hotel: {0}"],
    rooms_short: ["暂无可用房间，工作人员马上为您处理", "No room is free right now: staff have been alerted and will help you"],
    already_checked_in: ["您已入住", "You are already checked in"],
    already_checked_out: ["您已退房", "You have already checked out"],
    reservation_released: ["预订已取消或已释放，请到前台", "This reservation was released: please see the front desk"],
    too_early: ["您的预订从 {0} 开始", "Your reservation starts on {0}"],
    reservation_ended: ["预订已结束", "This reservation has ended"],
    code_expired: ["入场码已过期，请在手机上刷新", "The code has expired: refresh it on your phone"],
    code_malformed: ["无法读取入场码", "That is not a valid entrance code"],
    code_forged: ["入场码无效", "That entrance code is not valid"],
    ticket_expired: ["操作超时，请重新开始", "Timed out: please start again"],
    ticket_used: ["本次识别已使用，请重新识别", "This identification was already used: please identify again"],
    ticket_invalid: ["识别信息无效，请重新识别", "This identification is not valid here: please identify again"],
    ticket_other_device: ["识别信息无效，请重新识别", "This identification is not valid here: please identify again"],
    ticket_wrong_purpose: ["识别信息无效，请重新识别", "This identification is not valid here: please identify again"],
    code_replayed: ["此入场码已使用，请在手机上刷新后再试", "This entrance code was already used: refresh it on your phone and try again"],
    code_not_yet_valid: ["入场码尚未生效，请稍后再试", "The code is not valid yet: try again in a moment"],
    liveness_required: ["请看摄像头完成识别，或使用入场码", "Please look at the camera, or use your entrance code"],
    wrong_device_kind: ["此设备不能办理入住，请联系工作人员", "This device cannot check guests in: please call staff"],
    attendee_revoked: ["请到前台办理", "Please see the front desk"],
    rate_limited: ["请求过多，请稍后再试", "Too many requests: please wait a moment"],
  };
  // The kiosk's own words first, then the shared catalogue's (never a raw code).
  const t = (key, ...args) => (WORDS[key] ? S.t(WORDS[key], ...args) : S.reason(key));
  let said = null; // [words function, bad] of the status line, re-worded on a language switch

  function applyLang() {
    if (action) $("confirm").textContent = t(action);
    if (shown) $("w-floor").textContent = t("floor", shown.floor);
    if (said) $("status").textContent = said[0]();
  }

  function status(text, bad) {
    const words = typeof text === "function" ? text : () => text || "";
    said = [words, bad];
    $("status").textContent = words();
    $("status").className = bad ? "err" : "";
  }

  function show(id) {
    ["start", "reservation", "welcome", "goodbye"].forEach((s) => { $(s).hidden = s !== id; });
    clearTimeout(idleTimer);
    if (id !== "start") idleTimer = setTimeout(reset, 90000); // nobody left personal data up
  }

  function reset() {
    stopLooking();
    ticket = null; action = null; shown = null;
    ["w-pin", "w-room", "w-wifi-pass"].forEach((id) => { $(id).textContent = ""; });
    $("w-key-qr").removeAttribute("src");
    $("code").value = "";
    status("");
    show("start");
  }

  // A refusal in words, re-worded if the language changes while it is shown.
  function explain(err) {
    if (err.error === "wrong_hotel") { // the other hotel by its name, in the guest's language
      return () => t("wrong_hotel", (S.lang() === "zh" ? err.hotel_zh : err.hotel_en) || err.hotel || "");
    }
    if (err.error === "too_early") return () => t("too_early", err.check_in_date || "");
    return () => t(err.error || "validation_error");
  }

  async function call(path, init) {
    if (!token) throw { error: "no_token" };
    try {
      return await S.api(path, { method: init.method || "GET", headers: init.headers, body: init.body, token });
    } catch (err) {
      if (err.status === 401 && ["bad_token", "token_revoked"].includes(err.error)) askToken();
      throw err;
    }
  }

  async function identify(init) {
    status(() => t("working"));
    try {
      const found = await call("/api/hotel/kiosk/identify", init);
      ticket = found.ticket; action = found.action;
      fillReservation(found.reservation);
      status("");
      show("reservation");
    } catch (err) { status(explain(err), true); }
  }

  function fillReservation(r) {
    $("r-name").textContent = r.name;
    $("r-hotel").textContent = S.lang() === "zh" ? r.hotel.name_zh : r.hotel.name_en;
    $("r-type").textContent = r.room_type.name;
    $("r-dates").textContent = `${r.check_in_date} → ${r.check_out_date}`;
    $("r-share").textContent = r.shares_with || t("none");
    $("r-room").textContent = r.room || t("none");
    $("confirm").textContent = t(action);
  }

  async function confirm() {
    status(() => t("working"));
    const path = action === "check_in" ? "/api/hotel/kiosk/check-in" : "/api/hotel/kiosk/check-out";
    try {
      const result = await call(path, { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ticket }) });
      status("");
      if (action === "check_in") welcome(result); else goodbye(result);
    } catch (err) { status(explain(err), true); }
  }

  function welcome(w) {
    shown = w;
    $("w-room").textContent = w.room;
    $("w-floor").textContent = t("floor", w.floor);
    $("w-early").hidden = !w.early;
    $("w-pin").textContent = w.key.pin;
    $("w-key-qr").src = w.key.qr_png;
    $("w-ssid").textContent = w.wifi.ssid;
    $("w-wifi-pass").textContent = w.wifi.password;
    $("w-wifi-qr").src = w.wifi.qr_png;
    show("welcome");
  }

  const clock = (iso) => S.localDateTime(iso);

  function goodbye(r) {
    const d = r.departure;
    let text = t("no_transfer");
    if (d && d.transfer_planned) text = t("transfer", d.number, clock(d.scheduled_at), clock(d.pickup_at), d.meeting_point || "");
    else if (d) text = t("transfer_pending", d.number, clock(d.scheduled_at));
    $("b-departure").textContent = text;
    show("goodbye");
  }

  async function startCamera() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      $("video").srcObject = stream;
    } catch (e) {
      $("face").disabled = true;
      status(() => t("no_camera"), true);
    }
  }

  function connect() {
    if (socket || !token) return;
    socket = io("/live", { auth: { token }, transports: ["websocket", "polling"] });
    socket.on("connect", () => { inFlight = false; });
    socket.on("connect_error", () => { if (looking) { stopLooking(); status(() => t("offline"), true); } });
  }

  function stopLooking() {
    clearInterval(looking);
    looking = null;
    inFlight = false;
    if (socket && socket.connected) socket.emit("camera_stop");
  }

  // One camera answer: still looking (maybe with a liveness challenge), or the outcome.
  function onAnswer(out) {
    inFlight = false;
    if (!looking || !out || out.held || out.dropped) return;
    if (out.pending) { status(() => t(WORDS[out.challenge] ? out.challenge : "looking")); return; }
    stopLooking();
    if (out.error) { status(explain(out), true); return; }
    if (out.ticket) {
      identify({ method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ticket: out.ticket }) });
      return;
    }
    const reason = WORDS[out.reason] ? out.reason : "face_not_recognised";
    status(() => t(reason), true);
  }

  function sendFrame() {
    const video = $("video"), canvas = $("frame");
    if (Date.now() > lookUntil) { stopLooking(); status(() => t("face_not_recognised"), true); return; }
    if (inFlight || !socket || !socket.connected || !video.videoWidth) return;
    canvas.width = FRAME_WIDTH;
    canvas.height = Math.round(video.videoHeight * FRAME_WIDTH / video.videoWidth);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    inFlight = true;
    canvas.toBlob((blob) => {
      blob.arrayBuffer().then((buf) => {
        const frame = { image: buf, t: performance.now() / 1000, purpose: "hotel" };
        socket.timeout(5000).emit("camera_frame", frame, (err, out) => onAnswer(err ? null : out));
      });
    }, "image/jpeg", 0.8);
  }

  function look() {
    if (!token) { status(() => t("no_token"), true); return; }
    connect();
    stopLooking();
    status(() => t("looking"));
    lookUntil = Date.now() + LOOK_MS;
    looking = setInterval(sendFrame, FRAME_MS);
  }

  function askToken() {
    token = "";
    S.token.clear();
    $("setup").hidden = false;
  }

  function boot() {
    const fromLink = S.token.fromLink(); // the token leaves the address bar
    if (fromLink) token = fromLink;
    if (!token) askToken();
    $("setup").addEventListener("submit", (e) => {
      e.preventDefault();
      token = new FormData(e.target).get("token").trim();
      S.token.set(token);
      $("setup").hidden = true;
      if (socket) { socket.disconnect(); socket = null; }
      connect();
    });
    S.onChange(applyLang);
    $("face").addEventListener("click", look);
    $("code-form").addEventListener("submit", (e) => {
      e.preventDefault();
      identify({ method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code: $("code").value.trim() }) });
    });
    $("confirm").addEventListener("click", confirm);
    $("cancel").addEventListener("click", reset);
    document.querySelectorAll("button.done").forEach((b) => b.addEventListener("click", reset));
    applyLang();
    connect();
    startCamera();
  }

  boot();
})();
