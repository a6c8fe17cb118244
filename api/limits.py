"""Request bodies within bounds: 413 before the app sees a byte of a body over ``MAX_BODY_BYTES``, 408 for a body
that does not arrive in time.

A declared ``Content-Length`` over the limit is refused at once; a body without one (chunked) is read up to the
limit and refused as soon as it goes over. A body within the limit is buffered and replayed to the app. The whole
body must arrive within ``timeout_seconds`` (``INCIDENTS_API_BODY_TIMEOUT_SECONDS``, 10 s by default) of the
request's headers: a client that declares a length and stalls, or trickles a byte at a time, is answered 408 and
its connection closed, instead of holding it forever (uvicorn itself has no such timeout).
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 512 * 1024
BODY_TIMEOUT_SECONDS = 10.0
TOO_LARGE = f"the body is larger than {MAX_BODY_BYTES // 1024} KiB"


def too_slow(timeout_seconds: float) -> str:
    return f"the body did not arrive within {timeout_seconds:g} s"


class BodyLimit:
    def __init__(
        self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, timeout_seconds: float = BODY_TIMEOUT_SECONDS
    ) -> None:
        self.app, self.max_bytes, self.timeout_seconds = app, max_bytes, timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_too_large(scope):
            await _refuse(send, 413, TOO_LARGE)
            return
        chunks: list[bytes] = []
        size = 0
        deadline = asyncio.get_running_loop().time() + self.timeout_seconds
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                await _refuse(send, 408, too_slow(self.timeout_seconds))
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(send, 413, TOO_LARGE)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    def _declared_too_large(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    return int(value) > self.max_bytes
                except ValueError:
                    return False  # the server refuses a malformed Content-Length before we see it
        return False


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
