"""Who is on call: handoffs to the minute, time zones across DST changes, layers, overrides, validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from domain.policy.schedules import OnCall, Schedule, as_instant, local_instant, on_call, schedule_problems

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def schedule(time_zone: str, *layers: dict[str, Any], overrides: list[dict[str, Any]] | None = None) -> Schedule:
    return Schedule.model_validate(
        {"name": "test", "time_zone": time_zone, "layers": list(layers), "overrides": overrides or []}
    )


def layer(users: list[str], rotation: str, handoff: str, start: str, **more: Any) -> dict[str, Any]:
    return {"name": more.pop("name", "main"), "users": users, "rotation": rotation, "handoff": handoff,
            "start": start, **more}  # fmt: skip


def who(found: OnCall) -> tuple[str | None, str, datetime | None]:
    return found.user, found.decided_by, found.until


# Weekly, Monday 09:00 Berlin, from Monday 2026-11-02: amara, bruno, amara, ...; DST ends 2026-10-25, begins 2026-03-29.
WEEKLY = schedule("Europe/Berlin", layer(["amara", "bruno"], "7d", "09:00", "2026-11-02", name="weekly"))
WEEKLY_SPRING = schedule("Europe/Berlin", layer(["amara", "bruno"], "7d", "09:00", "2026-03-23", name="weekly"))
WEEKLY_FALL = schedule("Europe/Berlin", layer(["amara", "bruno"], "7d", "09:00", "2026-10-19", name="weekly"))


@pytest.mark.parametrize(
    ("plan", "at", "user", "until"),
    [
        (WEEKLY, "2026-11-02T07:59:00", None, "2026-11-02T08:00:00"),  # not started yet: 09:00 CET is 08:00 UTC
        (WEEKLY, "2026-11-02T08:00:00", "amara", "2026-11-09T08:00:00"),
        (WEEKLY, "2026-11-09T07:59:00", "amara", "2026-11-09T08:00:00"),
        (WEEKLY, "2026-11-09T08:00:00", "bruno", "2026-11-16T08:00:00"),
        (WEEKLY, "2026-11-16T08:00:00", "amara", "2026-11-23T08:00:00"),
        (WEEKLY, "2026-11-28T12:00:00", "bruno", "2026-11-30T08:00:00"),
        # Spring forward on Sunday 2026-03-29: Monday's 09:00 handoff is 07:00 UTC, the shift was an hour shorter.
        (WEEKLY_SPRING, "2026-03-30T06:59:00", "amara", "2026-03-30T07:00:00"),
        (WEEKLY_SPRING, "2026-03-30T07:00:00", "bruno", "2026-04-06T07:00:00"),
        # Fall back on Sunday 2026-10-25: Monday's 09:00 handoff is 08:00 UTC again, the shift an hour longer.
        (WEEKLY_FALL, "2026-10-26T07:59:00", "amara", "2026-10-26T08:00:00"),
        (WEEKLY_FALL, "2026-10-26T08:00:00", "bruno", "2026-11-02T08:00:00"),
    ],
)
def test_weekly_rotation_hands_off_at_nine_local_time(plan: Schedule, at: str, user: str | None, until: str) -> None:
    found = on_call("payments-primary", plan, utc(at))
    assert (found.schedule, found.at, found.user, found.until) == ("payments-primary", utc(at), user, utc(until))
    assert found.layer == (None if user is None else "weekly")


# Daily 09:00 New York from Friday 2026-03-06: ivan, jade, ivan, ...; DST begins 2026-03-08, ends 2026-11-01.
DAILY_NY = schedule("America/New_York", layer(["ivan", "jade"], "1d", "09:00", "2026-03-06"))


@pytest.mark.parametrize(
    ("at", "user", "until"),
    [
        ("2026-03-06T13:59:00", None, "2026-03-06T14:00:00"),  # 09:00 EST
        ("2026-03-06T14:00:00", "ivan", "2026-03-07T14:00:00"),
        ("2026-03-07T13:59:00", "ivan", "2026-03-07T14:00:00"),
        ("2026-03-07T14:00:00", "jade", "2026-03-08T13:00:00"),  # Sunday's 09:00 is EDT: 23 hours later
        ("2026-03-08T12:59:00", "jade", "2026-03-08T13:00:00"),
        ("2026-03-08T13:00:00", "ivan", "2026-03-09T13:00:00"),
        ("2026-10-31T13:00:00", "jade", "2026-11-01T14:00:00"),  # 239 shifts later; fall back makes one 25 hours
        ("2026-11-01T13:59:00", "jade", "2026-11-01T14:00:00"),
        ("2026-11-01T14:00:00", "ivan", "2026-11-02T14:00:00"),
    ],
)
def test_daily_rotation_in_new_york_across_both_dst_changes(at: str, user: str | None, until: str) -> None:
    assert (on_call("ops", DAILY_NY, utc(at)).user, on_call("ops", DAILY_NY, utc(at)).until) == (user, utc(until))


# 12-hour shifts step in absolute time: 08:00/20:00 CET becomes 09:00/21:00 CEST after 2026-03-29.
TWELVE_HOURS = schedule("Europe/Berlin", layer(["kofi", "lena"], "12h", "08:00", "2026-03-27"))


@pytest.mark.parametrize(
    ("at", "user", "until"),
    [
        ("2026-03-27T06:59:00", None, "2026-03-27T07:00:00"),
        ("2026-03-27T07:00:00", "kofi", "2026-03-27T19:00:00"),
        ("2026-03-27T18:59:00", "kofi", "2026-03-27T19:00:00"),
        ("2026-03-27T19:00:00", "lena", "2026-03-28T07:00:00"),
        ("2026-03-29T06:59:00", "lena", "2026-03-29T07:00:00"),
        ("2026-03-29T07:00:00", "kofi", "2026-03-29T19:00:00"),  # 09:00 CEST on the wall
    ],
)
def test_twelve_hour_rotation_steps_in_absolute_time(at: str, user: str | None, until: str) -> None:
    found = on_call("follow-the-sun", TWELVE_HOURS, utc(at))
    assert (found.user, found.until) == (user, utc(until))


# Daily at 02:30 Berlin: on 2026-03-29 02:30 does not exist (02:00 → 03:00); on 2026-10-25 it happens twice.
NIGHTLY = schedule("Europe/Berlin", layer(["amara", "bruno"], "1d", "02:30", "2026-03-27"))
NIGHTLY_FALL = schedule("Europe/Berlin", layer(["amara", "bruno"], "1d", "02:30", "2026-10-24"))


@pytest.mark.parametrize(
    ("plan", "at", "user", "until"),
    [
        (NIGHTLY, "2026-03-28T01:30:00", "bruno", "2026-03-29T01:00:00"),  # 02:30 CET, then 03:00 CEST
        (NIGHTLY, "2026-03-29T00:59:00", "bruno", "2026-03-29T01:00:00"),
        (NIGHTLY, "2026-03-29T01:00:00", "amara", "2026-03-30T00:30:00"),
        (NIGHTLY_FALL, "2026-10-25T00:29:00", "amara", "2026-10-25T00:30:00"),  # first 02:30, still CEST
        (NIGHTLY_FALL, "2026-10-25T00:30:00", "bruno", "2026-10-26T01:30:00"),
        (NIGHTLY_FALL, "2026-10-25T01:30:00", "bruno", "2026-10-26T01:30:00"),  # the second 02:30 is no handoff
    ],
)
def test_handoff_at_a_time_that_does_not_exist_or_happens_twice(plan: Schedule, at: str, user: str, until: str) -> None:
    found = on_call("nightly", plan, utc(at))
    assert (found.user, found.until) == (user, utc(until))


@pytest.mark.parametrize(
    ("day", "at", "zone", "instant"),
    [
        (date(2026, 3, 29), time(2, 30), BERLIN, "2026-03-29T01:00:00"),  # gap: first valid instant, 03:00 CEST
        (date(2026, 3, 29), time(2, 0), BERLIN, "2026-03-29T01:00:00"),
        (date(2026, 3, 29), time(3, 0), BERLIN, "2026-03-29T01:00:00"),
        (date(2026, 3, 29), time(1, 59), BERLIN, "2026-03-29T00:59:00"),
        (date(2026, 10, 25), time(2, 30), BERLIN, "2026-10-25T00:30:00"),  # twice: the first, still CEST
        (date(2026, 3, 8), time(2, 15), NEW_YORK, "2026-03-08T07:00:00"),  # gap: 03:00 EDT
        (date(2026, 11, 1), time(1, 30), NEW_YORK, "2026-11-01T05:30:00"),  # twice: the first, still EDT
        (date(2026, 11, 1), time(9, 0), NEW_YORK, "2026-11-01T14:00:00"),
    ],
)
def test_local_instant(day: date, at: time, zone: ZoneInfo, instant: str) -> None:
    assert local_instant(day, at, zone) == utc(instant)


def test_an_aware_moment_is_kept_and_a_naive_one_is_local() -> None:
    aware = datetime(2026, 12, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert as_instant(aware, BERLIN) == utc("2026-12-24T00:00:00")
    assert as_instant(datetime(2026, 12, 24, 9, 0), BERLIN) == utc("2026-12-24T08:00:00")


# Two layers: weekly base; a holiday layer (chen, daily) only from 2026-12-24 to 2026-12-27 at 09:00 Berlin.
LAYERED = schedule(
    "Europe/Berlin",
    layer(["amara", "bruno"], "7d", "09:00", "2026-11-02", name="weekly"),
    layer(["chen"], "1d", "09:00", "2026-12-24", end="2026-12-27", name="holidays"),
)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-12-24T07:59:00", ("bruno", "layer weekly", utc("2026-12-24T08:00:00"))),  # top layer not started
        ("2026-12-24T08:00:00", ("chen", "layer holidays", utc("2026-12-25T08:00:00"))),
        ("2026-12-26T12:00:00", ("chen", "layer holidays", utc("2026-12-27T08:00:00"))),
        ("2026-12-27T08:00:00", ("bruno", "layer weekly", utc("2026-12-28T08:00:00"))),  # top layer ended
    ],
)
def test_the_highest_layer_with_someone_on_call_decides(at: str, expected: tuple[str, str, datetime | None]) -> None:
    assert who(on_call("payments-primary", LAYERED, utc(at))) == expected


# Overrides on the weekly schedule (amara's week from 2026-11-02): bruno covers a day (local times), chen an evening
# (aware times, listed later, so chen wins where both cover).
OVERRIDDEN = schedule(
    "Europe/Berlin",
    layer(["amara", "bruno"], "7d", "09:00", "2026-11-02", name="weekly"),
    overrides=[
        {"user": "bruno", "start": "2026-11-03T12:00:00", "end": "2026-11-04T12:00:00", "reason": "dentist"},
        {"user": "chen", "start": "2026-11-03T18:00:00+01:00", "end": "2026-11-03T20:00:00+01:00"},
    ],
)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-11-03T10:59:00", ("amara", "layer weekly", utc("2026-11-03T11:00:00"))),  # until the override starts
        ("2026-11-03T11:00:00", ("bruno", "override 0 (dentist)", utc("2026-11-03T17:00:00"))),  # until chen's
        ("2026-11-03T17:00:00", ("chen", "override 1", utc("2026-11-03T19:00:00"))),
        ("2026-11-03T19:00:00", ("bruno", "override 0 (dentist)", utc("2026-11-04T11:00:00"))),
        ("2026-11-04T11:00:00", ("amara", "layer weekly", utc("2026-11-09T08:00:00"))),
        ("2026-11-02T07:00:00", (None, "nobody on call", utc("2026-11-02T08:00:00"))),  # not started
    ],
)
def test_overrides_beat_layers_and_the_last_listed_wins(at: str, expected: tuple[str, str, datetime | None]) -> None:
    found = on_call("payments-primary", OVERRIDDEN, utc(at))
    assert who(found) == expected
    assert found.override == (None if expected[1].startswith(("layer", "nobody")) else int(expected[1].split()[1]))


def test_an_override_before_the_schedule_starts_fills_the_gap() -> None:
    plan = schedule(
        "Europe/Berlin",
        layer(["amara"], "7d", "09:00", "2026-11-02"),
        overrides=[{"user": "kofi", "start": "2026-11-01T00:00:00", "end": "2026-11-01T12:00:00"}],
    )
    assert who(on_call("s", plan, utc("2026-10-31T12:00:00"))) == (None, "nobody on call", utc("2026-10-31T23:00:00"))
    assert who(on_call("s", plan, utc("2026-11-01T00:00:00"))) == ("kofi", "override 0", utc("2026-11-01T11:00:00"))
    assert who(on_call("s", plan, utc("2026-11-01T11:00:00"))) == (None, "nobody on call", utc("2026-11-02T08:00:00"))


def test_a_layer_that_ended_leaves_nobody_and_nothing_changes_after() -> None:
    plan = schedule("UTC", layer(["amara"], "1d", "00:00", "2026-01-01", end="2026-01-03"))
    assert who(on_call("s", plan, utc("2026-01-02T23:59:00"))) == ("amara", "layer main", utc("2026-01-03T00:00:00"))
    assert who(on_call("s", plan, utc("2026-01-03T00:00:00"))) == (None, "nobody on call", None)


def test_three_day_rotation_and_many_shifts_later() -> None:
    plan = schedule("UTC", layer(["a", "b", "c"], "3d", "06:00", "2026-01-01"))
    assert who(on_call("s", plan, utc("2026-01-04T05:59:00"))) == ("a", "layer main", utc("2026-01-04T06:00:00"))
    assert who(on_call("s", plan, utc("2026-01-04T06:00:00"))) == ("b", "layer main", utc("2026-01-07T06:00:00"))
    # 2026-12-31 is day 364: shift 121 (b), which started on day 363 and ends on day 366, 2027-01-02.
    assert who(on_call("s", plan, utc("2026-12-31T12:00:00"))) == ("b", "layer main", utc("2027-01-02T06:00:00"))


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="the moment must carry a time zone"):
        on_call("s", WEEKLY, datetime(2026, 11, 2, 9, 0))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"time_zone": "Europe/Berlinn"},
            "unknown time zone 'Europe/Berlinn': use an IANA name like Europe/Berlin or UTC",
        ),
        ({"layers": [layer(["a"], "7d", "9:00", "2026-11-02")]}, "'9:00' is not a time of day: write it as HH:MM"),
        ({"layers": [layer(["a"], "7d", 600, "2026-11-02")]}, "600 is not a time of day: quote it, like '09:00'"),
        ({"layers": [layer(["a"], "0s", "09:00", "2026-11-02")]}, "must be longer than zero"),
        ({"layers": []}, "layers\n  List should have at least 1 item"),
        ({"layers": [layer([], "1d", "09:00", "2026-11-02")]}, "users\n  List should have at least 1 item"),
    ],
)
def test_a_malformed_schedule_is_refused(change: dict[str, Any], problem: str) -> None:
    data = {"name": "s", "time_zone": "UTC", "layers": [layer(["a"], "1d", "09:00", "2026-11-02")]} | change
    with pytest.raises(ValidationError) as error:
        Schedule.model_validate(data)
    assert problem in str(error.value)


def test_schedule_problems_name_the_path() -> None:
    plan = schedule(
        "Europe/Berlin",
        layer(["amara", "zed"], "7d", "09:00", "2026-11-02", name="weekly"),
        layer(["amara"], "1d", "09:00", "2026-11-02", end="2026-11-02", name="weekly"),
        overrides=[
            {"user": "yan", "start": "2026-11-03T12:00:00", "end": "2026-11-03T12:00:00"},
            {"user": "amara", "start": "2026-11-03T12:00:00+01:00", "end": "2026-11-03T11:30:00Z"},
        ],
    )
    assert schedule_problems("schedules.p", plan, {"amara"}) == [
        "schedules.p.layers.0.users.1: unknown user 'zed'",
        "schedules.p.layers.1.name: another layer is already called 'weekly'",
        "schedules.p.layers.1.end: 2026-11-02 is not after start 2026-11-02",
        "schedules.p.overrides.0.user: unknown user 'yan'",
        "schedules.p.overrides.0.end: 2026-11-03T12:00:00 is not after start 2026-11-03T12:00:00",
    ]
    assert timedelta(0) < as_instant(plan.overrides[1].end, BERLIN) - as_instant(plan.overrides[1].start, BERLIN)
