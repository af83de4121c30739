// Chinese first, English on request: elements carry data-zh / data-en; scripts use I18N.t().
// The choice is remembered on the device. All text goes in through textContent (never HTML).
(function () {
  "use strict";
  let lang = localStorage.getItem("lang") === "en" ? "en" : "zh";
  const listeners = [];

  const REASONS = {
    checked_in: ["欢迎入场", "Welcome"],
    reentry: ["欢迎回来", "Welcome back"],
    exited: ["再见", "Goodbye"],
    not_inside: ["请通行", "Please pass"],
    override: ["已由主管放行", "Let through by a supervisor"],
    already_checked_in: ["您已在场内（防回传）", "You are already inside (anti-passback)"],
    category_not_allowed: ["您的证件无权进入此区域", "Your pass does not admit you to this area"],
    outside_hours: ["此区域当前未对您开放", "This area is not open to you at this time"],
    gate_closed: ["此通道已关闭，请走其他通道", "This gate is closed: please use another"],
    attendee_revoked: ["请到服务台办理", "Please go to the help desk"],
    watchlist_hit: ["请稍候，工作人员将协助您", "Please wait: a supervisor will help you"],
    face_unknown: ["未能识别，请出示入场码", "Not recognised: please show your entrance code"],
    face_ambiguous: ["请出示入场码以确认身份", "Please show your entrance code to confirm who you are"],
    face_mismatch: ["人脸与入场码不符", "Your face does not match this entrance code"],
    no_face: ["未检测到人脸，请正对摄像头", "No face seen: please face the camera"],
    multiple_faces: ["请一次一人通过", "One person at a time, please"],
    low_quality: ["画面不清晰，请靠近并正对摄像头", "Image unclear: come closer and face the camera"],
    liveness_failed: ["活体检测未通过，请眨眼或出示入场码", "Liveness check failed: blink, or show your entrance code"],
    liveness_required: ["此通道需要实时摄像头", "This gate needs the live camera"],
    code_malformed: ["无法读取入场码", "That is not a valid entrance code"],
    code_forged: ["入场码无效", "That entrance code is not valid"],
    code_expired: ["入场码已过期，请在手机上刷新", "The code has expired: refresh it on your phone"],
    code_not_yet_valid: ["入场码尚未生效，请核对手机时间", "The code is not valid yet: check your phone's clock"],
    code_replayed: ["此入场码已使用，请在手机上刷新", "This code was already used: refresh it on your phone"],
    // Device set-up refusals (shown on the gate and kiosk pages).
    wrong_gate: ["此设备绑定在其他通道，请联系工作人员", "This device belongs to another gate: please call staff"],
    device_not_bound: ["此设备尚未绑定通道，请联系工作人员", "This device is not bound to a gate yet: please call staff"],
    wrong_device_kind: ["此设备不能用于通道", "This device cannot be used at a gate"],
    token_revoked: ["此设备已停用，请联系工作人员", "This device was switched off: please call staff"],
    rate_limited: ["请求过多，请稍后再试", "Too many requests: please wait a moment"],
  };

  function t(pair, ...args) {
    let text = pair[lang === "zh" ? 0 : 1];
    args.forEach((a, i) => { text = text.replace("{" + i + "}", String(a)); });
    return text;
  }

  function reason(code) {
    return REASONS[code] ? t(REASONS[code]) : code;
  }

  function apply() {
    document.documentElement.lang = lang === "zh" ? "zh" : "en";
    document.querySelectorAll("[data-zh]").forEach((el) => {
      el.textContent = el.dataset[lang];
    });
    const button = document.getElementById("lang");
    if (button) button.textContent = lang === "zh" ? "EN" : "中文";
    listeners.forEach((fn) => fn(lang));
  }

  function localTime(iso, short) {
    if (!iso) return "";
    const opts = { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit" };
    if (!short) opts.second = "2-digit";
    return new Date(iso).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", opts);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("lang");
    if (button) {
      button.addEventListener("click", () => {
        lang = lang === "zh" ? "en" : "zh";
        localStorage.setItem("lang", lang);
        apply();
      });
    }
    apply();
  });

  window.I18N = { t, reason, apply, localTime, lang: () => lang, onChange: (fn) => listeners.push(fn) };
})();
