"""Inline SVG charts computed on the server: no JavaScript, no CDN, nothing for CSP to allow.

The functions return plain geometry that the templates draw with ``<rect>``/``<polyline>``;
colours come from CSS classes (``o-<outcome>``) in the package's stylesheet, because inline
``style`` attributes are blocked by the Content-Security-Policy.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 200, 36, 28, 8


def css_class(label: str) -> str:
    """A safe CSS class for an outcome or category label."""
    return "o-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


@dataclass
class Segment:
    x: float
    y: float
    w: float
    h: float
    cls: str
    title: str


@dataclass
class BarChart:
    width: int = WIDTH
    height: int = HEIGHT
    segments: list[Segment] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_labels: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)


def stacked_bars(days: list[tuple[dt.date, dict[str, int]]], order: list[str]) -> BarChart:
    """One stacked bar per day, one segment per outcome in ``order``."""
    chart = BarChart(legend=[(label, css_class(label)) for label in order])
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    top = max([sum(counts.values()) for _, counts in days] + [1])
    step = (WIDTH - PAD_LEFT) / max(len(days), 1)
    for i, (day, counts) in enumerate(days):
        x = PAD_LEFT + i * step + step * 0.15
        y: float = HEIGHT - PAD_BOTTOM
        for label in order:
            n = counts.get(label, 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            chart.segments.append(
                Segment(x, y, step * 0.7, h, css_class(label), f"{day:%a %d %b}: {n} {label}")
            )
        chart.x_labels.append((PAD_LEFT + i * step + step / 2, f"{day:%d/%m}"))
    for value in sorted({0, top // 2, top}):
        chart.y_labels.append((HEIGHT - PAD_BOTTOM - plot_h * value / top, str(value)))
    return chart


@dataclass
class LineChart:
    title: str
    width: int = WIDTH
    height: int = 160
    points: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, tooltip
    y_labels: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in self.points)


def line_chart(
    title: str,
    values: list[tuple[dt.datetime, float, str]],
    levels: list[tuple[float, str]],
    start: dt.datetime,
    end: dt.datetime,
) -> LineChart:
    """Points over time between ``start`` and ``end``; ``levels`` label the y axis."""
    chart = LineChart(title=title)
    lo = min(v for v, _ in levels)
    hi = max(v for v, _ in levels)
    span_y = (hi - lo) or 1
    plot_h = chart.height - PAD_BOTTOM - PAD_TOP
    span_t = (end - start).total_seconds() or 1

    def x_of(at: dt.datetime) -> float:
        frac = min(max((at - start).total_seconds() / span_t, 0.0), 1.0)
        return PAD_LEFT + 10 + frac * (chart.width - PAD_LEFT - 20)

    def y_of(v: float) -> float:
        return chart.height - PAD_BOTTOM - plot_h * (v - lo) / span_y

    for at, value, label in sorted(values, key=lambda p: p[0]):
        chart.points.append((x_of(at), y_of(value), f"{at:%d %b}: {label}"))
    chart.y_labels = [(y_of(v), text) for v, text in levels]
    weeks = max(1, int(span_t // (7 * 86400)))
    for i in range(0, weeks + 1, max(1, weeks // 6)):
        at = start + dt.timedelta(days=7 * i)
        chart.x_labels.append((x_of(at), f"{at:%d/%m}"))
    return chart
