// The one shared script of every page: language choice, the words of every server code (from
// the catalogue /i18n/messages.js), local times, the device token store and the API wrapper.
// Chinese first, English on request; the choice is remembered on the device and switching
// re-renders at once (elements with data-zh / data-en, and every page's onChange listeners).
// All text goes in through textContent, never HTML.
(function () {
  "use strict";
  const M = window.SUMMIT_MESSAGES || {};
  const TOKEN_KEY = "summit.device_token";
  const OLD_TOKEN_KEYS = ["hotel_desk_token", "driver_token"]; // the assistant keeps its own for now
  let lang = localStorage.getItem("lang") === "en" ? "en" : "zh";
  const listeners = [];
  const zhIndex = () => (lang === "zh" ? 0 : 1);

  // A pair [zh, en] in the current language, "{0}" / "{name}" filled from the arguments.
  function t(pair, ...args) {
    let text = pair[zhIndex()];
    const named = args.length === 1 && args[0] && typeof args[0] === "object" ? args[0] : null;
    if (named) {
      text = text.replace(/\{([a-z_]+)\}/g, (m, k) => (named[k] === undefined || named[k] === null ? "" : String(named[k])));
    } else {
      args.forEach((a, i) => { text = text.replace("{" + i + "}", String(a)); });
    }
    return text;
  }

  // The words for a code of a catalogue group; null when the catalogue has none.
  function word(group, code, params) {
    const pair = M[group] && M[group][code];
    return pair ? t(pair, params || {}) : null;
  }

  // A refusal or error code in words: gate reasons first, then API errors; never the raw code.
  function reason(code, params) {
    return word("reason", code, params) || word("error", code, params) || word("word", "other_reason");
  }

  const field = (name) => word("field", name) || name.replace(/_/g, " ");
  const event = (kind) => word("event", kind) || kind.replace(/_/g, " ");
  const stage = (name) => word("stage", name) || name.replace(/_/g, " ");
  const value = (v) => (v === true || v === false ? word("value", String(v))
    : (typeof v === "string" && word("value", v)) || (v === null || v === undefined ? "" : String(v)));

  // Free text from the server (an audit target, a note) with every known code put in words.
  const prose = (text) => String(text === null || text === undefined ? "" : text).replace(/\b[a-z]+(_[a-z]+)+\b/g,
    (code) => word("value", code) || word("event", code) || word("field", code) || word("reason", code) || code);

  const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
  function localTime(iso, short) {
    if (!iso) return "";
    const opts = { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false };
    if (!short) opts.second = "2-digit";
    return new Date(iso).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", opts);
  }
  function localDateTime(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  }
  // Any value for a screen: ISO times as local times, booleans and known values in words.
  const show = (v) => (typeof v === "string" && ISO.test(v) ? localDateTime(v) : value(v));

  // An alert in the viewer's language: its kind's name and its text from structured params
  // (times local); the stored message only when the catalogue has no text for the kind.
  function alertTitle(a) { return word("alert", a.kind) || word("reason", a.kind) || word("event", "alert_raised"); }
  function alertText(a) {
    const params = Object.assign({}, a.params || {});
    Object.keys(params).forEach((k) => { params[k] = show(params[k]); });
    if (typeof a.params?.reason === "string") { // staff words first (a gate tells the person less)
      params.reason = word("alert", a.params.reason) || reason(a.params.reason);
    }
    if (!params.who && M.word) params.who = word("word", "unidentified");
    const tpl = M.alert_text && M.alert_text[a.kind];
    const complete = tpl && (tpl[0].match(/\{([a-z_]+)\}/g) || []).every((m) => params[m.slice(1, -1)]);
    return complete ? t(tpl, params) : a.message;
  }

  function apply() {
    document.documentElement.lang = lang === "zh" ? "zh" : "en";
    document.querySelectorAll("[data-zh]").forEach((el) => { el.textContent = el.dataset[lang]; });
    document.querySelectorAll("[data-zh-label]").forEach((el) => {
      el.setAttribute("aria-label", el.dataset[lang === "zh" ? "zhLabel" : "enLabel"]);
    });
    document.querySelectorAll("[data-value]").forEach((el) => { el.textContent = value(el.dataset.value); });
    document.querySelectorAll("[data-zh-ph]").forEach((el) => {
      el.placeholder = el.dataset[lang === "zh" ? "zhPh" : "enPh"];
    });
    const button = document.getElementById("lang");
    if (button) {
      button.textContent = lang === "zh" ? "EN" : "中文";
      button.setAttribute("aria-label", lang === "zh" ? "EN: English" : "中文: Chinese");
    }
    listeners.forEach((fn) => fn(lang));
  }
  function setLang(next) {
    lang = next === "en" ? "en" : "zh";
    localStorage.setItem("lang", lang);
    apply();
  }

  // One device token per device (gate, kiosk, hotel kiosk, assistant, driver phone); a link's
  // #token=... sets it and leaves the address bar.
  const token = {
    get() {
      let value = localStorage.getItem(TOKEN_KEY);
      if (!value) {
        const old = OLD_TOKEN_KEYS.map((k) => localStorage.getItem(k)).find(Boolean);
        if (old) { value = old; localStorage.setItem(TOKEN_KEY, old); }
      }
      OLD_TOKEN_KEYS.forEach((k) => localStorage.removeItem(k));
      return value || "";
    },
    set(value) { localStorage.setItem(TOKEN_KEY, (value || "").trim()); },
    clear() { localStorage.removeItem(TOKEN_KEY); },
    fromLink() {
      const hash = new URLSearchParams(location.hash.slice(1));
      const value = hash.get("token");
      if (!value) return null;
      token.set(value);
      hash.delete("token");
      const rest = hash.toString();
      history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
      return value;
    },
  };

  // JSON API calls: the device token as a bearer (when there is one), the console's CSRF
  // header on writes. A refusal throws {error, message, status, ...}; no network, "network".
  async function api(path, options) {
    const opts = Object.assign({ method: "GET" }, options || {});
    const headers = Object.assign({}, opts.headers || {});
    const bearer = opts.token === undefined ? token.get() : opts.token;
    if (bearer) headers.Authorization = "Bearer " + bearer;
    const csrf = (document.querySelector('meta[name="csrf"]') || {}).content;
    if (opts.method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
    let body = opts.body;
    if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(opts.json); }
    let res;
    try {
      res = await fetch(path, { method: opts.method, headers, body, credentials: "same-origin" });
    } catch (e) {
      throw { error: "network", message: String(e), status: 0 };
    }
    const data = await res.json().catch(() => ({ error: "bad_response", message: res.statusText }));
    if (!res.ok) throw Object.assign({ status: res.status }, data);
    return data;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("lang");
    if (button) button.addEventListener("click", () => setLang(lang === "zh" ? "en" : "zh"));
    apply();
  });

  window.Summit = { t, word, reason, field, event, stage, value, show, prose, alertTitle, alertText,
    localTime, localDateTime, apply, setLang, lang: () => lang, onChange: (fn) => listeners.push(fn),
    token, api };
  // The older name of the same helpers, used by the gate and phone pages.
  window.I18N = window.Summit;
})();
