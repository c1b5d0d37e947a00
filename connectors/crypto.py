"""Envelope encryption for provider tokens and stored files.

Each workspace has its own random AES-256 data key, stored only *wrapped* (AES-256-GCM) by the
master key from ``WELL_MASTER_KEY``. Tokens are encrypted with the data key and bound through
associated data to their workspace, connection and purpose, so a ciphertext copied to another
row refuses to decrypt. Rotating the master key re-wraps data keys and never touches tokens.

Formats (all binary, suitable for a ``BinaryField``):

- wrapped data key: ``b"WK1"`` + 8-byte master-key id + 12-byte nonce + 48 bytes (key + tag);
  the 11-byte header is authenticated too.
- ciphertext: ``b"CT1"`` + 12-byte nonce + AES-GCM(ciphertext + tag), with the version header
  prepended to the associated data.

The master-key id is the first 8 bytes of SHA-256 over the key: it tells keys apart during a
rotation without revealing anything usable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID_BYTES = 8
WRAPPED_KEY_MAGIC = b"WK1"
CIPHERTEXT_MAGIC = b"CT1"
_WRAPPED_LENGTH = len(WRAPPED_KEY_MAGIC) + KEY_ID_BYTES + NONCE_BYTES + KEY_BYTES + 16
_PURPOSE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


class DecryptionError(Exception):
    """A wrapped key or ciphertext cannot be opened. The message explains why in words and never
    contains key or plaintext material."""


class SecretBytes(bytes):
    """Raw key material whose repr/str never shows the bytes (tracebacks, debug logs)."""

    def __repr__(self) -> str:
        return f"<SecretBytes: {len(self)} bytes>"

    __str__ = __repr__


@dataclass(frozen=True)
class MasterKey:
    key: bytes = field(repr=False)
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise ValueError(f"a master key is {KEY_BYTES} bytes, got {len(self.key)}")
        object.__setattr__(self, "key_id", hashlib.sha256(self.key).digest()[:KEY_ID_BYTES])

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id.hex()})"

    __str__ = __repr__


@dataclass(frozen=True)
class MasterKeyRing:
    """The configured master keys: the first encrypts, all of them decrypt (rotation)."""

    keys: tuple[MasterKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a key ring needs at least one master key")

    @property
    def current(self) -> MasterKey:
        return self.keys[0]

    def find(self, key_id: bytes) -> MasterKey | None:
        for key in self.keys:
            if key.key_id == key_id:
                return key
        return None

    def __repr__(self) -> str:
        return f"MasterKeyRing(key_ids=[{', '.join(k.key_id.hex() for k in self.keys)}])"


MasterKeys = MasterKey | MasterKeyRing | Sequence[MasterKey]


def _ring(keys: MasterKeys) -> MasterKeyRing:
    if isinstance(keys, MasterKeyRing):
        return keys
    if isinstance(keys, MasterKey):
        return MasterKeyRing((keys,))
    return MasterKeyRing(tuple(keys))


def generate_master_key() -> str:
    """A new value for ``WELL_MASTER_KEY`` (urlsafe base64 of 32 random bytes)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_master_keys(value: str | Iterable[str]) -> MasterKeyRing:
    """Parse ``"new,old"`` (or a list). Errors name the position, never the value."""
    raw = value.split(",") if isinstance(value, str) else list(value)
    parts = [part.strip() for part in raw if part and part.strip()]
    if not parts:
        raise ImproperlyConfigured(
            "WELL_MASTER_KEY is empty: set it to the urlsafe base64 of 32 random bytes "
            '(python -c "from connectors.crypto import generate_master_key as g; print(g())").'
        )
    keys: list[MasterKey] = []
    for position, part in enumerate(parts, start=1):
        try:
            decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(
                f"WELL_MASTER_KEY entry {position} is not urlsafe base64."
            ) from None
        if len(decoded) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"WELL_MASTER_KEY entry {position} decodes to {len(decoded)} bytes; "
                f"it must be exactly {KEY_BYTES}."
            )
        keys.append(MasterKey(decoded))
    if len({key.key_id for key in keys}) != len(keys):
        raise ImproperlyConfigured("WELL_MASTER_KEY lists the same key twice.")
    return MasterKeyRing(tuple(keys))


def master_key_from_settings() -> MasterKeyRing:
    """The key ring from ``settings.WELL_MASTER_KEY``; raises ``ImproperlyConfigured`` when it is
    missing or malformed rather than ever falling back to a default key."""
    from django.conf import settings

    value = getattr(settings, "WELL_MASTER_KEY", None)
    if value is None:
        raise ImproperlyConfigured("WELL_MASTER_KEY is not set.")
    if not isinstance(value, str | list | tuple):
        raise ImproperlyConfigured("WELL_MASTER_KEY must be a string or a list of strings.")
    return parse_master_keys(value)


def generate_data_key() -> bytes:
    return SecretBytes(AESGCM.generate_key(bit_length=KEY_BYTES * 8))


def wrap_data_key(master_key: MasterKeys, data_key: bytes) -> bytes:
    """Wrap ``data_key`` under the current master key."""
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"a data key is {KEY_BYTES} bytes, got {len(data_key)}")
    current = _ring(master_key).current
    header = WRAPPED_KEY_MAGIC + current.key_id
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(current.key).encrypt(nonce, bytes(data_key), header)


def key_id_of(wrapped: bytes) -> bytes:
    """The id of the master key that wrapped ``wrapped`` (for rotation reports)."""
    if len(wrapped) != _WRAPPED_LENGTH or not wrapped.startswith(WRAPPED_KEY_MAGIC):
        raise DecryptionError("this is not a wrapped data key in the WK1 format")
    start = len(WRAPPED_KEY_MAGIC)
    return bytes(wrapped[start : start + KEY_ID_BYTES])


def unwrap_data_key(master_key: MasterKeys, wrapped: bytes) -> bytes:
    """Unwrap with whichever configured master key wrapped it."""
    wrapped = bytes(wrapped)
    key_id = key_id_of(wrapped)
    key = _ring(master_key).find(key_id)
    if key is None:
        raise DecryptionError(
            f"the data key was wrapped by master key {key_id.hex()}, which is not configured "
            "(add it to WELL_MASTER_KEY after the current key)"
        )
    header_end = len(WRAPPED_KEY_MAGIC) + KEY_ID_BYTES
    nonce = wrapped[header_end : header_end + NONCE_BYTES]
    try:
        data_key = AESGCM(key.key).decrypt(
            nonce, wrapped[header_end + NONCE_BYTES :], wrapped[:header_end]
        )
    except InvalidTag:
        raise DecryptionError(
            f"the wrapped data key failed authentication under master key {key_id.hex()} "
            "(corrupted or tampered)"
        ) from None
    return SecretBytes(data_key)


def rewrap_data_key(
    old_master_keys: MasterKeys, new_master_key: MasterKey, wrapped: bytes
) -> bytes:
    """Re-wrap a data key under ``new_master_key``; the data key (and every token encrypted with
    it) is unchanged."""
    return wrap_data_key(new_master_key, unwrap_data_key(old_master_keys, wrapped))


def associated_data_for(workspace_id: int, connection_id: int, purpose: str) -> bytes:
    """The context a ciphertext is bound to, e.g. ``(7, 12, "access_token")``."""
    if isinstance(workspace_id, bool) or not isinstance(workspace_id, int) or workspace_id < 0:
        raise ValueError("workspace_id must be a non-negative integer")
    if isinstance(connection_id, bool) or not isinstance(connection_id, int) or connection_id < 0:
        raise ValueError("connection_id must be a non-negative integer")
    if not _PURPOSE.match(purpose):
        raise ValueError("purpose must be a short lowercase identifier such as 'refresh_token'")
    return f"well/v1/workspace={workspace_id}/connection={connection_id}/{purpose}".encode()


def encrypt(data_key: bytes, plaintext: str, *, associated_data: bytes) -> bytes:
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"a data key is {KEY_BYTES} bytes, got {len(data_key)}")
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(bytes(data_key)).encrypt(
        nonce, plaintext.encode("utf-8"), CIPHERTEXT_MAGIC + associated_data
    )
    return CIPHERTEXT_MAGIC + nonce + sealed


def decrypt(data_key: bytes, ciphertext: bytes, *, associated_data: bytes) -> str:
    ciphertext = bytes(ciphertext)
    minimum = len(CIPHERTEXT_MAGIC) + NONCE_BYTES + 16
    if len(ciphertext) < minimum or not ciphertext.startswith(CIPHERTEXT_MAGIC):
        raise DecryptionError("this is not a ciphertext in the CT1 format")
    if len(data_key) != KEY_BYTES:
        raise DecryptionError(f"a data key is {KEY_BYTES} bytes, got {len(data_key)}")
    start = len(CIPHERTEXT_MAGIC)
    nonce = ciphertext[start : start + NONCE_BYTES]
    try:
        plaintext = AESGCM(bytes(data_key)).decrypt(
            nonce, ciphertext[start + NONCE_BYTES :], CIPHERTEXT_MAGIC + associated_data
        )
    except InvalidTag:
        raise _does_not_open(
            "the ciphertext does not open for", associated_data, "workspace, connection or purpose"
        ) from None
    return plaintext.decode("utf-8")


# --- files ----------------------------------------------------------------------------------
#: Stored file: ``b"WF1"`` + the file's own key wrapped by the workspace's data key (nonce +
#: 32 bytes + tag) + nonce + AES-GCM(content + tag). Both seals carry the associated data, so a
#: file renamed, copied into another workspace's folder or given another purpose will not open.
FILE_MAGIC = b"WF1"
_FILE_KEY_LENGTH = NONCE_BYTES + KEY_BYTES + 16
FILE_OVERHEAD = len(FILE_MAGIC) + _FILE_KEY_LENGTH + NONCE_BYTES + 16


def file_associated_data(workspace_id: int, name: str) -> bytes:
    """What a stored file is bound to: its workspace and its name, which says what it is
    (``documents/7/ab/<sha256>.pdf``: the document with that content; ``pages/7/...``: a page
    image of it)."""
    if isinstance(workspace_id, bool) or not isinstance(workspace_id, int) or workspace_id < 0:
        raise ValueError("workspace_id must be a non-negative integer")
    if not name or name.startswith("/") or ".." in name.split("/"):
        raise ValueError("a stored file's name is a relative path")
    return f"well/v1/file/workspace={workspace_id}/{name}".encode()


def is_sealed_file(blob: bytes) -> bool:
    return len(blob) >= FILE_OVERHEAD and blob.startswith(FILE_MAGIC)


def seal_file(data_key: bytes, content: bytes, *, associated_data: bytes) -> bytes:
    """Envelope: a fresh key per file, wrapped by the workspace's data key."""
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"a data key is {KEY_BYTES} bytes, got {len(data_key)}")
    context = FILE_MAGIC + associated_data
    file_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    key_nonce, nonce = os.urandom(NONCE_BYTES), os.urandom(NONCE_BYTES)
    wrapped = key_nonce + AESGCM(bytes(data_key)).encrypt(key_nonce, file_key, context)
    return FILE_MAGIC + wrapped + nonce + AESGCM(file_key).encrypt(nonce, content, context)


def open_file(data_key: bytes, sealed: bytes, *, associated_data: bytes) -> bytes:
    sealed = bytes(sealed)
    if not is_sealed_file(sealed):
        raise DecryptionError("this is not a stored file in the WF1 format")
    context = FILE_MAGIC + associated_data
    start = len(FILE_MAGIC)
    wrapped = sealed[start : start + _FILE_KEY_LENGTH]
    nonce = sealed[start + _FILE_KEY_LENGTH : start + _FILE_KEY_LENGTH + NONCE_BYTES]
    try:
        file_key = AESGCM(bytes(data_key)).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], context
        )
        return AESGCM(file_key).decrypt(
            nonce, sealed[start + _FILE_KEY_LENGTH + NONCE_BYTES :], context
        )
    except InvalidTag:
        raise _does_not_open(
            "the stored file does not open as", associated_data, "workspace or document"
        ) from None


def _does_not_open(what: str, associated_data: bytes, owners: str) -> DecryptionError:
    """Why an AES-GCM seal refuses to open: another owner, another key, or tampering."""
    context = associated_data.decode("utf-8", errors="replace")
    return DecryptionError(
        f"{what} {context}: it belongs to another {owners}, was encrypted under another data "
        "key, or was tampered with"
    )
