"""The reliability harness of ``make bench-post`` at 100 invoices: random faults, two workers
with their own database connections, then Qonto's state compared with Well's."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django.fixtures import Settings

from connectors.config import QontoConfig
from connectors.oauth import StaticTokenSource
from connectors.qonto import BulkItem
from connectors.qonto import QontoClient
from connectors.sandbox import Sandbox
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Workspace
from tests.posting_fixtures import connect_qonto
from tests.posting_fixtures import invoice_pdf
from tests.posting_fixtures import sent_keys
from tests.posting_harness import LEASE_SECONDS
from tests.posting_harness import READ_TIMEOUT_SECONDS
from tests.posting_harness import REJECTED_ON_PURPOSE
from tests.posting_harness import HarnessResult
from tests.posting_harness import blind_resends
from tests.posting_harness import run_harness

INVOICES = 100


@pytest.fixture
def harness_settings(sandbox_settings: Sandbox, settings: Settings) -> Sandbox:
    settings.HTTP_READ_TIMEOUT = READ_TIMEOUT_SECONDS
    settings.WELL_POST_LEASE_SECONDS = LEASE_SECONDS
    return sandbox_settings


def harness_on_qonto(
    workspace: Workspace, harness_settings: Sandbox, label: str, **options: Any
) -> HarnessResult:
    """The harness run with two workers over ``INVOICES`` invoices, on a fresh Qonto connection."""
    connect_qonto(workspace, harness_settings.qonto)
    return run_harness(
        label=label,
        workspace=workspace,
        emulator=harness_settings.qonto,
        invoices=INVOICES,
        workers=2,
        **options,
    )


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_nothing_lost_nothing_posted_twice_under_faults(
    workspace: Workspace, harness_settings: Sandbox
) -> None:
    result = harness_on_qonto(
        workspace,
        harness_settings,
        "faults on",
        faults=True,
        seed=11,
        probability=0.2,
        timeout_seconds=240,
    )

    comparison = result.comparison
    assert comparison.problems == ()
    assert (comparison.lost, comparison.duplicates, comparison.wrong_links) == (0, 0, 0)
    assert comparison.orphans == 0
    assert result.blind_resends == 0
    posted = comparison.by_status.get("posted", 0)
    rejected = comparison.by_status.get("rejected", 0)
    # Three uploads are refused by Qonto on purpose; a refusal inside a request whose answer was
    # then lost (timeout, drop) is never seen, and the re-send after the look-up goes through.
    assert posted + rejected == INVOICES
    assert rejected <= REJECTED_ON_PURPOSE
    assert comparison.qonto_invoices == posted
    rejected_reasons = set(
        Invoice.objects.filter(workspace=workspace, status=InvoiceStatus.REJECTED).values_list(
            "last_error_code", "last_error"
        )
    )
    assert rejected_reasons <= {("invalid", "File is invalid")}
    assert result.injected_faults > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_clean_run_posts_everything_once(workspace: Workspace, harness_settings: Sandbox) -> None:
    result = harness_on_qonto(
        workspace, harness_settings, "faults off", faults=False, timeout_seconds=120
    )

    assert result.comparison.by_status == {"posted": INVOICES}
    assert (result.comparison.lost, result.comparison.duplicates) == (0, 0)
    sent = sent_keys(harness_settings.qonto)
    assert len(sent) == len(set(sent)) == INVOICES
    assert result.stats.lookups == 0


def test_the_harness_sees_a_blind_resend(sandbox: Sandbox) -> None:
    """The emulator honours idempotency keys, so a re-send creates nothing; the harness counts
    such re-sends itself, since a Qonto that ignored the key would have made a duplicate."""
    emulator = sandbox.qonto
    client = QontoClient(
        QontoConfig(api_url=emulator.base_url),
        StaticTokenSource(emulator.issue_token()["access_token"], provider="qonto"),
    )
    item = BulkItem(idempotency_key="key-1", filename="a.well-1-key1.pdf", content=invoice_pdf(1))
    client.bulk_create_supplier_invoices([item])
    assert blind_resends(emulator) == 0

    client.bulk_create_supplier_invoices([item])

    assert blind_resends(emulator) == 1
    assert emulator.invoice_count_by_idempotency_key() == {"key-1": 1}
