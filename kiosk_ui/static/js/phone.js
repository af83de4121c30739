// Delegate phone: a one-time code opens the page once; then the entrance code is fetched again
// before it expires and drawn here as a QR code (qrcode-generator, /vendor/qrcode.js; without it
// the server draws the image: ?qr=1), and the journey timeline is shown.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const T = window.I18N;
  let timer = null;
  let lastStatus = null;

  const WORDS = {
    invalid: ["此码无效或已使用，请联系会务组获取新链接", "This code is not valid or was used already: ask the organisers for a new link"],
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
        timer = setTimeout(refresh, body.refresh_seconds * 1000);
      })
      .catch((err) => {
        if (err.status === 401) { showLogin(); return; }
        // Too many requests or no network: say so and try again; the last code stays shown.
        $("status-error").textContent = T.reason(err.error);
        timer = setTimeout(refresh, err.status === 429 ? 10000 : 5000);
      });
  }

  function showLogin() {
    $("pass").hidden = true;
    $("login").hidden = false;
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
    T.onChange(() => { if (lastStatus) render(lastStatus); });
    if ($("portal-code").value) showLogin(); else refresh();
  });
})();
