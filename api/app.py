"""The HTTP gateway: ``create_app(settings, client)`` builds the FastAPI app; ``api.server`` runs it.

Routes (OpenAPI at ``/openapi.json``, docs at ``/docs``):

- ``/v1/incidents``: report (integration key of kind ``api`` or a responder token), list, status, actions
  (responder token) — ``routes.incidents``;
- ``/v1/integrations/alertmanager``, ``/v1/integrations/pagerduty/enqueue`` and ``/v2/enqueue``: monitoring
  — ``routes.integrations``;
- ``/v1/links/{token}``: signed one-click acknowledge/resolve links — ``routes.links``;
- ``/v1/oncall``: who is on call in the catalog's schedules (responder token) — ``routes.oncall``.

Every body is limited to 512 KiB and must arrive within ``api_body_timeout_seconds`` (``limits``); every error is a
JSON body naming the problem (``errors``), and the OpenAPI document lists every status each route answers.
"""

from __future__ import annotations

from fastapi import FastAPI

from adapters.settings import Settings
from api.errors import install_error_handlers
from api.gateway import ClientSource, build_gateway
from api.limits import BodyLimit
from api.openapi import install_openapi
from api.routes.incidents import incidents_router
from api.routes.integrations import SELF_PARSED_BODIES, integrations_router
from api.routes.links import SELF_PARSED_BODIES as LINK_BODIES
from api.routes.links import links_router
from api.routes.oncall import oncall_router


def create_app(settings: Settings, client: ClientSource) -> FastAPI:
    """The gateway for ``settings``; ``client`` is a connected Temporal client or a callable that makes one."""
    gateway = build_gateway(settings, client)
    app = FastAPI(
        redirect_slashes=False,  # a trailing slash is a 404 with a JSON body, not a bodiless redirect
        title="incident-pipeline",
        summary="Report incidents, take alerts from monitoring, and act on incidents as a responder.",
        version="1",
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit, timeout_seconds=settings.api_body_timeout_seconds)
    app.include_router(incidents_router(gateway))
    app.include_router(integrations_router(gateway))
    app.include_router(links_router(gateway))
    app.include_router(oncall_router(gateway))
    install_openapi(app, SELF_PARSED_BODIES | LINK_BODIES)
    return app
