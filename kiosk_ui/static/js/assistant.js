// Kiosk assistant page: ask aloud (microphone streamed over Socket.IO, only for languages with a
// speech model), type a question (any language), or tap a common question; below the server's
// confidence the page shows "Did you mean…" buttons instead of an answer.
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
  let spoken = []; // languages with a speech model on the server
  let pending = null; // a personal question waiting for identification: {intent, slots}
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
    not_heard: ["没有听清，请再说一次，或输入问题", "I did not catch that: please ask again or type your question"],
    no_model: ["此语言暂不支持语音提问，请输入问题", "Spoken questions are not available in this language: please type"],
    failed: ["暂时无法回答，请稍后再试或请工作人员帮助", "I cannot answer right now: try again or call a staff member"],
  };
  const t = (key) => TEXT[key][lang === "zh" ? 0 : 1];

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-zh]").forEach((el) => {
      el.textContent = el.dataset[lang] || el.dataset.zh;
    });
    $("lang").textContent = lang === "zh" ? "EN" : "中文";
    // The name starts with the visible text (WCAG 2.5.3, as the shared script does elsewhere).
    $("lang").setAttribute("aria-label", lang === "zh" ? "EN: English" : "中文: Chinese");
    offerMicrophone();
  }

  // The microphone only for a language whose speech model is installed; typing always works.
  function offerMicrophone() {
    const can = spoken.includes(speechLanguage());
    $("mic").hidden = !can;
    $("no-mic").hidden = can;
  }

  async function api(path, body) {
    const res = await fetch(path, {
      method: body ? "POST" : "GET",
      headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json();
    if (!res.ok) throw data;
    return data;
  }

  async function loadLanguages() {
    try { spoken = (await api("/api/speech/languages")).spoken; } catch (e) { spoken = []; }
    offerMicrophone();
  }

  async function ask(body) {
    if (!token) { setStatus("no_token"); return; }
    clearConversation();
    setStatus("thinking");
    try { showResult(await api("/api/speech/ask", Object.assign(askPayload(), body))); }
    catch (e) { showError(e); }
  }

  function clearConversation() {
    $("transcript").textContent = "";
    $("answer").textContent = "";
    delete $("answer").dataset.intent;
    $("confirm").hidden = true;
    $("identify").hidden = true;
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
    if (!e || !e.error) { setStatus("offline"); return; }
    // Never show a server message meant for operators (it may name a command): plain words only.
    const known = { speech_model_missing: "no_model", no_speech: "not_heard", empty_audio: "not_heard" };
    setStatus(known[e.error] || "failed");
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
      const ok = res.ok && setIdentification(body);
      setStatus(ok ? "identified" : "code_refused");
      if (ok && pending) { const again = pending; pending = null; ask(again); }
    } catch (err) { setStatus("offline"); }
  }

  function showCandidates(result) {
    const box = $("candidates");
    box.textContent = "";
    result.candidates.forEach((c) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "choice";
      b.textContent = c.question;
      b.dataset.intent = c.intent;
      b.addEventListener("click", () => ask({ intent: c.intent, slots: c.slots }));
      box.appendChild(b);
    });
    $("confirm").hidden = result.candidates.length === 0;
  }

  // A loud hall (the server measured the question's audio): the kiosk said so in its answer,
  // and "none of these" leads to typing rather than to asking again into the same noise.
  const AGAIN = { quiet: ["都不是，重新提问", "None of these: ask again"], loud: ["都不是，改为输入问题", "None of these: type it instead"] };

  // After a spoken question in a loud hall the page keeps a hint for the next delegates for
  // LOUD_HINT_MS (a crowd stays a while); a spoken question in a quiet hall clears it.
  const LOUD_HINT_MS = 5 * 60 * 1000;
  let loudHintTimer = null;

  function showLoudHint(show) {
    $("loud-hint").hidden = !show;
    clearTimeout(loudHintTimer);
    if (show) loudHintTimer = setTimeout(() => { $("loud-hint").hidden = true; }, LOUD_HINT_MS);
  }

  function showHall(hall) {
    if (hall) showLoudHint(hall.loud); // typed and tapped questions say nothing about the hall
    const loud = Boolean(hall && hall.loud);
    $("answer").dataset.loud = String(loud);
    const label = AGAIN[loud ? "loud" : "quiet"];
    $("again").dataset.zh = label[0];
    $("again").dataset.en = label[1];
    $("again").textContent = label[lang === "zh" ? 0 : 1];
  }

  function showResult(result) {
    stopListening();
    clearConversation();
    $("transcript").textContent = result.transcript;
    $("answer").textContent = result.answer.text;
    $("answer").dataset.intent = result.intent;
    $("answer").dataset.answered = String(result.answered);
    $("help").hidden = !result.answer.offer_help;
    if (!result.answered) showCandidates(result);
    showHall(result.hall);
    $("identify").hidden = !result.needs_identification;
    pending = result.needs_identification ? { intent: result.intent, slots: result.slots } : null;
    if (result.needs_identification) $("code").focus();
    setStatus("ready");
    if (window.speechSynthesis && result.answer.speak) {
      const u = new SpeechSynthesisUtterance(result.answer.speak);
      u.lang = { zh: "zh-CN", en: "en-US", ko: "ko-KR" }[result.language] || "zh-CN";
      window.speechSynthesis.speak(u);
    }
    if (result.answered && result.answer.personal) forgetTicket(); // the next delegate must not inherit it
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
    clearConversation();
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
    // The asking language follows the page language unless the link names one.
    const wanted = link.get("speech") || link.get("lang") || lang;
    const radio = document.querySelector(`input[name=speech][value="${wanted}"]`)
      || document.querySelector("input[name=speech][value=zh]");
    radio.checked = true;
    if (link.get("lang") === "en" || link.get("lang") === "zh") lang = link.get("lang");
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
      const follow = document.querySelector(`input[name=speech][value="${lang}"]`);
      if (follow) follow.checked = true;
      applyLanguage();
    });
    document.querySelectorAll("input[name=speech]").forEach((r) => r.addEventListener("change", offerMicrophone));
    $("ask-box").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = $("question").value.trim();
      if (text) ask({ text });
    });
    document.querySelectorAll("#common .choice").forEach((b) => b.addEventListener("click", () =>
      ask({ intent: b.dataset.intent, slots: JSON.parse(b.dataset.slots || "{}") })));
    $("again").addEventListener("click", () => { clearConversation(); $("question").focus(); });
    $("mic").addEventListener("click", toggleMic);
    $("code-box").addEventListener("submit", identifyCode);
    $("help").addEventListener("click", () => socket.emit("speech_help", askPayload()));
    applyLanguage();
    if (token) { connect(); loadLanguages(); } else setStatus("no_token");
  }

  init();
})();
