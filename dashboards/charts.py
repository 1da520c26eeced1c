"""Server-side SVG charts: no JavaScript, no external assets, readable offline and on a phone.

Every chart is a self-contained ``<svg>`` string with a ``viewBox`` (it scales with its box), a
``<title>`` and ``aria-label`` for screen readers, and nothing computed from user text except
escaped labels. Degenerate input (no values, one value, all values equal, a target of zero) draws
a sensible picture instead of dividing by zero.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dashboards.formatting import format_number

if TYPE_CHECKING:
    from dashboards.indicators import IndicatorStatus
    from dashboards.selectors import Spread

GREEN, RED, BLUE, GREY, AMBER = "#1f8a4c", "#c0392b", "#1d5fa8", "#9aa3ae", "#b7791f"


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, label: str, body: str, css_class: str) -> SafeString:
    label = escape(label)
    return mark_safe(  # noqa: S308 - every interpolated text is escaped above or below
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet"><title>{label}</title>{body}</svg>'
    )


def _range(numbers: Sequence[float]) -> tuple[float, float]:
    low, high = min(numbers), max(numbers)
    if high - low < 1e-9:
        pad = abs(high) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.12
    return low - pad, high + pad


def _met_colour(met: bool | None) -> str:
    return GREY if met is None else GREEN if met else RED


# --- indicators ---------------------------------------------------------------------------------


def sparkline(status: IndicatorStatus, width: int = 120, height: int = 32) -> SafeString:
    """Readings over time as a small line, the target as a dashed line, the latest point coloured."""
    values = [float(r.value) for r in status.readings]
    if not values:
        return mark_safe("")
    target = float(status.indicator.target)
    low, high = _range([*values, target])
    pad = 4

    def y(v: float) -> float:
        return height - pad - (v - low) / (high - low) * (height - 2 * pad)

    step = (width - 2 * pad) / max(1, len(values) - 1)
    points = [(pad + i * step if len(values) > 1 else width / 2, y(v)) for i, v in enumerate(values)]
    body = (
        f'<line x1="0" x2="{width}" y1="{_f(y(target))}" y2="{_f(y(target))}" stroke="{GREY}" stroke-dasharray="3 3"/>'
    )
    if len(points) > 1:
        path = " ".join(f"{_f(px)},{_f(py)}" for px, py in points)
        body += f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="1.8"/>'
    lx, ly = points[-1]
    body += f'<circle cx="{_f(lx)}" cy="{_f(ly)}" r="3.2" fill="{_met_colour(status.met)}"/>'
    label = f"{status.indicator.name}:{len(values)} 次上报，最新 {format_number(values[-1])}{status.indicator.unit}"
    return _svg(width, height, label, body, "chart-spark")


def indicator_history(status: IndicatorStatus, width: int = 360, height: int = 190) -> SafeString:
    """The readings on a time axis with the target line; each point carries its date and value."""
    readings = status.readings
    ind = status.indicator
    if not readings:
        return mark_safe("")
    target = float(ind.target)
    values = [float(r.value) for r in readings]
    low, high = _range([*values, target])
    left, right, top, bottom = 58, 12, 12, 28
    first, last = readings[0].measured_on, readings[-1].measured_on
    days = max(1, (last - first).days)

    def x(day: datetime.date) -> float:
        if first == last:
            return left + (width - left - right) / 2
        return left + (day - first).days / days * (width - left - right)

    def y(v: float) -> float:
        return top + (high - v) / (high - low) * (height - top - bottom)

    ty = y(target)
    body = [
        f'<line x1="{left}" x2="{width - right}" y1="{_f(height - bottom)}" y2="{_f(height - bottom)}" stroke="#d5dae1"/>',
        f'<line x1="{left}" x2="{width - right}" y1="{_f(ty)}" y2="{_f(ty)}" stroke="{AMBER}" stroke-dasharray="5 4"/>',
        f'<text x="{left - 4}" y="{_f(ty + 4)}" text-anchor="end" class="t-target">目标</text>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{escape(format_number(high, 2))}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end">{escape(format_number(low, 2))}</text>',
        f'<text x="{left}" y="{height - 8}">{first:%Y-%m-%d}</text>',
    ]
    if last != first:
        body.append(f'<text x="{width - right}" y="{height - 8}" text-anchor="end">{last:%Y-%m-%d}</text>')
    if len(readings) > 1:
        path = " ".join(f"{_f(x(r.measured_on))},{_f(y(float(r.value)))}" for r in readings)
        body.append(f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
    for r in readings:
        met = ind.is_met_by(r.value)
        tip = escape(f"{r.measured_on:%Y-%m-%d}:{format_number(r.value)}{ind.unit}({'达标' if met else '未达标'})")
        body.append(
            f'<circle cx="{_f(x(r.measured_on))}" cy="{_f(y(float(r.value)))}" r="4" fill="{_met_colour(met)}">'
            f"<title>{tip}</title></circle>"
        )
    label = f"{ind.name} 历次上报（{len(readings)} 次），目标 {status.target_text}"
    return _svg(width, height, label, "".join(body), "chart-history")


# --- county -------------------------------------------------------------------------------------


def spread_histogram(spread: Spread, width: int = 360, height: int = 120, bins: int = 12) -> SafeString:
    """Latest values of one indicator across schools: a histogram split into met (green) and not met
    (red), the target as a dashed line, ticks at min / median / max."""
    values = spread.values
    if not values:
        return mark_safe("")
    numbers = [float(v) for v, _ in values]
    anchors = numbers + ([float(spread.target)] if spread.target is not None else [])
    low, high = min(anchors), max(anchors)
    if high - low < 1e-9:
        low, high = _range([low])
    left, right, top, bottom = 8, 8, 10, 12
    inner_w, inner_h = width - left - right, height - top - bottom
    bin_w = (high - low) / bins
    met_counts, miss_counts = [0] * bins, [0] * bins
    for value, ok in values:
        index = min(bins - 1, int((float(value) - low) / bin_w)) if bin_w else 0
        (met_counts if ok else miss_counts)[index] += 1
    tallest = max(m + n for m, n in zip(met_counts, miss_counts, strict=True)) or 1

    def x(v: float) -> float:
        return left + (v - low) / (high - low) * inner_w

    body = [f'<line x1="{left}" x2="{width - right}" y1="{top + inner_h}" y2="{top + inner_h}" stroke="#d5dae1"/>']
    col = inner_w / bins
    for i in range(bins):
        base = top + inner_h
        for count, colour in ((met_counts[i], GREEN), (miss_counts[i], RED)):
            if not count:
                continue
            h = count / tallest * inner_h
            base -= h
            body.append(
                f'<rect x="{_f(left + i * col + 1)}" y="{_f(base)}" width="{_f(max(1.0, col - 2))}" height="{_f(h)}" '
                f'fill="{colour}" opacity=".85"><title>{count} 所</title></rect>'
            )
    if spread.target is not None:
        tx = x(float(spread.target))
        body.append(
            f'<line x1="{_f(tx)}" x2="{_f(tx)}" y1="{top - 4}" y2="{top + inner_h}" stroke="{AMBER}" '
            f'stroke-width="2" stroke-dasharray="4 3"/>'
        )
    # Tick marks under the axis for min / median / max; their numbers are printed beside the chart.
    for value in (spread.minimum, spread.median, spread.maximum):
        if value is None:
            continue
        vx = x(float(value))
        body.append(
            f'<line x1="{_f(vx)}" x2="{_f(vx)}" y1="{top + inner_h}" y2="{top + inner_h + 6}" stroke="#52606d" '
            f'stroke-width="1.5"/>'
        )
    target = "目标不一" if spread.target is None else f"目标 {spread.direction_label} {format_number(spread.target)}"
    label = (
        f"{spread.name}:{spread.met}/{spread.schools} 所学校达标，{target}{spread.unit if spread.target is not None else ''};"
        f"最小 {format_number(spread.minimum)}，中位 {format_number(spread.median)}，最大 {format_number(spread.maximum)}"
    )
    return _svg(width, height, label, "".join(body), "chart-spread")
