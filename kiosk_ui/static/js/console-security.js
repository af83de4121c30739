// The security view: security alerts to acknowledge, denials per gate, and the security feed.
(function () {
  "use strict";
  const C = window.SummitConsole;
  const SECURITY_EVENTS = ["gate_denied", "watchlist_hit", "watchlist_changed", "liveness_failed",
    "alert_raised", "alert_acknowledged", "spoof_suspected", "code_replayed"];

  async function refresh() {
    const [summary, denials, alerts] = await Promise.all([
      C.api("/api/console/summary"),
      C.api("/api/console/lists/denials"),
      C.api("/api/console/alerts?security=1"),
    ]);
    C.fillCounters(summary);
    document.getElementById("denied-total").textContent = String(denials.rows.length);
    C.fillTable(document.querySelector("#gates tbody"),
      summary.venue.gates.map((g) => [`${g.code} ${g.name}`, g.today, g.denied_today]));
    C.fillTable(document.querySelector("#denials tbody"), denials.rows.slice(0, 100));
    C.renderAlerts(alerts.alerts, refreshSoon);
  }
  const refreshSoon = C.debounce(refresh, 120);

  function onEvent(ev) {
    if (SECURITY_EVENTS.includes(ev.event) || ev.event.startsWith("gate_")) C.addToFeed(ev);
    refreshSoon();
  }

  async function start() {
    C.boot();
    C.wireLists();
    const recent = await C.api("/api/console/events?limit=200");
    recent.events.filter((e) => SECURITY_EVENTS.includes(e.event) || e.event.startsWith("gate_"))
      .forEach(C.addToFeed);
    C.lastSeq = recent.seq;
    C.startLive(recent.seq, onEvent);
    C.socket.on("caught_up", refreshSoon);
    await refresh();
    setInterval(refresh, 30000);
    document.body.dataset.ready = "1";
  }

  start();
})();
