// Small charts drawn by hand (no chart library, nothing from a CDN): grouped bars and lines
// on canvas, SVG meters in table cells. Each call sizes the canvas to its box and the screen's pixel ratio.
(function () {
  "use strict";
  const C = window.SummitConsole;
  const PALETTE = ["#4da3ff", "#ffb347", "#7ee2a8", "#ff7b9c", "#c59bff", "#ffe066", "#5fd4d4"];
  const INK = "#c8d3e6";
  const GRID = "#2c3b57";

  function prepare(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.parentElement.clientWidth || 300;
    const height = Number(canvas.getAttribute("height")) || 150;
    canvas.style.height = height + "px";
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "12px system-ui, sans-serif";
    return { ctx, width, height };
  }

  function axis(ctx, box, max) {
    ctx.strokeStyle = GRID;
    ctx.fillStyle = INK;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const steps = Math.min(4, max);
    for (let i = 0; i <= steps; i++) {
      const v = Math.round((max * i) / steps);
      const y = box.bottom - ((box.bottom - box.top) * v) / max;
      ctx.beginPath(); ctx.moveTo(box.left, y); ctx.lineTo(box.right, y); ctx.stroke();
      ctx.fillText(String(v), box.left - 4, y);
    }
  }

  function xLabels(ctx, box, labels, every) {
    ctx.fillStyle = INK;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const slot = (box.right - box.left) / labels.length;
    labels.forEach((l, i) => {
      if (i % every === 0) ctx.fillText(String(l), box.left + slot * (i + 0.5), box.bottom + 4);
    });
  }

  // Nothing to draw yet: say so instead of bare axes.
  function empty(ctx, width, height, series) {
    if (series.some((s) => s.values.some((v) => v > 0))) return false;
    ctx.fillStyle = INK;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.font = "14px system-ui, sans-serif";
    ctx.fillText(C.t("no_data"), width / 2, height / 2);
    return true;
  }

  function frame(width, height) {
    return { left: 34, right: width - 8, top: 8, bottom: height - 20 };
  }

  // Grouped bars: labels along x, one bar per series in each group.
  function bars(canvas, labels, series) {
    const { ctx, width, height } = prepare(canvas);
    canvas.dataset.empty = empty(ctx, width, height, series) ? "1" : "";
    if (canvas.dataset.empty) return;
    const box = frame(width, height);
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    axis(ctx, box, max);
    const slot = (box.right - box.left) / labels.length;
    const barW = Math.max(1, (slot * 0.8) / series.length);
    series.forEach((s, si) => {
      ctx.fillStyle = s.color || PALETTE[si % PALETTE.length];
      s.values.forEach((v, i) => {
        const h = ((box.bottom - box.top) * v) / max;
        ctx.fillRect(box.left + slot * i + slot * 0.1 + barW * si, box.bottom - h, barW - 1, h);
      });
    });
    xLabels(ctx, box, labels, Math.ceil(labels.length / Math.max(1, Math.floor(width / 40))));
  }

  // One line per series with a legend of the series names.
  function lines(canvas, labels, series) {
    const { ctx, width, height } = prepare(canvas);
    canvas.dataset.empty = empty(ctx, width, height, series) ? "1" : "";
    if (canvas.dataset.empty) return;
    const box = frame(width, height);
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    axis(ctx, box, max);
    const slot = (box.right - box.left) / Math.max(1, labels.length);
    let legendX = 0;
    series.forEach((s, si) => {
      const color = PALETTE[si % PALETTE.length];
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      s.values.forEach((v, i) => {
        const x = box.left + slot * (i + 0.5);
        const y = box.bottom - ((box.bottom - box.top) * v) / max;
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.stroke();
      ctx.lineWidth = 1;
      ctx.fillStyle = color;
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillText(s.name, box.left + 6 + legendX, box.top);
      legendX += ctx.measureText(s.name).width + 14;
    });
    xLabels(ctx, box, labels, Math.ceil(labels.length / Math.max(1, Math.floor(width / 50))));
  }

  // A small SVG meter for a table cell: share of capacity, coloured by how full it is.
  function meter(value, max) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 100 10");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("class", "meter");
    const share = max ? Math.min(1, value / max) : 0;
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", max ? `${Math.round(share * 100)}%` : String(value));
    const back = document.createElementNS(NS, "rect");
    back.setAttribute("width", "100"); back.setAttribute("height", "10"); back.setAttribute("fill", GRID);
    const bar = document.createElementNS(NS, "rect");
    bar.setAttribute("width", String(share * 100)); bar.setAttribute("height", "10");
    bar.setAttribute("fill", share >= 0.9 ? "#ff7b7b" : share >= 0.7 ? "#ffb347" : "#4da3ff");
    svg.append(back, bar);
    return svg;
  }

  C.charts = { bars, lines, meter, PALETTE };
})();
