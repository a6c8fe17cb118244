"""Who is on call in a level's schedules, with the catalog the worker loaded, at the workflow time asked.

Only the catalog is read, never the wall clock: the same request always gets the same answer, so a retry is harmless,
and the answer is recorded in the incident's history.
"""

from __future__ import annotations

from temporalio import activity

from adapters.catalog_file import LoadedCatalog
from domain.messages.steps import OnCallRequest, OnCallResult
from domain.policy.schedules import on_call


class OnCallActivities:
    def __init__(self, catalog: LoadedCatalog) -> None:
        self._catalog = catalog

    @activity.defn(name="resolve_on_call")
    async def resolve_on_call(self, request: OnCallRequest) -> OnCallResult:
        schedules = self._catalog.catalog.schedules
        known = [name for name in request.schedules if name in schedules]
        unknown = [name for name in request.schedules if name not in schedules]
        answers = {name: on_call(name, schedules[name], request.at) for name in known}
        activity.logger.info(
            "on call for %s at %s: %s",
            request.incident_id,
            request.at.isoformat(),
            ", ".join(f"{name}={answer.user or 'nobody'}" for name, answer in answers.items()) or "-",
        )
        return OnCallResult(at=request.at, answers=answers, unknown=unknown, catalog_version=self._catalog.version)
