"""Payment confirmations ↔ debits on a hand-built month: exact matches, FX (local and
converted), fees, ties and two similar debits, the threshold boundary, and reviewer picks."""

from __future__ import annotations

import gc
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from reconciliation.matching import batch
from reconciliation.matching import match_window
from reconciliation.matching import pick_candidate
from reconciliation.matching import reject_all
from reconciliation.matching.review import MatchConflictError
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import ExchangeRate
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Side
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import Transaction
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.plugins.matching"]

ACME_IBAN = "DE89370400440532013000"
INITECH_IBAN = "FR7630006000011234567890189"
HOOLI_IBAN = "GB29NWBK60161331926819"
TODAY = date(2026, 11, 27)


def payment_document(workspace: Workspace, **fields: Any) -> Document:
    """A parsed payment confirmation whose extraction holds ``fields`` (as strings)."""
    extraction = {
        "kind": "payment_confirmation",
        "fields": {
            name: {"value": str(value), "confidence": 0.95, "source": "text", "evidence": None}
            for name, value in fields.items()
            if value is not None
        },
    }
    return make_document(workspace, kind=DocumentKind.PAYMENT_CONFIRMATION, extraction=extraction)


def debit(workspace: Workspace, bank: Connection, **fields: Any) -> Transaction:
    fields.setdefault("side", Side.DEBIT)
    fields.setdefault("counterparty_iban", "")
    fields.setdefault("reference", "")
    fields.setdefault("local_currency", fields.get("currency", "EUR"))
    fields.setdefault("local_amount", fields.get("amount"))
    return make_transaction(workspace, bank, **fields)


def acme_debit(workspace: Workspace, bank: Connection, **fields: Any) -> Transaction:
    """The debit of 1,250.00 EUR to ACME SUPPLIES' IBAN on 3 November."""
    return debit(
        workspace,
        bank,
        amount=Decimal("1250.00"),
        counterparty_name="ACME SUPPLIES",
        normalized_counterparty="acme supplies",
        counterparty_iban=ACME_IBAN,
        value_date=date(2026, 11, 3),
        **fields,
    )


def matches_of(document: Document) -> list[tuple[int | None, str, int, str]]:
    return [
        (m.transaction_id, m.status, m.rank, m.amount_basis)
        for m in Match.objects.filter(
            document=document, kind=MatchKind.CONFIRMATION_DEBIT
        ).order_by("rank", "transaction_id")
    ]


@pytest.fixture
def workspace(db: None) -> Workspace:
    # The suppliers below are "Acme …": the paying company must not share their name, or
    # its confirmations would read as money paid to itself.
    return make_workspace("Buyer Company SAS")


@pytest.mark.postgres
def test_hand_built_month_gives_exactly_the_expected_matches(
    workspace: Workspace, bank: Connection
) -> None:
    acme = payment_document(
        workspace,
        amount="1250.00",
        currency="EUR",
        execution_date="2026-11-02",
        beneficiary_name="ACME Supplies GmbH",
        beneficiary_iban="DE89 3704 0044 0532 0130 00",
        reference="INV-2026-0042",
    )
    acme_paid = acme_debit(workspace, bank, reference="INV-2026-0042")
    globex = payment_document(
        workspace,
        amount="1000.00",
        currency="USD",
        execution_date="2026-11-04",
        beneficiary_name="Globex Corporation",
        reference="PO-778",
    )
    globex_debit = debit(
        workspace,
        bank,
        amount=Decimal("921.66"),
        local_amount=Decimal("1000.00"),
        local_currency="USD",
        counterparty_name="GLOBEX CORPORATION",
        normalized_counterparty="globex",
        reference="PO-778",
        value_date=date(2026, 11, 5),
    )
    # The international transfer fee is its own debit: never a candidate.
    debit(
        workspace,
        bank,
        amount=Decimal("5.00"),
        counterparty_name="Qonto",
        normalized_counterparty="qonto",
        operation_type="qonto_fee",
        value_date=date(2026, 11, 5),
    )
    ExchangeRate.objects.create(
        base_currency="GBP",
        quote_currency="EUR",
        rate=Decimal("1.17"),
        rate_date=date(2026, 11, 4),
        source="test",
    )
    hooli = payment_document(
        workspace,
        amount="500.00",
        currency="GBP",
        execution_date="2026-11-05",
        beneficiary_name="Hooli Ltd",
        beneficiary_iban=HOOLI_IBAN,
        reference="H-991",
    )
    hooli_debit = debit(
        workspace,
        bank,
        amount=Decimal("589.00"),
        currency="EUR",
        local_amount=None,
        local_currency="",
        counterparty_name="HOOLI",
        normalized_counterparty="hooli",
        counterparty_iban=HOOLI_IBAN,
        reference="H-991",
        value_date=date(2026, 11, 6),
    )
    initech = payment_document(
        workspace,
        amount="480.00",
        currency="EUR",
        execution_date="2026-11-10",
        beneficiary_name="Initech SARL",
        beneficiary_iban=INITECH_IBAN,
    )
    similar = [
        debit(
            workspace,
            bank,
            amount=Decimal("480.00"),
            counterparty_name="INITECH",
            normalized_counterparty="initech",
            counterparty_iban=INITECH_IBAN,
            value_date=day,
        )
        for day in (date(2026, 11, 10), date(2026, 11, 12))
    ]
    umbrella = payment_document(
        workspace,
        amount="300.00",
        currency="EUR",
        execution_date="2026-11-15",
        beneficiary_name="Umbrella Corp",
    )
    tied = [
        debit(
            workspace,
            bank,
            amount=Decimal("300.00"),
            counterparty_name="UMBRELLA CORP",
            normalized_counterparty="umbrella",
            value_date=date(2026, 11, 16),
        )
        for _ in range(2)
    ]
    soylent = payment_document(
        workspace,
        amount="200.00",
        currency="EUR",
        execution_date="2026-11-18",
        beneficiary_name="Soylent",
    )
    # The bank added its fee to the debit: not the confirmed amount, so no candidate.
    debit(
        workspace,
        bank,
        amount=Decimal("202.50"),
        counterparty_name="SOYLENT",
        normalized_counterparty="soylent",
        value_date=date(2026, 11, 18),
    )

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert matches_of(acme) == [(acme_paid.pk, MatchStatus.CONFIRMED, 1, "source")]
    assert matches_of(globex) == [(globex_debit.pk, MatchStatus.CONFIRMED, 1, "local")]
    assert matches_of(hooli) == [(hooli_debit.pk, MatchStatus.CONFIRMED, 1, "converted")]
    assert matches_of(initech) == [
        (similar[0].pk, MatchStatus.PROPOSED, 1, "source"),
        (similar[1].pk, MatchStatus.PROPOSED, 2, "source"),
    ]
    assert matches_of(umbrella) == [
        (tied[0].pk, MatchStatus.PROPOSED, 1, "source"),
        (tied[1].pk, MatchStatus.PROPOSED, 2, "source"),
    ]
    assert matches_of(soylent) == []
    assert (report.confirmed, report.proposed, report.unmatched_document_ids) == (
        3,
        2,
        [soylent.pk],
    )
    hooli_match = Match.objects.get(document=hooli)
    assert (hooli_match.matched_amount, hooli_match.matched_currency, hooli_match.fx_rate) == (
        Decimal("585.000"),
        "EUR",
        Decimal("1.1700000000"),
    )
    assert hooli_match.score == Decimal("91.73")
    globex_match = Match.objects.get(document=globex)
    assert (globex_match.matched_amount, globex_match.matched_currency) == (
        Decimal("1000.000"),
        "USD",
    )
    assert Match.objects.get(document=acme).reasons == [
        "amount 1,250.00 EUR equal",
        "IBAN equal",
        "reference equal",
        "value date +1 day",
        "score 98.57 % ≥ threshold 80 %",
    ]
    assert sorted(Match.objects.to_attach().values_list("document_id", flat=True)) == sorted(
        [acme.pk, globex.pk, hooli.pk]
    )
    run = SyncRun.objects.get(kind=SyncKind.MATCHING)
    assert (run.status, run.details["confirmed"], run.details["proposed"]) == ("succeeded", 3, 2)


def simple_pair(
    workspace: Workspace, bank: Connection, threshold: Decimal | None = None
) -> tuple[Document, Transaction]:
    """ACME's confirmation of 1,250.00 and a debit two days later to a name cut short (scores
    81.24); with ``threshold``, the workspace's match threshold set first."""
    if threshold is not None:
        workspace.match_threshold = threshold
        workspace.save()
    document = payment_document(
        workspace,
        amount="1250.00",
        currency="EUR",
        execution_date="2026-11-02",
        beneficiary_name="ACME Supplies GmbH",
    )
    transaction = debit(
        workspace,
        bank,
        amount=Decimal("1250.00"),
        counterparty_name="ACME SUPPL",
        normalized_counterparty="acme suppl",
        value_date=date(2026, 11, 4),
    )
    return document, transaction


def proposed_pair(workspace: Workspace, bank: Connection) -> tuple[Document, Transaction]:
    """``simple_pair`` under a threshold of 95, after a window: its match is only proposed."""
    document, transaction = simple_pair(workspace, bank, Decimal(95))
    match_window(workspace_id=workspace.pk, today=TODAY)
    return document, transaction


def acme_640(workspace: Workspace, reference: str | None = None) -> Document:
    """A confirmation of 640.00 EUR paid to Acme's IBAN on 3 November."""
    return payment_document(
        workspace, amount="640.00", currency="EUR", execution_date="2026-11-03",
        beneficiary_name="Acme", beneficiary_iban=ACME_IBAN, reference=reference,
    )  # fmt: skip


def acme_640_debit(workspace: Workspace, bank: Connection, **fields: Any) -> Transaction:
    """The debit of 640.00 EUR to Acme's IBAN on 3 November."""
    return debit(
        workspace, bank, amount=Decimal("640.00"), counterparty_iban=ACME_IBAN,
        value_date=date(2026, 11, 3), **fields,
    )  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("threshold", "status"),
    [
        pytest.param("81.24", MatchStatus.CONFIRMED, id="at_threshold_case"),
        pytest.param("81.25", MatchStatus.PROPOSED, id="one_hundredth_above_case"),
    ],
)
def test_threshold_boundary(
    workspace: Workspace, bank: Connection, threshold: str, status: MatchStatus
) -> None:
    document, transaction = simple_pair(workspace, bank, Decimal(threshold))

    match_window(workspace_id=workspace.pk, today=TODAY)

    match = Match.objects.get(document=document)
    assert (match.transaction_id, match.score, match.status) == (
        transaction.pk,
        Decimal("81.24"),
        status,
    )


def test_a_second_window_changes_nothing(workspace: Workspace, bank: Connection) -> None:
    _, transaction = simple_pair(workspace, bank, Decimal(90))
    match_window(workspace_id=workspace.pk, today=TODAY)
    first = list(Match.objects.values_list("pk", "status", "transaction_id"))

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert list(Match.objects.values_list("pk", "status", "transaction_id")) == first
    assert first == [(first[0][0], MatchStatus.PROPOSED, transaction.pk)]
    assert (report.confirmed, report.proposed) == (0, 1)


def test_a_debit_that_arrives_later_is_matched_in_a_later_window(
    workspace: Workspace, bank: Connection
) -> None:
    document = payment_document(
        workspace, amount="75.00", currency="EUR", execution_date="2026-11-20",
        beneficiary_name="Acme", beneficiary_iban=ACME_IBAN,
    )  # fmt: skip
    assert match_window(workspace_id=workspace.pk, today=TODAY).unmatched_document_ids == [
        document.pk
    ]
    transaction = debit(
        workspace,
        bank,
        amount=Decimal("75.00"),
        counterparty_iban=ACME_IBAN,
        value_date=date(2026, 11, 21),
    )

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert report.confirmed == 1
    assert matches_of(document) == [(transaction.pk, MatchStatus.CONFIRMED, 1, "source")]


@pytest.mark.postgres
def test_two_confirmations_claiming_one_debit_both_go_to_review(
    workspace: Workspace, bank: Connection
) -> None:
    documents = [acme_640(workspace) for _ in range(2)]
    transaction = acme_640_debit(workspace, bank)

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert report.confirmed == 0
    for document in documents:
        assert matches_of(document) == [(transaction.pk, MatchStatus.PROPOSED, 1, "source")]
    assert Match.objects.get(document=documents[0]).reasons[-1] == (
        f"transaction {transaction.pk} also fits documents {documents[1].pk}"
    )


def test_a_debit_confirmed_for_one_document_is_not_offered_to_another(
    workspace: Workspace, bank: Connection
) -> None:
    first = acme_640(workspace, reference="A-1")
    transaction = acme_640_debit(workspace, bank, reference="A-1")
    match_window(workspace_id=workspace.pk, today=TODAY)
    second = acme_640(workspace, reference="A-2")

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert matches_of(first) == [(transaction.pk, MatchStatus.CONFIRMED, 1, "source")]
    assert matches_of(second) == []


def test_declined_debits_are_never_candidates(workspace: Workspace, bank: Connection) -> None:
    document, transaction = simple_pair(workspace, bank)
    Transaction.objects.filter(pk=transaction.pk).update(status="declined")

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert matches_of(document) == []


def test_unreadable_confirmation_is_reported_not_matched(
    workspace: Workspace, bank: Connection
) -> None:
    document = payment_document(workspace, amount="12.00", currency="EUR")

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert report.unreadable_document_ids == [document.pk]


def test_reviewer_picks_the_second_candidate(workspace: Workspace, bank: Connection) -> None:
    user = make_user(workspace=workspace)
    document = payment_document(
        workspace, amount="480.00", currency="EUR", execution_date="2026-11-10",
        beneficiary_name="Initech", beneficiary_iban=INITECH_IBAN,
    )  # fmt: skip
    debits = [
        debit(workspace, bank, amount=Decimal("480.00"), counterparty_iban=INITECH_IBAN,
              value_date=day)
        for day in (date(2026, 11, 10), date(2026, 11, 12))
    ]  # fmt: skip
    match_window(workspace_id=workspace.pk, today=TODAY)
    second = Match.objects.get(document=document, transaction=debits[1])

    result = pick_candidate(match=second, user=user)

    first = Match.objects.get(document=document, transaction=debits[0])
    assert (result.match.status, result.match.decided_by_id, result.match.rank) == (
        MatchStatus.CONFIRMED,
        user.pk,
        1,
    )
    assert (first.status, first.decided_by_id) == (MatchStatus.REJECTED, user.pk)
    assert result.rejected_match_ids == (first.pk,)
    decision = Decision.objects.get(action=DecisionAction.PICK_MATCH)
    assert (decision.actor_id, decision.match_id, decision.document_id) == (
        user.pk,
        second.pk,
        document.pk,
    )
    assert (decision.before["status"], decision.after["status"], decision.after["rejected"]) == (
        MatchStatus.PROPOSED,
        MatchStatus.CONFIRMED,
        [first.pk],
    )
    # The next window keeps the reviewer's choice.
    match_window(workspace_id=workspace.pk, today=TODAY)
    assert matches_of(document) == [
        (debits[0].pk, MatchStatus.REJECTED, 1, "source"),
        (debits[1].pk, MatchStatus.CONFIRMED, 1, "source"),
    ]


def test_picking_a_debit_another_document_holds_is_refused(
    workspace: Workspace, bank: Connection
) -> None:
    user = make_user(workspace=workspace)
    documents = [acme_640(workspace) for _ in range(2)]
    acme_640_debit(workspace, bank)
    match_window(workspace_id=workspace.pk, today=TODAY)
    pick_candidate(match=Match.objects.get(document=documents[0]), user=user)

    with pytest.raises(MatchConflictError):
        pick_candidate(match=Match.objects.get(document=documents[1]), user=user)

    assert Match.objects.get(document=documents[1]).status == MatchStatus.PROPOSED


def test_none_of_these_rejects_all_and_stops_proposals(
    workspace: Workspace, bank: Connection
) -> None:
    user = make_user(workspace=workspace)
    document, transaction = proposed_pair(workspace, bank)

    result = reject_all(document=document, user=user)
    match_window(workspace_id=workspace.pk, today=TODAY)

    match = Match.objects.get(document=document)
    assert result.rejected_match_ids == (match.pk,)
    assert (match.status, match.decided_by_id, match.transaction_id) == (
        MatchStatus.REJECTED,
        user.pk,
        transaction.pk,
    )
    decision = Decision.objects.get(action=DecisionAction.REJECT_MATCHES)
    assert (decision.actor_id, decision.document_id, decision.after) == (
        user.pk,
        document.pk,
        {"rejected": [match.pk]},
    )


def test_after_none_of_these_a_debit_that_arrives_later_is_still_found(
    workspace: Workspace, bank: Connection
) -> None:
    user = make_user(workspace=workspace)
    document, turned_down = proposed_pair(workspace, bank)
    reject_all(document=document, user=user)

    arrived = debit(
        workspace,
        bank,
        amount=Decimal("1250.00"),
        counterparty_name="ACME Supplies GmbH",
        normalized_counterparty="acme supplies",
        value_date=date(2026, 11, 5),
    )
    match_window(workspace_id=workspace.pk, today=TODAY)

    statuses = dict(Match.objects.filter(document=document).values_list("transaction_id", "status"))
    assert statuses[turned_down.pk] == MatchStatus.REJECTED
    assert statuses[arrived.pk] in (MatchStatus.PROPOSED, MatchStatus.CONFIRMED)


def test_a_second_concurrent_window_is_refused(workspace: Workspace, bank: Connection) -> None:
    simple_pair(workspace, bank)
    SyncRun.objects.create(workspace=workspace, kind=SyncKind.MATCHING, trigger="window")

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert (report.status, report.confirmed, Match.objects.count()) == ("busy", 0, 0)


def test_a_window_collects_garbage_less_often_and_restores_the_thresholds(
    workspace: Workspace, bank: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    simple_pair(workspace, bank)
    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(batch, "follow_up_payments", lambda **_: seen.append(gc.get_threshold()))
    before = gc.get_threshold()

    match_window(workspace_id=workspace.pk, today=TODAY)
    monkeypatch.setattr(batch, "follow_up_payments", lambda **_: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        match_window(workspace_id=workspace.pk, today=TODAY)

    assert seen == [(batch.WINDOW_GC_THRESHOLD, before[1], before[2])]
    assert gc.get_threshold() == before


def _wire_notice(workspace: Workspace, **fields: Any) -> Document:
    document = payment_document(workspace, **fields)
    document.kind = DocumentKind.WIRE_NOTICE
    document.save(update_fields=["kind"])
    return document


def test_bank_transfer_notice_to_a_supplier_is_matched_like_a_confirmation(
    workspace: Workspace, bank: Connection
) -> None:
    line = debit(
        workspace,
        bank,
        amount=Decimal("1283.44"),
        value_date=date(2026, 10, 17),
        counterparty_name="Tipografia Rossi S.r.l.",
        counterparty_iban=ACME_IBAN,
    )
    notice = _wire_notice(
        workspace,
        amount="1283.44",
        currency="EUR",
        execution_date="2026-10-17",
        beneficiary_name="Tipografia Rossi S.r.l.",
        beneficiary_iban=ACME_IBAN,
    )
    match_window(workspace_id=workspace.pk, today=TODAY)
    assert matches_of(notice) == [(line.pk, MatchStatus.CONFIRMED, 1, "source")]


def test_advice_of_money_sent_to_us_never_lands_on_a_debit(
    workspace: Workspace, bank: Connection
) -> None:
    Connection.objects.filter(pk=bank.pk).update(account_label="Qonto · Atelier Lumen SAS")
    debit(
        workspace,
        bank,
        amount=Decimal("500.00"),
        value_date=date(2026, 11, 2),
        counterparty_name="Someone Else GmbH",
    )
    advice = _wire_notice(
        workspace,
        amount="500.00",
        currency="EUR",
        execution_date="2026-11-02",
        beneficiary_name="Atelier Lumen SAS",
    )
    match_window(workspace_id=workspace.pk, today=TODAY)
    assert matches_of(advice) == []


@pytest.mark.parametrize("label", ["/ référence", "Reference:", "Verwendungszweck"])
def test_a_reference_read_as_a_label_is_no_reference(
    workspace: Workspace, bank: Connection, label: str
) -> None:
    """The debit names the invoice, the confirmation only printed its field label: that is a
    missing reference (8 points), not a different one (0), and the match stays above 80."""
    line = debit(
        workspace,
        bank,
        amount=Decimal("642.10"),
        value_date=date(2026, 11, 12),
        counterparty_name="ACME SUPPLIES FRANCE",
        normalized_counterparty="acme supplies france",
        reference="INV-2026-0311",
    )
    document = payment_document(
        workspace,
        amount="642.10",
        currency="EUR",
        execution_date="2026-11-12",
        beneficiary_name="Acme Supplies",
        reference=label,
    )

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert matches_of(document) == [(line.pk, MatchStatus.CONFIRMED, 1, "source")]
    assert Match.objects.get(document=document).reasons[2] == "no reference to compare"
