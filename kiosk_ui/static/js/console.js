// The main console screen: counters, venue, charts, alerts, search and the live feed.
// On every live event the feed updates at once and the counters are re-read (debounced) from
// /api/console/summary, so what the screen shows is always what the database holds.
(function () {
  "use strict";
  const C = window.SummitConsole;
  let last = null;

  function zoneName(z) { return C.lang === "zh" ? z.name_zh : z.name_en; }

  function renderVenue(venue) {
    C.fillTable(document.querySelector("#zones tbody"), venue.zones.map((z) => {
      const b = C.el("button", zoneName(z), "link");
      b.type = "button";
      b.addEventListener("click", () => C.openList("inside", { zone: z.id }));
      return [b, z.capacity ? `${z.inside} / ${z.capacity}` : z.inside, C.charts.meter(z.inside, z.capacity)];
    }));
    C.fillTable(document.querySelector("#gates tbody"), venue.gates.filter((g) => g.zone_id !== null).map((g) => {
      const name = C.el("span", g.code, g.queue ? "warn" : "");
      name.title = g.name;
      return [name, g.last_minute, g.per_minute, g.today, g.denied_today];
    }));
    const warnings = document.getElementById("warnings");
    warnings.replaceChildren(...venue.warnings.map((w) => C.el("li",
      w.kind === "queue" ? C.t("queue", w.gate, w.per_minute) : C.t("zone_full", w.zone, w.inside, w.capacity),
      "warn")));
  }

  function renderCharts(summary) {
    const hours = summary.charts.arrivals_by_hour;
    C.charts.bars(document.getElementById("chart-arrivals"), hours.map((h) => h.hour), [
      { values: hours.map((h) => h.planned), color: "#51627f" },
      { values: hours.map((h) => h.landed), color: "#7ee2a8" },
    ]);
    const tp = summary.charts.throughput;
    const busiest = Object.entries(tp.gates)
      .map(([name, values]) => ({ name, values, total: values.reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.total - a.total).slice(0, 5);
    C.charts.lines(document.getElementById("chart-throughput"), tp.minutes, busiest);
  }

  function render(summary) {
    last = summary;
    C.fillCounters(summary);
    const wait = summary.arrivals.longest_wait_min;
    document.getElementById("longest-wait").textContent = summary.arrivals.waiting ? C.t("longest", wait) : "";
    document.getElementById("n-alerts").classList.toggle("hot", summary.alerts.open > 0);
    renderVenue(summary.venue);
    renderCharts(summary);
    document.body.dataset.summarySeq = summary.seq;
  }

  async function refresh() {
    const summary = await C.api("/api/console/summary");
    // Two refreshes can overlap; never let the older answer overwrite the newer one.
    if (!last || summary.seq >= last.seq) render(summary);
  }
  async function refreshAlerts() {
    const data = await C.api("/api/console/alerts");
    C.renderAlerts(data.alerts, refreshSoon);
  }
  const refreshSoon = C.debounce(refresh, 120);
  const alertsSoon = C.debounce(refreshAlerts, 120);

  async function search(ev) {
    ev.preventDefault();
    const q = document.getElementById("q").value.trim();
    const msg = document.getElementById("search-msg");
    const table = document.getElementById("results");
    try {
      const data = await C.api("/api/attendees?q=" + encodeURIComponent(q));
      C.fillTable(table.tBodies[0], data.results.map((a) => {
        const link = C.el("a", a.name);
        link.href = "/console/attendees/" + a.id;
        return [a.ref, link, a.organisation, a.id_number];
      }));
      table.hidden = data.results.length === 0;
      msg.textContent = data.results.length ? C.t("found", data.results.length) : C.t("none");
      const csv = document.getElementById("search-csv");
      csv.href = "/api/console/export/attendees.csv?q=" + encodeURIComponent(q);
      csv.hidden = false;
    } catch (err) {
      msg.textContent = C.reason(err);
      table.hidden = true;
    }
  }

  // A trip its driver closed because nobody came: staff plan its riders again from here.
  function wordEl(tag, word, args, cls) {
    const e = C.el(tag, C.t(word, ...args), cls);
    e.dataset.word = word;
    e.dataset.args = JSON.stringify(args);
    return e;
  }
  function showReassigned(li, d) {
    const done = wordEl("span", "reassigned", C.reassignCounts(d), "done");
    li.querySelectorAll("button.reassign").forEach((b) => b.remove());
    if (!li.querySelector(".done")) li.appendChild(done);
  }
  C.feedActions.trip_closed_no_show = function (li, ev) {
    const tripId = ev.data && ev.data.trip_id;
    if (!tripId || C.role === "security") return;
    li.dataset.trip = tripId;
    const btn = wordEl("button", "reassign", [], "reassign");
    btn.type = "button";
    const note = C.el("span", "", "note");
    note.setAttribute("role", "status");
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      note.textContent = "";
      try {
        showReassigned(li, await C.api(`/api/console/trips/${tripId}/reassign`, { method: "POST" }));
      } catch (err) {
        note.textContent = C.reason(err);
        btn.disabled = err.error === "no_no_shows";
      }
    });
    li.append(btn, note);
  };
  C.feedActions.trip_no_shows_reassigned = function (li, ev) {
    const closed = document.querySelector(`#feed li.trip_closed_no_show[data-trip="${Number(ev.data.trip_id)}"]`);
    if (closed) showReassigned(closed, ev.data);
  };

  function onEvent(ev) {
    C.addToFeed(ev);
    if (ev.event.startsWith("alert_")) alertsSoon();
    refreshSoon();
  }

  async function start() {
    C.boot();
    C.wireLists();
    document.getElementById("search").addEventListener("submit", search);
    document.addEventListener("keydown", (e) => {
      if (e.key === "/" && document.activeElement.tagName !== "INPUT") { e.preventDefault(); document.getElementById("q").focus(); }
    });
    document.addEventListener("console:lang", () => { if (last) render(last); });
    window.addEventListener("resize", C.debounce(() => { if (last) renderCharts(last); }, 200));
    const recent = await C.api("/api/console/events?limit=60");
    C.lastSeq = recent.seq;
    recent.events.forEach(C.addToFeed);
    C.startLive(recent.seq, onEvent);
    C.socket.on("caught_up", () => { refreshSoon(); alertsSoon(); });
    await Promise.all([refresh(), refreshAlerts()]);
    // Time moves on even when nothing happens: waits grow and per-minute rates decay.
    setInterval(refresh, 30000);
    document.body.dataset.ready = "1";
  }

  start();
})();
