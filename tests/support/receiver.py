"""A real HTTP receiver for webhook tests: an asyncio server on 127.0.0.1 with an ephemeral port.

Standard library only (``asyncio.start_server`` and a minimal HTTP/1.1 parser, keep-alive and chunked bodies
included). It records every request, answers a scripted sequence of replies (200 once the script runs out) and
dedupes by ``Idempotency-Key`` the way a careful receiver would::

    async with Receiver() as receiver:
        receiver.script(500, Reply(429, headers={"Retry-After": "7"}), 200)
        ... POST to receiver.url("/hooks/pages") ...
        assert receiver.requests[0].json == {...}
        assert receiver.deliveries == {"inc-1:page-0:webhook": 1}

A request whose key was already delivered (answered 2xx) is answered 200 again without taking a scripted reply and
without counting as a new delivery; it is counted in ``duplicates``.

Import it as ``from tests.receiver import Receiver, Reply``; ``tests/activities/conftest.py`` has a ``receiver``
fixture built on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any

IDEMPOTENCY_HEADER = "idempotency-key"
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status, extra headers, a body, and how long to wait before answering."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    """Seconds to wait before answering, e.g. longer than the client's timeout."""


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    """The request target as sent, query string included."""
    headers: dict[str, str]
    """Header names in lower case; a repeated header keeps its last value."""
    body: bytes
    status: int
    """The status the receiver answered (or was about to answer, if the client hung up first)."""
    duplicate: bool
    """True when the Idempotency-Key had already been delivered."""

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get(IDEMPOTENCY_HEADER)


class Receiver:
    """Start with ``async with Receiver() as receiver`` (or ``await start()`` / ``await stop()``)."""

    def __init__(self, default: Reply | int = 200) -> None:
        self.requests: list[ReceivedRequest] = []
        self.deliveries: Counter[str] = Counter()
        """Per Idempotency-Key: requests accepted as new deliveries (at most 1 per key, by construction)."""
        self.duplicates: Counter[str] = Counter()
        """Per Idempotency-Key: requests that repeated an already delivered key (answered 200, not delivered)."""
        self._default = _reply(default)
        self._script: list[Reply] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    # ---- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, host="127.0.0.1", port=0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Close the listener, every open connection and every handler still waiting (e.g. in a delay)."""
        if self._server is None:
            return
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        for writer in list(self._writers):
            writer.close()
        for writer in list(self._writers):
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Receiver:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()

    # ---- what tests use -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def script(self, *replies: Reply | int) -> None:
        """Answer the next requests with these replies, in order (appended to what is left of the script)."""
        self._script.extend(_reply(reply) for reply in replies)

    @property
    def statuses(self) -> list[int]:
        return [request.status for request in self.requests]

    def attempts(self, key: str) -> int:
        """Every request that carried ``key``, whatever the answer."""
        return sum(1 for request in self.requests if request.idempotency_key == key)

    # ---- serving --------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            while await self._answer_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._handlers.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _answer_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request and answer it; False when the connection should be closed."""
        request_line = await reader.readline()
        if not request_line:
            return False
        method, target, version = request_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await _read_body(reader, headers)

        key = headers.get(IDEMPOTENCY_HEADER)
        duplicate = key is not None and self.deliveries[key] > 0
        if duplicate:
            assert key is not None
            self.duplicates[key] += 1
            reply = Reply(200)
        else:
            reply = self._script.pop(0) if self._script else self._default
            if key is not None and 200 <= reply.status < 300:
                self.deliveries[key] += 1
        self.requests.append(ReceivedRequest(method, target, headers, body, reply.status, duplicate))

        if reply.delay:
            await asyncio.sleep(reply.delay)
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        writer.write(_response(reply, keep_alive))
        await writer.drain()
        return keep_alive


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readline()).strip():  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)  # CRLF after the chunk
    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY:
        raise ConnectionError(f"request body of {length} bytes is too large for the test receiver")
    return await reader.readexactly(length) if length else b""


def _response(reply: Reply, keep_alive: bool) -> bytes:
    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = ""
    headers = {"Content-Length": str(len(reply.body)), "Connection": "keep-alive" if keep_alive else "close"}
    headers.update(reply.headers)
    head = f"HTTP/1.1 {reply.status} {phrase}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (head + "\r\n").encode("latin-1") + reply.body


def _reply(reply: Reply | int) -> Reply:
    return reply if isinstance(reply, Reply) else Reply(reply)
