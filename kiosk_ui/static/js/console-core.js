// Shared console helpers over the pages' shared script (summit.js: language, catalogue words,
// API calls): escaped DOM building, list dialogs, alerts, the live feed and the /live
// connection with catch-up. A language switch re-renders feed, alerts, lists and the
// connection badge at once. Every text from the server reaches the page through textContent.
(function () {
  "use strict";
  const S = window.Summit;
  const C = (window.SummitConsole = {});
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || "";
  C.csrf = meta("csrf");
  C.role = meta("role");
  Object.defineProperty(C, "lang", { get: () => S.lang() });
  let conn = null; // [state, note] of the connection badge
  let lastAlerts = null;
  let lastList = null;

  const WORDS = {
    longest: ["最长等待 {0} 分钟", "longest wait {0} min"],
    ack: ["确认", "Acknowledge"],
    acked: ["已确认", "Acknowledged"],
    none: ["无结果", "No results"],
    found: ["找到 {0} 人", "{0} found"],
    queue: ["闸机 {0} 排队：每分钟 {1} 人", "Gate {0} queue: {1} per minute"],
    zone_full: ["区域 {0} 接近满员：{1} / {2}", "Zone {0} nearly full: {1} / {2}"],
    on: ["已连接", "Live"],
    off: ["连接中断，正在重连…", "Disconnected, reconnecting…"],
    caught: ["已补收 {0} 条", "caught up {0} missed"],
    rows: ["{0} 行", "{0} rows"],
    planned: ["计划", "Planned"],
    landed: ["已落地", "Landed"],
    // Event and list names.
    gate_passed: ["通过闸机", "Passed gate"],
    gate_denied: ["拒绝通行", "Entry denied"],
    attendee_checked_in: ["场馆签到", "Venue check-in"],
    venue_checked_in: ["场馆签到", "Venue check-in"],
    journey_stage_recorded: ["行程节点", "Journey step"],
    alert_raised: ["新告警", "New alert"],
    alert_acknowledged: ["告警已确认", "Alert acknowledged"],
    flight_landed: ["航班落地", "Flight landed"],
    flight_estimate_changed: ["航班时间变更", "Flight time changed"],
    hotel_checked_in: ["酒店入住", "Hotel check-in"],
    hotel_checked_out: ["酒店退房", "Hotel check-out"],
    attendee_registered: ["新注册", "Registered"],
    watchlist_changed: ["关注名单变更", "Watch list changed"],
    list_landed: ["24小时内落地", "Landed in the last 24 h"],
    list_waiting: ["等待接站", "Waiting for pickup"],
    list_on_road: ["在途", "On the road"],
    list_at_hotel: ["已入住酒店", "At their hotel"],
    list_venue: ["今日场馆签到", "Venue check-ins today"],
    list_inside: ["场内人员", "Inside now"],
    list_alerts: ["待处理告警", "Open alerts"],
    list_gates: ["闸机", "Gates"],
    list_denials: ["今日拒绝通行", "Denied today"],
    list_audit: ["审计日志", "Audit log"],
    list_attendees: ["参会人员", "Attendees"],
    list_security: ["安保告警", "Security alerts"],
    no_data: ["暂无数据", "No data yet"],
    no_rows: ["暂无记录", "Nothing yet"],
    list_waiting_detail: ["等待接站", "Waiting for pickup"],
    reassign: ["为未到乘客重新派车", "Reassign no-show riders"],
    reassigned: ["已派车 {0} 人，仍无车 {1} 人", "{0} got a car, {1} still without one"],
  };

  // Console words first, then the catalogue's event names.
  C.t = function (key, ...args) {
    return WORDS[key] ? S.t(WORDS[key], ...args) : S.event(key);
  };

  C.applyLang = function () { S.apply(); };
  S.onChange(() => {
    if (conn) setConn(...conn);
    if (lastAlerts) C.renderAlerts(...lastAlerts);
    if (lastList) C.openList(...lastList);
    const feed = document.getElementById("feed");
    if (feed) feed.querySelectorAll("li").forEach((li) => {
      li.querySelector(".what").textContent = C.describe(li.ev);
      li.firstChild.textContent = C.time(li.ev.at);
      li.querySelectorAll("[data-word]").forEach((b) => { b.textContent = C.t(b.dataset.word, ...JSON.parse(b.dataset.args || "[]")); });
    });
    document.dispatchEvent(new Event("console:lang"));
  });
  C.reason = (err) => S.reason(err.error || "validation_error");

  C.el = function (tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };

  C.time = (iso) => S.localTime(iso);

  // Staff pages use their session cookie (and CSRF header), never a device token.
  C.api = async function (path, options) {
    try {
      return await S.api(path, Object.assign({ token: "" }, options || {}));
    } catch (err) {
      if (err.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); }
      throw err;
    }
  };

  C.debounce = function (fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  };

  C.get = (obj, path) => path.split(".").reduce((o, k) => (o == null ? o : o[k]), obj);

  // Fill every [data-key] counter from a summary answer.
  C.fillCounters = function (summary) {
    document.querySelectorAll("[data-key]").forEach((el) => {
      const v = C.get(summary, el.dataset.key);
      el.textContent = v === undefined || v === null ? "–" : String(v);
    });
  };

  // Table rows from arrays of cells; an empty table says so in one row across its columns.
  C.fillTable = function (tbody, rows) {
    if (!rows.length) {
      const td = C.el("td", C.t("no_rows"), "muted empty");
      td.colSpan = (tbody.closest("table").querySelectorAll("thead th").length) || 1;
      const tr = document.createElement("tr");
      tr.appendChild(td);
      tbody.replaceChildren(tr);
      return;
    }
    tbody.replaceChildren(...rows.map((cells) => {
      const tr = document.createElement("tr");
      cells.forEach((c) => tr.appendChild(c instanceof Node ? wrapTd(c) : C.el("td", c)));
      return tr;
    }));
  };
  function wrapTd(node) { const td = document.createElement("td"); td.appendChild(node); return td; }

  // The list behind a number, in a modal dialog with its CSV link.
  C.openList = async function (name, params) {
    const dialog = document.getElementById("list-dialog");
    if (!dialog) return;
    const query = new URLSearchParams(params || {}).toString();
    const data = lastList && lastList[0] === name && lastList[1] === params && lastList[2]
      ? lastList[2] : await C.api(`/api/console/lists/${name}${query ? "?" + query : ""}`);
    lastList = [name, params, data];
    dialog.addEventListener("close", () => { lastList = null; }, { once: true });
    document.getElementById("list-title").textContent =
      `${C.t("list_" + name)} — ${C.t("rows", data.rows.length)}`;
    document.getElementById("list-csv").href = `/api/console/export/${name}.csv${query ? "?" + query : ""}`;
    const table = document.getElementById("list-table");
    const head = document.createElement("tr");
    data.columns.forEach((c) => head.appendChild(C.el("th", S.field(c))));
    table.tHead.replaceChildren(head);
    C.fillTable(table.tBodies[0], data.rows.map((row) => row.map((cell, i) => C.cell(data.columns[i], cell))));
    if (!dialog.open) dialog.showModal();
  };

  // A stored value in words: times local, reasons, stages, events and known values worded.
  C.cell = function (column, v) {
    if (typeof v !== "string") return S.show(v);
    if (column === "reason") return S.word("alert", v) || S.reason(v); // staff words first
    if (column === "stage") return S.stage(v);
    if (column === "kind" || column === "event") return S.word("alert", v) || S.event(v);
    if (column === "action") return S.event(v);
    if (column === "actor") return C.actor(v);
    return S.show(v);
  };

  // Who did something, for people: "device:172" -> "设备 172", "staff:ann" -> "ann".
  C.actor = function (actor) {
    if (!actor) return "";
    const [kind, rest] = actor.includes(":") ? actor.split(/:(.*)/s) : ["", actor];
    const KINDS = { device: ["设备", "Device"], staff: ["工作人员", "Staff"], admin: ["管理员", "Admin"],
      driver: ["司机", "Driver"], system: ["系统", "System"], phone: ["手机", "Phone"], security: ["安保", "Security"] };
    if (!kind) return KINDS[actor] ? S.t(KINDS[actor]) : actor;
    return KINDS[kind] ? `${S.t(KINDS[kind])} ${rest}` : actor;
  };

  C.wireLists = function () {
    document.querySelectorAll("[data-list]").forEach((btn) => {
      btn.addEventListener("click", () => C.openList(btn.dataset.list, btn.dataset.params ? JSON.parse(btn.dataset.params) : {}));
    });
    const close = document.getElementById("list-close");
    if (close) close.addEventListener("click", () => document.getElementById("list-dialog").close());
  };

  // Alerts: the list is always re-read from the server, so it matches the database.
  C.renderAlerts = function (alerts, onAcked) {
    lastAlerts = [alerts, onAcked];
    const list = document.getElementById("alerts");
    list.replaceChildren(...alerts.map((a) => {
      const li = C.el("li", null, "alert " + a.severity);
      li.dataset.id = a.id;
      li.dataset.kind = a.kind;
      const text = C.el("div", null, "text");
      text.append(C.el("strong", S.alertTitle(a)), " ", C.el("span", S.alertText(a), "msg"));
      li.append(C.el("time", C.time(a.at)), text);
      const btn = C.el("button", C.t("ack"), "ack");
      btn.type = "button";
      btn.setAttribute("aria-label", `${C.t("ack")}: ${S.alertTitle(a)} ${S.alertText(a)}`);
      btn.addEventListener("click", async () => {
        btn.disabled = true;
        try { await C.api(`/api/console/alerts/${a.id}/ack`, { method: "POST" }); }
        catch (err) { if (err.error !== "already_acknowledged") { btn.disabled = false; return; } }
        lastAlerts[0] = lastAlerts[0].filter((x) => x.id !== a.id);
        li.remove();
        onAcked();
      });
      li.appendChild(btn);
      return li;
    }));
    document.getElementById("no-alerts").hidden = alerts.length > 0;
  };

  // Per event kind, a page may add controls to its feed line: fn(li, ev).
  C.feedActions = {};
  // [riders who got a trip, riders still without one] of a reassignment answer or event.
  C.reassignCounts = (d) => [d.riders.filter((r) => r.trip_id).length, d.riders.filter((r) => !r.trip_id).length];

  // One line of the live feed, made only of text nodes.
  C.describe = function (ev) {
    const d = ev.data || {};
    const zone = S.lang() === "zh" ? d.zone_name_zh : d.zone_name_en;
    const isAlert = ev.event === "alert_raised";
    const bits = [
      d.name || (d.attendee && d.attendee.name), d.gate_code || d.gate, zone,
      d.stage && S.stage(d.stage), d.number, d.trip && d.trip.id && "#" + d.trip.id,
      d.trip_id && "#" + d.trip_id,
      Array.isArray(d.riders) && C.t("reassigned", ...C.reassignCounts(d)),
      d.trip && d.trip.state && S.word("value", d.trip.state),
      isAlert ? S.alertTitle(d) : d.kind && S.word("alert", d.kind),
      isAlert ? S.alertText(d) : null,
      ev.event !== "gate_passed" && d.reason && (S.word("alert", d.reason) || S.reason(d.reason)),
    ].filter((v) => v !== undefined && v !== null && v !== "" && v !== false && typeof v !== "object");
    return `${C.t(ev.event)} ${bits.join(" · ")}`.trim();
  };

  C.addToFeed = function (ev) {
    const feed = document.getElementById("feed");
    const li = C.el("li", null, "ev " + ev.event);
    li.dataset.seq = ev.seq;
    li.ev = ev;
    li.append(C.el("time", C.time(ev.at)), C.el("span", C.describe(ev), "what"));
    if (C.feedActions[ev.event]) C.feedActions[ev.event](li, ev);
    // Newest first; catch-up can deliver older events after newer ones.
    const after = Array.from(feed.children).find((x) => Number(x.dataset.seq) < ev.seq);
    feed.insertBefore(li, after || null);
    while (feed.children.length > 200) feed.lastElementChild.remove();
    const seqEl = document.getElementById("seq");
    if (seqEl) seqEl.textContent = "#" + C.lastSeq;
  };

  function setConn(state, note) {
    const el = document.getElementById("conn");
    if (!el) return;
    conn = [state, note];
    el.dataset.state = state;
    el.className = "conn " + state;
    const words = note && note.count ? C.t("caught", note.count) : note;
    el.textContent = "● " + C.t(state) + (words ? " · " + words : "");
  }

  // Connect to /live; every event is handled once, in any order, and after a reconnect the
  // server replays what this page missed (catch_up after the highest sequence seen).
  C.startLive = function (startSeq, onEvent) {
    C.lastSeq = startSeq;
    const seen = new Set();
    const socket = io("/live", { reconnectionDelay: 300, reconnectionDelayMax: 2000 });
    socket.on("connect", () => { setConn("on"); socket.emit("catch_up", { after: C.lastSeq }); });
    socket.on("disconnect", () => setConn("off"));
    socket.on("connect_error", () => setConn("off"));
    socket.on("caught_up", (m) => { setConn("on", m.count ? C.t("caught", m.count) : ""); conn = ["on", m.count ? { count: m.count } : ""]; });
    socket.on("event", (ev) => {
      if (typeof ev.seq !== "number" || seen.has(ev.seq) || ev.seq <= startSeq) return;
      seen.add(ev.seq);
      C.lastSeq = Math.max(C.lastSeq, ev.seq);
      onEvent(ev);
    });
    C.socket = socket;
    return socket;
  };

  C.boot = function () {
    const out = document.getElementById("logout");
    if (out) out.addEventListener("click", async () => {
      await C.api("/api/auth/logout", { method: "POST" }).catch(() => null);
      location.href = "/login";
    });
  };
})();
