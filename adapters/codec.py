"""Optional payload encryption: AES-256-GCM over every payload the client, worker and API send to Temporal.

Each payload is serialized whole (metadata and data) and encrypted with a fresh 96-bit random nonce under the first
configured key; the result carries ``encoding: binary/encrypted`` and the key id in ``encryption-key-id``. Decoding
picks the key by that id, so after a rotation (new key first, old key listed after it) old histories still read.
Payloads without the encrypted encoding pass through unchanged. Search attributes are never encrypted: Temporal
must index them, which is why they carry no personal data (``workflows.search_attributes``).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from adapters.settings import EncryptionKey, Settings
from domain.errors import EncryptionError

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32


class EncryptionCodec(PayloadCodec):
    """Encrypts with the first key; decrypts with whichever key the payload names."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise EncryptionError("INCIDENTS_ENCRYPTION_KEYS: the list is empty; give at least one key or unset it")
        self._keys: dict[str, AESGCM] = {}
        for key_id, key in keys:
            if key_id in self._keys:
                raise EncryptionError(f"INCIDENTS_ENCRYPTION_KEYS: key id {key_id!r} appears twice")
            if len(key) != KEY_BYTES:
                raise EncryptionError(
                    f"INCIDENTS_ENCRYPTION_KEYS: key {key_id!r} is {len(key)} bytes long, not {KEY_BYTES} "
                    "(make one with `openssl rand -base64 32`)"
                )
            self._keys[key_id] = AESGCM(key)
        self.key_id = keys[0][0]
        """The id of the key that encrypts."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.key_id].encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: self.key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        cipher = self._keys.get(key_id)
        if cipher is None:
            raise EncryptionError(
                f"a payload was encrypted with key {key_id!r}, which is not in INCIDENTS_ENCRYPTION_KEYS "
                f"(configured: {', '.join(repr(known) for known in self._keys)})"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, None)
        except InvalidTag as error:
            raise EncryptionError(
                f"a payload encrypted with key {key_id!r} does not decrypt with the configured key {key_id!r} "
                "(a different key under the same id, or the payload was altered)"
            ) from error
        decrypted = Payload()
        decrypted.ParseFromString(plain)
        return decrypted


def parse_keys(keys: Sequence[EncryptionKey]) -> list[tuple[str, bytes]]:
    """The keys' raw bytes; a key that is not base64 is named."""
    parsed = []
    for entry in keys:
        try:
            raw = base64.b64decode(entry.key.get_secret_value(), validate=True)
        except (binascii.Error, ValueError) as error:
            raise EncryptionError(
                f"INCIDENTS_ENCRYPTION_KEYS: key {entry.id!r} is not valid base64 "
                "(make one with `openssl rand -base64 32`)"
            ) from error
        parsed.append((entry.id, raw))
    return parsed


def codec_from_settings(settings: Settings) -> EncryptionCodec | None:
    """The codec for INCIDENTS_ENCRYPTION_KEYS, or None when it is unset (payloads are stored as plain JSON)."""
    if not settings.encryption_keys:
        return None
    return EncryptionCodec(parse_keys(settings.encryption_keys))


def data_converter(codec: PayloadCodec | None = None) -> DataConverter:
    """The pydantic converter, with the codec applied to every payload when one is given."""
    if codec is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)
