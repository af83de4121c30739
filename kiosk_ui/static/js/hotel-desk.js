// Staff hotel desk: occupancy per hotel for a night, guest lists, pre-assignment and no-show
// release; refreshed whenever a hotel event or alert arrives on /live. Uses SummitConsole.
(function () {
  "use strict";
  const C = window.SummitConsole;
  const $ = (id) => document.getElementById(id);
  const seq = Number((document.querySelector('meta[name="hotel-seq"]') || {}).content || 0);
  let current = null; // { id, code } of the hotel whose list is open
  let list = "arrivals";
  const canWrite = C.role === "admin" || C.role === "staff";
  const NAMES = {
    arrivals: ["今晚到店", "Arrivals"], unassigned: ["未分房", "Unassigned"],
    no_shows: ["未到", "No-shows"], in_house: ["在住", "In house"],
    reserved: ["已预订", "Reserved"], checked_in: ["已入住", "Checked in"],
    checked_out: ["已退房", "Checked out"], no_show: ["未到", "No-show"], cancelled: ["已取消", "Cancelled"],
  };
  const word = (key) => (NAMES[key] ? NAMES[key][C.lang === "zh" ? 0 : 1] : key);
  const tonight = () => {
    const now = new Date(Date.now() + 8 * 3600 * 1000 - 6 * 3600 * 1000); // Shanghai, night from 06:00
    return now.toISOString().slice(0, 10);
  };

  function note(text, bad) { $("hotel-status").textContent = text || ""; $("hotel-status").className = bad ? "err" : "ok"; }

  async function loadOccupancy() {
    const data = await C.api(`/api/hotel/occupancy?night=${encodeURIComponent($("night").value)}`);
    const tbody = document.querySelector("#occupancy tbody");
    C.fillTable(tbody, data.hotels.map((h) => {
      const name = C.el("button", C.lang === "zh" ? h.hotel.name_zh : h.hotel.name_en, "link");
      name.addEventListener("click", () => { current = h.hotel; loadGuests(); });
      return [name, h.rooms, h.allotment, h.assigned, h.guests_in, h.arrivals_expected,
        h.arrivals_checked_in, h.unassigned, h.no_shows, h.short];
    }));
    tbody.querySelectorAll("tr").forEach((tr, i) => {
      if (data.hotels[i].short > 0) tr.lastChild.className = "short";
    });
    if (current) await loadGuests();
  }

  async function loadGuests() {
    $("guests-panel").hidden = false;
    $("guests-title").textContent = `${C.lang === "zh" ? current.name_zh : current.name_en} · ${word(list)}`;
    const night = encodeURIComponent($("night").value);
    const data = await C.api(`/api/hotel/hotels/${current.id}/guests?list=${list}&night=${night}`);
    C.fillTable(document.querySelector("#guests tbody"), data.guests.map((g) => [
      g.name, g.category, g.room_type, g.room || "—", word(g.state),
      `${g.check_in_date} → ${g.check_out_date}`, actionFor(g),
    ]));
  }

  function actionFor(g) {
    if (!canWrite || g.state !== "reserved" || g.room) return "";
    const b = C.el("button", C.lang === "zh" ? "分配房间" : "Assign room");
    b.addEventListener("click", async () => {
      try {
        const r = await C.api(`/api/hotel/stays/${g.stay_id}/assign`, { method: "POST", json: {} });
        note(`${r.name} → ${r.room}`);
      } catch (e) { note(`${e.error}: ${e.message}`, true); }
      refresh();
    });
    return b;
  }

  const refresh = C.debounce(() => loadOccupancy().catch((e) => note(e.message, true)), 400);

  function boot() {
    C.boot();
    $("night").value = tonight();
    $("night").addEventListener("change", refresh);
    document.querySelectorAll("#guests-panel [data-list]").forEach((b) => b.addEventListener("click", () => {
      list = b.dataset.list; loadGuests().catch((e) => note(e.message, true));
    }));
    const release = $("release");
    if (release) release.addEventListener("click", async () => {
      try {
        const r = await C.api("/api/hotel/no-shows/release", { method: "POST", json: {} });
        note(C.lang === "zh" ? `已释放 ${r.released} 个未到预订` : `${r.released} no-shows released`);
      } catch (e) { note(`${e.error}: ${e.message}`, true); }
      refresh();
    });
    document.addEventListener("console:lang", refresh);
    C.startLive(seq, (ev) => {
      if (ev.event.startsWith("hotel_") || ev.event === "alert_raised") refresh();
    });
    refresh();
  }

  boot();
})();
