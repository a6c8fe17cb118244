"""Maintenance windows, at exact times: incidents opened inside one page nobody until it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.catalog_file import load_catalog
from domain.errors import ConfigError
from domain.incident import acknowledge, escalate, resolve
from domain.policy.maintenance import MaintenanceWindow, active_window
from tests.support.pausing import (
    PAGING,
    TIMEOUT,
    WINDOW,
    at,
    events,
    minutes_of,
    opened,
    pages,
    payments_catalog,
    run_until,
)
from tests.support.settings import EXAMPLE_CATALOG

# ---- maintenance windows ----------------------------------------------------------------------------------------


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
    resolve(state, "monitoring:prometheus", "every alert resolved", "not recorded", at(30))
    assert state.next_wake() is None
    run_until(state, at(200))
    assert (state.outbox, state.escalations) == ([], [])


def test_acknowledged_inside_the_window_nobody_is_paged_at_its_end() -> None:
    state = opened(at(10), payments_catalog(**TIMEOUT), WINDOW)
    acknowledge(state, "amara", at(20))
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
    escalate(state, "amara", "customers are calling", at(20))
    assert [(e.index, e.at, e.by) for e in state.escalations] == [(0, at(20), "amara")]
    assert (state.in_maintenance(), state.next_escalation_at()) == (False, at(25))
    assert events(state, "maintenance.ended") == [("maintenance.ended", 20)]
    run_until(state, at(45))
    assert [(e.index, e.due) for e in state.escalations] == [(0, at(20)), (1, at(25)), (2, at(35))]
