"""``incidents stats`` as people run it: a subprocess over a directory of records written as the worker writes them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.settings import ROOT
from tests.support.stats_records import RECORDS

WINDOW = ("--since", "2026-03-02", "--until", "2026-03-05T00:00:00Z")


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "records"
    directory.mkdir()
    for one in RECORDS:
        (directory / f"{one.incident_id}.json").write_text(one.model_dump_json(indent=2) + "\n", encoding="utf-8")
        (directory / f"{one.incident_id}.md").write_text("# not read\n", encoding="utf-8")
    (directory / "broken.json").write_text("{not json", encoding="utf-8")
    (directory / "other.json").write_text('{"incident_id": "INC-X"}', encoding="utf-8")
    return directory


def stats(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "starter", "stats", *arguments]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_table(records_dir: Path) -> None:
    done = stats(*WINDOW, "--records-dir", str(records_dir))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Incidents opened from 2026-03-02 00:00:00 UTC until 2026-03-05 00:00:00 UTC"
    assert "Incidents: 6" in lines
    assert "SLA breaches: 3 in 2 incidents" in lines
    assert "Escalations per incident: mean 0.50, max 2" in lines
    assert "MTTA  5      7m36s  5m   20m" in lines
    assert "MTTR  6      1h41m  1h   5h" in lines
    assert "acknowledge  3/5 (60.0%)" in lines
    assert "P2            3/4 (75.0%)   1/2 (50.0%)   2/2 (100.0%)" in lines
    assert "dashboard      2" in lines
    assert "2026-03-04  2          10m30s     2h33m" in lines
    assert "Traceback" not in done.stderr


def test_unreadable_files_are_skipped_with_a_warning(records_dir: Path) -> None:
    done = stats(*WINDOW, "--records-dir", str(records_dir), "--format", "json")
    assert done.returncode == 0
    skipped = [line for line in done.stderr.splitlines() if line.startswith("warning: skipped ")]
    assert [line.split(": ")[1].removeprefix("skipped ") for line in skipped] == [
        str(records_dir / "broken.json"),
        str(records_dir / "other.json"),
    ]
    assert "Traceback" not in done.stderr
    assert "title: Field required" in skipped[1]


def test_json(records_dir: Path) -> None:
    done = stats(*WINDOW, "--records-dir", str(records_dir), "--format", "json", "--service", "shop-payments")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["filters"] == {
        "since": "2026-03-02T00:00:00Z",
        "until": "2026-03-05T00:00:00Z",
        "service": "shop-payments",
        "team": None,
        "priority": None,
    }
    assert report["incidents"] == 2
    assert report["mtta"] == {"count": 2, "mean_seconds": 360.0, "p50_seconds": 120.0, "p90_seconds": 600.0}
    assert report["mttr"] == {"count": 2, "mean_seconds": 3600.0, "p50_seconds": 1800.0, "p90_seconds": 5400.0}
    assert report["sla_by_clock"] == {
        "acknowledge": {"met": 1, "total": 2, "percent": 50.0},
        "resolve": {"met": 1, "total": 2, "percent": 50.0},
    }
    assert (report["breaches"], report["breached_incidents"]) == (2, 1)
    assert (report["escalations_mean"], report["escalations_max"]) == (1.0, 2)
    assert report["busiest_services"] == [{"service": "shop-payments", "incidents": 2}]
    assert report["per_day"] == [
        {"day": "2026-03-02", "incidents": 2, "mtta_mean_seconds": 360.0, "mttr_mean_seconds": 3600.0},
        {"day": "2026-03-03", "incidents": 0, "mtta_mean_seconds": None, "mttr_mean_seconds": None},
        {"day": "2026-03-04", "incidents": 0, "mtta_mean_seconds": None, "mttr_mean_seconds": None},
    ]


def test_csv(records_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "stats.csv"
    done = stats(
        *WINDOW, "--records-dir", str(records_dir), "--format", "csv", "--priority", "P3", "--output", str(target)
    )
    assert (done.returncode, done.stdout) == (0, f"wrote {target}\n")
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["metric", "value"]
    values = dict(rows[1:])
    assert len(values) == len(rows) - 1  # one row per metric
    assert values["filter.priority"] == "P3"
    assert values["filter.service"] == ""
    assert values["incidents"] == "1"
    assert (values["mtta.mean_seconds"], values["mttr.p90_seconds"]) == ("1200.0", "18000.0")
    assert (values["sla.P3.all.met"], values["sla.P3.all.total"], values["sla.P3.all.percent"]) == ("2", "2", "100.0")
    assert values["service.logistics.incidents"] == "1"
    assert values["day.2026-03-03.mtta_mean_seconds"] == ""
    assert values["day.2026-03-04.incidents"] == "1"


def test_html_is_written_to_the_default_file(records_dir: Path, tmp_path: Path) -> None:
    done = stats(*WINDOW, "--records-dir", str(records_dir), "--format", "html", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "wrote incident-stats.html\n")
    page = (tmp_path / "incident-stats.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    charts = ("chart-mtta-mttr", "chart-sla-by-priority", "chart-services")
    assert [page.count(f'<svg id="{name}"') for name in charts] == [1, 1, 1]
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing to fetch


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--since", "yesterday", "--until", "2026-03-05"), "error: --since: 'yesterday' is not an ISO 8601 date"),
        (
            ("--since", "2026-03-05", "--until", "2026-03-02"),
            "error: --since (2026-03-05T00:00:00+00:00) must be before --until (2026-03-02T00:00:00+00:00)",
        ),
        (
            ("--since", "2026-03-02", "--until", "2026-03-05", "--records-dir", "/nonexistent"),
            "error: records directory",
        ),
    ],
)
def test_bad_input(arguments: tuple[str, ...], message: str) -> None:
    done = stats(*arguments)
    assert done.returncode == 2
    assert done.stderr.startswith(message), done.stderr
    assert "Traceback" not in done.stderr
