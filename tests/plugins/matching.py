"""Pytest fixtures the matching tests share (each module names this plugin in its
``pytest_plugins``): the workspace's Qonto connection and the ACME supplier it pays."""

from __future__ import annotations

import pytest

from reconciliation.models import Connection
from reconciliation.models import Provider
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_vendor

ACME_IBAN = "DE89370400440532013000"


@pytest.fixture
def bank(workspace: Workspace) -> Connection:
    return make_connection(workspace, Provider.QONTO, watched_folder="")


@pytest.fixture
def acme(workspace: Workspace) -> Vendor:
    return make_vendor(workspace, "ACME Supplies GmbH", ibans=[ACME_IBAN])
