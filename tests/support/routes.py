"""Every route of the gateway that takes a POST, with credentials it accepts."""

from __future__ import annotations

from domain.signed_links import LinkAction
from tests.support.gateway import ALERTMANAGER_KEY, AMARA, API_KEY, bearer
from tests.support.links import link


def post_routes(incident_id: str = "INC-NOPE") -> list[tuple[str, dict[str, str]]]:
    """Every POST route with credentials it accepts."""
    actions = ["acknowledge", "resolve", "notes", "escalate", "reassign", "priority"]
    return [
        ("/v1/incidents", bearer(API_KEY)),
        ("/v1/integrations/alertmanager", bearer(ALERTMANAGER_KEY)),
        (f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}", {}),
        ("/v1/integrations/pagerduty/enqueue", {}),
        ("/v2/enqueue", {}),
        (f"/v1/links/{link(incident_id, LinkAction.RESOLVE)}", {}),
        *((f"/v1/incidents/{incident_id}/{action}", AMARA) for action in actions),
    ]
