"""Transaction sync against the Qonto emulator over real HTTP: pagination, upsert, the overlap,
the mark that advances only after a page is stored, and error classification."""

from __future__ import annotations

import random
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest

from connectors.sandbox import QontoEmulator
from connectors.sandbox.constants import QONTO_MAIN_BANK_ACCOUNT_ID
from reconciliation.intake.transaction_mirror import INITIAL_LOOKBACK
from reconciliation.intake.transaction_mirror import OVERLAP
from reconciliation.intake.transaction_mirror import sync_transactions
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Transaction
from reconciliation.models import Workspace

pytestmark = pytest.mark.django_db

TRANSACTIONS = "/v2/transactions"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def qonto_read_timeout() -> float:
    return 3.0


def seed(emulator: QontoEmulator, count: int, *, step: float = 60.0) -> list[str]:
    """``count`` transactions, each updated ``step`` virtual seconds after the previous."""
    ids = []
    for n in range(count):
        emulator.advance_clock(step)
        ids.append(
            emulator.add_transaction(
                amount=Decimal(f"{10 + n}.50"),
                label=f"Supplier {n}",
                side="credit" if n % 5 == 0 else "debit",
                status=("pending", "completed", "completed", "declined")[n % 4],
                reference=f"INV-2026-{n:04d}",
                emitted_at=START + timedelta(hours=n),
            ).id
        )
    return ids


def listing_requests(emulator: QontoEmulator) -> list[dict[str, list[str]]]:
    return [entry.query for entry in emulator.requests(method="GET", path=TRANSACTIONS)]


def remote_updated_at(emulator: QontoEmulator, transaction_id: str) -> datetime:
    moment = emulator.transactions[transaction_id].moment("updated_at")
    assert moment is not None
    return moment


@pytest.mark.postgres
def test_first_sync_mirrors_every_page(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    ids = seed(qonto_emulator, 250)

    result = sync_transactions(connection_id=qonto.pk, trigger="manual")

    assert (result.status, result.created, result.updated, result.pages) == (
        "succeeded",
        250,
        0,
        3,
    )
    assert Transaction.objects.filter(workspace=workspace).count() == 250
    requests = listing_requests(qonto_emulator)
    assert [q["page"] for q in requests] == [["1"], ["1"], ["1"]]
    assert requests[0]["status[]"] == ["pending", "completed", "declined"]
    assert (requests[0]["sort_by"], requests[0]["per_page"], requests[0]["bank_account_id"]) == (
        ["updated_at:asc"],
        ["100"],
        [QONTO_MAIN_BANK_ACCOUNT_ID],
    )
    # Each restart begins at the last stored page's newest updated_at (inclusive).
    assert [datetime.fromisoformat(q["updated_at_from"][0]) for q in requests[1:]] == [
        remote_updated_at(qonto_emulator, ids[99]),
        remote_updated_at(qonto_emulator, ids[198]),
    ]
    qonto.refresh_from_db()
    # The emulator's clock ran 250 minutes ahead of ours: Qonto's newest updated_at wins.
    assert qonto.synced_until == remote_updated_at(qonto_emulator, ids[-1])
    assert qonto.bank_account_ids == [QONTO_MAIN_BANK_ACCOUNT_ID]
    run = SyncRun.objects.get(pk=result.sync_run_id)
    assert (run.kind, run.status, run.trigger, run.items_changed) == (
        SyncKind.TRANSACTIONS,
        SyncStatus.SUCCEEDED,
        "manual",
        250,
    )


def test_rows_keep_amounts_counterparty_reference_and_dates(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    remote = qonto_emulator.add_transaction(
        amount=Decimal("921.66"),
        local_amount=Decimal("1000.00"),
        local_currency="USD",
        label="GLOBEX CORPORATION",
        reference="Payment INV-2026-0042 thanks",
        counterparty_iban="FR76 3000 6000 0112 3456 7890 189",
        emitted_at=datetime(2026, 11, 4, 23, 30, tzinfo=UTC),
        settled_at=datetime(2026, 11, 5, 8, 0, tzinfo=UTC),
    )

    sync_transactions(connection_id=qonto.pk)

    row = Transaction.objects.get(qonto_id=remote.id)
    assert (row.side, row.status, row.operation_type) == ("debit", "completed", "transfer")
    assert (row.amount, row.currency, row.local_amount, row.local_currency) == (
        Decimal("921.660"),
        "EUR",
        Decimal("1000.000"),
        "USD",
    )
    assert (row.counterparty_name, row.normalized_counterparty, row.counterparty_iban) == (
        "GLOBEX CORPORATION",
        "globex",
        "FR7630006000011234567890189",
    )
    assert (row.reference, row.normalized_reference) == (
        "Payment INV-2026-0042 thanks",
        "20260042",
    )
    assert (row.value_date, row.bank_account_id) == (date(2026, 11, 5), QONTO_MAIN_BANK_ACCOUNT_ID)
    assert row.qonto_updated_at == remote_updated_at(qonto_emulator, remote.id)


@pytest.mark.postgres
def test_next_sync_starts_at_the_mark_minus_the_overlap_and_upserts(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    ids = seed(qonto_emulator, 30)
    sync_transactions(connection_id=qonto.pk)
    qonto.refresh_from_db()
    mark = qonto.synced_until
    assert mark is not None
    qonto_emulator.clear_requests()
    qonto_emulator.advance_clock(120)
    qonto_emulator.update_transaction(ids[0], status="completed", amount=Decimal("11.00"))
    seed(qonto_emulator, 1)

    result = sync_transactions(connection_id=qonto.pk)

    requests = listing_requests(qonto_emulator)
    assert datetime.fromisoformat(requests[0]["updated_at_from"][0]) == mark - OVERLAP
    assert (result.created, result.updated, result.status) == (1, 1, "succeeded")
    changed = Transaction.objects.get(qonto_id=ids[0])
    assert (changed.status, changed.amount) == ("completed", Decimal("11.000"))
    assert Transaction.objects.filter(workspace=workspace).count() == 31


def test_a_full_page_sharing_one_updated_at_is_paged_by_number(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    qonto_emulator.clock.freeze()
    ids = seed(qonto_emulator, 150, step=0)
    shared = remote_updated_at(qonto_emulator, ids[0])

    result = sync_transactions(connection_id=qonto.pk)

    assert (result.created, result.unchanged, result.pages) == (150, 100, 3)
    assert [
        (q["page"][0], datetime.fromisoformat(q["updated_at_from"][0]) == shared)
        for q in listing_requests(qonto_emulator)
    ] == [("1", False), ("1", True), ("2", True)]
    assert Transaction.objects.filter(workspace=workspace).count() == 150


def seed_that_passes_then_fails(passes: int, failures: int, probability: float) -> int:
    """The first seed whose draws let ``passes`` calls through, then fail ``failures``."""
    for candidate in range(10_000):
        rng = random.Random(candidate)
        draws = [rng.random() < probability for _ in range(passes + failures)]
        if draws == [False] * passes + [True] * failures:
            return candidate
    raise AssertionError("no seed found")


def test_transient_failure_keeps_the_pages_already_stored(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    ids = seed(qonto_emulator, 250)
    # The first listing answers; the next one fails on every retry (Retry-After: 0, no sleep).
    qonto_emulator.inject_fault(
        TRANSACTIONS,
        {"status": 503, "retry_after": 0},
        method="GET",
        probability=0.5,
        seed=seed_that_passes_then_fails(1, 4, 0.5),
    )

    failed = sync_transactions(connection_id=qonto.pk)

    assert (failed.status, failed.created) == ("partial", 100)
    assert failed.error.startswith("Qonto is unavailable; the next sync retries: ")
    qonto.refresh_from_db()
    assert qonto.synced_until == remote_updated_at(qonto_emulator, ids[99])
    assert (qonto.status, qonto.last_error_at is not None) == (ConnectionStatus.ACTIVE, True)
    assert SyncRun.objects.get(pk=failed.sync_run_id).status == SyncStatus.PARTIAL

    qonto_emulator.clear_faults()
    resumed = sync_transactions(connection_id=qonto.pk)

    assert (resumed.status, resumed.created) == ("succeeded", 150)
    assert Transaction.objects.filter(workspace=workspace).count() == 250


def test_revoked_consent_puts_the_connection_in_needs_reauth(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    seed(qonto_emulator, 3)
    qonto_emulator.revoke_all_tokens()

    result = sync_transactions(connection_id=qonto.pk)

    qonto.refresh_from_db()
    assert (result.status, qonto.status) == ("needs_reauth", ConnectionStatus.NEEDS_REAUTH)
    assert Transaction.objects.count() == 0
    assert qonto.synced_until is None
    assert SyncRun.objects.get(pk=result.sync_run_id).status == SyncStatus.FAILED


def test_a_running_sync_is_not_started_twice(workspace: Workspace, qonto: Connection) -> None:
    Connection.objects.filter(pk=qonto.pk).update(
        sync_lease_until=datetime.now(UTC) + timedelta(minutes=5)
    )

    result = sync_transactions(connection_id=qonto.pk)

    assert (result.status, result.error) == ("skipped", "A transaction sync is running.")
    assert SyncRun.objects.count() == 0


def test_first_sync_looks_back_the_initial_lookback(
    qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    sync_transactions(connection_id=qonto.pk)

    run = SyncRun.objects.get(kind=SyncKind.TRANSACTIONS)
    requested = datetime.fromisoformat(listing_requests(qonto_emulator)[0]["updated_at_from"][0])
    assert requested == run.started_at - INITIAL_LOOKBACK
