"""Property: whatever JSON a client posts to any POST route, the answer is below 500 and has a JSON body."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.gateway import ALERTMANAGER_KEY, PAGERDUTY_KEY, Api
from tests.support.routes import post_routes

FIELDS = [
    # reports and responder bodies
    "title", "description", "service", "category", "source", "impact", "urgency", "reporter", "dedup_key", "labels",
    "occurred_at", "summary", "root_cause", "text", "reason", "to", "priority", "by",
    # Alertmanager
    "version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels",
    "commonAnnotations", "externalURL", "alerts", "startsAt", "endsAt", "generatorURL", "fingerprint", "annotations",
    # PagerDuty
    "routing_key", "event_action", "payload", "severity", "component", "group", "class", "custom_details",
    "timestamp", "images", "links", "client", "client_url", "src", "href",
]  # fmt: skip
SPECIAL = ["4", "firing", "resolved", "trigger", "acknowledge", "resolve", "critical", "info", "P1", "all_users",
           "high", "application_error", "monitoring", "shop-payments", PAGERDUTY_KEY, ALERTMANAGER_KEY, "",
           "2026-11-28T06:00:00Z", "0001-01-01T00:00:00Z"]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(SPECIAL)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=25,
)
bodies = json_values | st.dictionaries(st.sampled_from(FIELDS), json_values, min_size=1, max_size=10)


@pytest.mark.parametrize(("path", "headers"), post_routes())
async def test_any_json_body_gets_a_json_answer_below_500(api: Api, path: str, headers: dict[str, str]) -> None:
    loop = asyncio.get_running_loop()

    async def post(body: Any) -> httpx.Response:
        return await api.http.post(
            path, content=json.dumps(body), headers=headers | {"Content-Type": "application/json"}
        )

    @settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def check(body: Any) -> None:
        response = asyncio.run_coroutine_threadsafe(post(body), loop).result(timeout=60)
        assert response.status_code < 500, (response.status_code, response.text)
        assert response.headers["Content-Type"] == "application/json"
        assert isinstance(response.json(), dict)

    # Hypothesis drives the examples from a thread; the requests run here, on the loop of the worker and the app.
    await asyncio.to_thread(check)
