"""Cheap, streaming data for the matching benchmark: documents and Qonto transactions as
dicts, with the truth of which document each transaction settles.

Nothing is rendered and nothing is kept in memory beyond small pools: documents and
transactions are generators, and document k is re-derived from (seed, k) whenever it is
needed, so both streams agree without storing either.

Layout of the transaction stream: index i sits at time start + i·span/n. Document k owns the
band of indices [k·stride, (k+1)·stride); its matching transaction, any near-duplicate decoy
and any separate fee sit at fixed offsets inside that band, every other index is background
noise. Streams come in time order except decoys dated a few days or a month away.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import lru_cache
from functools import partial
from typing import Any
from typing import NamedTuple

from connectors.sandbox.documents.companies import COUNTRIES
from connectors.sandbox.documents.companies import random_company
from connectors.sandbox.documents.companies import slugify
from connectors.sandbox.documents.identifiers import belgian_structured_reference
from connectors.sandbox.documents.identifiers import make_iban
from connectors.sandbox.documents.identifiers import rf_reference
from connectors.sandbox.documents.qonto_objects import QONTO_TRANSACTION_KEYS
from connectors.sandbox.documents.qonto_objects import SUBJECT_TYPES

#: Keys of a transaction from `BulkData.transactions()`: a subset of Qonto's object with the
#: same names and shapes (ask for `qonto_shape=True` to get every key).
BULK_TRANSACTION_KEYS: tuple[str, ...] = (
    "id",
    "bank_account_id",
    "amount",
    "amount_cents",
    "currency",
    "local_amount",
    "local_amount_cents",
    "local_currency",
    "side",
    "operation_type",
    "subject_type",
    "status",
    "label",
    "clean_counterparty_name",
    "reference",
    "emitted_at",
    "settled_at",
    "updated_at",
    "card_last_digits",
    "transfer",
    "income",
    "direct_debit",
)
NOISE_TAGS: tuple[str, ...] = (
    "fx",
    "converted_amount_shown",
    "transfer_fee",
    "inbound_fee",
    "partial_payment",
    "truncated_reference",
    "abbreviated_reference",
    "reference_with_words",
    "missing_reference",
    "rf_reference",
    "structured_reference",
    "label_variant",
    "no_counterparty_iban",
    "late_settlement",
    "near_duplicate_same_counterparty",
    "near_duplicate_other_counterparty",
    "recurring_same_amount",
    "no_transaction",
)
_FX_RATES = {"USD": 1.085, "GBP": 0.853}
_MERCHANTS = (
    "SNCF CONNECT",
    "UBER *TRIP",
    "AMAZON EU SARL",
    "AIR FRANCE",
    "TOTALENERGIES",
    "LE PETIT ZINC",
    "MONOPRIX",
    "APPLE.COM/BILL",
    "GOOGLE *WORKSPACE",
    "ADOBE *CREATIVE",
    "SLACK T0123",
    "NOTION LABS",
    "FNAC DARTY",
    "IKEA PARIS",
    "OVH SAS",
    "HETZNER ONLINE",
    "BOOKING.COM",
    "ACCOR HOTELS",
    "PRET A MANGER",
    "LINKEDIN *ADS",
)
_CREDITORS = (
    "URSSAF ILE DE FRANCE",
    "ORANGE BUSINESS",
    "EDF ENTREPRISES",
    "AXA FRANCE",
    "DGFIP",
    "ALAN SA",
    "SWILE",
    "MALAKOFF HUMANIS",
    "FREE PRO",
    "ENGIE",
)
_BANK_ACCOUNT_ID = "0191221f-2452-735f-9144-bff2ca4fa8a4"


class _Counterparty(NamedTuple):
    name: str
    iban: str
    bic: str
    prefix: str  # invoice-number prefix this company uses


class _Plan(NamedTuple):
    """Everything about document k and the transactions it owns, derived from (seed, k)."""

    number: int  # k, the document's position in the stream
    kind: str  # "payment_confirmation" | "receivable"
    party: int  # index in the vendor or customer pool
    amount_cents: int  # document amount, in `currency`
    currency: str
    booked_cents: int  # what hits the EUR account
    reference: str  # as on the document
    bank_reference: str | None  # as the bank transmits it
    label: str
    has_iban: bool
    execution_day: int  # days after the stream start
    slot: int  # index of the matching transaction, -1 when there is none
    decoy_slot: int
    decoy_kind: str  # "", "same_counterparty", "other_counterparty", "recurring"
    decoy_shift_days: int
    fee_slot: int
    tags: tuple[str, ...]


def _uuid_for(index: int, salt: int, moment_ms: int) -> str:
    # Multiplying by an odd constant modulo 2**48 is a bijection: unique ids without a set.
    mixed = (index * 0x9E3779B97F4B + salt) & 0xFFFFFFFFFFFF
    return "%08x-%04x-7%03x-8%03x-%012x" % (  # noqa: UP031 - the fastest formatting here
        (moment_ms >> 16) & 0xFFFFFFFF,
        moment_ms & 0xFFFF,
        salt & 0xFFF,
        (salt >> 12) & 0xFFF,
        mixed,
    )


@lru_cache(maxsize=4)
def _pools(
    seed: int, n_documents: int
) -> tuple[tuple[_Counterparty, ...], tuple[_Counterparty, ...]]:
    """Vendors and customers, built once per (seed, size): drawing valid IBANs is the slow
    part of the whole generator."""
    rng = random.Random(seed * 7919 + 1)
    size = max(20, min(1000, n_documents // 8))
    vendors = tuple(_counterparty(rng, index) for index in range(size))
    customers = tuple(_counterparty(rng, index) for index in range(max(10, size // 3)))
    return vendors, customers


def _counterparty(rng: random.Random, index: int) -> _Counterparty:
    country = COUNTRIES[index % (len(COUNTRIES) - 1)]  # no US: bulk payments are SEPA
    party = random_company(rng, country, banking=False)
    iban, bic = make_iban(country, rng)
    prefix = rng.choice(("INV-", "F", "RE-", "FV", "FA", "", "N°"))
    name = party.name if index < 300 else f"{party.name} {index}"  # keep names mostly unique
    return _Counterparty(name, iban, bic or "", prefix)


class _Slots(NamedTuple):
    slot: int
    decoy_slot: int
    decoy_kind: str
    decoy_shift_days: int
    fee_slot: int


def _amounts(rng: random.Random, receivable: bool, tags: list[str]) -> tuple[int, str, int]:
    """The document's amount and currency, and the EUR amount the bank books."""
    amount_cents = int(math.exp(rng.uniform(math.log(2000), math.log(2_500_000))))
    currency = "EUR"
    booked = amount_cents
    if not receivable and rng.random() < 0.10:
        currency = "USD" if rng.random() < 0.7 else "GBP"
        rate = _FX_RATES[currency] * (1 + rng.uniform(-0.02, 0.02))
        booked = round(amount_cents / rate * (1 + rng.uniform(0, 0.005)))
        tags.append("fx")
        if rng.random() < 0.5:
            tags.append("converted_amount_shown")
    return amount_cents, currency, booked


def _document_number(
    rng: random.Random,
    k: int,
    year: int,
    receivable: bool,
    party: _Counterparty,
    tags: list[str],
) -> str:
    if not receivable:
        return f"{party.prefix}{year}-{k:05d}" if party.prefix else f"{year}{k:06d}"
    roll = rng.random()
    if roll < 0.10:
        tags.append("rf_reference")
        return rf_reference(f"{year}{k:06d}")
    if roll < 0.15:
        tags.append("structured_reference")
        return belgian_structured_reference(year * 100000 + k)
    return f"INV-{year}-{k:05d}"


def _bank_reference(
    rng: random.Random,
    k: int,
    number: str,
    receivable: bool,
    party: _Counterparty,
    tags: list[str],
) -> str | None:
    """What the bank line says of ``number``: itself, cut, abbreviated, wrapped or nothing."""
    bank_reference: str | None = number
    roll = rng.random()
    if roll < 0.08:
        bank_reference = number[: rng.randint(8, max(8, len(number) - 2))]
        tags.append("truncated_reference")
    elif roll < 0.14 and "rf_reference" not in tags and "structured_reference" not in tags:
        bank_reference = f"{'inv' if receivable else 'fact'} {k}"
        tags.append("abbreviated_reference")
    elif roll < 0.24:
        bank_reference = (
            f"Facture {number} merci" if rng.random() < 0.5 else f"{number} / {party.name[:12]}"
        )
        tags.append("reference_with_words")
    elif roll < 0.30:
        bank_reference = None
        tags.append("missing_reference")
    if "structured_reference" in tags and bank_reference == number:
        bank_reference = number.strip("+").replace("/", "")  # banks send the 12 digits
    return bank_reference


def _bank_label(rng: random.Random, party: _Counterparty, tags: list[str]) -> str:
    roll = rng.random()
    if roll < 0.40:
        tags.append("label_variant")
        return party.name.upper()
    if roll < 0.55:
        tags.append("label_variant")
        return party.name.upper()[:18]
    return party.name


def _slots(rng: random.Random, band: int, stride: int, tags: list[str]) -> _Slots:
    """Where in its band of transactions the document's payment, decoy and fee fall."""
    slot = band + rng.randrange(max(1, stride // 3)) if rng.random() >= 0.03 else -1
    if slot < 0:
        tags.append("no_transaction")
    decoy_slot, decoy_kind, shift = -1, "", 0
    if slot >= 0 and stride >= 4:
        roll = rng.random()
        if roll < 0.06:
            decoy_kind, shift = "same_counterparty", rng.choice((-2, -1, 1, 2))
        elif roll < 0.10:
            decoy_kind, shift = "other_counterparty", rng.choice((-1, 0, 1))
        elif roll < 0.14:
            decoy_kind, shift = "recurring", rng.choice((-31, -30, 28, 30, 31))
        if decoy_kind:
            decoy_slot = band + stride // 3 + rng.randrange(max(1, stride // 3))
            tags.append(
                "recurring_same_amount"
                if decoy_kind == "recurring"
                else f"near_duplicate_{decoy_kind}"
            )
    fee_slot = -1
    if slot >= 0 and "fx" in tags and stride >= 4 and rng.random() < 0.5:
        fee_slot = band + 2 * (stride // 3) + rng.randrange(max(1, stride // 3))
        tags.append("transfer_fee")
    return _Slots(slot, decoy_slot, decoy_kind, shift, fee_slot)


@dataclass(frozen=True)
class BulkData:
    """Re-iterable streams for the matching benchmark. Every call to `documents()` or
    `transactions()` starts over and yields the same values."""

    seed: int
    n_documents: int
    n_transactions: int
    anchor: date
    days: int = 365
    bank_account_id: str = _BANK_ACCOUNT_ID

    @property
    def start(self) -> datetime:
        return datetime.combine(
            self.anchor - timedelta(days=self.days), datetime.min.time(), tzinfo=UTC
        )

    @property
    def stride(self) -> int:
        return self.n_transactions // self.n_documents

    def _pools(self) -> tuple[tuple[_Counterparty, ...], tuple[_Counterparty, ...]]:
        return _pools(self.seed, self.n_documents)

    def _moment(self, index: int) -> float:
        return self.start.timestamp() + index * self.days * 86400 / self.n_transactions

    def _plan(
        self, k: int, vendors: tuple[_Counterparty, ...], customers: tuple[_Counterparty, ...]
    ) -> _Plan:
        # One generator per document, drawn in a fixed order: the plans are the benchmark's data.
        rng = random.Random(self.seed * 1_000_003 + k)
        tags: list[str] = []
        receivable = rng.random() < 0.15
        pool = customers if receivable else vendors
        party_index = rng.randrange(len(pool))
        party = pool[party_index]
        amount_cents, currency, booked = _amounts(rng, receivable, tags)
        number = _document_number(rng, k, self.anchor.year, receivable, party, tags)
        bank_reference = _bank_reference(rng, k, number, receivable, party, tags)
        label = _bank_label(rng, party, tags)
        has_iban = rng.random() < 0.92
        if not has_iban:
            tags.append("no_counterparty_iban")
        if receivable and rng.random() < 0.06:
            booked -= rng.randint(50, 2500)
            tags.append("inbound_fee")
        elif receivable and rng.random() < 0.02:
            booked //= 2
            tags.append("partial_payment")
        slots = _slots(rng, k * self.stride, self.stride, tags)
        moment = self._moment(slots.slot if slots.slot >= 0 else k * self.stride)
        slot_day = int(moment - self.start.timestamp()) // 86400
        delay = rng.choices((0, 1, 2, 3, -1), weights=(60, 25, 8, 4, 3))[0]
        if delay >= 2:
            tags.append("late_settlement")
        return _Plan(
            number=k,
            kind="receivable" if receivable else "payment_confirmation",
            party=party_index,
            amount_cents=amount_cents,
            currency=currency,
            booked_cents=booked,
            reference=number,
            bank_reference=bank_reference,
            label=label,
            has_iban=has_iban,
            execution_day=slot_day - delay,
            slot=slots.slot,
            decoy_slot=slots.decoy_slot,
            decoy_kind=slots.decoy_kind,
            decoy_shift_days=slots.decoy_shift_days,
            fee_slot=slots.fee_slot,
            tags=tuple(tags),
        )

    def _plans(self) -> Iterator[_Plan]:
        vendors, customers = self._pools()
        for k in range(self.n_documents):
            yield self._plan(k, vendors, customers)

    def _transaction_id(self, index: int) -> str:
        return _uuid_for(index, self.seed & 0xFFFFFF, int(self._moment(index) * 1000))

    def documents(self) -> Iterator[dict[str, Any]]:
        """Payment confirmations (85 %) and receivables (15 %), each with
        `truth_transaction_id` (None when its payment never reached the account) and the
        `noise` tags that apply to it."""
        vendors, customers = self._pools()
        start_day = self.anchor - timedelta(days=self.days)
        for k in range(self.n_documents):
            plan = self._plan(k, vendors, customers)
            truth = self._transaction_id(plan.slot) if plan.slot >= 0 else None
            executed = start_day + timedelta(days=plan.execution_day)
            amount = f"{plan.amount_cents / 100:.2f}"
            if plan.kind == "receivable":
                customer = customers[plan.party]
                yield {
                    "id": f"doc-{k:06d}",
                    "kind": "receivable",
                    "reference": plan.reference,
                    "customer_name": customer.name,
                    "customer_iban": customer.iban,
                    "amount": amount,
                    "currency": plan.currency,
                    "issue_date": (executed - timedelta(days=30)).isoformat(),
                    "due_date": executed.isoformat(),
                    "truth_transaction_id": truth,
                    "noise": list(plan.tags),
                }
                continue
            vendor = vendors[plan.party]
            document: dict[str, Any] = {
                "id": f"doc-{k:06d}",
                "kind": "payment_confirmation",
                "amount": amount,
                "currency": plan.currency,
                "execution_date": executed.isoformat(),
                "beneficiary_name": vendor.name,
                "beneficiary_iban": vendor.iban,
                "reference": plan.reference,
                "debited_amount": None,
                "truth_transaction_id": truth,
                "noise": list(plan.tags),
            }
            if "converted_amount_shown" in plan.tags:
                document["debited_amount"] = f"{plan.booked_cents / 100:.2f}"
            yield document

    def truth(self) -> Iterator[tuple[str, str | None]]:
        """(document id, id of the transaction that settles it or None)."""
        for plan in self._plans():
            truth = self._transaction_id(plan.slot) if plan.slot >= 0 else None
            yield f"doc-{plan.number:06d}", truth

    def transactions(self, *, qonto_shape: bool = False) -> Iterator[dict[str, Any]]:
        """n_transactions dicts with the keys of BULK_TRANSACTION_KEYS (all of Qonto's keys
        when `qonto_shape`)."""
        vendors, customers = self._pools()
        rng = random.Random(self.seed * 31 + 7)
        random_value = rng.random
        stride = self.stride
        plans = self._plans()
        plan = next(plans, None)
        stamps = _Stamps(self.start)
        step = self.days * 86400 / self.n_transactions
        origin = self.start.timestamp()
        salt = self.seed & 0xFFFFFF
        band_end = stride if plan is not None else self.n_transactions + 1
        owned: tuple[int, ...] = (plan.slot, plan.decoy_slot, plan.fee_slot) if plan else ()
        for index in range(self.n_transactions):
            # Advance to the document owning this band (bands are consecutive and ordered).
            if index >= band_end:
                plan = next(plans, None)
                band_end = (plan.number + 1) * stride if plan else self.n_transactions + 1
                owned = (plan.slot, plan.decoy_slot, plan.fee_slot) if plan else ()
            seconds = origin + index * step
            transaction_id = _uuid_for(index, salt, int(seconds * 1000))
            if plan is not None and index in owned:
                row = self._owned(
                    plan, index, seconds, transaction_id, vendors, customers, stamps, rng
                )
            else:
                row = self._noise(
                    random_value, rng, seconds, transaction_id, vendors, customers, stamps
                )
            yield _expand(row) if qonto_shape else row

    def _owned(
        self,
        plan: _Plan,
        index: int,
        seconds: float,
        transaction_id: str,
        vendors: tuple[_Counterparty, ...],
        customers: tuple[_Counterparty, ...],
        stamps: _Stamps,
        rng: random.Random,
    ) -> dict[str, Any]:
        receivable = plan.kind == "receivable"
        party = (customers if receivable else vendors)[plan.party]
        label, reference = plan.label, plan.bank_reference
        iban = party.iban if plan.has_iban else ""
        if index == plan.fee_slot:
            emit = partial(_row, self.bank_account_id, transaction_id, stamps, seconds)
            return emit(500, "debit", "qonto_fee", "Qonto", "Frais de virement international")
        if index == plan.decoy_slot:
            seconds += plan.decoy_shift_days * 86400
            reference = f"{party.prefix}{self.anchor.year}-{rng.randrange(100000):05d}"
            if plan.decoy_kind == "other_counterparty":
                other = vendors[(plan.party + 1 + rng.randrange(len(vendors) - 1)) % len(vendors)]
                label, iban = other.name.upper(), other.iban
                reference = f"{other.prefix}{self.anchor.year}-{rng.randrange(100000):05d}"
        emit = partial(_row, self.bank_account_id, transaction_id, stamps, seconds)
        return emit(
            plan.booked_cents,
            "credit" if receivable else "debit",
            "income" if receivable else "transfer",
            label,
            reference,
            iban,
            local_cents=plan.amount_cents if plan.currency != "EUR" else plan.booked_cents,
            local_currency=plan.currency,
        )

    def _noise(
        self,
        random_value: Any,
        rng: random.Random,
        seconds: float,
        transaction_id: str,
        vendors: tuple[_Counterparty, ...],
        customers: tuple[_Counterparty, ...],
        stamps: _Stamps,
    ) -> dict[str, Any]:
        """A transaction no document owns: card spend, supplier transfers, direct debits,
        income, fees and a few pending or declined card payments. The draws from
        ``random_value`` keep their order: the stream is the benchmark's data."""
        emit = partial(_row, self.bank_account_id, transaction_id, stamps, seconds)
        roll = random_value()
        if roll < 0.45:
            cents = int(300 + 40000 * random_value() ** 3)
            merchant = _MERCHANTS[int(random_value() * len(_MERCHANTS))]
            if random_value() < 0.05:
                return emit(
                    cents,
                    "debit",
                    "card",
                    merchant,
                    local_cents=int(cents * 1.085),
                    local_currency="USD",
                )
            return emit(cents, "debit", "card", merchant)
        if roll < 0.62:
            vendor = vendors[int(random_value() * len(vendors))]
            cents = int(2000 + 1_500_000 * random_value() ** 3)
            reference = f"{vendor.prefix}{self.anchor.year - 1}-{int(random_value() * 99999):05d}"
            return emit(cents, "debit", "transfer", vendor.name.upper(), reference, vendor.iban)
        if roll < 0.72:
            creditor = _CREDITORS[int(random_value() * len(_CREDITORS))]
            cents = int(1500 + 300000 * random_value() ** 2)
            reference = f"PRLV SEPA {int(random_value() * 10**9):09d}"
            return emit(cents, "debit", "direct_debit", creditor, reference)
        if roll < 0.90:
            cents = int(5000 + 1_000_000 * random_value() ** 2)
            if random_value() < 0.5:
                payout = f"STRIPE PAYOUT po_{int(random_value() * 16**12):012x}"
                return emit(cents, "credit", "income", "STRIPE PAYMENTS EUROPE LTD", payout)
            customer = customers[int(random_value() * len(customers))]
            reference = f"ORD-{int(random_value() * 10**7):07d}"
            return emit(cents, "credit", "income", customer.name.upper(), reference, customer.iban)
        if roll < 0.96:
            return emit(int(100 + 4900 * random_value()), "debit", "qonto_fee", "Qonto", "Frais")
        cents = int(1000 + 90000 * random_value())
        status = "pending" if random_value() < 0.5 else "declined"
        row = emit(cents, "debit", "card", _MERCHANTS[int(random_value() * len(_MERCHANTS))])
        row["status"] = status
        row["settled_at"] = None
        return row


class _Stamps:
    """Formats Qonto timestamps quickly: one strftime per day and a table of the 86,400
    clock times, so a transaction costs two look-ups and one concatenation."""

    _CLOCK: tuple[str, ...] = ()

    def __init__(self, start: datetime) -> None:
        self.origin = start.timestamp()
        self.start = start
        self.days: dict[int, str] = {}
        if not _Stamps._CLOCK:
            _Stamps._CLOCK = tuple(
                f"T{h:02d}:{m:02d}:{s:02d}.000Z"
                for h in range(24)
                for m in range(60)
                for s in range(60)
            )

    def __call__(self, seconds: float) -> str:
        day, second = divmod(int(seconds - self.origin), 86_400)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = f"{self.start + timedelta(days=day):%Y-%m-%d}"
            self.days[day] = prefix
        return prefix + self._CLOCK[second]


def _row(
    account: str,
    transaction_id: str,
    stamps: _Stamps,
    seconds: float,
    cents: int,
    side: str,
    operation: str,
    label: str,
    reference: str | None = None,
    iban: str = "",
    *,
    local_cents: int | None = None,
    local_currency: str = "EUR",
) -> dict[str, Any]:
    """One transaction in the benchmark's flat shape; ``local_cents`` defaults to ``cents``."""
    local_cents = cents if local_cents is None else local_cents
    stamp = stamps(seconds)
    counterparty = None
    if operation in {"transfer", "income", "direct_debit"}:
        counterparty = {
            "counterparty_account_number": iban,
            "counterparty_account_number_format": "IBAN" if iban else "",
            "counterparty_bank_identifier": "",
            "counterparty_bank_identifier_format": "",
        }
    return {
        "id": transaction_id,
        "bank_account_id": account,
        "amount": cents / 100,
        "amount_cents": cents,
        "currency": "EUR",
        "local_amount": local_cents / 100,
        "local_amount_cents": local_cents,
        "local_currency": local_currency,
        "side": side,
        "operation_type": operation,
        "subject_type": SUBJECT_TYPES[operation],
        "status": "completed",
        "label": label,
        "clean_counterparty_name": label,
        "reference": reference,
        "emitted_at": stamp,
        "settled_at": stamp,
        "updated_at": stamp,
        "card_last_digits": "4821" if operation == "card" else None,
        "transfer": counterparty if operation == "transfer" else None,
        "income": counterparty if operation == "income" else None,
        "direct_debit": counterparty if operation == "direct_debit" else None,
    }


_EXPANSION: dict[str, Any] = {
    "transaction_id": None,
    "settled_balance": None,
    "settled_balance_cents": None,
    "attachment_ids": [],
    "logo": {"small": None, "medium": None},
    "created_at": None,
    "note": None,
    "vat_amount": None,
    "vat_amount_cents": None,
    "vat_rate": None,
    "initiator_id": None,
    "label_ids": [],
    "attachment_lost": False,
    "attachment_required": True,
    "category": "other_expense",
    "cashflow_category": None,
    "cashflow_subcategory": None,
    "is_external_transaction": False,
    "swift_income": None,
    "direct_debit_collection": None,
    "direct_debit_hold": None,
    "check": None,
    "financing_installment": None,
    "pagopa_payment": None,
}


def _expand(row: dict[str, Any]) -> dict[str, Any]:
    full = {key: row.get(key, _EXPANSION.get(key)) for key in QONTO_TRANSACTION_KEYS}
    full["transaction_id"] = f"bulk-1-transaction-{slugify(row['id'][:13])}"
    full["created_at"] = row["emitted_at"]
    full["attachment_ids"] = []
    full["label_ids"] = []
    full["attachment_required"] = row["side"] == "debit"
    return full


def generate_bulk(
    n_documents: int = 10_000,
    n_transactions: int = 1_000_000,
    seed: int = 0,
    *,
    anchor: date = date(2026, 11, 27),
    days: int = 365,
) -> BulkData:
    """Matching-benchmark data: `n_documents` documents and `n_transactions` transactions
    spread over `days` days before `anchor`. Returns lazily iterable streams; nothing is
    generated until you iterate."""
    if n_documents < 1 or n_transactions < n_documents:
        raise ValueError("need at least one document and no fewer transactions than documents")
    return BulkData(
        seed=seed, n_documents=n_documents, n_transactions=n_transactions, anchor=anchor, days=days
    )
