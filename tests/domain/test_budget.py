"""The size budget: notes past a bound are refused with its name, everything else is folded or counted, and the
state stays under the budget whatever is sent to it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.errors import LimitReached
from domain.incident import IncidentState, Page, add_note, budget, fold_trigger, record_attempt
from domain.incident._paging import page_step  # the rule under test: a level paged again and again
from domain.intake.common import clip, report_labels
from domain.messages.actions import AlertState, TriggerRequest
from tests.support.reports import make_report

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OpenIncident = Callable[..., IncidentState]
RESPONDERS = ["amara", "bruno", "chen", "kofi"]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def size(state: IncidentState) -> int:
    return len(state.model_dump_json())


def test_notes_past_the_per_author_bound_are_refused_naming_it(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    for n in range(budget.MAX_NOTES_PER_AUTHOR):
        add_note(state, "amara", f"note {n}", at(n))
    before = state.model_copy(deep=True)
    with pytest.raises(LimitReached) as refused:
        add_note(state, "amara", "one more", at(100))
    assert str(refused.value) == "cannot add the note: amara has written 40 notes here, the most one person may"
    assert state == before
    add_note(state, "bruno", "another person may", at(101))
    assert [n.message for n in state.notes][-2:] == ["note 39", "another person may"]


def test_notes_past_the_per_incident_bound_are_refused_naming_it(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    for n in range(budget.MAX_NOTES):
        add_note(state, RESPONDERS[n % 4], f"n{n}", at(n))
    with pytest.raises(LimitReached) as refused:
        state.check_note("chen", "x")
    assert str(refused.value) == "cannot add the note: the incident holds 100 notes, the most it keeps"
    assert len(state.notes) == 100


def test_notes_past_the_text_bound_are_refused_with_the_bytes(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    for n in range(4):
        add_note(state, RESPONDERS[n], "é" * 5_000, at(n))  # 10,000 bytes each in UTF-8
    with pytest.raises(LimitReached) as refused:
        add_note(state, "amara", "x" * 10_000, at(10))
    assert str(refused.value) == (
        "cannot add the note: the incident's notes would hold 50000 bytes of text, more than the 49152 it keeps "
        "(40000 used)"
    )
    add_note(state, "amara", "x" * 9_152, at(11))  # exactly to the bound
    assert sum(budget.utf8_size(n.message) for n in state.notes) == budget.MAX_NOTE_BYTES


def test_the_timeline_folds_its_oldest_routine_entries_and_keeps_notes(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    opened = len(state.timeline)
    add_note(state, "amara", "first look: the gateway answers 502", at(1))
    page = Page(step="page-0", kind="escalation", recipients=["amara"], subject="s", text="t")
    for n in range(2_000):
        record_attempt(state, page, "webhook", n + 1, "retrying", "HTTP 500 " + "x" * 200, at(2 + n))
    kinds = [e.kind for e in state.timeline]
    assert kinds[:3] == ["incident.opened", "incident.classified", "incident.routed"]
    assert kinds.count("timeline.compacted") == 1
    assert kinds.count("note.added") == 1
    assert sum(budget.entry_size(e) for e in state.timeline) <= budget.TIMELINE_BUDGET_BYTES
    summary = next(e for e in state.timeline if e.kind == "timeline.compacted")
    kept = kinds.count("notification.retrying")
    assert summary.data["notification.retrying"] == 2_000 - kept
    assert summary.data["entries"] == sum(v for k, v in summary.data.items() if k not in ("entries", "until"))
    assert state.timeline_total == opened + 1 + 2_000
    assert state.timeline[-1].data["attempt"] == 2_000  # the newest entries are never folded
    assert size(state) < budget.STATE_BUDGET_BYTES


def test_the_timeline_total_counts_every_entry_ever_recorded(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    recorded = len(state.timeline)
    page = Page(step="page-0", kind="escalation", recipients=["amara"], subject="s", text="t")
    for n in range(1_500):
        record_attempt(state, page, "webhook", n + 1, "retrying", "x" * 300, at(n))
    assert state.timeline_total == recorded + 1_500
    assert len(state.timeline) < recorded + 1_500
    continued = IncidentState.model_validate_json(state.model_dump_json())  # continue-as-new
    assert continued.timeline_total == state.timeline_total
    assert continued.model_dump() == state.model_dump()


def trigger(alerts: list[tuple[str, bool]], payload: dict[str, object] | None = None) -> TriggerRequest:
    return TriggerRequest(
        source="alertmanager",
        dedup_key="am:group",
        summary="High error rate",
        alerts=[AlertState(fingerprint=f, firing=firing) for f, firing in alerts],
        payload=payload or {},
        auto_resolve=True,
    )


def test_alerts_past_the_bound_are_counted_and_the_group_resolves_on_its_resolved_notification(
    open_incident: OpenIncident,
) -> None:
    state = open_incident(T0)
    firing = [(f"fp{n:06d}", True) for n in range(100_000)]
    for chunk in range(0, 100_000, 5_000):
        fold_trigger(state, trigger(firing[chunk : chunk + 5_000]), at(chunk / 1000))
    assert len(state.alerts) == budget.MAX_TRACKED_ALERTS
    assert state.untracked_alerts == 100_000 - budget.MAX_TRACKED_ALERTS
    assert [e.kind for e in state.timeline].count("alert.firing") == budget.MAX_ALERT_ENTRIES
    summaries = [e for e in state.timeline if e.kind == "alerts.changed"]
    assert [(e.data["started"], e.data["tracked"]) for e in summaries] == [(360, 400)]
    # The tracked alerts resolve, the others are still counted: no automatic resolution yet.
    fold_trigger(state, trigger([(f, False) for f, _ in firing[:400]] + firing[400:401]), at(200))
    assert state.status.value == "triggered"
    # The group's own "resolved" notification lists every alert resolved: that resolves the incident.
    fold_trigger(state, trigger([(f, False) for f, _ in firing[:5_000]]), at(300))
    assert state.status.value == "resolved"
    assert state.resolution_summary == (
        "every alert of the group resolved (400 alerts tracked one by one, 104201 reports of further alerts counted)"
    )
    assert size(state) < budget.STATE_BUDGET_BYTES


def test_a_long_fingerprint_is_tracked_by_its_digest(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    long = "f" * 200
    fold_trigger(state, trigger([(long, True)]), at(1))
    assert list(state.alerts) == ["sha256:" + hashlib.sha256(long.encode()).hexdigest()[:32]]
    assert state.timeline[-1].message == f"alert {next(iter(state.alerts))} firing"
    assert budget.alert_key("a1b2c3") == "a1b2c3"


def test_a_payload_too_large_is_kept_as_a_summary() -> None:
    big = {f"key{n}": "v" * 1_000 for n in range(64)}
    request = trigger([], payload=big)
    assert request.payload == {
        "truncated": True,
        "bytes": 10 * 1_009 + 54 * 1_010 + 63 + 2,  # {"key0":"vvv…",…} without spaces
        "limit": 8192,
        "keys": [f"key{n}" for n in range(32)],
        "keys_total": 64,
    }
    small = {"summary": "disk full", "severity": "critical"}
    assert trigger([], payload=small).payload == small


def test_escalations_deliveries_and_snoozes_keep_the_latest_and_count_the_rest(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    for n in range(200):
        page_step(state, n % 3, at(n), due=at(n), by=None)
    assert len(state.escalations) == budget.MAX_ESCALATIONS_KEPT
    assert sum(state.escalations_compacted.values()) == 201 - budget.MAX_ESCALATIONS_KEPT
    # Page names keep counting past the folded escalations: a level paged again never reuses a step.
    steps = [p.step for p in state.outbox if p.kind == "escalation"]
    assert len(steps) == len(set(steps)) == 201
    page = Page(step="page-0", kind="escalation", recipients=["amara"], subject="s", text="t")
    for n in range(150):
        record_attempt(state, page.model_copy(update={"step": f"s{n}"}), "log", 1, "delivered", "ok", at(n))
    assert (len(state.deliveries), state.deliveries_compacted) == (budget.MAX_DELIVERIES_KEPT, 70)
    assert state.deliveries[-1].step == "s149"


def test_a_report_stays_within_its_share_in_bytes() -> None:
    assert make_report(description="€" * 10_922).description == "€" * 10_922  # 32,766 bytes
    with pytest.raises(ValidationError) as refused:
        make_report(description="€" * 11_000)
    assert refused.value.errors()[0]["msg"] == "Value error, the description is 33000 bytes in UTF-8; at most 32768"
    labels = {f"label{n:02d}": "€" * 1_000 for n in range(10)}  # 3,007 bytes each
    with pytest.raises(ValidationError) as refused:
        make_report(labels=labels)
    assert refused.value.errors()[0]["msg"] == (
        "Value error, labels hold 30070 bytes in UTF-8, names and values together; at most 16384"
    )
    # Intake formats cut rather than refuse, never inside a character.
    assert clip("€" * 20_000, 20_000, 32 * 1024) == "€" * 10_922
    assert list(report_labels(labels)) == [f"label{n:02d}" for n in range(5)]  # 5 × 3,007 bytes fit
