"""What bench/archive.py needs beside the archive itself: a throwaway PostgreSQL cluster, many closed incident records
made quickly, and the hand-written SQL every archive query is measured against.

The cluster is the tests' one (tests/support/postgres.py) in a few lines: ``initdb`` into a temporary directory
(as the ``postgres`` user when run as root), started on a free port on 127.0.0.1, trust authentication, removed at
the end. Unlike the tests' it keeps PostgreSQL's durable defaults (fsync on), as a deployment would.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, text

from adapters.archive.models import UtcDateTime
from bench.common import free_port
from domain.incident import Escalation, TimelineEntry
from domain.models import Priority
from domain.policy.sla import Clock
from domain.views.record import IncidentRecord, SlaClockView
from domain.views.stats import TOP_SERVICES, UNCLASSIFIED, IncidentStats

SUPERUSER = "postgres"
START = datetime(2026, 3, 1, tzinfo=UTC)
SPAN = timedelta(days=91)
"""Closed times run from START over about three months (March to May 2026)."""
MONTH = (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
"""The month ``incidents stats`` is asked about (opened_at in [since, until))."""

SERVICES = {
    "shop-payments": "payments",
    "shop-checkout": "payments",
    "billing-api": "payments",
    "search-api": "discovery",
    "recommendations": "discovery",
    "catalog-sync": "discovery",
    "auth-gateway": "identity",
    "user-profile": "identity",
    "warehouse-feed": "logistics",
    "shipping-quotes": "logistics",
    "mobile-bff": "mobile",
    "push-notifier": "mobile",
}
CATEGORIES = ["application_error", "infrastructure", "performance", "security", "data"]
PRIORITIES: list[Priority | None] = [Priority.P1, Priority.P2, Priority.P3, Priority.P4, None]
PRIORITY_WEIGHTS = [5, 20, 40, 30, 5]
COMPONENTS = ["database", "cache", "queue", "dns", "disk", "certificate", "load balancer", "kafka", "redis", "cdn"]
SYMPTOMS = [
    "timeout",
    "saturation",
    "leak",
    "failover",
    "latency",
    "errors",
    "restart",
    "backlog",
    "throttling",
    "drift",
]
HOSTS = ["primary", "replica", "eu-west", "us-east", "canary", "batch", "edge", "blue", "green", "staging"]
RARE = "kraken"
"""A word in about one note in a thousand: the selective search."""
SEARCHES = ["database timeout", RARE]


# ---- the cluster ---------------------------------------------------------------------------------


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", SUPERUSER, "--", *command] if os.geteuid() == 0 else command


def find_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has initdb, or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(re.sub(r"\D", "", path.parent.parent.name) or 0),
    )
    return found[-1].parent if found else None


@dataclass
class Cluster:
    binaries: Path
    directory: Path
    port: int

    @property
    def version(self) -> str:
        return self.binaries.parent.name

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"'.encode())
        return name

    def pg_ctl(self, *arguments: str) -> None:
        command = _as_owner([str(self.binaries / "pg_ctl"), "-D", str(self.directory / "data"), *arguments])
        subprocess.run(command, check=True, capture_output=True, timeout=90)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[Cluster | None]:
    """A started throwaway cluster, or None (with the reason printed) when PostgreSQL cannot be started here."""
    binaries = find_binaries()
    if binaries is None:
        print("PostgreSQL not installed (scripts/install-test-deps): SQLite only", flush=True)
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="bench-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(directory, SUPERUSER, SUPERUSER)
    cluster = Cluster(binaries, directory, free_port())
    initdb = [str(binaries / "initdb"), "-D", str(directory / "data"), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8"]
    started = False
    try:
        subprocess.run(_as_owner([*initdb, "--locale=C", "--no-sync"]), check=True, capture_output=True, timeout=120)
        options = f"-p {cluster.port} -c listen_addresses=127.0.0.1 -k {directory} -c max_connections=50"
        cluster.pg_ctl("-o", options, "-l", str(directory / "server.log"), "-w", "-t", "60", "start")
        started = True
    except (OSError, subprocess.SubprocessError) as error:
        print(f"PostgreSQL could not be started ({error}): SQLite only", flush=True)
        shutil.rmtree(directory, ignore_errors=True)
        yield None
        return
    try:
        yield cluster
    finally:
        if started:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                cluster.pg_ctl("-m", "fast", "-w", "stop")
        shutil.rmtree(directory, ignore_errors=True)


# ---- the records ---------------------------------------------------------------------------------


def note(rng: random.Random) -> str:
    words = f"{rng.choice(COMPONENTS)} {rng.choice(SYMPTOMS)} on {rng.choice(HOSTS)}"
    if rng.random() < 0.001:
        words += f", the {RARE} job again"
    return words


def record(number: int, count: int, rng: random.Random) -> IncidentRecord:
    """Incident ``BENCH-<number>`` of ``count``: closed in order over SPAN, with varied fields and notes."""
    service = rng.choice(list(SERVICES))
    team = SERVICES[service] if rng.random() > 0.03 else None
    closed = START + SPAN * (number / count) + timedelta(minutes=rng.uniform(0, 30))
    acknowledged = rng.random() > 0.05
    mtta = rng.expovariate(1 / 300) if acknowledged else None
    mttr = (mtta or 0.0) + rng.expovariate(1 / 3600) + 60
    opened = closed - timedelta(seconds=mttr)
    notes = [note(rng) for _ in range(rng.randint(1, 3))]
    priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
    sla = sla_clocks(opened, mtta, mttr, rng) if priority is not None else []
    escalated = rng.choices(range(4), [70, 20, 7, 3])[0]
    return IncidentRecord(
        incident_id=f"BENCH-{number}",
        title=f"{service} {rng.choice(SYMPTOMS)} ({rng.choice(HOSTS)})",
        description=f"Alert from monitoring: {note(rng)}.",
        service=service,
        category=rng.choice(CATEGORIES),
        source="monitoring",
        reporter="monitor",
        labels={},
        team=team,
        escalation_policy=f"{team}-policy" if team else None,
        priority=priority,
        priority_reason=None,
        opened_at=opened,
        occurred_at=None,
        acknowledged_at=opened + timedelta(seconds=mtta) if mtta is not None else None,
        acknowledged_by="amara" if acknowledged else None,
        resolved_at=closed,
        resolved_by="amara",
        closed_at=closed,
        mtta_seconds=mtta,
        mttr_seconds=mttr,
        sla=sla,
        sla_breached=any(view.state == "breached" for view in sla),
        escalations=[
            Escalation(index=index, loop=1, level=index + 1, recipients=["amara"], at=opened, due=opened)
            for index in range(escalated + 1)
        ],
        escalation_exhausted=False,
        notifications=[],
        resolution_summary=rng.choice(["rolled back", "restarted", "failed over", "scaled out", "patched"]),
        root_cause=f"{rng.choice(COMPONENTS)} {rng.choice(SYMPTOMS)}",
        timeline=[
            TimelineEntry(
                at=opened + timedelta(seconds=30 * (index + 1)), kind="note.added", message=text, actor="amara"
            )
            for index, text in enumerate(notes)
        ],
    )


def sla_clocks(opened: datetime, mtta: float | None, mttr: float, rng: random.Random) -> list[SlaClockView]:
    """Acknowledge within 15 minutes, resolve within 2 hours; one clock in 100 still running (the clock was kept
    open by a policy without a resolve target)."""
    verdicts = {
        Clock.ACKNOWLEDGE: ("met" if mtta is not None and mtta <= 900 else "breached", 900.0),
        Clock.RESOLVE: ("running" if rng.random() < 0.01 else "met" if mttr <= 7200 else "breached", 7200.0),
    }
    return [
        SlaClockView(clock=clock, deadline=opened + timedelta(seconds=target), state=state, remaining_seconds=0.0)
        for clock, (state, target) in verdicts.items()
    ]


def batches(count: int, size: int, seed: int = 7) -> Iterator[list[IncidentRecord]]:
    rng = random.Random(seed)
    for start in range(0, count, size):
        yield [record(number, count, rng) for number in range(start, min(count, start + size))]


# ---- the hand-written SQL ----------------------------------------------------------------------

LATEST = "NOT EXISTS (SELECT 1 FROM archived_records later WHERE later.incident_id = r.incident_id AND later.position > r.position)"  # noqa: E501
"""The same latest-version condition the repository applies (no corrections here, but the figures must be the same)."""
COLUMNS = (
    "r.position, r.kind, r.corrects, r.incident_id, r.title, r.service, r.team, r.priority, r.category, r.opened_at, "
    "r.closed_at, r.mtta_seconds, r.mttr_seconds, r.sla_breached"
)
"""What an entry of a listing or a search shows."""
MONTH_ROWS = f"FROM archived_records r WHERE r.opened_at >= :since AND r.opened_at < :until AND {LATEST}"
"""The incidents the stats count: opened in the month, latest versions."""
VERDICTS = "CASE WHEN {column} IN ('met', 'breached') THEN 1 ELSE 0 END"
REPORT = {
    "overall": f"""
        SELECT count(*), count(r.mtta_seconds), avg(r.mtta_seconds), count(r.mttr_seconds), avg(r.mttr_seconds),
               sum(CASE WHEN r.sla_breached THEN 1 ELSE 0 END), avg(r.escalations), max(r.escalations)
        {MONTH_ROWS}""",
    "priorities": f"""
        SELECT coalesce(r.priority, '{UNCLASSIFIED}'),
               sum(CASE WHEN r.acknowledge_sla = 'met' THEN 1 ELSE 0 END),
               sum({VERDICTS.format(column="r.acknowledge_sla")}),
               sum(CASE WHEN r.resolve_sla = 'met' THEN 1 ELSE 0 END),
               sum({VERDICTS.format(column="r.resolve_sla")})
        {MONTH_ROWS} GROUP BY 1""",
    "days": "SELECT {day}, count(*), avg(r.mtta_seconds), avg(r.mttr_seconds) " + MONTH_ROWS + " GROUP BY 1 ORDER BY 1",
    "services": f"SELECT r.service, count(*) {MONTH_ROWS} GROUP BY r.service ORDER BY 2 DESC, 1 LIMIT {TOP_SERVICES}",
    "ranks": """
        SELECT ranked.rank, ranked.value FROM (
            SELECT r.{column} AS value, row_number() OVER (ORDER BY r.{column}) AS rank
            """
    + MONTH_ROWS
    + """ AND r.{column} IS NOT NULL
        ) ranked WHERE ranked.rank IN (:p50, :p90) ORDER BY ranked.rank""",
}
"""``incidents stats`` written by hand: every figure aggregated in SQL (nearest-rank percentiles by row_number)."""
DAY = {
    "sqlite": "substr(r.opened_at, 1, 10)",
    "postgresql": "to_char(timezone('UTC', r.opened_at), 'YYYY-MM-DD')",
}


def _rank(percent: int, count: int) -> int:
    return max(1, -(-percent * count // 100))


def hand_report(engine: Engine, since: datetime, until: datetime) -> dict[str, Any]:
    """The figures of ``incidents stats`` for the incidents opened in [since, until), six aggregate queries in one
    transaction; {} values where the report has None."""
    moments = [bindparam("since", type_=UtcDateTime()), bindparam("until", type_=UtcDateTime())]
    window = {"since": since, "until": until}
    day = DAY[engine.dialect.name]
    with engine.connect() as connection:

        def run(sql: str, **more: int) -> list[Any]:
            return list(connection.execute(text(sql).bindparams(*moments), {**window, **more}))

        overall = run(REPORT["overall"])[0]
        incidents, mtta_count, mtta_mean, mttr_count, mttr_mean, breached, escalations_mean, escalations_max = overall
        ranks: dict[str, list[float | None]] = {}
        for column, count in (("mtta_seconds", mtta_count), ("mttr_seconds", mttr_count)):
            wanted = (_rank(50, count), _rank(90, count)) if count else ()
            found = dict(run(REPORT["ranks"].format(column=column), p50=wanted[0], p90=wanted[1])) if count else {}
            ranks[column] = [found[rank] for rank in wanted] or [None, None]
        return {
            "incidents": int(incidents),
            "mtta": (int(mtta_count), mtta_mean, *ranks["mtta_seconds"]),
            "mttr": (int(mttr_count), mttr_mean, *ranks["mttr_seconds"]),
            "priorities": {row[0]: tuple(int(value) for value in row[1:]) for row in run(REPORT["priorities"])},
            "breached_incidents": int(breached or 0),
            "escalations": (None if escalations_mean is None else float(escalations_mean), escalations_max),
            "services": [(row[0], int(row[1])) for row in run(REPORT["services"])],
            "days": [(row[0], int(row[1]), row[2], row[3]) for row in run(REPORT["days"].format(day=day))],
        }


def report_figures(stats: IncidentStats) -> dict[str, Any]:
    """The same figures out of the archive's report, to compare with ``hand_report``."""
    return {
        "incidents": stats.incidents,
        "mtta": (stats.mtta.count, stats.mtta.mean_seconds, stats.mtta.p50_seconds, stats.mtta.p90_seconds),
        "mttr": (stats.mttr.count, stats.mttr.mean_seconds, stats.mttr.p50_seconds, stats.mttr.p90_seconds),
        "priorities": {
            row.priority: (row.acknowledge.met, row.acknowledge.total, row.resolve.met, row.resolve.total)
            for row in stats.sla_by_priority
        },
        "breached_incidents": stats.breached_incidents,
        "escalations": (stats.escalations_mean, stats.escalations_max),
        "services": [(row.service, row.incidents) for row in stats.busiest_services],
        "days": [
            (day.day.isoformat(), day.incidents, day.mtta_mean_seconds, day.mttr_mean_seconds)
            for day in stats.per_day
            if day.incidents
        ],
    }


def same_figures(ours: Any, theirs: Any) -> bool:
    """Equal, floats within a relative 1e-9 (SQL's avg and Python's fmean add in different orders)."""
    if isinstance(ours, float) and isinstance(theirs, float | int):
        return abs(ours - theirs) <= 1e-9 * max(1.0, abs(ours))
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(same_figures(ours[key], theirs[key]) for key in ours)
    if isinstance(ours, list | tuple) and isinstance(theirs, list | tuple):
        return len(ours) == len(theirs) and all(same_figures(a, b) for a, b in zip(ours, theirs, strict=True))
    return bool(ours == theirs)


SEARCH_SQLITE = f"""
    SELECT {COLUMNS} FROM archived_records_fts f JOIN archived_records r ON r.position = f.rowid
    WHERE archived_records_fts MATCH :query AND {LATEST}
    ORDER BY bm25(archived_records_fts, 4.0, 1.0), r.closed_at DESC, r.position DESC LIMIT :limit
"""
SEARCH_POSTGRESQL = f"""
    SELECT {COLUMNS} FROM archived_records r, plainto_tsquery('english', :query) q
    WHERE r.search_vector @@ q AND {LATEST}
    ORDER BY ts_rank(r.search_vector, q) DESC, r.closed_at DESC, r.position DESC LIMIT :limit
"""
PAGE_OFFSET = f"""
    SELECT {COLUMNS} FROM archived_records r WHERE {LATEST}
    ORDER BY r.closed_at DESC, r.position DESC LIMIT :limit OFFSET :offset
"""


def hand_search(engine: Engine, words: str, limit: int) -> list[Any]:
    sqlite = engine.dialect.name == "sqlite"
    query = " ".join(f'"{word}"' for word in words.split()) if sqlite else words
    with engine.connect() as connection:
        return list(
            connection.execute(text(SEARCH_SQLITE if sqlite else SEARCH_POSTGRESQL), {"query": query, "limit": limit})
        )


def hand_page(engine: Engine, page: int, limit: int) -> list[Any]:
    """Page ``page`` (1-based) of the closed list, by OFFSET."""
    with engine.connect() as connection:
        return list(connection.execute(text(PAGE_OFFSET), {"limit": limit, "offset": (page - 1) * limit}))
