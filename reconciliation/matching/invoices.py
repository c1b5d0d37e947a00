"""Supplier invoices as the matcher sees them: which are settled by a matched debit, which
invoice a payment refers to, and linking invoices straight to their debits."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import Decimal

from reconciliation.matching.scoring import PaymentOrder
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.text.identifiers import compact_iban
from reconciliation.text.names import normalize_counterparty
from reconciliation.text.references import ReferenceIndex
from reconciliation.text.references import normalize_reference

logger = logging.getLogger("reconciliation.matching")

SETTLING_KINDS = (MatchKind.CONFIRMATION_DEBIT, MatchKind.INVOICE_DEBIT)
SETTLED_STATUSES = (MatchStatus.CONFIRMED, MatchStatus.ATTACHED)
#: Invoices still on their way (a repeat of a settled one must be stopped before posting).
OPEN_INVOICE_STATUSES = (
    InvoiceStatus.NEW,
    InvoiceStatus.NEEDS_REVIEW,
    InvoiceStatus.APPROVED,
    InvoiceStatus.FAILED,
    InvoiceStatus.REJECTED,
)
#: Invoices older than this are not considered by the matcher.
INVOICE_LOOKBACK_DAYS = 500


@dataclass(frozen=True)
class InvoiceFacts:
    id: int
    document_id: int
    vendor_id: int | None
    name: str
    iban: str
    number: str
    normalized_number: str
    amount: Decimal | None
    currency: str
    issue_date: date | None
    status: str
    #: Held out of posting as a suspected repeat (a reminder): never the invoice a debit paid.
    is_held: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        """Who issued it: the vendor when known, and the normalised supplier name."""
        keys = [f"vendor:{self.vendor_id}"] if self.vendor_id else []
        if self.name:
            keys.append(f"name:{self.name}")
        return tuple(keys)


def party_keys(vendor_ids: Iterable[int], name: str) -> tuple[str, ...]:
    keys = [f"vendor:{vendor_id}" for vendor_id in sorted(vendor_ids)]
    if name:
        keys.append(f"name:{name}")
    return tuple(keys)


@dataclass
class InvoiceDirectory:
    """Invoices indexed by issuer + number, issuer + amount, and issuer → number index."""

    facts: dict[int, InvoiceFacts] = field(default_factory=dict)
    by_number: dict[tuple[str, str], list[InvoiceFacts]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_amount: dict[tuple[str, str, Decimal], list[InvoiceFacts]] = field(
        default_factory=lambda: defaultdict(list)
    )
    numbers: dict[str, ReferenceIndex[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, workspace_id: int, *, today: date) -> InvoiceDirectory:
        directory = cls()
        rows = (
            Invoice.objects.for_workspace(workspace_id)
            # Refused and reviewed invoices too: the bank may show them paid all the same.
            .filter(is_credit_note=False)
            .exclude(issue_date__lt=today - timedelta(days=INVOICE_LOOKBACK_DAYS))
            .values_list(
                "id",
                "document_id",
                "vendor_id",
                "supplier_name",
                "supplier_iban",
                "number",
                "normalized_number",
                "total_amount",
                "currency",
                "issue_date",
                "status",
                "is_held",
            )
        )
        for row in rows:
            (pk, document_id, vendor_id, name, iban, number, normalized, amount) = row[:8]
            currency, issue_date, status, is_held = row[8:]
            directory.add(
                InvoiceFacts(
                    id=pk,
                    document_id=document_id,
                    vendor_id=vendor_id,
                    name=normalize_counterparty(name),
                    iban=compact_iban(iban),
                    number=number,
                    # Filled by enrichment; computed here too so matching never depends on it.
                    normalized_number=normalized or normalize_reference(number),
                    amount=amount,
                    currency=(currency or "").upper(),
                    issue_date=issue_date,
                    status=status,
                    is_held=is_held,
                )
            )
        return directory

    def add(self, facts: InvoiceFacts) -> None:
        self.facts[facts.id] = facts
        for key in facts.keys:
            if facts.normalized_number:
                self.by_number[(key, facts.normalized_number)].append(facts)
                self.numbers.setdefault(key, ReferenceIndex()).add(facts.number, facts.id)
            if facts.amount is not None:
                self.by_amount[(key, facts.currency, facts.amount)].append(facts)

    def named_by(self, keys: Iterable[str], texts: Iterable[str]) -> set[int]:
        """Invoices of these issuers that one of ``texts`` names by number (best tier)."""
        found: set[int] = set()
        for text in texts:
            if not text:
                continue
            for key in keys:
                index = self.numbers.get(key)
                if index is None:
                    continue
                found |= {invoice_id for hit, invoice_id in index.find(text)}
            if found:
                return found
        return found

    def paid_by(self, order: PaymentOrder, line_reference: str = "") -> InvoiceFacts | None:
        """The one invoice a payment settles: named by its reference, else the only invoice of
        that issuer with that amount issued on or before the payment."""
        keys = party_keys(order.vendor_ids, order.beneficiary_name)
        named = [self.facts[i] for i in self.named_by(keys, (order.reference, line_reference))]
        if len({facts.normalized_number for facts in named}) == 1:
            # One number; several invoices carry it (a reminder, a re-send): the first one that
            # is not itself held as a repeat is the one paid.
            return min(named, key=lambda f: (f.is_held, f.issue_date or date.max, f.id))
        if named:
            return None
        same_amount = {
            facts.id: facts
            for key in keys
            for facts in self.by_amount.get((key, order.currency, order.amount), ())
            if facts.issue_date is None or facts.issue_date <= order.execution_date
        }
        if len(same_amount) == 1:
            return next(iter(same_amount.values()))
        return None


def settled_invoices(workspace_id: int) -> dict[int, tuple[int, int | None, int | None]]:
    """{invoice id: (match id, transaction id, document id)} for invoices a matched debit
    settled (the first match when there are several)."""
    settled: dict[int, tuple[int, int | None, int | None]] = {}
    rows = (
        Match.objects.for_workspace(workspace_id)
        .filter(kind__in=SETTLING_KINDS, status__in=SETTLED_STATUSES, invoice__isnull=False)
        .order_by("id")
        .values_list("invoice_id", "id", "transaction_id", "document_id")
    )
    for invoice_id, match_id, transaction_id, document_id in rows:
        settled.setdefault(invoice_id, (match_id, transaction_id, document_id))
    return settled
