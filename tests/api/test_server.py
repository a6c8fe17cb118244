"""The gateway served by uvicorn: ``incidents api`` as people run it, and secrets kept out of the access log."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from api.server import ACCESS_LOGGER, running_api
from domain.links import LinkAction
from tests.api.conftest import ALERTMANAGER_KEY, RESPONDERS, Api, bearer
from tests.api.test_links import link
from tests.test_cli import ROOT, accepts_connections, clean_environment, free_port

START_TIMEOUT = 30.0


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
    assert (listed.status_code, list(listed.json())) == (200, ["incidents"])
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
