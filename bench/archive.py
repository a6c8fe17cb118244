"""Archive: what archiving costs the full lifecycle, and the archive's queries over many closed incidents.

1. Full lifecycles per second (report → classify → acknowledge → resolve → close → document, as bench/throughput.py)
   with the real archive, embedded SQLite and PostgreSQL, against the same worker given a do-nothing archive
   (``NullArchive``): three workers on one dev server, measured in interleaved rounds, medians compared.
2. Over N archived incidents (made with ``archive_all`` in batches), on each database: ``incidents stats`` for one
   month (``stats()``) against the same report aggregated by hand in SQL (every figure checked equal);
   ``search()`` against the hand-written FTS5 / tsvector query; a page of the closed list at page 1 and page 1,000
   (cursors walked, the page-1,000 call timed alone) against OFFSET at the same depth. Medians over several repetitions.

PostgreSQL is a throwaway cluster started by bench/archive_data.py (skipped, with the reason, when it cannot start).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import Engine, text
from temporalio.client import Client

from adapters.archive import (
    ArchiveRepository,
    ArchiveResult,
    create_archive_engine,
    parse_database_url,
    upgrade_archive,
)
from adapters.catalog_file import load_catalog
from adapters.settings import Settings
from bench.archive_data import (
    MONTH,
    SEARCHES,
    batches,
    hand_page,
    hand_report,
    hand_search,
    postgres_cluster,
    report_figures,
    same_figures,
)
from bench.common import EXAMPLE_CATALOG, PAYMENTS_REPORT, Receiver, append_results, dev_server, ms, percentile, table
from bench.throughput import lifecycle, run_many
from domain.models import IncidentReport
from domain.views.record import IncidentRecord
from domain.views.stats import StatsFilter, compute_stats
from worker import build_worker

PAGE_DEPTH = 1000


class NullArchive:
    """The archive's two methods the worker uses, doing nothing: what the lifecycle costs without archiving."""

    def __init__(self) -> None:
        self.count = 0

    def check_schema(self) -> None:
        return None

    def archive(self, record: IncidentRecord) -> ArchiveResult:
        self.count += 1
        return ArchiveResult(position=self.count, created=True, kind="record")


class TimedArchive(ArchiveRepository):
    """The real archive, noting how long each ``archive()`` call took: wall time, and CPU time of its thread."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.walls: list[float] = []
        self.cpus: list[float] = []

    def archive(self, record: IncidentRecord) -> ArchiveResult:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return super().archive(record)
        finally:
            self.cpus.append(time.thread_time() - cpu)
            self.walls.append(time.perf_counter() - wall)


def fresh_engine(kind: str, cluster: Any, directory: Path) -> Engine:
    """A new, migrated, empty archive database."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / f'archive-{uuid.uuid4().hex[:8]}.db'}"
    else:
        url = cluster.url(cluster.create_database())
    engine = create_archive_engine(parse_database_url(url))
    upgrade_archive(engine)
    return engine


@contextlib.asynccontextmanager
async def worker_with(client: Client, receiver: Receiver, archive: Any, directory: Path) -> AsyncIterator[str]:
    """A running worker (its own task queue) whose document step writes to ``archive``; yields the task queue."""
    settings = Settings.model_validate(
        {
            "catalog_path": EXAMPLE_CATALOG,
            "records_dir": Path(tempfile.mkdtemp(prefix="records-", dir=directory)),
            "task_queue": f"bench-archive-{uuid.uuid4()}",
            "webhook_url": receiver.url,
            "log_channel": False,
        }
    )
    async with httpx.AsyncClient() as http:
        worker = build_worker(
            client, settings, load_catalog(settings.catalog_path), http, cast(ArchiveRepository, archive)
        )
        task = asyncio.create_task(worker.run())
        try:
            yield settings.task_queue
        finally:
            await worker.shutdown()
            await task


async def lifecycles(engines: dict[str, Engine], directory: Path, count: int, concurrency: int, rounds: int) -> str:
    report = IncidentReport.model_validate(PAYMENTS_REPORT)
    archives: dict[str, Any] = {"no archive (NullArchive)": NullArchive()}
    archives.update({f"archive on {name}": TimedArchive(engine) for name, engine in engines.items()})
    seconds: dict[str, list[float]] = {name: [] for name in archives}
    async with dev_server() as env, Receiver() as receiver, contextlib.AsyncExitStack() as stack:
        client = env.client
        queues = {
            name: await stack.enter_async_context(worker_with(client, receiver, a, directory))
            for name, a in archives.items()
        }
        for queue in queues.values():  # warm up every worker
            await run_many(5, 5, lambda queue=queue: lifecycle(client, queue, report))
        for index in range(rounds):
            names = list(queues) if index % 2 == 0 else list(reversed(queues))
            for name in names:
                took = await run_many(count, concurrency, lambda name=name: lifecycle(client, queues[name], report))
                seconds[name].append(took)
                print(f"round {index + 1} {name}: {count} in {took:.1f} s", flush=True)
    baseline = count / statistics.median(seconds["no archive (NullArchive)"])
    rows = []
    for name, taken in seconds.items():
        rate = count / statistics.median(taken)
        rates = ", ".join(f"{count / s:.1f}" for s in taken)
        rows.append([name, rounds, count, concurrency, rates, f"**{rate:.2f}**", f"{rate / baseline:.2f}",
                     f"{(1 - rate / baseline) * 100:+.0f} %" if rate != baseline else "—"])  # fmt: skip
    calls = []
    for name, archive in archives.items():
        if isinstance(archive, TimedArchive) and archive.walls:
            calls.append(
                f"- {name}: {len(archive.walls)} `archive()` calls (warm-up included), wall median "
                f"{ms(statistics.median(archive.walls))} ms, p95 {ms(percentile(archive.walls, 95))} ms; CPU of the "
                f"calling thread median {ms(statistics.median(archive.cpus))} ms"
            )
    return (
        "### Archiving's cost on the full lifecycle\n\nThree workers on one dev server, each on its own task queue, "
        "identical but for the archive the document step writes to; rounds interleaved (order reversed every other "
        "round) after 5 warm-up lifecycles each. Cost = 1 − archived ÷ no-archive rate (target ≤ 10 %).\n\n"
        + table(
            [
                "worker",
                "rounds",
                "lifecycles each",
                "in flight",
                "per s by round",
                "median per s",
                "÷ no archive",
                "cost",
            ],
            rows,
        )
        + "\n\nInside the document step (timed around `ArchiveRepository.archive`, in its worker thread):\n\n"
        + "\n".join(calls)
    )


def median_of(repetitions: int, call: Callable[[], object]) -> float:
    call()  # warm (caches, statement cache, pages)
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fill(engine: Engine, count: int, batch: int) -> float:
    repository = ArchiveRepository(engine)
    start = time.perf_counter()
    for index, records in enumerate(batches(count, batch)):
        repository.archive_all(records)
        if index % 20 == 19:
            print(f"  {(index + 1) * batch} archived, {time.perf_counter() - start:.0f} s", flush=True)
    took = time.perf_counter() - start
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE archived_records"))
    return took


def queries(name: str, engine: Engine, count: int, repetitions: int, page_size: int) -> tuple[list[list[object]], str]:
    """The rows of the comparison table for one database, and a line checking the figures agree."""
    repository = ArchiveRepository(engine)
    since, until = MONTH
    filters = StatsFilter(since=since, until=until)
    rows: list[list[object]] = []

    def row(what: str, ours: float, hand: float, hand_what: str) -> None:
        rows.append([name, what, ms(ours), hand_what, ms(hand), f"**{ours / hand:.1f}×**"])

    stats = repository.stats(filters)
    agree = same_figures(report_figures(stats), hand_report(engine, since, until))
    ours = median_of(repetitions, lambda: repository.stats(filters))
    hand = median_of(repetitions, lambda: hand_report(engine, since, until))
    row("stats, one month: `stats()` (query columns, tallied in Python)", ours, hand, "6 aggregate queries")
    files = median_of(min(repetitions, 3), lambda: compute_stats(repository.opened_between(since, until), filters))
    rows.append([name, "… the same from whole records (opened_between + compute_stats)", ms(files), "", "", ""])

    for words in SEARCHES:
        found = len(repository.search(words, limit=20))
        hands = len(hand_search(engine, words, 20))
        ours = median_of(repetitions, functools.partial(repository.search, words, limit=20))
        theirs = median_of(repetitions, functools.partial(hand_search, engine, words, 20))
        row(f"search({words!r}, limit=20): {found} shown", ours, theirs, f"FTS query ({hands} rows)")

    first = median_of(repetitions, lambda: repository.list_closed(limit=page_size))
    row(
        f"list_closed page 1 ({page_size} a page)",
        first,
        median_of(repetitions, lambda: hand_page(engine, 1, page_size)),
        "OFFSET 0",
    )
    cursor = None
    start = time.perf_counter()
    for _ in range(PAGE_DEPTH - 1):
        cursor = repository.list_closed(after=cursor, limit=page_size).next
    walk = time.perf_counter() - start
    assert cursor is not None, "not enough records for page 1,000"
    deep = repository.list_closed(after=cursor, limit=page_size)
    same = [e.incident_id for e in deep.entries] == [r.incident_id for r in hand_page(engine, PAGE_DEPTH, page_size)]
    last = median_of(repetitions, lambda: repository.list_closed(after=cursor, limit=page_size))
    offset = (PAGE_DEPTH - 1) * page_size
    row(
        f"list_closed page {PAGE_DEPTH:,} (cursor)",
        last,
        median_of(repetitions, lambda: hand_page(engine, PAGE_DEPTH, page_size)),
        f"OFFSET {offset:,}",
    )
    rows.append([name, "page 1,000 ÷ page 1 (cursor)", f"**{last / first:.2f}×**", "", "", ""])
    check = (
        f"{name}: every stats figure agrees with the SQL: {'yes' if agree else 'NO'} ({stats.incidents:,} incidents "
        f"in the month, mean MTTA {stats.mtta.mean_seconds or 0:.1f} s, p90 MTTR {stats.mttr.p90_seconds or 0:.1f} s, "
        f"{stats.breached_incidents:,} breached); page "
        f"1,000 by cursor = page 1,000 by OFFSET: {'yes' if same else 'NO'}; walking 999 pages took {walk:.1f} s "
        f"({ms(walk / (PAGE_DEPTH - 1))} ms a page)."
    )
    return rows, check


def archive_queries(engines: dict[str, Engine], count: int, batch: int, repetitions: int, page_size: int) -> str:
    rows: list[list[object]] = []
    checks, fills = [], []
    for name, engine in engines.items():
        print(f"{name}: archiving {count:,} records", flush=True)
        took = fill(engine, count, batch)
        fills.append(f"{name} {took:.0f} s ({count / took:.0f} records/s)")
        print(f"{name}: measuring", flush=True)
        found, check = queries(name, engine, count, repetitions, page_size)
        rows += found
        checks.append(check)
    return (
        f"### Over {count:,} archived incidents\n\n"
        f"Records made in bench/archive_data.py: 12 services in 5 teams (3 % without one), P1–P4 and unclassified, "
        "5 categories, closed in order over 91 days from 2026-03-01 (MTTA ~ 5 min, MTTR ~ 1 h, exponential; 5 % never "
        "acknowledged), 1–3 notes each from 10 components × 10 symptoms × 10 hosts (one note in 1,000 mentions "
        f"'kraken'). Archived with `archive_all` in batches of {batch:,}: {'; '.join(fills)}. The stats month is "
        "April 2026 (opened_at). The hand-written SQL applies the same latest-version condition and ranking as the "
        "repository, returns the same columns (plain rows, no models), and runs on the same engine. "
        "The hand-written stats compute every figure of the report in SQL (counts, means, nearest-rank p50/p90 by "
        "row_number, SLA compliance per priority and clock, escalations, busiest services, per day). "
        f"Median of {repetitions} repetitions after one warm-up call (from whole records: "
        f"{min(repetitions, 3)}), ms; ratio = archive ÷ hand SQL "
        "(target ≤ 2×; page 1,000 ≈ page 1).\n\n"
        + table(["database", "query", "archive ms", "hand-written SQL", "SQL ms", "ratio"], rows)
        + "\n\n"
        + "\n".join(f"- {check}" for check in checks)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="10,000 records, 2 rounds of 30 lifecycles (default 100,000 and 3 of 80)"
    )
    parser.add_argument("--records", type=int)
    parser.add_argument("--lifecycles", type=int, help="lifecycles per worker per round")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--repetitions", type=int)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", choices=["lifecycles", "queries"], help="run one of the two parts (default both)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    count = args.records or (10_000 if args.quick else 100_000)
    lifecycles_each = args.lifecycles or (30 if args.quick else 80)
    rounds = args.rounds or (2 if args.quick else 3)
    repetitions = args.repetitions or (5 if args.quick else 9)
    page_size = max(1, min(50, count // (PAGE_DEPTH * 2)))
    directory = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    with contextlib.ExitStack() as stack:
        cluster = None if args.no_postgres else stack.enter_context(postgres_cluster())
        kinds = ["sqlite"] + (["postgresql"] if cluster is not None else [])
        names = {"sqlite": "SQLite (embedded)", "postgresql": f"PostgreSQL {cluster.version if cluster else ''}"}
        parts, engines = [], []
        if args.only != "queries":
            live = {names[kind]: fresh_engine(kind, cluster, directory) for kind in kinds}
            parts.append(asyncio.run(lifecycles(live, directory, lifecycles_each, args.concurrency, rounds)))
            engines += live.values()
        if args.only != "lifecycles":
            big = {names[kind]: fresh_engine(kind, cluster, directory) for kind in kinds}
            parts.append(archive_queries(big, count, 1000, repetitions, page_size))
            engines += big.values()
        for engine in engines:
            engine.dispose()
    title = {None: "lifecycle cost and queries", "lifecycles": "lifecycle cost", "queries": "queries"}[args.only]
    append_results(f"Archive: {title}", args.quick, "python " + " ".join(sys.argv), "\n\n".join(parts))


if __name__ == "__main__":
    main()
