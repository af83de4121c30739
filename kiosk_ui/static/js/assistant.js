// Kiosk assistant page: streams the microphone over Socket.IO, shows partial words and the answer.
// Personal answers need an identification ticket the server issued to this kiosk: the delegate
// shows their entrance code (typed or scanned into the code box), or a face step on the same
// kiosk hands one over (setIdentification). The page never sends an attendee id.
"use strict";
(function () {
  let lang = localStorage.getItem("lang") || "zh";
  let token = localStorage.getItem("kiosk_token") || "";
  let ticket = null; // {value, expires (ms)}: forgotten after one answer or when it expires
  let ticketTimer = null;
  let stopMic = null;
  let socket = null;
  const $ = (id) => document.getElementById(id);
  const TEXT = {
    ready: ["请按下按钮提问", "Press the button and ask"],
    listening: ["正在听…", "Listening…"],
    thinking: ["正在查找答案…", "Finding the answer…"],
    no_token: ["请先输入设备令牌", "Enter this kiosk's device token first"],
    offline: ["未连接服务器", "Not connected to the server"],
    mic_denied: ["无法使用麦克风", "The microphone is not available"],
    stop: ["说完了", "Done"],
    ask: ["按下提问", "Press and ask"],
    checking: ["正在核对入场码…", "Checking the entrance code…"],
    identified: ["已识别，请按下按钮提问您的行程或酒店", "Identified: press the button and ask about your hotel or car"],
    code_refused: ["无法识别此入场码，请在手机上刷新后重试", "That entrance code was not accepted: refresh it on your phone and try again"],
    ticket_expired: ["识别已超时，请重新出示入场码", "The identification timed out: show your entrance code again"],
    ticket_refused: ["请重新出示入场码", "Please show your entrance code again"],
  };
  const t = (key) => TEXT[key][lang === "zh" ? 0 : 1];

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-zh]").forEach((el) => {
      el.textContent = el.dataset[lang] || el.dataset.zh;
    });
    $("lang").textContent = lang === "zh" ? "EN" : "中文";
  }

  function speechLanguage() {
    return document.querySelector("input[name=speech]:checked").value;
  }

  function setStatus(key, extra) {
    $("status").textContent = t(key) + (extra ? " " + extra : "");
  }

  function stopListening() {
    if (stopMic) { stopMic(); stopMic = null; }
    $("mic").classList.remove("listening");
    $("mic").textContent = t("ask");
  }

  function forgetTicket() {
    ticket = null;
    if (ticketTimer) { clearTimeout(ticketTimer); ticketTimer = null; }
    $("who").textContent = "";
    $("who").hidden = true;
  }

  function currentTicket() {
    if (ticket && Date.now() >= ticket.expires) forgetTicket();
    return ticket ? ticket.value : null;
  }

  // An identification answer (identify-code, identify, or a camera_identified event).
  function setIdentification(found) {
    if (!found || !found.ticket) return false;
    forgetTicket();
    // A few seconds' margin so a question started just before expiry is not refused.
    const seconds = Math.max(1, (found.ticket_seconds || 120) - 5);
    ticket = { value: found.ticket, expires: Date.now() + seconds * 1000 };
    ticketTimer = setTimeout(forgetTicket, seconds * 1000);
    const name = found.attendee && found.attendee.name;
    $("who").textContent = name || "";
    $("who").hidden = !name;
    return true;
  }

  function askPayload() {
    const payload = { language: speechLanguage() };
    const value = currentTicket();
    if (value) payload.ticket = value;
    return payload;
  }

  function showError(e) {
    stopListening();
    if (e && String(e.error).startsWith("ticket_")) {
      forgetTicket();
      setStatus(e.error === "ticket_expired" ? "ticket_expired" : "ticket_refused");
      return;
    }
    $("status").textContent = e ? e.message : t("offline");
  }

  async function identifyCode(e) {
    e.preventDefault();
    const input = $("code");
    const code = input.value.trim();
    if (!code) return;
    if (!token) { setStatus("no_token"); return; }
    setStatus("checking");
    try {
      const res = await fetch("/api/recognition/identify-code", {
        method: "POST",
        headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
        body: JSON.stringify({ code, purpose: "assistant" }),
      });
      const body = await res.json();
      input.value = ""; // a code is personal: it does not stay on a public screen
      setStatus(res.ok && setIdentification(body) ? "identified" : "code_refused");
    } catch (err) { setStatus("offline"); }
  }

  function showResult(result) {
    stopListening();
    $("transcript").textContent = result.transcript;
    $("answer").textContent = result.answer.text;
    $("answer").dataset.intent = result.intent;
    $("help").hidden = !result.answer.offer_help;
    setStatus("ready");
    if (window.speechSynthesis && result.answer.speak) {
      const u = new SpeechSynthesisUtterance(result.answer.speak);
      u.lang = { zh: "zh-CN", en: "en-US", ko: "ko-KR" }[result.language] || "zh-CN";
      window.speechSynthesis.speak(u);
    }
    forgetTicket(); // the next delegate must not inherit this one's identification
  }

  function connect() {
    socket = io("/live", { auth: { token }, transports: ["websocket", "polling"] });
    socket.on("connect", () => setStatus("ready"));
    socket.on("connect_error", () => setStatus("offline"));
    socket.on("speech_partial", (p) => { $("transcript").textContent = p.text; });
    socket.on("speech_result", showResult);
    socket.on("speech_error", showError);
  }

  async function toggleMic() {
    if (stopMic) { socket.emit("speech_stop"); setStatus("thinking"); stopListening(); return; }
    if (!token) { setStatus("no_token"); return; }
    $("transcript").textContent = "";
    $("answer").textContent = "";
    socket.emit("speech_start", askPayload(), async (ack) => {
      if (!ack || ack.error) { showError(ack); return; }
      try {
        stopMic = await window.AssistantAudio.start((buf) => socket.emit("speech_audio", buf));
      } catch (err) { setStatus("mic_denied"); return; }
      $("mic").classList.add("listening");
      $("mic").textContent = t("stop");
      setStatus("listening");
    });
  }

  // A face step on this kiosk hands over the server's identification answer (with its ticket)
  // by calling this or dispatching `summit:identified`.
  window.setIdentification = setIdentification;
  window.addEventListener("summit:identified", (e) => setIdentification(e.detail));

  function init() {
    const link = new URLSearchParams(location.hash.slice(1));
    if (link.get("token")) {
      token = link.get("token");
      localStorage.setItem("kiosk_token", token);
      history.replaceState(null, "", location.pathname); // the token leaves the address bar
    }
    if (link.get("speech")) {
      const radio = document.querySelector(`input[name=speech][value="${link.get("speech")}"]`);
      if (radio) radio.checked = true;
    }
    $("setup").hidden = !!token;
    $("setup").addEventListener("submit", (e) => {
      e.preventDefault();
      token = new FormData(e.target).get("token").trim();
      localStorage.setItem("kiosk_token", token);
      location.reload();
    });
    $("lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      localStorage.setItem("lang", lang);
      applyLanguage();
    });
    $("mic").addEventListener("click", toggleMic);
    $("code-box").addEventListener("submit", identifyCode);
    $("help").addEventListener("click", () => socket.emit("speech_help", askPayload()));
    applyLanguage();
    if (token) connect(); else setStatus("no_token");
  }

  init();
})();
