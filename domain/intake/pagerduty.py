"""PagerDuty Events API v2 (``POST /v2/enqueue``), validated as PagerDuty does, translated into a report and a trigger.

An event is a ``trigger`` (``payload`` required, ``dedup_key`` optional) or an ``acknowledge`` / ``resolve``
(``dedup_key`` required, anything else ignored). Types are strict: a number where a string belongs is refused, not
converted. Fields PagerDuty does not define are ignored. A refused event is answered the way PagerDuty answers it,
``400 {"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``, one error per problem,
each naming the field: ``'payload.summary' is missing or blank``.

One incident per dedup key: every event for ``pagerduty:<integration>:<dedup_key>`` is folded into the open
incident for it. A trigger without a ``dedup_key`` gets one from the caller, who returns it in the response.

====================  ====================================================================================
Report field          From the event
====================  ====================================================================================
service               ``payload.component``, else the integration's service, else ``payload.source``;
                      lower-cased, each run of characters outside ``a-z 0-9 . _ -`` becomes ``-``
urgency, impact       ``payload.severity``: critical → high, many_users; error → high, some_users;
                      warning → medium, some_users; info → low, single_user
category              ``payload.class`` when it is a category, else application_error
source                monitoring
title                 ``payload.summary`` cut to 200 characters ("<summary> (<source>)" when shorter than 3)
description           the whole summary when it was cut; source, component, group, class, client;
                      ``custom_details`` as JSON; the links
labels                source, component, group, class (those present), values cut to 1000 characters
occurred_at           ``payload.timestamp`` (ISO 8601; UTC when it has no offset)
reporter              pagerduty:<integration>
dedup_key             pagerduty:<integration>:<dedup_key> (dedup_key replaced by its sha256 when too long
                      or when it holds a control character)
====================  ====================================================================================

Control characters in the event are removed from the report as ``domain.intake`` says (title and labels on one
line; the description keeps line feeds and tabs), never a reason to refuse the event. A ``timestamp`` that is not
ISO 8601 text, a number included, is refused.

The trigger carries the whole summary (up to 1024 characters) and the event without its ``routing_key``: the key is
the integration's secret, and what a trigger carries lands in the incident's history.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from domain.intake.common import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    MIN_TITLE,
    choice,
    clip,
    first_service,
    incident_key,
    many_lines,
    one_line,
    report_labels,
)
from domain.messages.actions import TriggerRequest
from domain.models import MAX_DESCRIPTION_BYTES, Category, Impact, IncidentReport, Source, Urgency

SOURCE = "pagerduty"
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255

Severity = Literal["critical", "warning", "error", "info"]
"""In PagerDuty's order, so the error message lists them as PagerDuty does."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", str_strip_whitespace=True, populate_by_name=True)


class PagerDutyImage(_Strict):
    src: str = Field(min_length=1)
    href: str | None = None
    alt: str | None = None


class PagerDutyLink(_Strict):
    href: str = Field(min_length=1)
    text: str | None = None


class PagerDutyPayload(_Strict):
    summary: str = Field(min_length=1, max_length=MAX_SUMMARY)
    source: str = Field(min_length=1)
    severity: Severity
    timestamp: AwareDatetime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: JsonValue = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _iso_8601(cls, value: object) -> object:
        """An ISO 8601 string (``2015-07-17T08:42:58.315+0000``); one without an offset is taken as UTC."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise PydanticCustomError("timestamp_invalid", "must be an ISO 8601 timestamp")
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("timestamp_invalid", "must be an ISO 8601 timestamp") from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class _Envelope(_Strict):
    routing_key: str = Field(min_length=1)


class PagerDutyTrigger(_Envelope):
    event_action: Literal["trigger"]
    dedup_key: str | None = Field(default=None, max_length=MAX_DEDUP_KEY)
    payload: PagerDutyPayload
    images: list[PagerDutyImage] = Field(default_factory=list)
    links: list[PagerDutyLink] = Field(default_factory=list)
    client: str | None = None
    client_url: str | None = None

    @field_validator("dedup_key", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class PagerDutyAction(_Envelope):
    """An acknowledge or a resolve: the dedup key says which incident."""

    event_action: Literal["acknowledge", "resolve"]
    dedup_key: str = Field(min_length=1, max_length=MAX_DEDUP_KEY)


PagerDutyEvent = Annotated[PagerDutyTrigger | PagerDutyAction, Field(discriminator="event_action")]
_EVENT: TypeAdapter[PagerDutyTrigger | PagerDutyAction] = TypeAdapter(PagerDutyEvent)
_ACTIONS = ("trigger", "acknowledge", "resolve")


def parse_pagerduty_event(body: object) -> PagerDutyTrigger | PagerDutyAction:
    """The event in a decoded JSON body; raises ``ValidationError`` (read it with ``pagerduty_errors``)."""
    return _EVENT.validate_python(body)


def pagerduty_errors(error: ValidationError) -> list[str]:
    """PagerDuty-style messages, one per problem, each naming the field: ``'payload.summary' is missing or blank``."""
    messages: list[str] = []
    for problem in error.errors():
        messages.extend(_messages(problem))
    return list(dict.fromkeys(messages))


def pagerduty_invalid_response(error: ValidationError) -> dict[str, Any]:
    """The body PagerDuty answers a refused event with (status 400)."""
    return {"status": "invalid event", "message": "Event object is invalid", "errors": pagerduty_errors(error)}


SEVERITY_TABLE: dict[str, tuple[Urgency, Impact]] = {
    "critical": (Urgency.HIGH, Impact.MANY_USERS),
    "error": (Urgency.HIGH, Impact.SOME_USERS),
    "warning": (Urgency.MEDIUM, Impact.SOME_USERS),
    "info": (Urgency.LOW, Impact.SINGLE_USER),
}
"""Urgency and impact by ``payload.severity``."""

DEFAULT_CATEGORY = Category.APPLICATION_ERROR


def pagerduty_trigger(
    event: PagerDutyTrigger, integration_name: str, default_service: str | None, generated_dedup_key: str
) -> tuple[IncidentReport, TriggerRequest]:
    """The report that opens the key's incident, and the trigger folded into it (see the module's table)."""
    details = event.payload
    key = pagerduty_full_key(integration_name, event.dedup_key or generated_dedup_key)
    urgency, impact = SEVERITY_TABLE[details.severity]
    report = IncidentReport(
        title=_title(details),
        description=_description(event),
        service=first_service([details.component, default_service, details.source]),
        category=choice(Category, details.class_, DEFAULT_CATEGORY),
        source=Source.MONITORING,
        impact=impact,
        urgency=urgency,
        reporter=f"{SOURCE}:{integration_name}",
        dedup_key=key,
        labels=report_labels(_labels(details)),
        occurred_at=details.timestamp,
    )
    trigger = TriggerRequest(
        source=SOURCE,
        integration=integration_name,
        dedup_key=key,
        summary=one_line(details.summary),
        payload=event.model_dump(mode="json", by_alias=True, exclude={"routing_key"}, exclude_none=True),
    )
    return report, trigger


def pagerduty_key(event: PagerDutyAction, integration_name: str) -> str:
    """The key of the incident an acknowledge or a resolve is for."""
    return pagerduty_full_key(integration_name, event.dedup_key)


def pagerduty_full_key(integration_name: str, dedup_key: str) -> str:
    """``pagerduty:<integration>:<dedup_key>``, the same for the trigger and the acknowledge or resolve after it."""
    return incident_key(SOURCE, integration_name, dedup_key)


def _title(details: PagerDutyPayload) -> str:
    summary = one_line(details.summary)
    title = clip(summary, MAX_TITLE)
    return title if len(title) >= MIN_TITLE else clip(one_line(f"{summary.strip()} ({details.source})"), MAX_TITLE)


def _labels(details: PagerDutyPayload) -> dict[str, str]:
    found = {"source": details.source, "component": details.component, "group": details.group, "class": details.class_}
    return {name: value for name, value in found.items() if value}


def _description(event: PagerDutyTrigger) -> str:
    details = event.payload
    sections = [details.summary if len(details.summary) > MAX_TITLE else ""]
    if event.client and event.client_url:
        client = f"{event.client} ({event.client_url})"
    else:
        client = event.client or event.client_url or ""
    fields = {**{name.capitalize(): value for name, value in _labels(details).items()}, "Client": client}
    sections.append("\n".join(f"{name}: {value}" for name, value in fields.items() if value))
    if details.custom_details is not None:
        text = details.custom_details
        shown = text if isinstance(text, str) else json.dumps(text, indent=2, sort_keys=True, ensure_ascii=False)
        sections.append(f"Details:\n{shown}")
    if event.links:
        links = [f"- {link.text}: {link.href}" if link.text else f"- {link.href}" for link in event.links]
        sections.append("Links:\n" + "\n".join(links))
    return clip(
        many_lines("\n\n".join(section for section in sections if section)), MAX_DESCRIPTION, MAX_DESCRIPTION_BYTES
    )


def _messages(problem: ErrorDetails) -> list[str]:
    """What PagerDuty would say about one problem (a bad or missing ``event_action`` also checks the routing key)."""
    kind, given = problem["type"], problem["input"]
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        action = given.get("event_action") if isinstance(given, dict) else None
        try:
            _Envelope.model_validate(given)
            envelope: list[str] = []
        except ValidationError as error:
            envelope = pagerduty_errors(error)
        if action is None or (isinstance(action, str) and not action.strip()):
            return [*envelope, "'event_action' is missing or blank"]
        expected = "'trigger', 'acknowledge' or 'resolve'"
        return [*envelope, f"'event_action' is invalid (must be one of the following: {expected})"]
    path = _path(problem["loc"])
    if not path:
        return ["the event must be a JSON object"]
    if kind in ("missing", "string_too_short") or given is None:
        return [f"'{path}' is missing or blank"]
    context = problem.get("ctx", {})
    described = {
        "string_too_long": f"is too long (maximum is {context.get('max_length')} characters)",
        "literal_error": f"is invalid (must be one of the following: {context.get('expected')})",
        "timestamp_invalid": "is invalid (must be an ISO 8601 timestamp)",
        "string_type": "must be a string",
        "list_type": "must be an array",
        "model_type": "must be an object",
    }
    fallback = f"is invalid ({problem['msg']})"
    return [f"'{path}' {described.get(kind, fallback)}"]


def _path(location: tuple[int | str, ...]) -> str:
    """``('trigger', 'images', 0, 'src')`` → ``images[0].src`` (the leading event action is pydantic's, not a field)."""
    parts = location[1:] if location and location[0] in _ACTIONS else location
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path
