"""The incidents command line as a person runs it: a process per command, in a clean environment."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.reports import PAYMENTS as SAMPLE
from tests.support.settings import EXAMPLE_CATALOG, ROOT

COMMAND_TIMEOUT = 60.0


INCIDENT_ID = r"INC-[A-Z2-7]{10}"


ENUMS = {"category", "source", "impact", "urgency"}
PAYMENTS = tuple(
    argument
    for name in ("title", "service", "category", "source", "impact", "urgency", "reporter")
    for argument in (f"--{name}", str(getattr(SAMPLE, name).value if name in ENUMS else getattr(SAMPLE, name)))
)
"""``incidents report`` with the sample report's fields."""


@dataclass(frozen=True)
class Outcome:
    code: int | None
    stdout: str
    stderr: str


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without Temporal or incidents settings that could leak in, plus ``extra``.

    The virtualenv's bin directory leads PATH, as for a user who activated it.
    """
    kept = {key: value for key, value in os.environ.items() if not key.startswith(("TEMPORAL_", "INCIDENTS_"))}
    kept["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), kept.get("PATH", "")])
    return kept | {"INCIDENTS_CATALOG_PATH": str(EXAMPLE_CATALOG)} | extra


async def incidents(*args: str, env: dict[str, str]) -> Outcome:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starter",
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.communicate()
        raise
    return Outcome(process.returncode, stdout.decode(), stderr.decode())


@dataclass(frozen=True)
class Cli:
    env: dict[str, str]

    async def __call__(self, *args: str) -> Outcome:
        return await incidents(*args, env=self.env)


async def report_payments(cli: Cli) -> str:
    reported = await cli("report", *PAYMENTS)
    match = re.fullmatch(f"({INCIDENT_ID}) P1\n", reported.stdout)
    assert (reported.code, reported.stderr, match is not None) == (0, "", True), reported
    assert match is not None
    return match.group(1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def accepts_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
