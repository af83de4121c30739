// Delegate phone: a one-time code opens the page once; then the entrance QR code (made by the
// server) is fetched again before it expires, and the journey timeline is shown.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const T = window.I18N;
  let timer = null;
  let lastStatus = null;

  const STAGES = {
    registered: ["已注册", "Registered"],
    arrived: ["已抵达", "Arrived"],
    picked_up: ["已接站", "Picked up"],
    hotel_checked_in: ["已入住酒店", "Checked in at the hotel"],
    venue_checked_in: ["已入场", "Checked in at the venue"],
    hotel_checked_out: ["已退房", "Checked out of the hotel"],
    departed: ["已送站", "Departed"],
  };
  const WORDS = {
    invalid: ["此码无效或已使用，请联系会务组获取新链接", "This code is not valid or was used already: ask the organisers for a new link"],
    failed: ["网络错误，请重试", "Network error: please try again"],
  };

  function render(s) {
    lastStatus = s;
    $("login").hidden = true;
    $("pass").hidden = false;
    $("who").textContent = s.attendee.name;
    $("qr").src = s.qr;
    $("qr").dataset.code = s.code;
    $("expires").textContent = T.localTime(s.expires_at);
    const list = $("journey");
    list.replaceChildren();
    s.journey.forEach((step) => {
      const li = document.createElement("li");
      li.dataset.stage = step.stage;
      li.textContent = (STAGES[step.stage] ? T.t(STAGES[step.stage]) : step.stage) + " · " + T.localTime(step.at);
      list.appendChild(li);
    });
  }

  function refresh() {
    clearTimeout(timer);
    fetch("/api/public/phone/status", { credentials: "same-origin" })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (!ok) { showLogin(); return; }
        render(body);
        timer = setTimeout(refresh, body.refresh_seconds * 1000);
      })
      .catch(() => { timer = setTimeout(refresh, 5000); });
  }

  function showLogin() {
    $("pass").hidden = true;
    $("login").hidden = false;
  }

  function login(ev) {
    ev.preventDefault();
    const code = $("portal-code").value.trim();
    fetch("/api/public/phone/login", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }),
    })
      .then((r) => {
        if (r.ok) { history.replaceState(null, "", "/phone"); refresh(); }
        else $("login-error").textContent = T.t(WORDS.invalid);
      })
      .catch(() => { $("login-error").textContent = T.t(WORDS.failed); });
  }

  function forget() {
    // Ends the phone session on the server too: a copied cookie stops working as well.
    clearTimeout(timer);
    fetch("/api/public/phone/logout", { method: "POST", credentials: "same-origin" })
      .finally(() => { lastStatus = null; $("qr").removeAttribute("src"); showLogin(); });
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", login);
    $("forget").addEventListener("click", forget);
    T.onChange(() => { if (lastStatus) render(lastStatus); });
    if ($("portal-code").value) showLogin(); else refresh();
  });
})();
