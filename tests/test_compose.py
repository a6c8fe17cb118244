"""The Docker Compose deployment: exact services, pinned images, health-gated start order, and a file that compose
itself accepts. No Docker engine is needed: `docker-compose config` only reads and validates.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from activities.channels.setup import build_channels
from adapters.archive import parse_database_url
from adapters.settings import Settings
from adapters.temporal import search_attribute_types
from domain.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

LONG_RUNNING = {"postgresql", "temporal", "temporal-ui", "worker", "api"}
ONE_OFF = {"register-search-attributes", "migrate"}

IMAGES = {
    "postgresql": "postgres:16",
    "temporal": "temporalio/auto-setup:1.29.7",
    "temporal-ui": "temporalio/ui:2.53.3",
    "register-search-attributes": "temporalio/admin-tools:1.29.7-tctl-1.18.4-cli-1.7.2",
}

HEALTHCHECK_TESTS = {
    "postgresql": ["CMD", "pg_isready", "--host", "127.0.0.1", "--username", "temporal", "--dbname", "temporal"],
    "temporal": [
        "CMD",
        "temporal",
        "operator",
        "namespace",
        "describe",
        "--namespace",
        "default",
        "--address",
        "temporal:7233",
    ],
    "temporal-ui": ["CMD", "curl", "--fail", "--silent", "--output", "/dev/null", "http://127.0.0.1:8080/healthz"],
    "worker": [
        "CMD-SHELL",
        'temporal task-queue describe --task-queue "$${INCIDENTS_TASK_QUEUE:-incidents}" --output json'
        ' | grep -q "@$$(cat /etc/hostname)\\""',
    ],
    "api": [
        "CMD",
        "python",
        "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/openapi.json', timeout=5)",
    ],
}

DOCKER_COMPOSE_APT_PACKAGE = "docker-compose"

ARCHIVE_URL = "postgresql://temporal:{password}@postgresql:5432/incidents"
"""The archive's database on the PostgreSQL service, with the password every service takes from the shell."""
PASSWORD = "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
ARCHIVE_INIT_SCRIPT = ROOT / "config" / "postgres" / "10-create-incidents-archive.sql"


def worker_environment(password: str = PASSWORD) -> dict[str, str]:
    """What the file itself sets for the worker (as written, or with the password resolved)."""
    return {
        "TEMPORAL_ADDRESS": "temporal:7233",
        "TEMPORAL_NAMESPACE": "default",
        "INCIDENTS_CATALOG_PATH": "/app/config/catalog.yaml",
        "INCIDENTS_RECORDS_DIR": "/var/lib/incidents/records",
        "INCIDENTS_DATABASE_URL": ARCHIVE_URL.format(password=password),
    }


WORKER_ENVIRONMENT = worker_environment()

CHANNEL_SETTINGS = {
    "INCIDENTS_WEBHOOK_URL": "https://hooks.shop.example/incidents",
    "INCIDENTS_WEBHOOK_SECRET": "w" * 32,
    "INCIDENTS_WEBHOOKS": '[{"name": "ops", "url": "https://ops.example/hooks", "secret": "' + "o" * 32 + '"}]',
    "INCIDENTS_SLACK_WEBHOOK_URL": "https://hooks.slack.example/services/T0/B0/XYZ",
    "INCIDENTS_SMTP_HOST": "mail.shop.example",
    "INCIDENTS_SMTP_PORT": "2525",
    "INCIDENTS_SMTP_SECURITY": "tls",
    "INCIDENTS_SMTP_USERNAME": "pager",
    "INCIDENTS_SMTP_PASSWORD": "correct horse battery staple",
    "INCIDENTS_SMTP_FROM": "Incidents <incidents@shop.example>",
    "INCIDENTS_SMTP_TIMEOUT_SECONDS": "5",
    "INCIDENTS_SMTP_CA_FILE": "/run/secrets/smtp-ca.pem",
}
"""Every notification channel setting the worker takes from the shell, each with a value the settings accept."""
LINK_SETTINGS = {
    "INCIDENTS_PUBLIC_URL": "https://incidents.shop.example",
    "INCIDENTS_LINK_SECRET": "l" * 32,
    "INCIDENTS_LINK_TTL_SECONDS": "3600",
}
"""What the worker and the API both take from the shell for one-click links (the same values in both)."""
WORKER_SETTINGS = CHANNEL_SETTINGS | {"INCIDENTS_EXPORT_RECORDS": "true"} | LINK_SETTINGS
"""Every setting the worker takes from the shell."""
API_SETTINGS = {
    **LINK_SETTINGS,
    "INCIDENTS_INTEGRATIONS": '[{"name": "shop", "kind": "api", "key": "'
    + "k" * 32
    + '", "service": "shop-payments"}]',
    "INCIDENTS_RESPONDER_TOKENS": '[{"user": "amara", "token": "' + "t" * 32 + '"}]',
    "INCIDENTS_AUTO_RESOLVE_ALERTS": "false",
}
"""Every API setting taken from the shell."""


def api_environment(password: str = PASSWORD) -> dict[str, str]:
    return {
        "TEMPORAL_ADDRESS": "temporal:7233",
        "TEMPORAL_NAMESPACE": "default",
        "INCIDENTS_CATALOG_PATH": "/app/config/catalog.yaml",
        "INCIDENTS_DATABASE_URL": ARCHIVE_URL.format(password=password),
        "INCIDENTS_API_HOST": "0.0.0.0",
        "INCIDENTS_API_PORT": "8000",
    }


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def test_services_are_exactly_the_stack(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == LONG_RUNNING | ONE_OFF
    assert set(compose) == {"services", "volumes"}
    assert compose["volumes"] == {"postgresql-data": None, "incident-records": None}


def test_images_are_pinned_to_exact_tags(services: dict[str, dict[str, Any]]) -> None:
    images = {name: service["image"] for name, service in services.items() if "image" in service}
    assert images == IMAGES
    for image in images.values():
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", image
    assert (services["worker"]["build"], services["migrate"]["build"], services["api"]["build"]) == (".", ".", ".")


def test_only_temporal_the_ui_and_the_api_publish_ports(services: dict[str, dict[str, Any]]) -> None:
    ports = {name: service["ports"] for name, service in services.items() if "ports" in service}
    assert ports == {"temporal": ["7233:7233"], "temporal-ui": ["8080:8080"], "api": ["8000:8000"]}


def test_every_dependency_waits_on_a_condition(services: dict[str, dict[str, Any]]) -> None:
    depends_on = {name: service["depends_on"] for name, service in services.items() if "depends_on" in service}
    assert depends_on == {
        "temporal": {"postgresql": {"condition": "service_healthy"}},
        "temporal-ui": {"temporal": {"condition": "service_healthy"}},
        "register-search-attributes": {"temporal": {"condition": "service_healthy"}},
        "migrate": {"postgresql": {"condition": "service_healthy"}},
        "worker": {
            "temporal": {"condition": "service_healthy"},
            "register-search-attributes": {"condition": "service_completed_successfully"},
            "migrate": {"condition": "service_completed_successfully"},
        },
        "api": {
            "temporal": {"condition": "service_healthy"},
            "register-search-attributes": {"condition": "service_completed_successfully"},
            "migrate": {"condition": "service_completed_successfully"},
        },
    }


def test_every_long_running_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    assert {name for name, service in services.items() if "healthcheck" in service} == LONG_RUNNING
    assert {name: services[name]["healthcheck"]["test"] for name in LONG_RUNNING} == HEALTHCHECK_TESTS
    for name in LONG_RUNNING:
        check = services[name]["healthcheck"]
        assert set(check) == {"test", "interval", "timeout", "retries", "start_period"}, name
        assert isinstance(check["retries"], int) and check["retries"] >= 3, name


def test_restart_policies(services: dict[str, dict[str, Any]]) -> None:
    assert {name: service["restart"] for name, service in services.items()} == {
        "postgresql": "unless-stopped",
        "temporal": "unless-stopped",
        "temporal-ui": "unless-stopped",
        "register-search-attributes": "no",
        "migrate": "no",
        "worker": "unless-stopped",
        "api": "unless-stopped",
    }


def test_temporal_runs_on_the_postgresql_service(services: dict[str, dict[str, Any]]) -> None:
    assert services["postgresql"]["environment"] == {
        "POSTGRES_USER": "temporal",
        "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}",
    }
    assert services["postgresql"]["volumes"] == [
        "postgresql-data:/var/lib/postgresql/data",
        "./config/postgres/10-create-incidents-archive.sql:/docker-entrypoint-initdb.d/10-create-incidents-archive.sql:ro",
    ]
    assert services["temporal"]["environment"] == {
        "DB": "postgres12",
        "DB_PORT": "5432",
        "POSTGRES_USER": "temporal",
        "POSTGRES_PWD": "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}",
        "POSTGRES_SEEDS": "postgresql",
        "SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES": "true",
    }
    assert services["temporal-ui"]["environment"] == {"TEMPORAL_ADDRESS": "temporal:7233"}


def test_worker_command_environment_and_records_volume(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    assert worker["command"] == ["python", "worker.py"]
    # Pass-through (no value): an empty string is not "unset" to the settings (see the test below), so no `${...:-}`.
    assert worker["environment"] == {**WORKER_ENVIRONMENT, **dict.fromkeys(WORKER_SETTINGS)}
    assert worker["volumes"] == ["incident-records:/var/lib/incidents"]


def test_api_command_and_environment(services: dict[str, dict[str, Any]]) -> None:
    api = services["api"]
    assert api["command"] == ["incidents", "api"]
    assert api["environment"] == {**api_environment(), **dict.fromkeys(API_SETTINGS)}
    assert "volumes" not in api


def test_the_api_settings_from_the_shell_are_ones_the_api_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    for inherited in [inherited for inherited in os.environ if inherited.startswith("INCIDENTS_")]:
        monkeypatch.delenv(inherited)
    environment = {**api_environment("compose-test-password"), **API_SETTINGS}
    environment["INCIDENTS_CATALOG_PATH"] = str(ROOT / "config" / "catalog.yaml")  # the image's copy of this file
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert (str(settings.public_url), settings.link_ttl_seconds, settings.auto_resolve_alerts) == (
        "https://incidents.shop.example/",
        3600,
        False,
    )
    assert ([i.name for i in settings.integrations], [t.user for t in settings.responder_tokens]) == (
        ["shop"],
        ["amara"],
    )


def test_the_postgresql_service_hosts_the_archive_and_a_one_off_step_migrates_it(
    services: dict[str, dict[str, Any]],
) -> None:
    statements = [
        line for line in ARCHIVE_INIT_SCRIPT.read_text(encoding="utf-8").splitlines() if not line.startswith("--")
    ]
    assert statements == ["CREATE DATABASE incidents;"]
    migrate = services["migrate"]
    assert migrate["command"] == ["incidents", "archive", "upgrade"]
    assert migrate["environment"] == {"INCIDENTS_DATABASE_URL": ARCHIVE_URL.format(password=PASSWORD)}
    assert "healthcheck" not in migrate
    url = parse_database_url(ARCHIVE_URL.format(password="compose-test-password"))
    assert (url.drivername, url.username, url.host, url.port, url.database) == (
        "postgresql+psycopg",
        "temporal",
        "postgresql",
        5432,
        "incidents",
    )


def test_search_attribute_step_creates_exactly_the_incident_attributes(services: dict[str, dict[str, Any]]) -> None:
    command: list[str] = services["register-search-attributes"]["command"]
    prefix = ["operator", "search-attribute", "create", "--namespace", "default", "--address", "temporal:7233"]
    assert command[: len(prefix)] == prefix
    pairs = command[len(prefix) :]
    assert len(pairs) % 4 == 0
    created = {}
    for index in range(0, len(pairs), 4):
        name_flag, name, type_flag, kind = pairs[index : index + 4]
        assert (name_flag, type_flag) == ("--name", "--type")
        assert name not in created, f"{name} created twice"
        created[name] = kind
    expected = search_attribute_types()
    assert expected
    assert created == expected


def test_search_attribute_step_retries_then_fails(services: dict[str, dict[str, Any]]) -> None:
    step = services["register-search-attributes"]
    assert step["entrypoint"] == [
        "/bin/sh",
        "-c",
        'for attempt in 1 2 3 4 5 6 7 8 9 10; do temporal "$$@" && exit 0; sleep 3; done; exit 1',
        "register-search-attributes",
    ]
    assert "healthcheck" not in step


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


REQUIRED = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*):\?(?P<message>[^}]+)\}")


def test_every_interpolated_variable_is_required_with_a_message(compose: dict[str, Any]) -> None:
    required: dict[str, set[str]] = {}
    for text in _strings(compose):
        unescaped = text.replace("$$", "")
        for match in REQUIRED.finditer(unescaped):
            required.setdefault(match["name"], set()).add(match["message"])
        assert "$" not in REQUIRED.sub("", unescaped), f"interpolation without ':?message' in {text!r}"
    assert required == {"POSTGRES_PASSWORD": {"set POSTGRES_PASSWORD"}}


def test_dockerfile_installs_every_package_pyproject_declares() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    instructions = [line for line in lines if line and not line.startswith((" ", "#"))]
    copied = {source.rstrip("/") for line in instructions if line.startswith("COPY ") for source in line.split()[1:-1]}
    top_level = {package.partition(".")[0] for package in setuptools["packages"]}  # a sub-package comes with its parent
    assert copied == {"pyproject.toml", "README.md", "config", *top_level} | {
        f"{module}.py" for module in setuptools["py-modules"]
    }
    assert instructions[0] == "FROM python:3.11-slim"
    assert "RUN pip install . && rm -rf build incident_pipeline.egg-info" in instructions
    # every Python source the image runs is compiled once, so the workflow sandbox never compiles it again
    compiled = next(line for line in instructions if line.startswith("RUN python -m compileall -q "))
    assert set(compiled.split()[5:]) == top_level | {f"{module}.py" for module in setuptools["py-modules"]}
    assert instructions.index(compiled) > max(i for i, line in enumerate(instructions) if line.startswith("COPY api/"))
    assert "USER incidents" in instructions
    assert instructions[-1] == 'CMD ["python", "worker.py"]'


def _docker_compose(
    tmp_path: Path, *args: str, password: str | None, shell: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run docker-compose with ``password`` and ``shell`` as the only POSTGRES_PASSWORD and INCIDENTS_* variables."""
    binary = shutil.which("docker-compose")
    assert binary, f"docker-compose not found: install the Debian package {DOCKER_COMPOSE_APT_PACKAGE!r}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "POSTGRES_PASSWORD" and not key.startswith("INCIDENTS_")  # a developer's shell must not count
    }
    if password is not None:
        env["POSTGRES_PASSWORD"] = password
    env.update(shell or {})
    empty_env_file = tmp_path / "empty.env"  # a developer's own .env must not change the outcome
    empty_env_file.write_text("", encoding="utf-8")
    return subprocess.run(
        [binary, "--env-file", str(empty_env_file), "--file", str(COMPOSE_FILE), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    result = _docker_compose(tmp_path, "config", "-q", password="compose-test-password")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_docker_compose_resolves_the_password_into_postgresql_and_temporal(tmp_path: Path) -> None:
    result = _docker_compose(tmp_path, "config", password="compose-test-password")
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["services"]
    assert resolved["postgresql"]["environment"]["POSTGRES_PASSWORD"] == "compose-test-password"
    assert resolved["temporal"]["environment"]["POSTGRES_PWD"] == "compose-test-password"
    archive = ARCHIVE_URL.format(password="compose-test-password")
    assert resolved["migrate"]["environment"] == {"INCIDENTS_DATABASE_URL": archive}
    assert resolved["worker"]["environment"]["INCIDENTS_DATABASE_URL"] == archive
    assert resolved["api"]["environment"]["INCIDENTS_DATABASE_URL"] == archive


def test_docker_compose_hands_the_api_settings_from_the_shell_to_the_api(tmp_path: Path) -> None:
    result = _docker_compose(tmp_path, "config", password="compose-test-password", shell=API_SETTINGS)
    assert result.returncode == 0, result.stderr
    environment = yaml.safe_load(result.stdout)["services"]["api"]["environment"]
    assert environment == {**api_environment("compose-test-password"), **API_SETTINGS}
    unset = yaml.safe_load(_docker_compose(tmp_path, "config", password="compose-test-password").stdout)
    assert unset["services"]["api"]["environment"] == {
        **api_environment("compose-test-password"),
        **dict.fromkeys(API_SETTINGS),
    }


def test_docker_compose_refuses_to_start_without_a_password(tmp_path: Path) -> None:
    result = _docker_compose(tmp_path, "config", "-q", password=None)
    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD" in result.stderr


RESOLVED_WORKER = worker_environment("compose-test-password")


def _resolved_worker_environment(tmp_path: Path, shell: dict[str, str]) -> dict[str, str | None]:
    result = _docker_compose(tmp_path, "config", password="compose-test-password", shell=shell)
    assert result.returncode == 0, result.stderr
    environment: dict[str, str | None] = yaml.safe_load(result.stdout)["services"]["worker"]["environment"]
    return environment


def test_docker_compose_hands_every_channel_setting_from_the_shell_to_the_worker(tmp_path: Path) -> None:
    shell = WORKER_SETTINGS
    assert _resolved_worker_environment(tmp_path, shell) == {**RESOLVED_WORKER, **shell}


async def test_docker_compose_leaves_unset_channel_settings_out_of_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = _resolved_worker_environment(tmp_path, {})

    # null: `docker compose` sets the variable in the container only when the shell has it
    assert environment == {**RESOLVED_WORKER, **dict.fromkeys(WORKER_SETTINGS)}
    for name in [name for name in os.environ if name.startswith("INCIDENTS_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    settings = Settings()
    async with httpx.AsyncClient() as http:
        channels = build_channels(settings, http, {})
    assert settings.channels == list(channels) == ["log"]


@pytest.mark.parametrize("name", list(CHANNEL_SETTINGS))
async def test_an_empty_channel_setting_is_not_unset_to_the_worker(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the file passes the variables through rather than ``${VAR:-}``: the worker would refuse to start."""
    for inherited in [inherited for inherited in os.environ if inherited.startswith("INCIDENTS_")]:
        monkeypatch.delenv(inherited)
    monkeypatch.setenv(name, "")

    with pytest.raises((ValueError, ConfigError)) as caught:
        async with httpx.AsyncClient() as http:
            build_channels(Settings(), http, {})

    assert name.removeprefix("INCIDENTS_").lower() in str(caught.value).lower()
