"""Running the gateway with uvicorn: ``incidents api`` on its own, or beside the worker in ``incidents dev``.

Secrets can travel in URLs (Alertmanager's key in ``/v1/integrations/alertmanager/<key>`` or ``?key=``, the
token of a signed link in ``/v1/links/<token>``), so uvicorn's access log goes through ``RedactSecrets``, which
replaces them with ``***`` before any handler formats the line. uvicorn's loggers keep no handlers of their own:
its lines go where the command's logging sends everything else (stderr).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import signal
from collections.abc import AsyncIterator, Iterator

import uvicorn

from adapters.codec import codec_from_settings
from adapters.settings import Settings
from adapters.temporal import connect
from api.app import create_app
from api.gateway import ClientSource

ACCESS_LOGGER = "uvicorn.access"
_SECRET_IN_PATH = re.compile(r"(/alertmanager/|/links/)[^/?#\s]+", re.IGNORECASE)
"""Whatever follows ``alertmanager/`` or ``links/``, also in a mistyped path that no route serves."""
_SECRET_IN_QUERY = re.compile(r"([?&](?:key|token)=)[^&#\s]*", re.IGNORECASE)


def redact(text: str) -> str:
    """The request target without the secrets it may carry."""
    return _SECRET_IN_QUERY.sub(r"\1***", _SECRET_IN_PATH.sub(r"\1***", text))


class RedactSecrets(logging.Filter):
    """Rewrites the arguments (and message) of access-log records so keys and link tokens never reach a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_redaction() -> None:
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactSecrets) for existing in access.filters):
        access.addFilter(RedactSecrets())


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handlers: the command that runs it decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def build_server(
    settings: Settings, client: ClientSource, *, host: str | None = None, port: int | None = None
) -> uvicorn.Server:
    """A uvicorn server for the gateway; ``serve()`` on it runs until ``should_exit`` is set."""
    config = uvicorn.Config(
        create_app(settings, client),
        host=host or settings.api_host,
        port=port or settings.api_port,
        proxy_headers=False,
        server_header=False,
        lifespan="off",
        log_config=None,  # uvicorn's loggers propagate to the handlers the command configured
    )
    install_redaction()
    return _Server(config)


@contextlib.asynccontextmanager
async def running_api(
    settings: Settings, client: ClientSource, *, host: str | None = None, port: int | None = None
) -> AsyncIterator[uvicorn.Server]:
    """The gateway serving in this event loop (beside a worker, in ``incidents dev``), stopped on exit."""
    server = build_server(settings, client, host=host, port=port)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                await _failed(task, server)
            await asyncio.sleep(0.05)
        yield server
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, SystemExit):
            await task


async def _failed(task: asyncio.Task[None], server: uvicorn.Server) -> None:
    config = server.config
    with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind
        await task
    raise OSError(f"the API could not listen on {config.host}:{config.port} (is the port in use?)")


async def serve_until_stopped(settings: Settings) -> None:
    """``incidents api``: serve until SIGINT or SIGTERM; Temporal is connected on the first request that needs it."""
    server = build_server(settings, functools.partial(connect, codec=codec_from_settings(settings)))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    try:
        await server.serve()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
