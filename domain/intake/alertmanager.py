"""Prometheus Alertmanager webhooks (payload version 4), translated into a report and a trigger.

One incident per alert group: every notification for a ``groupKey`` from the same integration is folded into the
open incident for ``alertmanager:<integration>:<groupKey>``. Newer fields Alertmanager (or a compatible sender) adds
are kept, not refused; only ``version``, ``groupKey``, ``status`` and ``alerts`` (each with ``status`` and
``labels``) are required.

A label is looked up in ``commonLabels``, then ``groupLabels``, then the labels of the first alert; an empty value
counts as absent. Label values are compared case-insensitively.

====================  ====================================================================================
Report field          From the webhook
====================  ====================================================================================
service               label ``service``, else the integration's service, else label ``job``, else ``unknown``;
                      lower-cased, each run of characters outside ``a-z 0-9 . _ -`` becomes ``-``
urgency               label ``severity``: critical, page, error → high; warning → medium;
                      info, none, anything else or no label → low
impact                label ``impact`` when it is an impact (all_users, many_users, some_users, single_user),
                      else from ``severity``: critical → many_users; warning → some_users; else single_user
category              label ``category`` when it is a category, else application_error
source                monitoring
title                 ``commonAnnotations.summary``, else "<alertname> on <service>" ("Alert on <service>"
                      without an alertname); on one line, cut to 200 characters
description           ``commonAnnotations.description``, then "Source: <generatorURL of the first alert>"
labels                ``commonLabels``: the first 64 by name, values cut to 1000 characters
occurred_at           the earliest ``startsAt`` of the firing alerts (of all alerts when none fires)
reporter              alertmanager:<integration>
dedup_key             alertmanager:<integration>:<groupKey> (groupKey replaced by its sha256 when too long
                      or when it holds a control character)
====================  ====================================================================================

Control characters in annotations and labels are removed as ``domain.intake`` says, never a reason to refuse the
notification. ``startsAt`` and ``endsAt`` are ISO 8601 text: a number (``"startsAt": 0``) is refused, naming it.

The trigger carries the whole payload, one ``AlertState`` per alert (its ``fingerprint``, or the first 16 hex digits
of the sha256 of its sorted labels when it has none) and whether the incident resolves itself once every alert of
the group is resolved.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
from domain.messages.actions import AlertState, TriggerRequest
from domain.models import MAX_DESCRIPTION_BYTES, Category, Impact, IncidentReport, Source, Timestamp, Urgency

SOURCE = "alertmanager"

AlertStatus = Literal["firing", "resolved"]


class AlertmanagerAlert(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    status: AlertStatus
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: Timestamp | None = Field(default=None, alias="startsAt")
    ends_at: Timestamp | None = Field(default=None, alias="endsAt")
    """``0001-01-01T00:00:00Z`` (Go's zero time) while the alert fires."""
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = Field(default="", max_length=200)


class AlertmanagerWebhook(BaseModel):
    """The body Alertmanager posts to a ``webhook_config`` receiver."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    version: Literal["4"]
    group_key: str = Field(min_length=1, alias="groupKey")
    truncated_alerts: int = Field(default=0, ge=0, alias="truncatedAlerts")
    """How many alerts ``max_alerts`` left out of ``alerts``."""
    status: AlertStatus
    receiver: str = ""
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[AlertmanagerAlert] = Field(min_length=1)


SEVERITY_URGENCY: dict[str, Urgency] = {
    "critical": Urgency.HIGH,
    "page": Urgency.HIGH,
    "error": Urgency.HIGH,
    "warning": Urgency.MEDIUM,
    "info": Urgency.LOW,
    "none": Urgency.LOW,
}
"""Urgency by ``severity`` label; any other value, or none, is low."""

SEVERITY_IMPACT: dict[str, Impact] = {
    "critical": Impact.MANY_USERS,
    "warning": Impact.SOME_USERS,
}
"""Impact by ``severity`` label when no ``impact`` label says otherwise; any other value, or none, is single_user."""

DEFAULT_URGENCY = Urgency.LOW
DEFAULT_IMPACT = Impact.SINGLE_USER
DEFAULT_CATEGORY = Category.APPLICATION_ERROR


def alertmanager_trigger(
    payload: AlertmanagerWebhook, integration_name: str, default_service: str | None, auto_resolve: bool
) -> tuple[IncidentReport, TriggerRequest]:
    """The report that opens the group's incident, and the trigger folded into it (see the module's table)."""
    service = first_service([_label(payload, "service"), default_service, _label(payload, "job")])
    severity = _label(payload, "severity").lower()
    key = incident_key(SOURCE, integration_name, payload.group_key)
    title = _title(payload, service)
    report = IncidentReport(
        title=title,
        description=_description(payload),
        service=service,
        category=choice(Category, _label(payload, "category"), DEFAULT_CATEGORY),
        source=Source.MONITORING,
        impact=choice(Impact, _label(payload, "impact"), SEVERITY_IMPACT.get(severity, DEFAULT_IMPACT)),
        urgency=SEVERITY_URGENCY.get(severity, DEFAULT_URGENCY),
        reporter=f"{SOURCE}:{integration_name}",
        dedup_key=key,
        labels=report_labels(payload.common_labels),
        occurred_at=_occurred_at(payload.alerts),
    )
    trigger = TriggerRequest(
        source=SOURCE,
        integration=integration_name,
        dedup_key=key,
        summary=title,
        payload=payload.model_dump(mode="json", by_alias=True),
        alerts=[
            AlertState(fingerprint=alert_fingerprint(alert), firing=alert.status == "firing")
            for alert in payload.alerts
        ],
        auto_resolve=auto_resolve,
    )
    return report, trigger


def alert_fingerprint(alert: AlertmanagerAlert) -> str:
    """Alertmanager's fingerprint, or the first 16 hex digits of the sha256 of the sorted labels when it sent none."""
    if alert.fingerprint:
        return alert.fingerprint
    canonical = json.dumps(alert.labels, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _label(payload: AlertmanagerWebhook, name: str) -> str:
    """A label's value from the common labels, the group labels, then the first alert; ``""`` when none has it."""
    for labels in (payload.common_labels, payload.group_labels, payload.alerts[0].labels):
        value = labels.get(name, "").strip()
        if value:
            return value
    return ""


def _title(payload: AlertmanagerWebhook, service: str) -> str:
    summary = clip(one_line(payload.common_annotations.get("summary", "")), MAX_TITLE)
    if len(summary) >= MIN_TITLE:
        return summary
    return clip(one_line(f"{_label(payload, 'alertname') or 'Alert'} on {service}"), MAX_TITLE)


def _description(payload: AlertmanagerWebhook) -> str:
    parts = [many_lines(payload.common_annotations.get("description", "")).strip()]
    source = one_line(payload.alerts[0].generator_url).strip()
    if source:
        parts.append(f"Source: {source}")
    return clip("\n\n".join(part for part in parts if part), MAX_DESCRIPTION, MAX_DESCRIPTION_BYTES)


def _occurred_at(alerts: list[AlertmanagerAlert]) -> datetime | None:
    firing = [alert.starts_at for alert in alerts if alert.status == "firing" and alert.starts_at is not None]
    starts = firing or [alert.starts_at for alert in alerts if alert.starts_at is not None]
    return min(starts, default=None)
