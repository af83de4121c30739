"""Small server-side SVG bar charts (no JavaScript, no CDN), escaped by construction."""

from __future__ import annotations

from html import escape

from markupsafe import Markup


def bar_chart(series: dict[str, float], title: str, unit: str = "", width: int = 640) -> Markup:
    """A horizontal bar chart of label -> value as inline SVG."""
    if not series:
        return Markup(f"<p class='empty'>{escape(title)}: —</p>")
    row, label_w = 18, 130
    top = max(series.values()) or 1
    height = row * len(series) + 30
    bars = []
    for i, (label, value) in enumerate(series.items()):
        y = 24 + i * row
        w = (width - label_w - 70) * value / top
        bars.append(
            f"<text x='{label_w - 6}' y='{y + 12}' text-anchor='end'>{escape(str(label))}</text>"
            f"<rect x='{label_w}' y='{y}' width='{w:.1f}' height='{row - 4}'></rect>"
            f"<text x='{label_w + w + 4:.1f}' y='{y + 12}'>{value:g}{escape(unit)}</text>"
        )
    return Markup(
        f"<svg class='chart' role='img' aria-label='{escape(title)}' "
        f"viewBox='0 0 {width} {height}' "
        f"width='{width}' height='{height}'><text x='0' y='14' class='title'>{escape(title)}</text>"
        + "".join(bars)
        + "</svg>"
    )
