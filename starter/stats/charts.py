"""Inline SVG charts for the HTML stats report: no scripts, no network, one ``<svg>`` per chart.

Every chart has an ``id``, a ``<title>``, axis labels (``class="axis-label"``) and one element per data item:
``<rect class="bar">`` for a bar, ``<circle class="point">`` for a point of a line, each with a ``<title>`` tooltip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 64
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
COLORS = ("#2563eb", "#ea580c", "#16a34a")
Y_TICKS = 5


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    """One value per category (x position); ``None`` draws nothing there."""
    tooltips: list[str]


def nice_maximum(largest: float) -> float:
    """The top of the y axis: the smallest 1, 2 or 5 × 10^k step times ``Y_TICKS`` that holds ``largest``."""
    if largest <= 0:
        return float(Y_TICKS)
    raw = largest / Y_TICKS
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step: float = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= raw)
    return step * Y_TICKS


def _number(value: float) -> str:
    return f"{value:g}"


def _y(value: float, top: float) -> float:
    return TOP + PLOT_HEIGHT * (1 - value / top)


def _frame(chart_id: str, title: str, x_label: str, y_label: str, top: float) -> list[str]:
    parts = [
        f'<svg id="{chart_id}" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<text class="chart-title" x="{LEFT}" y="20" text-anchor="start">{escape(title)}</text>',
    ]
    for tick in range(Y_TICKS + 1):
        value = top * tick / Y_TICKS
        y = _y(value, top)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>')
    bottom = TOP + PLOT_HEIGHT
    parts += [
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}"/>',
        f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}"/>',
        f'<text class="axis-label" x="{LEFT + PLOT_WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{escape(x_label)}</text>",
        f'<text class="axis-label" transform="translate(16 {TOP + PLOT_HEIGHT / 2}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>',
    ]
    return parts


def _legend(series: list[Series]) -> list[str]:
    parts = []
    for number, one in enumerate(series):
        x = WIDTH - RIGHT - 120 * (len(series) - number)
        color = COLORS[number % len(COLORS)]
        parts.append(f'<rect x="{x}" y="{TOP - 12}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text class="legend" x="{x + 14}" y="{TOP - 3}">{escape(one.name)}</text>')
    return parts


def _category_labels(categories: list[str], slot: float, every: int = 1) -> list[str]:
    return [
        f'<text class="tick" x="{LEFT + slot * (index + 0.5):.1f}" y="{TOP + PLOT_HEIGHT + 16}" '
        f'text-anchor="middle">{escape(label)}</text>'
        for index, label in enumerate(categories)
        if index % every == 0
    ]


def _no_data(parts: list[str]) -> None:
    parts.append(f'<text class="no-data" x="{LEFT + PLOT_WIDTH / 2}" y="{TOP + PLOT_HEIGHT / 2}" ')
    parts[-1] += 'text-anchor="middle">No data</text>'


def bar_chart(
    chart_id: str, title: str, x_label: str, y_label: str, categories: list[str], series: list[Series], top: float
) -> str:
    """Bars grouped by category, one bar per series with a value."""
    parts = _frame(chart_id, title, x_label, y_label, top)
    slot = PLOT_WIDTH / max(1, len(categories))
    bar_width = min(48.0, slot * 0.8 / max(1, len(series)))
    group_left = (slot - bar_width * len(series)) / 2
    for number, one in enumerate(series):
        color = COLORS[number % len(COLORS)]
        for index, (value, tooltip) in enumerate(zip(one.values, one.tooltips, strict=True)):
            if value is None:
                continue
            x = LEFT + slot * index + group_left + bar_width * number
            y = _y(value, top)
            parts.append(
                f'<rect class="bar" data-series="{escape(one.name)}" x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
                f'height="{TOP + PLOT_HEIGHT - y:.1f}" fill="{color}"><title>{escape(tooltip)}</title></rect>'
            )
    parts += _category_labels(categories, slot)
    if len(series) > 1:
        parts += _legend(series)
    if not categories:
        _no_data(parts)
    return "\n".join([*parts, "</svg>"])


def line_chart(
    chart_id: str, title: str, x_label: str, y_label: str, categories: list[str], series: list[Series], top: float
) -> str:
    """One line per series through its points; a category without a value is skipped, not drawn as zero."""
    parts = _frame(chart_id, title, x_label, y_label, top)
    slot = PLOT_WIDTH / max(1, len(categories))
    for number, one in enumerate(series):
        color = COLORS[number % len(COLORS)]
        points = [
            (LEFT + slot * (index + 0.5), _y(value, top), tooltip)
            for index, (value, tooltip) in enumerate(zip(one.values, one.tooltips, strict=True))
            if value is not None
        ]
        coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2" points="{coordinates}"/>')
        parts += [
            f'<circle class="point" data-series="{escape(one.name)}" cx="{x:.1f}" cy="{y:.1f}" r="4" '
            f'fill="{color}"><title>{escape(tooltip)}</title></circle>'
            for x, y, tooltip in points
        ]
    parts += _category_labels(categories, slot, every=max(1, math.ceil(len(categories) / 10)))
    parts += _legend(series)
    if not any(value is not None for one in series for value in one.values):
        _no_data(parts)
    return "\n".join([*parts, "</svg>"])
