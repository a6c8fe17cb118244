"""Connecting to Temporal: envconfig profiles and variables, the pydantic converter, search attributes."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.converter import PayloadCodec
from temporalio.envconfig import ClientConfig
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from adapters.codec import data_converter
from domain.errors import TemporalUnavailable
from workflows import search_attributes

DEFAULT_ADDRESS = "localhost:7233"

_INDEXED_TYPES = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
}


async def connect(
    profile: str | None = None, *, codec: PayloadCodec | None = None, runtime: Runtime | None = None
) -> Client:
    """A client configured by Temporal's envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_PROFILE,
    TEMPORAL_API_KEY, TLS variables and the TOML profile file; ``codec`` (``adapters.codec.codec_from_settings``)
    encrypts every payload."""
    config = ClientConfig.load_client_connect_config(profile=profile)
    config.setdefault("target_host", DEFAULT_ADDRESS)
    try:
        return await Client.connect(**config, data_converter=data_converter(codec), runtime=runtime)
    except RuntimeError as error:
        raise TemporalUnavailable(f"cannot reach Temporal at {config['target_host']}: {error}") from error


def search_attribute_types() -> dict[str, str]:
    """``Name → Keyword|Bool`` for every custom search attribute, as ``--search-attribute`` takes them."""
    return {key.name: _type_name(key) for key in search_attributes.ALL}


def _type_name(key: SearchAttributeKey[Any]) -> str:
    return key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_").capitalize()


async def register_search_attributes(client: Client) -> list[str]:
    """Register the custom search attributes that are missing; answers the names it added."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        existing = set(listed.custom_attributes)
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server cannot list them
            raise
        existing = set()
    missing = {
        name: _INDEXED_TYPES[kind.upper()] for name, kind in search_attribute_types().items() if name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)


def find_executable(name: str) -> str | None:
    """A program on PATH, or next to this Python (a virtualenv's bin directory that is not on PATH)."""
    found = shutil.which(name)
    if found is None:
        found = shutil.which(name, path=str(Path(sys.executable).parent))
    return found
