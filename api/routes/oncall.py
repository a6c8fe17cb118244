"""``/v1/oncall``: who is on call in the catalog's schedules, now or at ``?at=``, and until when (responder token).

``at`` is read as ``incidents oncall --at`` reads it: with an offset it is that instant, without one it is local time
in each schedule's zone. The answers come from the catalog the gateway loaded; without one these routes are 404.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from api.auth import responder
from api.gateway import Gateway
from api.openapi import BEARER, CREDENTIALS, EVERY_REQUEST, errors
from domain.policy.schedules import OnCallView, Schedule, on_call_view, parse_moment

AT_HELP = (
    "The moment to look at, ISO 8601: with an offset (2026-12-24T09:00+01:00, ...Z) it is that instant; without one "
    "(2026-12-24T09:00, 2026-12-24) it is local time in each schedule's own time zone. Default: now."
)
NO_CATALOG = "on-call schedules are not available on this server: the catalog did not load (INCIDENTS_CATALOG_PATH)"


class OnCallList(BaseModel):
    schedules: list[OnCallView]
    """Every schedule of the catalog, by id."""


def _invalid_at(problem: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", "at"), "msg": problem}])


def answers(schedules: dict[str, Schedule], names: list[str], at: str | None) -> list[OnCallView]:
    """Who is on call in each schedule named, at ``at`` as written (now when None); 422 naming ``at`` if unusable."""
    try:
        moment = parse_moment(at) if at is not None else datetime.now(UTC)
    except ValueError as error:
        raise _invalid_at(str(error)) from None
    try:
        return [on_call_view(name, schedules[name], moment) for name in names]
    except OverflowError:
        raise _invalid_at(f"{at!r} is too far in the past or the future to answer") from None


def oncall_router(gateway: Gateway) -> APIRouter:
    router = APIRouter(prefix="/v1/oncall", tags=["oncall"])

    def as_responder(request: Request) -> str:
        return responder(gateway.credentials, request)

    User = Annotated[str, Depends(as_responder)]
    At = Annotated[str | None, Query(max_length=64, description=AT_HELP)]

    def loaded_schedules() -> dict[str, Schedule]:
        if gateway.catalog is None:
            raise HTTPException(404, NO_CATALOG)
        return gateway.catalog.schedules

    @router.get(
        "",
        response_model=OnCallList,
        summary="Who is on call in every schedule, and until when",
        responses=errors(EVERY_REQUEST, CREDENTIALS, 404, 422, _404=NO_CATALOG),
        openapi_extra={"security": BEARER},
    )
    async def every_schedule(user: User, at: At = None) -> OnCallList:
        schedules = loaded_schedules()
        return OnCallList(schedules=answers(schedules, sorted(schedules), at))

    @router.get(
        "/{schedule}",
        response_model=OnCallView,
        summary="Who is on call in one schedule, and until when",
        responses=errors(EVERY_REQUEST, CREDENTIALS, 404, 422, _404="No such schedule, or no catalog loaded"),
        openapi_extra={"security": BEARER},
    )
    async def one_schedule(schedule: str, user: User, at: At = None) -> OnCallView:
        schedules = loaded_schedules()
        if schedule not in schedules:
            raise HTTPException(404, f"no schedule {schedule!r}")
        return answers(schedules, [schedule], at)[0]

    return router
