"""PagerDuty Events API v2 bodies as PagerDuty clients send them, and PagerDuty's answers."""

from __future__ import annotations

from typing import Any

from tests.support.gateway import PAGERDUTY_KEY


def trigger_event(dedup_key: str | None, **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": PAGERDUTY_KEY,
        "event_action": "trigger",
        "payload": {
            "summary": "Checkout error rate above 20%",
            "source": "checkout-1.example",
            "severity": "critical",
            "component": "shop-payments",
        },
    }
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    return event | changes


def action_event(action: str, dedup_key: str) -> dict[str, Any]:
    return {"routing_key": PAGERDUTY_KEY, "event_action": action, "dedup_key": dedup_key}


def accepted(dedup_key: str) -> dict[str, str]:
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
