"""Connecting beyond the dev server: envconfig TOML profiles and TEMPORAL_* variables, as ``connect()`` loads them.

``connect()`` (worker, CLI and API alike) calls ``ClientConfig.load_client_connect_config(profile=...)`` with the
process environment; these tests make the same call with ``override_env_vars`` standing in for that environment.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.envconfig import ClientConfig
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from adapters.temporal import connect
from tests.support.cli import Outcome, clean_environment, free_port, incidents


@dataclass(frozen=True)
class Pem:
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> Pem:
    """A throwaway self-signed client certificate and its key."""
    folder = tmp_path_factory.mktemp("pem")
    cert, key = folder / "client.pem", folder / "client.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=incidents-test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----\n")
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    return Pem(cert, key)


def write_profiles(tmp_path: Path, pem: Pem) -> Path:
    path = tmp_path / "temporal.toml"
    path.write_text(
        f"""
[profile.default]
address = "localhost:7233"
namespace = "default"

[profile.prod]
address = "temporal.internal.example:7233"
namespace = "incidents-prod"

[profile.prod.tls]
client_cert_path = "{pem.cert}"
client_key_path = "{pem.key}"
server_ca_cert_path = "{pem.cert}"
server_name = "temporal.internal"

[profile.cloud]
address = "eu-west-1.aws.api.temporal.io:7233"
namespace = "incidents.a1b2c"
api_key = "cloud-api-key"
""",
        encoding="utf-8",
    )
    return path


def load(env: dict[str, str]) -> dict[str, object]:
    """What ``connect()`` loads when the process environment is ``env``."""
    return dict(ClientConfig.load_client_connect_config(profile=None, override_env_vars=env))


def test_default_profile_from_the_file(tmp_path: Path, pem: Pem) -> None:
    config_file = str(write_profiles(tmp_path, pem))
    assert load({"TEMPORAL_CONFIG_FILE": config_file}) == {"target_host": "localhost:7233", "namespace": "default"}


def test_temporal_profile_selects_mtls(tmp_path: Path, pem: Pem) -> None:
    config_file = str(write_profiles(tmp_path, pem))
    assert load({"TEMPORAL_CONFIG_FILE": config_file, "TEMPORAL_PROFILE": "prod"}) == {
        "target_host": "temporal.internal.example:7233",
        "namespace": "incidents-prod",
        "tls": TLSConfig(
            server_root_ca_cert=pem.cert.read_bytes(),
            domain="temporal.internal",
            client_cert=pem.cert.read_bytes(),
            client_private_key=pem.key.read_bytes(),
        ),
    }


def test_temporal_profile_selects_an_api_key_which_turns_tls_on(tmp_path: Path, pem: Pem) -> None:
    config_file = str(write_profiles(tmp_path, pem))
    assert load({"TEMPORAL_CONFIG_FILE": config_file, "TEMPORAL_PROFILE": "cloud"}) == {
        "target_host": "eu-west-1.aws.api.temporal.io:7233",
        "namespace": "incidents.a1b2c",
        "api_key": "cloud-api-key",
        "tls": True,
    }


def test_variables_override_the_selected_profile(tmp_path: Path, pem: Pem) -> None:
    env = {"TEMPORAL_CONFIG_FILE": str(write_profiles(tmp_path, pem)), "TEMPORAL_PROFILE": "cloud"}
    env |= {"TEMPORAL_NAMESPACE": "incidents-staging", "TEMPORAL_API_KEY": "staging-key"}
    assert load(env) == {
        "target_host": "eu-west-1.aws.api.temporal.io:7233",
        "namespace": "incidents-staging",
        "api_key": "staging-key",
        "tls": True,
    }


def no_file(tmp_path: Path) -> dict[str, str]:
    """An empty profile file, so that nothing from this machine's ~/.config/temporalio leaks in."""
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    return {"TEMPORAL_CONFIG_FILE": str(empty)}


def test_nothing_configured_leaves_the_default_to_connect(tmp_path: Path) -> None:
    assert load(no_file(tmp_path)) == {}


def test_api_key_from_variables(tmp_path: Path) -> None:
    env = no_file(tmp_path) | {"TEMPORAL_ADDRESS": "temporal.example:7233", "TEMPORAL_NAMESPACE": "incidents"}
    assert load(env | {"TEMPORAL_API_KEY": "k-123"}) == {
        "target_host": "temporal.example:7233",
        "namespace": "incidents",
        "api_key": "k-123",
        "tls": True,
    }
    assert load(env | {"TEMPORAL_API_KEY": "k-123", "TEMPORAL_TLS": "false"}) == {
        "target_host": "temporal.example:7233",
        "namespace": "incidents",
        "api_key": "k-123",
        "tls": False,
    }


def test_server_tls_from_variables(tmp_path: Path, pem: Pem) -> None:
    env = no_file(tmp_path) | {"TEMPORAL_ADDRESS": "temporal.example:7233", "TEMPORAL_TLS": "true"}
    assert load(env) == {"target_host": "temporal.example:7233", "tls": TLSConfig()}
    env |= {"TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(pem.cert), "TEMPORAL_TLS_SERVER_NAME": "temporal.internal"}
    assert load(env) == {
        "target_host": "temporal.example:7233",
        "tls": TLSConfig(server_root_ca_cert=pem.cert.read_bytes(), domain="temporal.internal"),
    }


def test_mtls_from_variables(tmp_path: Path, pem: Pem) -> None:
    env = no_file(tmp_path) | {"TEMPORAL_ADDRESS": "temporal.example:7233", "TEMPORAL_NAMESPACE": "incidents"}
    env |= {"TEMPORAL_TLS_CLIENT_CERT_PATH": str(pem.cert), "TEMPORAL_TLS_CLIENT_KEY_PATH": str(pem.key)}
    env |= {"TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(pem.cert), "TEMPORAL_TLS_SERVER_NAME": "temporal.internal"}
    assert load(env) == {
        "target_host": "temporal.example:7233",
        "namespace": "incidents",
        "tls": TLSConfig(
            server_root_ca_cert=pem.cert.read_bytes(),
            domain="temporal.internal",
            client_cert=pem.cert.read_bytes(),
            client_private_key=pem.key.read_bytes(),
        ),
    }


def dev_profiles(tmp_path: Path, dev_env: WorkflowEnvironment, unreachable_port: int) -> Path:
    """``default`` points nowhere; ``dev`` is the dev server."""
    path = tmp_path / "temporal.toml"
    path.write_text(
        f"""
[profile.default]
address = "127.0.0.1:{unreachable_port}"
namespace = "default"

[profile.dev]
address = "{dev_env.client.service_client.config.target_host}"
namespace = "default"
""",
        encoding="utf-8",
    )
    return path


async def test_connect_picks_up_the_profile_file(
    dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_TLS", "TEMPORAL_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(dev_profiles(tmp_path, dev_env, free_port())))
    client = await connect(profile="dev")
    assert (client.service_client.config.target_host, client.namespace) == (
        dev_env.client.service_client.config.target_host,
        "default",
    )
    assert (await client.count_workflows("WorkflowId = 'INC-NOBODY'")).count == 0


async def test_the_cli_follows_temporal_profile(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    port = free_port()
    env = clean_environment(TEMPORAL_CONFIG_FILE=str(dev_profiles(tmp_path, dev_env, port)))
    args = ("replay", "--query", "WorkflowId = 'INC-NOBODY'")
    dev = await incidents(*args, env=env | {"TEMPORAL_PROFILE": "dev"})
    assert dev == Outcome(0, "replayed 0 incidents: 0 ok, 0 nondeterministic\n", "")
    default = await incidents(*args, env=env)
    assert (default.code, default.stdout) == (1, "")
    assert default.stderr.startswith(f"error: cannot reach Temporal at 127.0.0.1:{port}: ")
