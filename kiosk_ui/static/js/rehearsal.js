// The rehearsal page: while a rehearsal runs (the server's clock is simulated), its running
// figures (the console's counters, read from the database) every 2 seconds, with the
// simulated time and speed; the reports of finished runs are below.
(function () {
  "use strict";
  const S = window.Summit;
  let clock = null;
  const paintClock = () => {
    if (clock) document.getElementById("live-clock").textContent = `${S.localDateTime(clock.now)} · ${clock.speed}×`;
  };
  async function tick() {
    try {
      clock = await S.api("/api/rehearsal/clock", { token: "" });
      if (!clock.simulated) return;
      const summary = await S.api("/api/console/summary", { token: "" });
      document.querySelectorAll("#live [data-key]").forEach((el) => {
        const v = el.dataset.key.split(".").reduce((o, k) => (o == null ? o : o[k]), summary);
        el.textContent = v === undefined || v === null ? "–" : String(v);
      });
      document.getElementById("live").hidden = false;
      paintClock();
      setTimeout(tick, 2000);
    } catch (err) { /* not signed in or offline: the reports below still show */ }
  }
  S.onChange(paintClock);
  tick().finally(() => { document.body.dataset.ready = "1"; });
})();
