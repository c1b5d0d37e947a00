from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings as SettingsWrapper

from connectors.crypto import CIPHERTEXT_MAGIC
from connectors.crypto import WRAPPED_KEY_MAGIC
from connectors.crypto import DecryptionError
from connectors.crypto import MasterKey
from connectors.crypto import MasterKeyRing
from connectors.crypto import associated_data_for
from connectors.crypto import decrypt
from connectors.crypto import encrypt
from connectors.crypto import generate_data_key
from connectors.crypto import generate_master_key
from connectors.crypto import key_id_of
from connectors.crypto import master_key_from_settings
from connectors.crypto import parse_master_keys
from connectors.crypto import rewrap_data_key
from connectors.crypto import unwrap_data_key
from connectors.crypto import wrap_data_key

OLD_KEY_TEXT = base64.urlsafe_b64encode(b"o" * 32).decode()
NEW_KEY_TEXT = base64.urlsafe_b64encode(b"n" * 32).decode()
TOKEN = "sl.u.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


def test_round_trip_returns_the_plaintext() -> None:
    data_key = generate_data_key()
    context = associated_data_for(1, 2, "access_token")

    ciphertext = encrypt(data_key, TOKEN, associated_data=context)

    assert decrypt(data_key, ciphertext, associated_data=context) == TOKEN


def test_ciphertext_is_versioned_and_never_contains_the_plaintext() -> None:
    data_key = generate_data_key()
    context = associated_data_for(1, 2, "access_token")

    first = encrypt(data_key, TOKEN, associated_data=context)
    second = encrypt(data_key, TOKEN, associated_data=context)

    assert first.startswith(CIPHERTEXT_MAGIC)
    assert TOKEN.encode() not in first
    assert first != second  # a fresh nonce every time
    assert len(first) == len(CIPHERTEXT_MAGIC) + 12 + len(TOKEN) + 16


def test_tampered_ciphertext_is_refused() -> None:
    data_key = generate_data_key()
    context = associated_data_for(1, 2, "access_token")
    ciphertext = bytearray(encrypt(data_key, TOKEN, associated_data=context))
    ciphertext[-5] ^= 0x01

    with pytest.raises(DecryptionError) as raised:
        decrypt(data_key, bytes(ciphertext), associated_data=context)

    assert "tampered" in str(raised.value)


def test_ciphertext_copied_to_another_connection_is_refused() -> None:
    data_key = generate_data_key()
    ciphertext = encrypt(data_key, TOKEN, associated_data=associated_data_for(1, 2, "access_token"))

    with pytest.raises(DecryptionError) as raised:
        decrypt(data_key, ciphertext, associated_data=associated_data_for(1, 3, "access_token"))

    assert str(raised.value) == (
        "the ciphertext does not open for well/v1/workspace=1/connection=3/access_token: it "
        "belongs to another workspace, connection or purpose, was encrypted under another data "
        "key, or was tampered with"
    )
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    ("other_context", "_case"),
    [
        ((2, 2, "access_token"), "other workspace"),
        ((1, 2, "refresh_token"), "other purpose"),
    ],
)
def test_ciphertext_is_bound_to_workspace_and_purpose(
    other_context: tuple[int, int, str], _case: str
) -> None:
    data_key = generate_data_key()
    ciphertext = encrypt(data_key, TOKEN, associated_data=associated_data_for(1, 2, "access_token"))

    with pytest.raises(DecryptionError):
        decrypt(data_key, ciphertext, associated_data=associated_data_for(*other_context))


def test_another_data_key_cannot_decrypt() -> None:
    context = associated_data_for(1, 2, "access_token")
    ciphertext = encrypt(generate_data_key(), TOKEN, associated_data=context)

    with pytest.raises(DecryptionError):
        decrypt(generate_data_key(), ciphertext, associated_data=context)


def test_garbage_is_not_a_ciphertext() -> None:
    with pytest.raises(DecryptionError) as raised:
        decrypt(generate_data_key(), b"plain text token", associated_data=b"x")

    assert str(raised.value) == "this is not a ciphertext in the CT1 format"


def test_wrapped_data_key_round_trips_and_names_its_master_key() -> None:
    master = MasterKey(b"m" * 32)
    data_key = generate_data_key()

    wrapped = wrap_data_key(master, data_key)

    assert wrapped.startswith(WRAPPED_KEY_MAGIC + master.key_id)
    assert len(wrapped) == 3 + 8 + 12 + 32 + 16
    assert bytes(data_key) not in wrapped
    assert key_id_of(wrapped) == master.key_id
    assert unwrap_data_key(master, wrapped) == data_key


def test_tampered_wrapped_key_is_refused() -> None:
    master = MasterKey(b"m" * 32)
    wrapped = bytearray(wrap_data_key(master, generate_data_key()))
    wrapped[-1] ^= 0x80

    with pytest.raises(DecryptionError) as raised:
        unwrap_data_key(master, bytes(wrapped))

    assert "failed authentication" in str(raised.value)


def test_unwrap_with_unconfigured_master_key_names_the_missing_key_id() -> None:
    old = MasterKey(b"o" * 32)
    new = MasterKey(b"n" * 32)
    wrapped = wrap_data_key(old, generate_data_key())

    with pytest.raises(DecryptionError) as raised:
        unwrap_data_key(new, wrapped)

    assert str(raised.value) == (
        f"the data key was wrapped by master key {old.key_id.hex()}, which is not configured "
        "(add it to WELL_MASTER_KEY after the current key)"
    )


def test_rotation_rewraps_data_keys_and_tokens_still_decrypt() -> None:
    old_ring = parse_master_keys(OLD_KEY_TEXT)
    data_key = generate_data_key()
    wrapped_under_old = wrap_data_key(old_ring, data_key)
    context = associated_data_for(4, 9, "refresh_token")
    ciphertext = encrypt(data_key, TOKEN, associated_data=context)
    rotation_ring = parse_master_keys(f"{NEW_KEY_TEXT},{OLD_KEY_TEXT}")

    # During rotation both keys decrypt, the new one encrypts.
    assert unwrap_data_key(rotation_ring, wrapped_under_old) == data_key
    rewrapped = rewrap_data_key(rotation_ring, rotation_ring.current, wrapped_under_old)

    assert key_id_of(rewrapped) == MasterKey(b"n" * 32).key_id
    new_only = parse_master_keys(NEW_KEY_TEXT)
    assert decrypt(unwrap_data_key(new_only, rewrapped), ciphertext, associated_data=context) == (
        TOKEN
    )
    with pytest.raises(DecryptionError):
        unwrap_data_key(new_only, wrapped_under_old)


def test_key_ring_encrypts_with_the_first_key() -> None:
    ring = parse_master_keys([NEW_KEY_TEXT, OLD_KEY_TEXT])

    wrapped = wrap_data_key(ring, generate_data_key())

    assert key_id_of(wrapped) == ring.keys[0].key_id
    assert ring.current.key == b"n" * 32


def test_master_key_from_settings_reads_a_rotation_list(settings: SettingsWrapper) -> None:
    settings.WELL_MASTER_KEY = f"{NEW_KEY_TEXT}, {OLD_KEY_TEXT}"

    ring = master_key_from_settings()

    assert [key.key for key in ring.keys] == [b"n" * 32, b"o" * 32]


@pytest.mark.parametrize(
    ("value", "message", "_case"),
    [
        ("", "WELL_MASTER_KEY is empty", "empty"),
        ("not base64 at all!!", "WELL_MASTER_KEY entry 1 is not urlsafe base64.", "garbage"),
        (
            base64.urlsafe_b64encode(b"short").decode(),
            "WELL_MASTER_KEY entry 1 decodes to 5 bytes; it must be exactly 32.",
            "short key",
        ),
        (
            f"{NEW_KEY_TEXT},{base64.urlsafe_b64encode(b'x' * 16).decode()}",
            "WELL_MASTER_KEY entry 2 decodes to 16 bytes; it must be exactly 32.",
            "bad second key",
        ),
        (f"{NEW_KEY_TEXT},{NEW_KEY_TEXT}", "WELL_MASTER_KEY lists the same key twice.", "dup"),
    ],
)
def test_master_key_from_settings_fails_loudly(
    settings: SettingsWrapper, value: str, message: str, _case: str
) -> None:
    settings.WELL_MASTER_KEY = value

    with pytest.raises(ImproperlyConfigured) as raised:
        master_key_from_settings()

    assert str(raised.value).startswith(message)
    if value:
        assert value not in str(raised.value)


def test_master_key_from_settings_refuses_a_missing_setting(settings: SettingsWrapper) -> None:
    del settings.WELL_MASTER_KEY

    with pytest.raises(ImproperlyConfigured) as raised:
        master_key_from_settings()

    assert str(raised.value) == "WELL_MASTER_KEY is not set."


def test_generated_master_key_is_accepted() -> None:
    ring = parse_master_keys(generate_master_key())

    assert len(ring.current.key) == 32


def test_no_key_material_in_repr_or_str() -> None:
    master = MasterKey(b"s" * 32)
    ring = MasterKeyRing((master,))
    data_key = generate_data_key()

    shown = " ".join([repr(master), str(master), repr(ring), repr(data_key), str(data_key)])

    assert "sss" not in shown
    assert repr(data_key) == "<SecretBytes: 32 bytes>"
    assert repr(master) == f"MasterKey(key_id={master.key_id.hex()})"
    assert bytes(data_key).hex() not in shown


@pytest.mark.parametrize(
    ("arguments", "_case"),
    [
        ((-1, 2, "access_token"), "negative workspace"),
        ((1, -2, "access_token"), "negative connection"),
        ((1, 2, "Access Token"), "purpose with spaces"),
        ((1, 2, "a/b"), "purpose with a separator"),
        ((True, 2, "access_token"), "boolean id"),
    ],
)
def test_associated_data_for_rejects_ambiguous_input(
    arguments: tuple[int, int, str], _case: str
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the three causes share one type on purpose
        associated_data_for(*arguments)


def test_associated_data_for_is_stable() -> None:
    assert associated_data_for(7, 12, "access_token") == (
        b"well/v1/workspace=7/connection=12/access_token"
    )
