"""``incidents codec-server``: lets the Temporal UI and CLI show encrypted payloads in the clear.

They POST ``{"payloads": [...]}`` (protobuf JSON: base64 ``data`` and metadata values) to ``/decode`` or
``/encode`` with an ``X-Namespace`` header, and get the same shape back. The UI calls from the browser, so the
UI's origin gets CORS headers (preflight included). With INCIDENTS_CODEC_TOKEN set, every call must carry
``Authorization: Bearer <token>`` (the CLI's ``--codec-auth``, the UI's "pass access token" setting).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence

import uvicorn
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from domain.errors import EncryptionError

DEFAULT_UI_ORIGIN = "http://localhost:8233"
ALLOWED_HEADERS = ["X-Namespace", "Content-Type", "Authorization"]

Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


def create_codec_app(
    codec: PayloadCodec, *, ui_origins: Sequence[str] = (DEFAULT_UI_ORIGIN,), token: SecretStr | None = None
) -> FastAPI:
    app = FastAPI(title="incident-pipeline codec server", docs_url=None, redoc_url=None, openapi_url=None)

    async def answer(request: Request, transform: Transform) -> JSONResponse:
        if token is not None and not _authorized(request, token):
            return JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401)
        try:
            payloads = json_format.Parse(await request.body(), Payloads())
        except (json_format.ParseError, UnicodeDecodeError) as error:
            return JSONResponse({"detail": f'the body is not {{"payloads": [...]}} in protobuf JSON: {error}'}, 400)
        try:
            result = Payloads(payloads=await transform(payloads.payloads))
        except EncryptionError as error:
            return JSONResponse({"detail": str(error)}, status_code=400)
        return JSONResponse(json_format.MessageToDict(result))

    @app.post("/encode")
    async def encode(request: Request) -> JSONResponse:
        return await answer(request, codec.encode)

    @app.post("/decode")
    async def decode(request: Request) -> JSONResponse:
        return await answer(request, codec.decode)

    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(ui_origins),
        allow_methods=["POST", "OPTIONS"],
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=True,
    )
    return app


def _authorized(request: Request, token: SecretStr) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


async def serve_codec(app: FastAPI, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM (uvicorn's own handlers)."""
    config = uvicorn.Config(app, host=host, port=port, server_header=False, log_config=None)
    await uvicorn.Server(config).serve()
