// Kiosk assistant page: streams the microphone over Socket.IO, shows partial words and the answer.
"use strict";
(function () {
  let lang = localStorage.getItem("lang") || "zh";
  let token = localStorage.getItem("kiosk_token") || "";
  let attendeeId = null; // set only by this kiosk's own face step (see setAttendee)
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
    attendeeId = null; // the next question needs a fresh recognition
    $("who").hidden = true;
  }

  function connect() {
    socket = io("/live", { auth: { token }, transports: ["websocket", "polling"] });
    socket.on("connect", () => setStatus("ready"));
    socket.on("connect_error", () => setStatus("offline"));
    socket.on("speech_partial", (p) => { $("transcript").textContent = p.text; });
    socket.on("speech_result", showResult);
    socket.on("speech_error", (e) => { stopListening(); $("status").textContent = e.message; });
  }

  async function toggleMic() {
    if (stopMic) { socket.emit("speech_stop"); setStatus("thinking"); stopListening(); return; }
    if (!token) { setStatus("no_token"); return; }
    $("transcript").textContent = "";
    $("answer").textContent = "";
    const payload = { language: speechLanguage() };
    if (attendeeId) payload.attendee_id = attendeeId;
    socket.emit("speech_start", payload, async (ack) => {
      if (!ack || ack.error) { $("status").textContent = ack ? ack.message : t("offline"); return; }
      try {
        stopMic = await window.AssistantAudio.start((buf) => socket.emit("speech_audio", buf));
      } catch (err) { setStatus("mic_denied"); return; }
      $("mic").classList.add("listening");
      $("mic").textContent = t("stop");
      setStatus("listening");
    });
  }

  // The kiosk's face step calls this (or dispatches `summit:attendee`) after recognising someone.
  window.setAttendee = function (id, maskedName) {
    attendeeId = id;
    $("who").textContent = maskedName || "";
    $("who").hidden = !maskedName;
  };
  window.addEventListener("summit:attendee", (e) => window.setAttendee(e.detail.id, e.detail.name));

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
    $("help").addEventListener("click", () => {
      const payload = { language: speechLanguage() };
      if (attendeeId) payload.attendee_id = attendeeId;
      socket.emit("speech_help", payload);
    });
    applyLanguage();
    if (token) connect(); else setStatus("no_token");
  }

  init();
})();
