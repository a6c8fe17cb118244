"""Pauses in paging, at exact times: acknowledgement timeouts, snoozes and maintenance windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.catalog import Catalog, route
from domain.errors import ConfigError, IllegalTransition, InvalidAction, UnknownResponder
from domain.incident import IncidentState
from domain.maintenance import MaintenanceWindow, active_window
from domain.models import Priority, Status
from domain.priority import decide_priority
from domain.record import build_record, describe, render_markdown, status_view
from runtime.catalog_file import load_catalog
from tests.conftest import EXAMPLE_CATALOG
from tests.domain.conftest import make_report

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def payments_catalog(**policy: Any) -> Catalog:
    """The example catalog; payments-critical (L1 amara 5m, L2 amara+bruno 10m, L3 chen+kofi 15m) with ``policy``."""
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    data["escalation_policies"]["payments-critical"].update(policy)
    return Catalog.model_validate(data)


def opened(now: datetime, catalog: Catalog, window: MaintenanceWindow | None = None) -> IncidentState:
    """A P1 shop-payments incident (ack SLA 5m, resolve 1h) opened, classified and paged as the workflow does."""
    report = make_report()
    found = route(catalog, report.service, "test")
    decision = decide_priority(report.impact, report.urgency, found.criticality, "test")
    state = IncidentState(incident_id="INC-1", report=report, opened_at=now)
    state.open(now)
    state.classify(decision, found, now)
    if window is not None:
        state.hold_for_maintenance(window, now)
    state.page_first_level(now)
    state.advance(now)
    return state


def run_until(state: IncidentState, end: datetime) -> None:
    while (wake := state.next_wake()) is not None and wake <= end:
        state.advance(wake)


def minutes_of(moment: datetime, start: datetime = T0) -> float:
    return (moment - start).total_seconds() / 60


def events(state: IncidentState, *kinds: str) -> list[tuple[str, float]]:
    return [(entry.kind, minutes_of(entry.at)) for entry in state.timeline if not kinds or entry.kind in kinds]


def pages(state: IncidentState) -> list[tuple[str, str, list[str]]]:
    found = [(page.step, page.kind, page.recipients) for page in state.outbox]
    state.take_outbox()
    return found


PAGING = (
    "escalation.level_paged",
    "acknowledgement.reminder",
    "incident.retriggered",
    "incident.acknowledged",
    "note.added",
    "sla.warning",
    "sla.breached",
    "page.suppressed",
)
TIMEOUT = {"acknowledgement": {"remind_after": "20m", "retrigger_after": "15m"}}


# ---- acknowledgement timeout ----------------------------------------------------------------------------------


def test_quiet_after_acknowledgement_reminds_then_retriggers_and_escalation_resumes() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    pages(state)
    run_until(state, at(2))
    state.acknowledge("amara", at(2))
    assert state.next_wake() == at(22)  # the reminder comes before the resolve clock's 50% at 30
    run_until(state, at(90))
    assert events(state, *PAGING) == [
        ("escalation.level_paged", 0),
        ("incident.acknowledged", 2),
        ("acknowledgement.reminder", 22),
        ("sla.warning", 30),
        ("incident.retriggered", 37),
        ("escalation.level_paged", 37),
        ("escalation.level_paged", 42),
        ("sla.warning", 45),
        ("escalation.level_paged", 52),
        ("sla.breached", 60),
        ("escalation.level_paged", 67),
        ("escalation.level_paged", 72),
        ("escalation.level_paged", 82),
    ]
    reminder = next(e for e in state.timeline if e.kind == "acknowledgement.reminder")
    assert reminder.message == (
        "acknowledged, no activity for 20m: reminded amara; returns to triggered at 2026-01-05 09:37:00 UTC "
        "unless a responder acts"
    )
    retriggered = next(e for e in state.timeline if e.kind == "incident.retriggered")
    assert (retriggered.message, retriggered.actor) == (
        "returned to triggered: acknowledged by amara without activity for 35m",
        None,
    )
    assert [(e.index, e.level, e.loop, e.due) for e in state.escalations] == [
        (0, 1, 1, at(0)),
        (0, 1, 1, at(37)),
        (1, 2, 1, at(42)),
        (2, 3, 1, at(52)),
        (3, 1, 2, at(67)),
        (4, 2, 2, at(72)),
        (5, 3, 2, at(82)),
    ]
    assert [(step, kind, people) for step, kind, people in pages(state) if kind != "sla_warning"][:5] == [
        ("reminder-1", "reminder", ["amara"]),
        ("page-0-2", "escalation", ["amara"]),
        ("page-1", "escalation", ["amara", "bruno"]),
        ("page-2", "escalation", ["chen", "kofi"]),
        ("sla-resolve-100", "sla_breach", ["chen", "kofi"]),
    ]
    assert (state.status, state.assignee, state.acknowledged_by) == (Status.TRIGGERED, None, "amara")


def test_activity_pushes_the_reminder_and_the_retrigger_back() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    state.acknowledge("amara", at(2))
    run_until(state, at(15))
    state.add_note("bruno", "card processor answers 502", at(15))
    assert state.next_reminder_at() == at(35)
    run_until(state, at(40))
    state.set_priority("amara", Priority.P2, "only EU cards", at(40))  # after the reminder
    assert state.next_reminder_at() == at(60)
    run_until(state, at(100))
    assert events(state, "acknowledgement.reminder", "incident.retriggered", "escalation.level_paged") == [
        ("escalation.level_paged", 0),
        ("acknowledgement.reminder", 35),
        ("acknowledgement.reminder", 60),
        ("incident.retriggered", 75),
        ("escalation.level_paged", 75),
        ("escalation.level_paged", 80),
        ("escalation.level_paged", 90),
    ]
    assert [page.step for page in state.outbox if page.kind == "reminder"] == ["reminder-1", "reminder-2"]


def test_a_retrigger_pages_the_level_that_acknowledged_again() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    run_until(state, at(7))  # level 2 paged at 5
    state.acknowledge("bruno", at(7))
    run_until(state, at(60))
    assert events(state, "acknowledgement.reminder", "incident.retriggered", "escalation.level_paged") == [
        ("escalation.level_paged", 0),
        ("escalation.level_paged", 5),
        ("acknowledgement.reminder", 27),
        ("incident.retriggered", 42),
        ("escalation.level_paged", 42),
        ("escalation.level_paged", 52),
    ]
    assert [(e.index, e.level, e.due) for e in state.escalations[-2:]] == [(1, 2, at(42)), (2, 3, at(52))]
    assert [page.recipients for page in state.outbox if page.kind == "reminder"] == [["bruno"]]
    assert [page.step for page in state.outbox if page.kind == "escalation"] == [
        "page-0",
        "page-1",
        "page-1-2",
        "page-2",
    ]


def test_without_an_acknowledgement_timeout_an_acknowledged_incident_waits() -> None:
    state = opened(T0, payments_catalog())
    state.acknowledge("amara", at(2))
    assert state.next_reminder_at() is None
    assert state.next_wake() == at(30)
    run_until(state, at(24 * 60))
    assert events(state, "acknowledgement.reminder", "incident.retriggered", "escalation.level_paged") == [
        ("escalation.level_paged", 0)
    ]
    assert state.status is Status.ACKNOWLEDGED


def test_monitoring_acting_is_no_responder_activity() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    state.acknowledge("amara", at(2))
    state.add_note("monitoring:prometheus", "still firing", at(10))
    assert state.next_reminder_at() == at(22)


# ---- snooze ---------------------------------------------------------------------------------------------------


def test_snoozing_a_triggered_incident_acknowledges_it_and_holds_every_page_until_it_ends() -> None:
    state = opened(T0, payments_catalog())
    pages(state)
    state.snooze("amara", timedelta(minutes=32), "deploying the fix", at(1))
    assert (state.status, state.assignee, state.acknowledged_by, state.acknowledged_at) == (
        Status.ACKNOWLEDGED,
        "amara",
        "amara",
        at(1),
    )
    assert state.snoozed_until == at(33)
    assert state.next_wake() == at(30)  # the resolve clock's 50% is still recorded
    run_until(state, at(50))
    assert events(state, *PAGING, "incident.snoozed", "snooze.ended") == [
        ("escalation.level_paged", 0),
        ("incident.snoozed", 1),
        ("sla.warning", 30),
        ("page.suppressed", 30),
        ("snooze.ended", 33),
        ("incident.retriggered", 33),
        ("escalation.level_paged", 33),
        ("escalation.level_paged", 38),
        ("sla.warning", 45),
        ("escalation.level_paged", 48),
    ]
    suppressed = next(e for e in state.timeline if e.kind == "page.suppressed")
    assert suppressed.message == "sla_warning page to amara suppressed: snoozed by amara until 2026-01-05 09:33:00 UTC"
    assert suppressed.data == {"step": "sla-resolve-50"}
    assert pages(state) == [
        ("page-0-2", "escalation", ["amara"]),
        ("page-1", "escalation", ["amara", "bruno"]),
        ("sla-resolve-75", "sla_warning", ["amara", "bruno"]),
        ("page-2", "escalation", ["chen", "kofi"]),
    ]
    assert [(s.by, s.at, s.until, s.ended_at, s.ended_by) for s in state.snoozes] == [
        ("amara", at(1), at(33), at(33), None)
    ]


def test_acknowledging_a_snoozed_incident_ends_the_snooze() -> None:
    state = opened(T0, payments_catalog())
    state.snooze("amara", timedelta(minutes=30), "looking", at(1))
    state.acknowledge("bruno", at(10))
    assert (state.status, state.assignee, state.snoozed_until, state.acknowledged_by) == (
        Status.ACKNOWLEDGED,
        "bruno",
        None,
        "amara",
    )
    assert events(state, "snooze.ended", "incident.acknowledged") == [
        ("snooze.ended", 10),
        ("incident.acknowledged", 10),
    ]
    run_until(state, at(40))
    assert events(state, "incident.retriggered", "page.suppressed") == []
    assert [page.step for page in state.outbox][-1] == "sla-resolve-50"


def test_resolving_during_a_snooze_ends_it_and_nothing_pages_again() -> None:
    state = opened(T0, payments_catalog())
    state.snooze("amara", timedelta(minutes=30), "looking", at(1))
    pages(state)
    state.resolve("amara", "rolled back", "bad deploy", at(20))
    assert (state.next_wake(), state.snoozed_until) == (None, None)
    assert pages(state) == [("resolved", "resolved", ["amara"])]
    assert state.snoozes[0].ended_by == "amara"


def test_escalating_by_hand_ends_a_snooze() -> None:
    state = opened(T0, payments_catalog())
    state.snooze("amara", timedelta(minutes=30), "looking", at(1))
    state.escalate("amara", "need the team", at(3))
    assert (state.status, state.snoozed_until, state.next_escalation_at()) == (Status.TRIGGERED, None, at(13))


@pytest.mark.parametrize(
    ("duration", "longest", "refusal"),
    [
        (timedelta(seconds=59), None, "cannot snooze for 59s: a snooze lasts at least 1m"),
        (timedelta(hours=24, seconds=1), None, "cannot snooze for 1d1s: policy 'payments-critical' allows at most 1d"),
        (timedelta(hours=2, minutes=1), "2h", "cannot snooze for 2h1m: policy 'payments-critical' allows at most 2h"),
    ],
)
def test_a_snooze_out_of_bounds_is_refused_naming_the_bound(
    duration: timedelta, longest: str | None, refusal: str
) -> None:
    state = opened(T0, payments_catalog(**({"longest_snooze": longest} if longest else {})))
    with pytest.raises(InvalidAction) as refused:
        state.check_snooze("amara", duration)
    assert str(refused.value) == refusal
    assert (state.status, state.snoozes) == (Status.TRIGGERED, [])


@pytest.mark.parametrize("duration", [timedelta(minutes=1), timedelta(hours=24)])
def test_the_bounds_themselves_are_allowed(duration: timedelta) -> None:
    state = opened(T0, payments_catalog())
    assert state.check_snooze("amara", duration) is Status.ACKNOWLEDGED


def test_a_resolved_incident_cannot_be_snoozed_and_an_outsider_cannot_snooze() -> None:
    state = opened(T0, payments_catalog())
    with pytest.raises(UnknownResponder):
        state.check_snooze("zed", timedelta(minutes=5))
    state.resolve("amara", "fixed", "leak", at(3))
    with pytest.raises(IllegalTransition) as refused:
        state.snooze("amara", timedelta(minutes=5), "x", at(4))
    assert str(refused.value) == "cannot snooze: the incident is already resolved"


def test_snoozing_again_replaces_the_snooze() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    state.snooze("amara", timedelta(minutes=10), "first look", at(1))
    state.snooze("bruno", timedelta(minutes=20), "waiting for the vendor", at(8))
    assert (state.snoozed_until, state.assignee, state.next_reminder_at()) == (at(28), "amara", None)
    assert [(s.until, s.ended_at, s.ended_by) for s in state.snoozes] == [
        (at(11), at(8), "bruno"),
        (at(28), None, None),
    ]
    run_until(state, at(28))
    assert events(state, "incident.retriggered", "escalation.level_paged") == [
        ("escalation.level_paged", 0),
        ("incident.retriggered", 28),
        ("escalation.level_paged", 28),
    ]


# ---- maintenance windows ----------------------------------------------------------------------------------------

WINDOW = MaintenanceWindow(service="shop-payments", start=at(-30), end=at(50), reason="database upgrade")


def test_an_incident_opened_in_a_window_pages_nothing_until_it_ends_then_level_one() -> None:
    state = opened(at(10), payments_catalog(), WINDOW)
    assert (state.outbox, state.escalations, state.next_escalation_at()) == ([], [], None)
    held = state.timeline[3]
    assert (held.kind, held.message) == (
        "maintenance.paging_held",
        "opened during the maintenance window of shop-payments (database upgrade), 2026-01-05 08:30:00 UTC to "
        "2026-01-05 09:50:00 UTC: nobody is paged before it ends",
    )
    run_until(state, at(80))
    assert events(state, *PAGING, "maintenance.ended") == [
        ("sla.warning", 12.5),
        ("page.suppressed", 12.5),
        ("sla.warning", 13.75),
        ("page.suppressed", 13.75),
        ("sla.breached", 15),
        ("page.suppressed", 15),
        ("sla.warning", 40),
        ("page.suppressed", 40),
        ("maintenance.ended", 50),
        ("escalation.level_paged", 50),
        ("escalation.level_paged", 55),
        ("sla.warning", 55),
        ("escalation.level_paged", 65),
        ("sla.breached", 70),
        ("escalation.level_paged", 80),
    ]
    assert [(e.index, e.due) for e in state.escalations] == [(0, at(50)), (1, at(55)), (2, at(65)), (3, at(80))]
    assert pages(state) == [
        ("page-0", "escalation", ["amara"]),
        ("page-1", "escalation", ["amara", "bruno"]),
        ("sla-resolve-75", "sla_warning", ["amara", "bruno"]),
        ("page-2", "escalation", ["chen", "kofi"]),
        ("sla-resolve-100", "sla_breach", ["chen", "kofi"]),
        ("page-3", "escalation", ["amara"]),
    ]


def test_resolved_inside_the_window_nobody_is_ever_paged() -> None:
    state = opened(at(10), payments_catalog(), WINDOW)
    run_until(state, at(30))
    state.resolve("monitoring:prometheus", "every alert resolved", "not recorded", at(30))
    assert state.next_wake() is None
    run_until(state, at(200))
    assert (state.outbox, state.escalations) == ([], [])


def test_acknowledged_inside_the_window_nobody_is_paged_at_its_end() -> None:
    state = opened(at(10), payments_catalog(**TIMEOUT), WINDOW)
    state.acknowledge("amara", at(20))
    assert state.next_reminder_at() == at(50)  # 40 would fall inside the window: it waits for the end
    run_until(state, at(60))
    ended = next(e for e in state.timeline if e.kind == "maintenance.ended")
    assert (minutes_of(ended.at), ended.message) == (
        50,
        "the maintenance window ended; nobody paged: acknowledged by amara",
    )
    assert events(state, "acknowledgement.reminder", "escalation.level_paged") == [("acknowledgement.reminder", 50)]
    assert [(p.step, p.recipients) for p in state.outbox if p.kind != "sla_warning"] == [("reminder-1", ["amara"])]
    run_until(state, at(65))
    assert events(state, "incident.retriggered", "escalation.level_paged") == [
        ("incident.retriggered", 65),
        ("escalation.level_paged", 65),
    ]
    assert [(e.index, e.due) for e in state.escalations] == [(0, at(65))]


def test_an_incident_opened_after_the_window_pages_at_once() -> None:
    assert active_window([WINDOW], "shop-payments", at(50)) is None
    state = opened(at(50), payments_catalog(), None)
    assert [page.step for page in state.outbox] == ["page-0"]


@pytest.mark.parametrize(
    ("service", "minute", "expected"),
    [
        ("shop-payments", -31, None),
        ("shop-payments", -30, "database upgrade"),
        ("shop-payments", 49.99, "database upgrade"),
        ("shop-payments", 50, None),
        ("shop-catalog", 0, None),
    ],
)
def test_the_window_active_at_a_moment(service: str, minute: float, expected: str | None) -> None:
    found = active_window([WINDOW], service, at(minute))
    assert (found.reason if found else None) == expected


def test_of_two_overlapping_windows_the_one_that_ends_last_holds() -> None:
    later = MaintenanceWindow(service="shop-payments", start=at(40), end=at(90), reason="late overlap")
    assert active_window([WINDOW, later], "shop-payments", at(45)) == later


@pytest.mark.parametrize(
    ("window", "problem"),
    [
        (
            {"service": "nowhere", "start": "2026-12-01T02:00:00Z", "end": "2026-12-01T03:00:00Z"},
            "maintenance_windows.0.service: unknown service 'nowhere'",
        ),
        (
            {"service": "shop-payments", "start": "2026-12-01T03:00:00Z", "end": "2026-12-01T03:00:00Z"},
            "maintenance_windows.0.end: 2026-12-01T03:00:00+00:00 is not after start 2026-12-01T03:00:00+00:00",
        ),
        (
            {"service": "shop-payments", "start": "2026-12-01T02:00:00", "end": "2026-12-01T03:00:00Z"},
            "maintenance_windows.0.start: Input should have timezone info",
        ),
        (
            {"service": "shop-payments", "start": "2026-12-01T02:00:00Z"},
            "maintenance_windows.0.end: Field required",
        ),
    ],
)
def test_a_bad_maintenance_window_names_its_path(tmp_path: Path, window: dict[str, str], problem: str) -> None:
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    data["maintenance_windows"] = [window]
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as error:
        load_catalog(path)
    assert str(error.value) == f"{path}: {problem}"


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        (
            {"acknowledgement": {"remind_after": "30m"}},
            "escalation_policies.payments-critical.acknowledgement.retrigger_after: Field required",
        ),
        (
            {"acknowledgement": {"remind_after": "0s", "retrigger_after": "5m"}},
            "escalation_policies.payments-critical.acknowledgement.remind_after: must be longer than zero",
        ),
        (
            {"longest_snooze": "8d"},
            "escalation_policies.payments-critical.longest_snooze: Input should be less than or equal to 7 days",
        ),
    ],
)
def test_bad_pause_settings_name_their_path(tmp_path: Path, policy: dict[str, Any], problem: str) -> None:
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    data["escalation_policies"]["payments-critical"].update(policy)
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as error:
        load_catalog(path)
    assert str(error.value) == f"{path}: {problem}"


def test_the_example_catalog_has_an_acknowledgement_timeout_and_a_past_window() -> None:
    catalog = load_catalog(EXAMPLE_CATALOG).catalog
    timeout = catalog.escalation_policies["dashboards-standard"].acknowledgement
    assert timeout is not None
    assert (timeout.remind_after, timeout.retrigger_after) == (timedelta(hours=1), timedelta(minutes=30))
    assert catalog.escalation_policies["dashboards-standard"].longest_snooze == timedelta(hours=8)
    assert catalog.escalation_policies["payments-critical"].longest_snooze == timedelta(hours=24)
    assert [(w.service, w.end) for w in catalog.maintenance_windows] == [
        ("saas-dashboard", datetime(2026, 11, 1, 4, 0, tzinfo=UTC))
    ]


def test_escalating_by_hand_during_a_window_pages_now_and_ends_the_hold() -> None:
    state = opened(at(10), payments_catalog(), WINDOW)
    state.escalate("amara", "customers are calling", at(20))
    assert [(e.index, e.at, e.by) for e in state.escalations] == [(0, at(20), "amara")]
    assert (state.in_maintenance(), state.next_escalation_at()) == (False, at(25))
    assert events(state, "maintenance.ended") == [("maintenance.ended", 20)]
    run_until(state, at(45))
    assert [(e.index, e.due) for e in state.escalations] == [(0, at(20)), (1, at(25)), (2, at(35))]


# ---- what people see ----------------------------------------------------------------------------------------------


def test_the_status_view_the_details_and_the_record_show_pauses() -> None:
    state = opened(T0, payments_catalog())
    state.snooze("amara", timedelta(minutes=30), "deploying", at(1))
    view = status_view(state, at(2))
    assert (view.snoozed_until, view.maintenance_until) == (at(31), None)
    assert describe(state, at(2)) == (
        "P1 · acknowledged — acknowledged by amara — snoozed until 2026-01-05 09:31:00 UTC — "
        "resolve SLA breaches at 2026-01-05 10:00:00 UTC"
    )
    state.resolve("bruno", "rolled back", "bad deploy", at(5))
    record = build_record(state, at(5))
    assert [(z.by, z.at, z.until, z.ended_at, z.ended_by) for z in record.snoozes] == [
        ("amara", at(1), at(31), at(5), "bruno")
    ]
    markdown = render_markdown(record)
    assert (
        "## Snoozes\n\n| From | Until | By | Ended early by |\n|---|---|---|---|\n"
        "| 2026-01-05 09:01:00 UTC | 2026-01-05 09:31:00 UTC | amara | bruno |\n\n## Notifications"
    ) in markdown

    held = opened(at(10), payments_catalog(), WINDOW)
    assert status_view(held, at(11)).maintenance_until == at(50)
    assert describe(held, at(11)) == (
        "P1 · triggered — maintenance window: nothing pages until 2026-01-05 09:50:00 UTC — "
        "acknowledge SLA breaches at 2026-01-05 09:15:00 UTC — resolve SLA breaches at 2026-01-05 10:10:00 UTC"
    )
    assert "## Snoozes" not in render_markdown(build_record(held, at(11)))
