"""The stats report as a terminal table, JSON, CSV (one row per metric) or a self-contained HTML page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from enum import StrEnum
from html import escape

from domain.durations import format_duration
from domain.models import as_utc
from domain.views.stats import Compliance, Distribution, IncidentStats
from starter.stats.charts import Series, bar_chart, line_chart, nice_maximum

NONE = "—"


class StatsFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    HTML = "html"


def _took(seconds: float | None) -> str:
    return format_duration(timedelta(seconds=round(seconds))) if seconds is not None else NONE


def _percent(share: Compliance) -> str:
    return f"{share.met}/{share.total} ({share.percent:.1f}%)" if share.percent is not None else f"0/0 ({NONE})"


def _scope(stats: IncidentStats) -> str:
    f = stats.filters
    chosen = [f"{name} {value}" for name, value in (("service", f.service), ("team", f.team)) if value]
    chosen += [f"priority {f.priority.value}"] if f.priority else []
    where = f" ({', '.join(chosen)})" if chosen else ""
    return f"Incidents opened from {as_utc(f.since)} until {as_utc(f.until)}{where}"


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _distribution_row(name: str, spread: Distribution) -> list[str]:
    times = (spread.mean_seconds, spread.p50_seconds, spread.p90_seconds)
    return [name, str(spread.count), *(_took(value) for value in times)]


def _headline(stats: IncidentStats) -> list[tuple[str, str]]:
    mean = f"{stats.escalations_mean:.2f}" if stats.escalations_mean is not None else NONE
    most = str(stats.escalations_max) if stats.escalations_max is not None else NONE
    return [
        ("Incidents", str(stats.incidents)),
        ("SLA breaches", f"{stats.breaches} in {stats.breached_incidents} incidents"),
        ("Escalations per incident", f"mean {mean}, max {most}"),
    ]


def _sections(stats: IncidentStats) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every table of the report: its heading, header and rows, shared by the terminal and HTML forms."""
    sla = [[clock.value, _percent(share)] for clock, share in stats.sla_by_clock.items()]
    by_priority = [[row.priority, _percent(row.overall), _percent(row.acknowledge), _percent(row.resolve)]
                   for row in stats.sla_by_priority]  # fmt: skip
    days = [[day.day.isoformat(), str(day.incidents), _took(day.mtta_mean_seconds), _took(day.mttr_mean_seconds)]
            for day in stats.per_day]  # fmt: skip
    return [
        ("Response times", ["", "count", "mean", "p50", "p90"],
         [_distribution_row("MTTA", stats.mtta), _distribution_row("MTTR", stats.mttr)]),
        ("SLA compliance by clock", ["clock", "met"], sla),
        ("SLA compliance by priority", ["priority", "both clocks", "acknowledge", "resolve"], by_priority),
        ("Busiest services", ["service", "incidents"], [[s.service, str(s.incidents)] for s in stats.busiest_services]),
        ("Per day (UTC)", ["day", "incidents", "MTTA mean", "MTTR mean"], days),
    ]  # fmt: skip


def render_table(stats: IncidentStats) -> str:
    lines = [_scope(stats), ""]
    lines += [f"{name}: {value}" for name, value in _headline(stats)]
    for heading, header, rows in _sections(stats):
        lines += ["", heading, *_grid(header, rows)]
    return "\n".join(lines) + "\n"


def render_json(stats: IncidentStats) -> str:
    return stats.model_dump_json(indent=2) + "\n"


def metric_rows(stats: IncidentStats) -> list[tuple[str, object]]:
    """One (metric, value) pair per number; durations in seconds, a missing value as ``None``."""
    f = stats.filters
    rows: list[tuple[str, object]] = [("filter.since", f.since.isoformat()), ("filter.until", f.until.isoformat())]
    rows += [(f"filter.{name}", value) for name, value in (("service", f.service), ("team", f.team))]
    rows += [("filter.priority", f.priority.value if f.priority else None), ("incidents", stats.incidents)]
    for name, spread in (("mtta", stats.mtta), ("mttr", stats.mttr)):
        rows += [(f"{name}.{key}", value) for key, value in spread.model_dump().items()]
    for clock, share in stats.sla_by_clock.items():
        rows += [(f"sla.{clock.value}.{key}", value) for key, value in share.model_dump().items()]
    for row in stats.sla_by_priority:
        for part, share in (("all", row.overall), ("acknowledge", row.acknowledge), ("resolve", row.resolve)):
            rows += [(f"sla.{row.priority}.{part}.{key}", value) for key, value in share.model_dump().items()]
    rows += [("breaches", stats.breaches), ("breached_incidents", stats.breached_incidents)]
    rows += [("escalations.mean", stats.escalations_mean), ("escalations.max", stats.escalations_max)]
    rows += [(f"service.{s.service}.incidents", s.incidents) for s in stats.busiest_services]
    for day in stats.per_day:
        rows += [(f"day.{day.day.isoformat()}.{key}", value) for key, value in day.model_dump(exclude={"day"}).items()]
    return rows


def render_csv(stats: IncidentStats) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["metric", "value"])
    writer.writerows((metric, "" if value is None else value) for metric, value in metric_rows(stats))
    return buffer.getvalue()


def _time_chart(stats: IncidentStats) -> str:
    seconds = [v for d in stats.per_day for v in (d.mtta_mean_seconds, d.mttr_mean_seconds) if v is not None]
    unit, size = ("hours", 3600.0) if max(seconds, default=0) >= 3 * 3600 else ("minutes", 60.0)
    days = [day.day.isoformat() for day in stats.per_day]
    series = []
    for name, values in (
        ("MTTA", [day.mtta_mean_seconds for day in stats.per_day]),
        ("MTTR", [day.mttr_mean_seconds for day in stats.per_day]),
    ):
        scaled = [value / size if value is not None else None for value in values]
        tips = [f"{name} {day}: {_took(value)}" for day, value in zip(days, values, strict=True)]
        series.append(Series(name=name, values=scaled, tooltips=tips))
    top = nice_maximum(max(seconds, default=0) / size)
    title = "Mean MTTA and MTTR per day"
    return line_chart("chart-mtta-mttr", title, "Day opened (UTC)", f"Mean time ({unit})", days, series, top)


def _sla_chart(stats: IncidentStats) -> str:
    names = [row.priority for row in stats.sla_by_priority]
    series = []
    for clock in ("acknowledge", "resolve"):
        shares = [getattr(row, clock) for row in stats.sla_by_priority]
        tips = [f"{name} {clock}: {_percent(share)}" for name, share in zip(names, shares, strict=True)]
        series.append(Series(name=clock, values=[share.percent for share in shares], tooltips=tips))
    return bar_chart(
        "chart-sla-by-priority", "SLA compliance by priority", "Priority", "SLA met (%)", names, series, 100
    )


def _service_chart(stats: IncidentStats) -> str:
    services = stats.busiest_services
    counts: list[float | None] = [float(s.incidents) for s in services]
    tips = [f"{s.service}: {s.incidents} incidents" for s in services]
    top = max(5.0, nice_maximum(max((s.incidents for s in services), default=0)))  # whole-number ticks
    series = [Series(name="incidents", values=counts, tooltips=tips)]
    names = [s.service for s in services]
    return bar_chart("chart-services", "Incidents by service (top 5)", "Service", "Incidents", names, series, top)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #111827; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; } th, td { padding: 0.25rem 0.75rem; text-align: left; }
th { border-bottom: 2px solid #d1d5db; } td { border-bottom: 1px solid #e5e7eb; font-variant-numeric: tabular-nums; }
svg { max-width: 100%; height: auto; display: block; margin: 1rem 0; }
svg text { font-size: 12px; fill: #374151; } svg .chart-title { font-size: 14px; font-weight: 600; }
svg .axis-label { font-size: 12px; font-weight: 600; } svg .grid { stroke: #e5e7eb; } svg .axis { stroke: #6b7280; }
"""


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(stats: IncidentStats) -> str:
    """One file with everything inline (styles and SVG charts), to open in a browser without a network."""
    headline = [[name, value] for name, value in _headline(stats)]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Incident statistics</title>',
        f"<style>{STYLE}</style></head><body>",
        "<h1>Incident statistics</h1>",
        f"<p>{escape(_scope(stats))}</p>",
        _html_table(["", ""], headline),
        "<h2>Charts</h2>",
        _time_chart(stats),
        _sla_chart(stats),
        _service_chart(stats),
    ]
    for heading, header, rows in _sections(stats):
        parts += [f"<h2>{escape(heading)}</h2>", _html_table(header, rows)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


RENDERERS = {
    StatsFormat.TABLE: render_table,
    StatsFormat.JSON: render_json,
    StatsFormat.CSV: render_csv,
    StatsFormat.HTML: render_html,
}
