"""The HTML stats report as a browser sees it: rendered by headless Chromium (Debian ``chromium``), DOM dumped.

Chromium runs with no network features, so the page must be self-contained to show its charts.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from domain.views.stats import StatsFilter, compute_stats
from starter.stats.formats import render_html
from tests.support.stats_records import RECORDS, SINCE, UNTIL

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


class ChartCounter(HTMLParser):
    """Per chart ``<svg id=...>``: its titles, axis labels, bars and points (by ``data-series``)."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, Counter[str]] = {}
        self.titles: dict[str, str] = {}
        self._chart: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "svg" and found.get("id"):
            self._chart = found["id"]
            self.charts[str(self._chart)] = Counter()
        if self._chart is None:
            return
        kind = found.get("class")
        if kind in ("bar", "point", "axis-label"):
            self.charts[self._chart][f"{kind}:{found.get('data-series', '')}"] += 1
        self._in_title = tag == "title" and found.get("id") == f"{self._chart}-title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        if tag == "svg" and self._chart is not None:
            self._chart = None

    def handle_data(self, data: str) -> None:
        if self._in_title and self._chart is not None:
            self.titles[self._chart] = data


def dump_dom(page: Path, profile: Path) -> str:
    chromium = shutil.which("chromium")
    assert chromium is not None, "install the Debian package chromium"
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_three_charts_render_in_a_browser(tmp_path: Path) -> None:
    page = tmp_path / "incident-stats.html"
    page.write_text(render_html(compute_stats(RECORDS, StatsFilter(since=SINCE, until=UNTIL))), encoding="utf-8")
    parser = ChartCounter()
    parser.feed(dump_dom(page, tmp_path / "profile"))
    assert parser.titles == {
        "chart-mtta-mttr": "Mean MTTA and MTTR per day",
        "chart-sla-by-priority": "SLA compliance by priority",
        "chart-services": "Incidents by service (top 5)",
    }
    assert parser.charts == {
        # Three days, each with a mean MTTA and MTTR.
        "chart-mtta-mttr": Counter({"point:MTTA": 3, "point:MTTR": 3, "axis-label:": 2}),
        # P1, P2 and P3 have both clocks decided; the unclassified incident has no SLA, so no bar.
        "chart-sla-by-priority": Counter({"bar:acknowledge": 3, "bar:resolve": 3, "axis-label:": 2}),
        "chart-services": Counter({"bar:incidents": 4, "axis-label:": 2}),
    }


def test_a_day_without_incidents_has_no_point(tmp_path: Path) -> None:
    page = tmp_path / "incident-stats.html"
    chosen = StatsFilter(since=SINCE, until=UNTIL, service="dashboard")
    page.write_text(render_html(compute_stats(RECORDS, chosen)), encoding="utf-8")
    parser = ChartCounter()
    parser.feed(dump_dom(page, tmp_path / "profile"))
    # Only 2026-03-03 has incidents, and its one acknowledged incident gives MTTA; both give MTTR.
    assert parser.charts["chart-mtta-mttr"] == Counter({"point:MTTA": 1, "point:MTTR": 1, "axis-label:": 2})
    assert parser.charts["chart-sla-by-priority"] == Counter({"bar:acknowledge": 1, "bar:resolve": 1, "axis-label:": 2})
    assert parser.charts["chart-services"] == Counter({"bar:incidents": 1, "axis-label:": 2})
