// Devices for admins: where each one is bound and whether it checks liveness; bind it to a
// gate or hotel and set its liveness policy (both audited on the server).
(function () {
  "use strict";
  const C = window.SummitConsole;
  const zh = () => C.lang === "zh";
  const W = {
    kiosk: ["自助机", "Kiosk"],
    gate: ["闸机", "Gate"],
    hotel_desk: ["酒店前台", "Hotel desk"],
    airport_desk: ["机场服务台", "Airport desk"],
    registration: ["注册台", "Registration desk"],
    driver: ["司机手机", "Driver phone"],
    unbound: ["未绑定", "Not bound"],
    place_gate: ["闸机", "Gate"],
    place_hotel: ["酒店", "Hotel"],
    place_driver: ["司机", "Driver"],
    live: ["需要活体检测", "Liveness required"],
    watched: ["仅限有人值守：可用静态照片", "Staff-watched: still photos allowed"],
    active: ["使用中", "Active"],
    revoked: ["已吊销", "Revoked"],
    none: ["不绑定", "No place"],
    bind: ["绑定", "Bind"],
    require: ["要求活体检测", "Require liveness"],
    allow: ["允许静态照片", "Allow still photos"],
    reason: ["理由（谁在值守）", "Reason (who watches it)"],
    bound: ["设备 {0} 已绑定到：{1}", "Device {0} is now bound to: {1}"],
    policy: ["设备 {0}：{1}", "Device {0}: {1}"],
    // Refusals, by the error code the API answers with.
    gate_not_found: ["没有这个闸机", "No such gate"],
    hotel_not_found: ["没有这个酒店", "No such hotel"],
    device_not_found: ["没有这台设备", "No such device"],
    invalid_binding: ["这类设备不能绑定到这个地点", "This kind of device cannot be bound to that place"],
    reason_required: ["关闭活体检测需要填写理由（谁在值守）", "Turning liveness off needs a reason (who watches the device)"],
    failed: ["操作未成功，请重试", "That did not work; please try again"],
  };
  const t = (key, ...args) => {
    let s = (W[key] || W.failed)[zh() ? 0 : 1];
    args.forEach((a, i) => { s = s.replace(`{${i}}`, String(a)); });
    return s;
  };
  let data = { devices: [], places: { gates: [], hotels: [] } };

  function placeText(d) {
    if (d.place === "unbound") return t("unbound");
    const kind = d.place.split(":")[0];
    return `${t("place_" + kind)} ${d.place_code || d.place.split(":")[1]}`;
  }

  function badge(key, cls) { return C.el("span", t(key), "badge " + cls); }

  function say(text) { document.getElementById("devices-status").textContent = text; }

  // Post a change, re-read the list from the server, then say what the device is now.
  async function send(path, json, done) {
    try {
      const out = await C.api(path, { method: "POST", json });
      await load();
      say(done(data.devices.find((x) => x.id === out.id) || out));
    } catch (err) {
      say(t(W[err.error] ? err.error : "failed"));
    }
  }

  function bindForm(d) {
    const form = C.el("form");
    if (d.kind === "driver" || d.revoked_at) return form;
    const select = C.el("select");
    select.setAttribute("aria-label", `${t("bind")}: ${d.name}`);
    const option = (value, text) => { const o = C.el("option", text); o.value = value; return o; };
    select.appendChild(option("", t("none")));
    if (d.kind === "gate" || d.kind === "kiosk") {
      data.places.gates.forEach((g) => select.appendChild(option("gate:" + g.id, `${t("place_gate")} ${g.code} · ${g.name}`)));
    }
    if (d.kind === "hotel_desk") {
      data.places.hotels.forEach((h) => select.appendChild(option("hotel:" + h.id, `${t("place_hotel")} ${h.code} · ${zh() ? h.name_zh : h.name_en}`)));
    }
    select.value = d.place === "unbound" ? "" : d.place;
    const btn = C.el("button", t("bind"));
    btn.type = "submit";
    form.append(select, btn);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const [kind, id] = select.value.split(":");
      const body = kind ? { [kind + "_id"]: Number(id) } : {};
      send(`/api/devices/${d.id}/binding`, body, (now) => t("bound", d.name, placeText(now)));
    });
    return form;
  }

  function livenessForm(d) {
    const form = C.el("form");
    if (d.revoked_at) return form;
    const btn = C.el("button", t(d.liveness_required ? "allow" : "require"));
    btn.type = "submit";
    let reason = null;
    if (d.liveness_required) {
      reason = C.el("input");
      reason.maxLength = 500;
      reason.placeholder = t("reason");
      reason.setAttribute("aria-label", `${t("reason")}: ${d.name}`);
      form.appendChild(reason);
    }
    form.appendChild(btn);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = { required: !d.liveness_required, reason: reason ? reason.value.trim() : "" };
      send(`/api/devices/${d.id}/liveness`, body, (now) => t("policy", d.name, t(now.liveness_required ? "live" : "watched")));
    });
    return form;
  }

  function show() {
    C.fillTable(document.querySelector("#devices tbody"), data.devices.map((d) => [
      d.id, d.name, t(d.kind), placeText(d),
      d.liveness_required ? badge("live", "live") : badge("watched", "watched"),
      d.revoked_at ? badge("revoked", "revoked") : t("active"),
      bindForm(d), livenessForm(d),
    ]));
    document.querySelectorAll("#devices tbody tr").forEach((tr, i) => { tr.dataset.id = data.devices[i].id; });
  }

  async function load() {
    data = await C.api("/api/devices");
    show();
  }

  C.boot();
  document.addEventListener("console:lang", show);
  load().then(() => { document.body.dataset.ready = "1"; });
})();
