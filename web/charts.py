"""Server-rendered SVG charts for the dashboard: no JavaScript, readable without colour alone.

Each function returns an SVG string built from numbers only (labels are escaped), which the
template marks safe. Sizes are in SVG user units; the SVG scales to its container.
"""

from __future__ import annotations

from datetime import date
from html import escape

from markupsafe import Markup

from . import settings

WIDTH, HEIGHT, MARGIN = 640, 220, 36
STATUS_COLOURS = {
    "new": "#d9822b",
    "confirmed": "#c23030",
    "dismissed": "#8a9ba8",
    "takedown_sent": "#2b95d6",
    "removed": "#0f9960",
    "reappeared": "#a82255",
}


def _svg(body: str, height: int = HEIGHT, label: str = "") -> Markup:
    return Markup(
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" class="chart">{body}</svg>'
    )


def _empty(label: str) -> Markup:
    return _svg(
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">nothing yet</text>', label=label
    )


def stacked_days(per_day: dict[date, dict[str, int]], statuses: tuple[str, ...]) -> Markup:
    """Copies found per day (by first seen), one stacked bar per day, a segment per status."""
    label = "Copies found per day by status"
    days = sorted(per_day)[-settings.CHART_MAX_DAYS :]
    if not days:
        return _empty(label)
    top = max(sum(per_day[day].values()) for day in days) or 1
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    bar_w = plot_w / len(days)
    parts = [_axis(top, plot_h)]
    for i, day in enumerate(days):
        y: float = HEIGHT - MARGIN
        for status in statuses:
            count = per_day[day].get(status, 0)
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            parts.append(
                f'<rect x="{MARGIN + i * bar_w:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{STATUS_COLOURS.get(status, "#666")}"><title>{day} {escape(status)}: {count}</title></rect>'
            )
    parts.append(_day_labels(days))
    legend = "".join(
        f'<rect x="{MARGIN + j * 100}" y="4" width="10" height="10" fill="{STATUS_COLOURS[s]}"/>'
        f'<text x="{MARGIN + j * 100 + 14}" y="13" font-size="10">{s}</text>'
        for j, s in enumerate(statuses)
    )
    return _svg("".join(parts) + legend, label=label)


def cumulative_line(per_day: dict[date, int]) -> Markup:
    """Records exposed over time: the running total of records first exposed each day."""
    label = "Records exposed over time"
    days = sorted(per_day)
    if not days:
        return _empty(label)
    totals, running = [], 0
    for day in days:
        running += per_day[day]
        totals.append(running)
    days, totals = days[-settings.CHART_MAX_DAYS :], totals[-settings.CHART_MAX_DAYS :]
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    top = max(totals) or 1
    step = plot_w / max(len(days) - 1, 1)
    points = " ".join(
        f"{MARGIN + i * step:.1f},{HEIGHT - MARGIN - plot_h * total / top:.1f}"
        for i, total in enumerate(totals)
    )
    body = (
        _axis(top, plot_h)
        + f'<polyline points="{points}" fill="none" stroke="#c23030" stroke-width="2"/>'
        + _day_labels(days)
    )
    return _svg(body, label=label)


def horizontal_bars(values: dict[str, float], unit: str) -> Markup:
    """One bar per name (host or source), largest first: e.g. median days to removal."""
    label = f"Median {unit} from first seen to removed"
    items = sorted(values.items(), key=lambda item: -item[1])[: settings.CHART_MAX_BARS]
    if not items:
        return _empty(label)
    row_h, name_w = 18, 200
    height = row_h * len(items) + 10
    top = max(value for _, value in items) or 1
    parts = []
    for i, (name, value) in enumerate(items):
        y = 5 + i * row_h
        w = (WIDTH - name_w - 80) * value / top
        parts.append(
            f'<text x="{name_w - 6}" y="{y + 12}" text-anchor="end" font-size="11">{escape(name[:32])}</text>'
            f'<rect x="{name_w}" y="{y}" width="{w:.1f}" height="{row_h - 4}" fill="#2b95d6"/>'
            f'<text x="{name_w + w + 4:.1f}" y="{y + 12}" font-size="11">{value:.1f} {escape(unit)}</text>'
        )
    return _svg("".join(parts), height=height, label=label)


def _axis(top: float, plot_h: float) -> str:
    return (
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#999"/>'
        f'<text x="{MARGIN - 4}" y="{MARGIN + 4}" text-anchor="end" font-size="10">{top:g}</text>'
        f'<text x="{MARGIN - 4}" y="{HEIGHT - MARGIN}" text-anchor="end" font-size="10">0</text>'
    )


def _day_labels(days: list[date]) -> str:
    first, last = days[0].isoformat(), days[-1].isoformat()
    return (
        f'<text x="{MARGIN}" y="{HEIGHT - MARGIN + 14}" font-size="10">{first}</text>'
        f'<text x="{WIDTH - MARGIN}" y="{HEIGHT - MARGIN + 14}" text-anchor="end" font-size="10">{last}</text>'
    )
