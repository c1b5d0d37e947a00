from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

from connectors import crypto
from connectors.sandbox import Sandbox
from reconciliation.connections.tokens import load_tokens
from reconciliation.models import Connection, Provider, Workspace

pytestmark = pytest.mark.django_db


def test_rotation_rewraps_data_keys_without_touching_tokens(
    workspace: Workspace,
    sandbox_settings: Sandbox,
    connect_with_emulator_tokens: Callable[..., Connection],
    settings: Settings,
) -> None:
    connection = connect_with_emulator_tokens(workspace, Provider.QONTO, sandbox_settings.qonto)
    token = load_tokens(connection).access_token
    ciphertext = bytes(connection.access_token_ciphertext or b"")
    old_key = settings.WELL_MASTER_KEY
    new_key = crypto.generate_master_key()
    settings.WELL_MASTER_KEY = f"{new_key},{old_key}"
    out = StringIO()
    call_command("rotate_master_key", stdout=out)
    assert "Re-wrapped 1 data key(s)." in out.getvalue()
    settings.WELL_MASTER_KEY = new_key  # the old key is gone
    stored = Connection.objects.get(pk=connection.pk)
    assert bytes(stored.access_token_ciphertext or b"") == ciphertext
    assert load_tokens(stored).access_token == token
    again = StringIO()
    call_command("rotate_master_key", stdout=again)
    assert "Re-wrapped 0 data key(s)." in again.getvalue()


def test_without_the_old_key_tokens_cannot_be_read(
    workspace: Workspace,
    sandbox_settings: Sandbox,
    connect_with_emulator_tokens: Callable[..., Connection],
    settings: Settings,
) -> None:
    connection = connect_with_emulator_tokens(workspace, Provider.QONTO, sandbox_settings.qonto)
    settings.WELL_MASTER_KEY = crypto.generate_master_key()
    with pytest.raises(crypto.DecryptionError):
        load_tokens(Connection.objects.get(pk=connection.pk))
