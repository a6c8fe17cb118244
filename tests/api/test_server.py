"""The gateway served by uvicorn: ``incidents api`` as people run it, and secrets kept out of the access log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.server import ACCESS_LOGGER, running_api
from domain.errors import ConfigError
from domain.signed_links import LinkAction
from tests.support.cli import accepts_connections, clean_environment, free_port
from tests.support.gateway import ALERTMANAGER_KEY, RESPONDERS, Api, bearer, gateway_settings
from tests.support.links import link
from tests.support.settings import EXAMPLE_CATALOG, ROOT

START_TIMEOUT = 30.0
OUTSIDER_TOKEN = "token-zed-" + "9" * 20


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def access_log() -> Iterator[Kept]:
    logger = logging.getLogger(ACCESS_LOGGER)
    kept, level = Kept(), logger.level
    logger.addHandler(kept)
    logger.setLevel(logging.INFO)
    try:
        yield kept
    finally:
        logger.removeHandler(kept)
        logger.setLevel(level)


async def test_the_access_log_never_shows_keys_or_link_tokens(api: Api) -> None:
    port = free_port()
    token = link("INC-NOPE", LinkAction.ACKNOWLEDGE)
    with access_log() as kept:
        async with (
            running_api(api.settings, api.client, host="127.0.0.1", port=port),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
        ):
            statuses = [
                (await http.post(f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}", json={})).status_code,
                (await http.post(f"/v1/integrations/alertmanager?key={ALERTMANAGER_KEY}&x=1", json={})).status_code,
                (await http.get(f"/v1/links/{token}")).status_code,
                (await http.get(f"/v1/integration/alertmanager/{ALERTMANAGER_KEY}/typo")).status_code,
                (await http.get("/v1/incidents/INC-NOPE", headers=bearer(RESPONDERS["amara"]))).status_code,
            ]
    assert statuses == [422, 422, 404, 404, 404]
    requests = [re.sub(r"^127\.0\.0\.1:\d+ - ", "", line) for line in kept.lines]
    assert requests == [
        '"POST /v1/integrations/alertmanager/*** HTTP/1.1" 422',
        '"POST /v1/integrations/alertmanager?key=***&x=1 HTTP/1.1" 422',
        '"GET /v1/links/*** HTTP/1.1" 404',
        '"GET /v1/integration/alertmanager/***/typo HTTP/1.1" 404',
        '"GET /v1/incidents/INC-NOPE HTTP/1.1" 404',
    ]
    assert not [line for line in kept.lines if ALERTMANAGER_KEY in line or token in line]


async def start_api(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "starter", "api", cwd=ROOT, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink,
        )  # fmt: skip
    return process


async def stop(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(START_TIMEOUT):
        return await process.wait()


async def wait_until_listening(process: asyncio.subprocess.Process, port: int, log: Path) -> None:
    async with asyncio.timeout(START_TIMEOUT):
        while not accepts_connections(port):
            assert process.returncode is None, log.read_text()
            await asyncio.sleep(0.1)


async def test_incidents_api_serves_until_sigterm(api: Api, dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    port = free_port()
    env = clean_environment(
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=dev_env.client.namespace,
        INCIDENTS_TASK_QUEUE=api.task_queue,
        INCIDENTS_API_PORT=str(port),
        INCIDENTS_RESPONDER_TOKENS=json.dumps([{"user": "amara", "token": RESPONDERS["amara"]}]),
    )
    log = tmp_path / "api.log"
    process = await start_api(env, log)
    try:
        await wait_until_listening(process, port, log)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            schema = await http.get("/openapi.json")
            listed = await http.get("/v1/incidents", params={"limit": "1"}, headers=bearer(RESPONDERS["amara"]))
            refused = await http.get("/v1/incidents", headers=bearer(RESPONDERS["bruno"]))
    finally:
        code = await stop(process)
    assert (schema.status_code, schema.json()["info"]["title"]) == (200, "incident-pipeline")
    assert (listed.status_code, list(listed.json())) == (200, ["incidents", "next"])
    assert refused.status_code == 403
    assert code == 0, log.read_text()
    assert RESPONDERS["amara"] not in log.read_text()


async def test_incidents_api_starts_without_temporal_and_answers_503(tmp_path: Path) -> None:
    port = free_port()
    env = clean_environment(
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        INCIDENTS_API_PORT=str(port),
        INCIDENTS_RESPONDER_TOKENS=json.dumps([{"user": "amara", "token": RESPONDERS["amara"]}]),
    )
    log = tmp_path / "api.log"
    process = await start_api(env, log)
    try:
        await wait_until_listening(process, port, log)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            listed = await http.get("/v1/incidents", headers=bearer(RESPONDERS["amara"]))
    finally:
        code = await stop(process)
    assert (listed.status_code, listed.json(), listed.headers["Retry-After"]) == (
        503,
        {"error": "Temporal is unavailable; retry"},
        "5",
    )
    assert code == 0, log.read_text()


async def raw_exchange(port: int, head: bytes, chunks: list[bytes], pause: float) -> tuple[bytes, float]:
    """Send ``head``, then each chunk ``pause`` seconds apart, and read until the server closes; (answer, seconds)."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = loop.time()
    try:
        writer.write(head)
        for chunk in chunks:
            await asyncio.sleep(pause)
            writer.write(chunk)
            await writer.drain()
        answer = await asyncio.wait_for(reader.read(), START_TIMEOUT)  # to the end: the server closes
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return answer, loop.time() - started


@pytest.mark.parametrize(
    "chunks",
    [[], [b'"', b"t", b"i", b"t"]],  # the trickle ends before the deadline: a write after it would be reset
    ids=["declares-a-length-and-stalls", "trickles-a-byte-at-a-time"],
)
async def test_a_body_that_does_not_arrive_in_time_is_408_and_the_connection_closed(
    api: Api, chunks: list[bytes]
) -> None:
    assert api.settings.api_body_timeout_seconds == 10.0  # the default
    settings = api.settings.model_copy(update={"api_body_timeout_seconds": 1.0})
    port = free_port()
    head = (
        b"POST /v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + RESPONDERS["amara"].encode() + b"\r\nContent-Length: 1000\r\n\r\n{"
    )
    async with running_api(settings, api.client, host="127.0.0.1", port=port):
        answer, seconds = await raw_exchange(port, head, chunks, pause=0.2)
        # The server still serves others, at once.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            served = await http.get("/openapi.json")
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    assert b"connection: close" in headers.lower().split(b"\r\n")
    assert json.loads(body) == {"error": "the body did not arrive within 1 s"}
    # The whole body has one deadline: a byte every 0.2 s does not restart it (that would answer at 1.8 s).
    assert 1.0 <= seconds < 1.6, seconds
    assert served.status_code == 200


async def test_incidents_api_refuses_to_start_with_a_token_for_someone_not_in_the_catalog(tmp_path: Path) -> None:
    port = free_port()
    tokens = [{"user": "amara", "token": RESPONDERS["amara"]}, {"user": "zed", "token": OUTSIDER_TOKEN}]
    env = clean_environment(
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        INCIDENTS_API_PORT=str(port),
        INCIDENTS_RESPONDER_TOKENS=json.dumps(tokens),
    )
    log = tmp_path / "api.log"
    process = await start_api(env, log)
    async with asyncio.timeout(START_TIMEOUT):
        code = await process.wait()
    text = log.read_text()
    assert (code, [line for line in text.splitlines() if line.startswith("error:")]) == (
        1,
        [
            f"error: INCIDENTS_RESPONDER_TOKENS: user 'zed' is not in the catalog ({EXAMPLE_CATALOG}); "
            "add them to its users or remove their tokens"
        ],
    )
    assert OUTSIDER_TOKEN not in text
    assert not accepts_connections(port)


def test_the_gateway_is_not_built_with_tokens_for_people_not_in_the_catalog(tmp_path: Path) -> None:
    tokens = [{"user": user, "token": f"token-{user}-" + "0" * 20} for user in ("zed", "amara", "yuki")]
    with pytest.raises(ConfigError) as refused:
        create_app(gateway_settings(tmp_path, responder_tokens=tokens), lambda: None)  # type: ignore[arg-type, return-value]
    assert str(refused.value) == (
        f"INCIDENTS_RESPONDER_TOKENS: users 'yuki', 'zed' are not in the catalog ({EXAMPLE_CATALOG}); "
        "add them to its users or remove their tokens"
    )
