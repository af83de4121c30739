// The security view: security alerts to acknowledge, denials per gate, and the security feed.
(function () {
  "use strict";
  const C = window.SummitConsole;
  const SECURITY_EVENTS = ["gate_denied", "watchlist_hit", "watchlist_changed", "liveness_failed",
    "gate_override", "gate_pass_undone"];
  // Security staff also receive every console event; their feed keeps the security ones.
  const isSecurity = (ev) => SECURITY_EVENTS.includes(ev.event) ||
    (ev.event === "alert_raised" && ev.data && ev.data.security === true);

  async function refresh() {
    const [summary, denials, alerts] = await Promise.all([
      C.api("/api/console/summary"),
      C.api("/api/console/lists/denials"),
      C.api("/api/console/alerts?security=1"),
    ]);
    C.fillCounters(summary);
    document.getElementById("denied-total").textContent = String(denials.rows.length);
    C.fillTable(document.querySelector("#gates tbody"),
      summary.venue.gates.filter((g) => g.today || g.denied_today).map((g) => {
        const name = C.el("span", g.code, g.denied_today ? "warn" : "");
        name.title = g.name;
        return [name, g.today, g.denied_today];
      }));
    C.fillTable(document.querySelector("#denials tbody"), denials.rows.slice(0, 100)
      .map((row) => row.map((cell, i) => C.cell(denials.columns[i], cell))));
    C.renderAlerts(alerts.alerts, refreshSoon);
  }
  const refreshSoon = C.debounce(refresh, 120);

  function onEvent(ev) {
    if (isSecurity(ev)) C.addToFeed(ev);
    refreshSoon();
  }

  async function start() {
    C.boot();
    C.wireLists();
    const recent = await C.api("/api/console/events?limit=200");
    C.lastSeq = recent.seq;
    recent.events.filter(isSecurity).forEach(C.addToFeed);
    C.startLive(recent.seq, onEvent);
    C.socket.on("caught_up", refreshSoon);
    await refresh();
    window.Summit.onChange(refreshSoon);
    setInterval(refresh, 30000);
    document.body.dataset.ready = "1";
  }

  start();
})();
