"""On-call schedules: who is on call in a schedule at a given instant.

A schedule has a time zone, layers and overrides. Who is on call at instant ``t``:

1. An override covering ``t`` (``start <= t < end``) wins; if several cover it, the one listed last.
2. Otherwise the highest layer (the last listed) that has someone on call at ``t``.
3. Otherwise nobody: the schedule has a gap at ``t``.

A layer rotates through its users in order. Its first shift starts at the handoff time on its ``start`` date (local
time in the schedule's zone); it stops at the handoff time on its ``end`` date, if it has one. Before it starts and
after it ends it has nobody on call.

- A rotation whose length is a whole number of days (``1d``, ``7d``, ``14d``) hands off at the local handoff time, so
  a 09:00 handoff stays at 09:00 wall time across daylight saving changes (the shift around the change is an hour
  shorter or longer). On a spring-forward day a handoff time that does not exist happens at the first valid instant
  after the gap (02:30 in Berlin on the last Sunday of March → 03:00 CEST); a time that occurs twice on a fall-back
  day means its first occurrence.
- Any other length (``12h``, ``8h``, ``36h``) steps in absolute time from the first handoff: every shift lasts exactly
  that long, so its wall-clock handoff moves by an hour across a daylight saving change.

Override times with a UTC offset are instants; without one they are local times in the schedule's zone, read with the
same rule as handoff times. The answer says who is on call, what decided it, and until when: the end of the shift,
override or gap (the next change of what decides; the next shift may be the same person).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.durations import PositiveDuration

DAY = timedelta(days=1)
_HANDOFF = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ValueError names it when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name like Europe/Berlin or UTC") from error


def _handoff_time(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time of day: quote it, like '09:00' (YAML reads 10:00 as a number)")
    if isinstance(value, str):
        match = _HANDOFF.match(value.strip())
        if match is None:
            raise ValueError(f"{value!r} is not a time of day: write it as HH:MM, like '09:00'")
        return time(int(match.group(1)), int(match.group(2)))
    return value


class Layer(_Strict):
    name: str = Field(min_length=1)
    users: list[str] = Field(min_length=1)
    """In rotation order: the first is on call in the first shift."""
    rotation: PositiveDuration
    """Shift length: ``1d`` daily, ``7d`` weekly, or any other like ``12h`` or ``3d``."""
    handoff: time
    """Local time of day (HH:MM) at which shifts change hands."""
    start: date
    """The first shift starts at the handoff time on this date."""
    end: date | None = None
    """The layer stops at the handoff time on this date; None: it runs on."""

    _handoff = field_validator("handoff", mode="before")(_handoff_time)

    @property
    def whole_days(self) -> bool:
        return self.rotation % DAY == timedelta(0)


class Override(_Strict):
    """Someone covers the schedule for a while, whatever the layers say."""

    user: str
    start: datetime
    end: datetime
    reason: str | None = None


class Schedule(_Strict):
    name: str = Field(min_length=1)
    time_zone: str
    """IANA name, e.g. Europe/Berlin: handoff times and dates are local to it."""
    layers: list[Layer] = Field(min_length=1)
    """Lowest first: a higher layer (later in the list) wins where it has someone on call."""
    overrides: list[Override] = Field(default_factory=list)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zone(name)
        return name

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.time_zone)


class OnCall(BaseModel):
    """Who is on call in one schedule at one instant, and why."""

    schedule: str
    at: datetime
    user: str | None
    """None: nobody (a gap)."""
    layer: str | None = None
    """The layer that decided, by name; None when an override did or nobody is on call."""
    override: int | None = None
    """The override that decided, by position in the schedule's list."""
    reason: str | None = None
    """The deciding override's reason."""
    until: datetime | None = None
    """When this shift, override or gap ends; None: never (nothing changes after ``at``)."""

    @property
    def decided_by(self) -> str:
        """``layer weekly``, ``override 0 (holiday cover)`` or ``nobody on call``."""
        if self.override is not None:
            return f"override {self.override}" + (f" ({self.reason})" if self.reason else "")
        if self.layer is not None:
            return f"layer {self.layer}"
        return "nobody on call"


class OnCallView(BaseModel):
    """One schedule's answer as ``incidents oncall --json`` and ``GET /v1/oncall`` show it."""

    schedule: str
    at: datetime
    user: str | None
    """None: nobody (a gap)."""
    layer: str | None
    override: int | None
    reason: str | None
    until: datetime | None
    """UTC; None: nothing changes after ``at``."""
    name: str
    time_zone: str
    decided_by: str
    """``layer weekly``, ``override 0 (holiday cover)`` or ``nobody on call``."""
    until_local: str | None
    """``until`` in the schedule's zone, ISO 8601 with its offset."""


class OnCallQuestion(BaseModel):
    """A level that targets schedules, waiting to be paged until who is on call there is known."""

    index: int
    """The step on the escalation path to page."""
    schedules: list[str]
    due: datetime
    by: str | None = None
    asked_at: datetime


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant a wall clock in ``tz`` shows ``at`` on ``day``: the first occurrence of an ambiguous time,
    the first valid instant after the gap for a time that does not exist."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)
    # In a spring-forward gap: the transition lies between the two readings of the offset; find it to the second.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = first.astimezone(UTC)
    low, high = min(low, high), max(low, high)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high


def as_instant(moment: datetime, tz: ZoneInfo) -> datetime:
    """An aware datetime as is; a naive one read as local time in ``tz`` (same rule as handoffs)."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return local_instant(moment.date(), moment.time(), tz)


def parse_moment(text: str) -> datetime:
    """A moment in ISO 8601: aware with an offset (that instant), naive without one (local to each schedule)."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 time; write e.g. 2026-12-24T09:00 (each schedule's local time) "
            "or 2026-12-24T09:00+01:00"
        ) from None


class _Shift(BaseModel):
    user: str | None
    until: datetime | None


def _layer_bounds(layer: Layer, tz: ZoneInfo) -> tuple[datetime, datetime | None]:
    first = local_instant(layer.start, layer.handoff, tz)
    end = local_instant(layer.end, layer.handoff, tz) if layer.end is not None else None
    return first, end


def _handoff_after(layer: Layer, tz: ZoneInfo, shift: int) -> datetime:
    """When shift number ``shift`` (0-based) of a whole-day rotation starts."""
    return local_instant(layer.start + shift * layer.rotation, layer.handoff, tz)


def layer_shift(layer: Layer, tz: ZoneInfo, t: datetime) -> _Shift:
    """Who this layer has on call at ``t`` and until when (or, with nobody, when someone starts)."""
    first, end = _layer_bounds(layer, tz)
    if t < first:
        return _Shift(user=None, until=first)
    if end is not None and t >= end:
        return _Shift(user=None, until=None)
    if layer.whole_days:
        days = layer.rotation // DAY
        shift = (t.astimezone(tz).date() - layer.start).days // days
        while shift > 0 and _handoff_after(layer, tz, shift) > t:
            shift -= 1
        while _handoff_after(layer, tz, shift + 1) <= t:
            shift += 1
        until = _handoff_after(layer, tz, shift + 1)
    else:
        shift = (t - first) // layer.rotation
        until = first + (shift + 1) * layer.rotation
    if end is not None:
        until = min(until, end)
    return _Shift(user=layer.users[shift % len(layer.users)], until=until)


def on_call(schedule_id: str, schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call in ``schedule`` at the aware instant ``at`` (see the module's docstring for the rules)."""
    if at.tzinfo is None:
        raise ValueError("the moment must carry a time zone")
    tz = schedule.zone
    t = at.astimezone(UTC)
    spans = [(as_instant(o.start, tz), as_instant(o.end, tz)) for o in schedule.overrides]
    covering = [index for index, (start, end) in enumerate(spans) if start <= t < end]
    if covering:
        index = covering[-1]
        override = schedule.overrides[index]
        end = spans[index][1]
        later_starts = [start for start, _ in spans[index + 1 :] if t < start < end]
        return OnCall(
            schedule=schedule_id,
            at=t,
            user=override.user,
            override=index,
            reason=override.reason,
            until=min([end, *later_starts]),
        )
    changes = [start for start, _ in spans if start > t]
    shifts = [layer_shift(layer, tz, t) for layer in schedule.layers]
    deciding = next((i for i in reversed(range(len(shifts))) if shifts[i].user is not None), None)
    above = range(len(shifts)) if deciding is None else range(deciding, len(shifts))
    changes += [until for i in above if (until := shifts[i].until) is not None]
    until = min(changes) if changes else None
    if deciding is None:
        return OnCall(schedule=schedule_id, at=t, user=None, until=until)
    layer = schedule.layers[deciding]
    return OnCall(schedule=schedule_id, at=t, user=shifts[deciding].user, layer=layer.name, until=until)


def on_call_view(schedule_id: str, schedule: Schedule, moment: datetime) -> OnCallView:
    """Who is on call in ``schedule`` at ``moment`` (naive: local time in the schedule's zone), and until when."""
    found = on_call(schedule_id, schedule, as_instant(moment, schedule.zone))
    until = found.until
    return OnCallView(
        **found.model_dump(),
        name=schedule.name,
        time_zone=schedule.time_zone,
        decided_by=found.decided_by,
        until_local=until.astimezone(schedule.zone).isoformat() if until is not None else None,
    )


def schedule_problems(where: str, schedule: Schedule, users: set[str] | dict[str, Any]) -> list[str]:
    """What is wrong with a schedule beyond its shape, each naming its path under ``where``."""
    problems = []
    seen: set[str] = set()
    for index, layer in enumerate(schedule.layers):
        path = f"{where}.layers.{index}"
        if layer.name in seen:
            problems.append(f"{path}.name: another layer is already called {layer.name!r}")
        seen.add(layer.name)
        for position, user in enumerate(layer.users):
            if user not in users:
                problems.append(f"{path}.users.{position}: unknown user {user!r}")
        if layer.end is not None and layer.end <= layer.start:
            problems.append(f"{path}.end: {layer.end.isoformat()} is not after start {layer.start.isoformat()}")
    tz = schedule.zone
    for index, override in enumerate(schedule.overrides):
        path = f"{where}.overrides.{index}"
        if override.user not in users:
            problems.append(f"{path}.user: unknown user {override.user!r}")
        if as_instant(override.end, tz) <= as_instant(override.start, tz):
            problems.append(f"{path}.end: {override.end.isoformat()} is not after start {override.start.isoformat()}")
    return problems
