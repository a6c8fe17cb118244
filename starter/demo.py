"""Four example incidents for ``incidents dev --demo``: one per service of the example catalog."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from temporalio.client import Client

from adapters.catalog_file import LoadedCatalog
from adapters.incident_client import classification, list_incidents, report_incident, summary_line, visibility_query
from domain.messages.actions import ActionResult
from domain.models import Category, Impact, IncidentReport, Source, Status, Urgency
from domain.policy.catalog import route_report

DEFAULT_PORT = 7233

DEMO_REPORTS = (
    IncidentReport(
        title="Payments failing for all users",
        description="Checkout returns 502 for every card payment since the last deploy.",
        service="shop-payments",
        category=Category.APPLICATION_ERROR,
        source=Source.MONITORING,
        impact=Impact.ALL_USERS,
        urgency=Urgency.HIGH,
        reporter="checkout-error-rate-monitor",
        labels={"region": "eu-west-1"},
    ),
    IncidentReport(
        title="Dashboard not loading the latest data",
        description="Customers see yesterday's numbers; the nightly aggregation job did not finish.",
        service="saas-dashboard",
        category=Category.BROKEN_FEATURE,
        source=Source.TICKET,
        impact=Impact.MANY_USERS,
        urgency=Urgency.MEDIUM,
        reporter="support-desk",
    ),
    IncidentReport(
        title="Partner API is down",
        description="Partner fintechs get connection timeouts on every account and transfer call.",
        service="bank-partner-api",
        category=Category.API_DISRUPTION,
        source=Source.MONITORING,
        impact=Impact.SOME_USERS,
        urgency=Urgency.HIGH,
        reporter="partner-api-uptime-check",
    ),
    IncidentReport(
        title="Tracking page late updating parcel status",
        description="Parcel status changes reach the tracking page about two hours late.",
        service="logistics-tracking",
        category=Category.THIRD_PARTY_INTEGRATION,
        source=Source.INTERNAL,
        impact=Impact.MANY_USERS,
        urgency=Urgency.LOW,
        reporter="jade",
    ),
)


async def report_demo_incidents(client: Client, task_queue: str, catalog: LoadedCatalog) -> list[ActionResult]:
    """Report every example incident and wait for each to be classified (a worker must be running)."""
    results = []
    for report in DEMO_REPORTS:
        summary = summary_line(report, catalog.catalog, catalog.version)
        _, handle = await report_incident(client, report, task_queue=task_queue, summary=summary)
        results.append(await classification(handle))
    return results


async def _example_incident(
    client: Client, catalog: LoadedCatalog, reported: list[ActionResult]
) -> tuple[str, str, str] | None:
    """An open incident's id, status and team: the first demo incident, or one found by visibility.

    Only visibility is asked (never a query), so an incident whose worker is gone cannot hold this up.
    """
    if reported:
        team = route_report(catalog.catalog, DEMO_REPORTS[0], catalog.version).team
        return reported[0].incident_id, reported[0].status.value, team
    for status in (Status.TRIGGERED, Status.ACKNOWLEDGED):
        for listing in await list_incidents(client, visibility_query(status=status), limit=20):
            if listing.team is not None and listing.team in catalog.catalog.teams:
                return listing.incident_id, status.value, listing.team
    return None


async def example_commands(
    client: Client, catalog: LoadedCatalog, port: int, reported: list[ActionResult]
) -> list[str]:
    """What to try next, with the id of a real open incident and a member of the team that owns it."""
    lines = ["Try, in another terminal:"]
    if port != DEFAULT_PORT:
        lines.append(f"  export TEMPORAL_ADDRESS=localhost:{port}")
    if shutil.which("incidents") is None:  # not on PATH: a virtualenv that is not activated
        lines.append(f"  export PATH={Path(sys.executable).parent}:$PATH")
    lines.append("  incidents list")
    example = await _example_incident(client, catalog, reported)
    if example is None:
        lines.append(
            "  incidents report --title 'Checkout slow' --service shop-payments --category application_error"
            " --source ticket --impact some_users --urgency medium --reporter amara"
        )
        return lines
    incident_id, status, team = example
    by = catalog.catalog.teams[team].members[0]
    lines.append(f"  incidents status {incident_id}")
    if status == Status.TRIGGERED.value:
        lines.append(f"  incidents ack {incident_id} --by {by}")
    lines.append(
        f"  incidents resolve {incident_id} --by {by} --root-cause 'bad deploy' --summary 'rolled back the deploy'"
    )
    return lines
