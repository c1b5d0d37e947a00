"""The matching benchmark's second generator: paperwork the bulk generator has none of.

Invoices paid straight from the bank (some in GBP/USD/CHF from the EUR account, some refused or
still in review, some never paid), double payments, receivables known by a number besides their
RF or +++…+++ reference, and suppliers' credit notes refunded to us. Everything is drawn here,
independently of the matcher's rules: its own supplier names, numbering schemes, remittance
wordings ("Rchg", "Fakt.", "Bill no", "Ft", customer numbers beside the invoice number), bank
truncation lengths and counterparty spellings; check digits are computed here too.

`CaseData` holds plain dicts: invoices / credit notes / receivables with the Qonto id of the
transaction that truly settles each (None: never paid), transactions in the Qonto shape
`bench.match.transaction_rows` reads, daily reference rates, and the true double payments.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

SUPPLIERS = (
    "Nordwind Logistik GmbH", "Brit Tools Ltd", "Atelier Lumière SARL", "Verdi Ricambi S.r.l.",
    "Hoffmann & Partner KG", "Polar Cloud Oy", "Dunmore Print Ltd", "Kestrel Analytics Inc",
    "Maison Bréguet SAS", "Zeeland Koffie B.V.", "Ostseeholz GmbH", "Sierra Freight S.L.",
    "Bluefin Software Ltd", "Alpenfrost AG", "Cobalt Staffing LLC", "Rivière Conseil EURL",
    "Tannenhof Catering GmbH", "Quayside Media Ltd", "Helvetia Präzision AG", "Lisboa Têxteis Lda",
)  # fmt: skip
CUSTOMERS = (
    "Garnier Distribution SA", "Fjord Retail AS", "Weber Maschinenbau GmbH", "Orchid Hotels Ltd",
    "Castello Vini SpA", "Baltic Foods UAB", "Lumen Clinics SAS", "Pacific Outfitters Inc",
)  # fmt: skip
FX = {"GBP": 1.1712, "USD": 0.9245, "CHF": 1.0431}
#: Remittance wordings around an invoice number: none of them is the matcher's list.
AROUND = (
    "{n}", "{n}", "Rchg {n}", "Fakt. {n}", "Bill no {n}", "Ft {n}", "Payment {n} thanks",
    "Kd-Nr 44812 / {n}", "Ihre Rechnung {n} vom {d}", "Règlement facture {n}", "INV#{n}",
    "Zahlung {n}", "Ref {n} Auftrag 77", "{n} Nordwind", "Betaling factuur {n}",
)  # fmt: skip


@dataclass
class CaseData:
    invoices: list[dict[str, Any]] = field(default_factory=list)
    receivables: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    rates: list[tuple[str, str, date, str]] = field(default_factory=list)
    #: (invoice key, Qonto id of the second debit)
    double_payments: list[tuple[str, str]] = field(default_factory=list)


def _iban(rng: random.Random, country: str) -> str:
    body = "".join(rng.choice(string.digits) for _ in range(18))
    return f"{country}{rng.randint(10, 99)}{body}"


def _number(rng: random.Random, year: int) -> str:
    """One of the numbering schemes suppliers use."""
    serial = rng.randint(1, 99999)
    return rng.choice(
        (
            f"NW-{year % 100}-{serial:05d}",
            f"{year}/{serial:04d}",
            f"F{year}-{serial}",
            f"RE {serial + 10000}",
            f"INV-{serial:06d}",
            f"BT{serial + 10000}",
            f"SO-{year}-{rng.randint(1, 12):02d}-{serial:04d}",
        )
    )


def _mod97_letters(text: str) -> int:
    digits = "".join(str(int(char, 36)) for char in text)
    return int(digits) % 97


def creditor_reference(payload: str) -> str:
    """ISO 11649: RF + two check digits + payload, printed in groups of four."""
    check = 98 - _mod97_letters(payload + "RF00")
    compact = f"RF{check:02d}{payload}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def belgian_structured(body: int) -> str:
    check = body % 97 or 97
    digits = f"{body:010d}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def remittance(rng: random.Random, number: str, issued: date, tags: list[str]) -> str:
    """How the payer wrote the number, then what the bank kept of it."""
    roll = rng.random()
    shown = number
    if roll < 0.08:
        tags.append("ref_no_separators")
        shown = "".join(char for char in number if char.isalnum())
    elif roll < 0.16:
        tags.append("ref_lowercase_spaced")
        shown = number.lower().replace("-", " ").replace("/", " ")
    elif roll < 0.24:
        tags.append("ref_leading_zeros_dropped")
        parts = number.replace("/", "-").split("-")
        shown = "-".join(part.lstrip("0") or "0" for part in parts)
    text = rng.choice(AROUND).format(n=shown, d=f"{issued:%d.%m.%Y}")
    if rng.random() < 0.12:
        tags.append("ref_truncated")
        text = text[: max(len(text) - rng.randint(2, 5), text.find(shown) + len(shown) - 4)]
    return text


@dataclass
class _Builder:
    rng: random.Random
    anchor: date
    days: int
    data: CaseData = field(default_factory=CaseData)
    sequence: int = 0

    def tx(self, *, side: str, cents: int, local_cents: int, local_currency: str, label: str,
           reference: str, iban: str, day: date) -> str:  # fmt: skip
        self.sequence += 1
        moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
        stamp = moment.isoformat().replace("+00:00", "Z")
        qonto_id = f"case-{self.sequence:07d}"
        detail = {"counterparty_account_number": iban}
        self.data.transactions.append({
            "id": qonto_id, "bank_account_id": "case-account", "side": side,
            "status": "completed", "operation_type": "transfer", "amount_cents": cents,
            "currency": "EUR", "local_amount_cents": local_cents,
            "local_currency": local_currency, "label": label, "clean_counterparty_name": label,
            "reference": reference, "emitted_at": stamp, "settled_at": stamp,
            "updated_at": stamp, "transfer": detail,
        })  # fmt: skip
        return qonto_id

    def bank_label(self, name: str) -> str:
        """The counterparty as the bank prints it: capitals, cut, legal form dropped or not."""
        roll = self.rng.random()
        if roll < 0.4:
            return name.upper()[: self.rng.randint(14, 24)]
        if roll < 0.6:
            return name.split()[0].upper() + " " + name.split()[1].upper()[:3]
        return name

    def day(self, low: int, high: int) -> date:
        return self.anchor - timedelta(days=self.rng.randint(low, high))

    def supplier(self) -> tuple[str, str]:
        name = self.rng.choice(SUPPLIERS)
        # One IBAN per supplier name, stable across the run.
        iban = _iban(random.Random(name), "DE" if "GmbH" in name or "AG" in name else "FR")
        return name, iban

    def invoice(self, index: int) -> None:
        rng = self.rng
        name, iban = self.supplier()
        issued = self.day(25, self.days - 130)
        cents = rng.randint(2_000, 2_000_000)
        key = f"inv-{index}"
        tags: list[str] = []
        currency = "EUR"
        if rng.random() < 0.18:
            currency = rng.choice(sorted(FX))
            tags.append(f"fx_{currency.lower()}")
        status = "posted"
        roll = rng.random()
        if roll < 0.07:
            status, tags = "refused", [*tags, "refused_paid"]
        elif roll < 0.17:
            status, tags = "needs_review", [*tags, "in_review"]
        number = _number(rng, issued.year)
        item = {
            "key": key, "supplier_name": name, "supplier_iban": iban if rng.random() < 0.8 else "",
            "number": number, "issue_date": issued, "amount_cents": cents, "currency": currency,
            "status": status, "is_credit_note": False, "truth": None, "tags": tags,
        }  # fmt: skip
        self.data.invoices.append(item)
        if rng.random() < 0.08:
            tags.append("never_paid")
            return
        paid_on = issued + timedelta(days=min(int(rng.expovariate(1 / 20)), 110))
        if paid_on >= self.anchor:
            tags.append("never_paid")
            return
        item["truth"] = self.pay(item, paid_on, tags)
        if rng.random() < 0.04 and self.data.transactions[-1]["reference"]:
            tags.append("double_payment")
            again = min(paid_on + timedelta(days=rng.randint(2, 40)), self.anchor)
            # Paid again from the same instructions, or retyped (a similar reference).
            first = self.data.transactions[-1]
            second = self.pay(item, again, [], same_reference=first["reference"])
            self.data.double_payments.append((key, second))

    def pay(
        self, item: dict[str, Any], day: date, tags: list[str], same_reference: str | None = None
    ) -> str:
        rng = self.rng
        cents, currency = item["amount_cents"], item["currency"]
        local_cents, local_currency = cents, currency
        if currency != "EUR":
            rate = FX[currency] * (1 + rng.uniform(-0.01, 0.01))
            account_cents = round(cents * rate * (1 + rng.uniform(0, 0.004)))
            if rng.random() < 0.25:
                tags.append("fx_no_local_amount")
                local_cents, local_currency = account_cents, "EUR"
            cents = account_cents
        if same_reference is not None and rng.random() < 0.5:
            reference = same_reference
        elif same_reference is not None or rng.random() >= 0.07:
            reference = remittance(rng, item["number"], item["issue_date"], tags)
        else:
            reference = ""
        if not reference:
            tags.append("ref_missing")
        iban = item["supplier_iban"] or self.supplier_iban(item["supplier_name"])
        return self.tx(
            side="debit", cents=cents, local_cents=local_cents, local_currency=local_currency,
            label=self.bank_label(item["supplier_name"]), reference=reference,
            iban=iban if rng.random() < 0.75 else "", day=day,
        )  # fmt: skip

    def supplier_iban(self, name: str) -> str:
        return _iban(random.Random(name), "DE" if "GmbH" in name or "AG" in name else "FR")

    def receivable(self, index: int) -> None:
        rng = self.rng
        customer = rng.choice(CUSTOMERS)
        issued = self.day(40, self.days - 60)
        number = f"C-{issued.year}-{index + 1:04d}"
        if rng.random() < 0.6:
            reference = creditor_reference(f"{index + 5000:06d}{rng.randint(100, 999)}")
        else:
            reference = belgian_structured(rng.randint(10**8, 10**10 - 1))
        cents = rng.randint(5_000, 500_000)
        tags = ["receivable_by_number"]
        paid_on = issued + timedelta(days=rng.randint(5, 55))
        wording = rng.choice(
            ("{n}", "Invoice {n}", "Facture {n}", "Rechnung {n} Danke", "{n} payment")
        )
        shown = number if rng.random() < 0.7 else number.replace("-", "")
        qonto_id = self.tx(
            side="credit", cents=cents, local_cents=cents, local_currency="EUR",
            label=customer.upper(), reference=wording.format(n=shown),
            iban=_iban(random.Random(customer), "FR") if rng.random() < 0.6 else "", day=paid_on,
        )  # fmt: skip
        self.data.receivables.append({
            "key": f"rcv-{index}", "reference": reference, "other_references": [number],
            "customer_name": customer, "amount_cents": cents, "issue_date": issued,
            "due_date": issued + timedelta(days=30), "truth": qonto_id, "tags": tags,
        })  # fmt: skip

    def credit_note(self, index: int) -> None:
        rng = self.rng
        name, iban = self.supplier()
        issued = self.day(30, self.days - 60)
        number = rng.choice(
            (f"GS-{index + 100:04d}", f"CN-{issued.year}-{index + 7}", f"AV{index + 3000}")
        )
        cents = rng.randint(1_000, 200_000)
        wording = rng.choice(
            ("Gutschrift {n}", "Credit note {n}", "Avoir {n}", "Refund {n}", "{n}")
        )
        qonto_id = self.tx(
            side="credit", cents=cents, local_cents=cents, local_currency="EUR",
            label=self.bank_label(name), reference=wording.format(n=number),
            iban=iban if rng.random() < 0.7 else "",
            day=issued + timedelta(days=rng.randint(1, 30)),
        )  # fmt: skip
        self.data.invoices.append({
            "key": f"cn-{index}", "supplier_name": name, "supplier_iban": iban, "number": number,
            "issue_date": issued, "amount_cents": -cents, "currency": "EUR", "status": "posted",
            "is_credit_note": True, "truth": qonto_id, "tags": ["credit_note"],
        })  # fmt: skip

    def noise(self) -> None:
        """Debits of the same amounts to other suppliers, and to the same supplier with
        another number (a different invoice of the same price)."""
        for item in list(self.data.invoices):
            if item["is_credit_note"] or self.rng.random() > 0.3:
                continue
            other_name, other_iban = self.supplier()
            same = self.rng.random() < 0.5
            cents = abs(item["amount_cents"])
            self.tx(
                side="debit", cents=cents, local_cents=cents, local_currency="EUR",
                label=self.bank_label(item["supplier_name"] if same else other_name),
                reference=_number(self.rng, item["issue_date"].year),
                iban=item["supplier_iban"] if same else other_iban,
                day=item["issue_date"] + timedelta(days=self.rng.randint(-3, 100)),
            )  # fmt: skip

    def reference_rates(self) -> None:
        start = self.anchor - timedelta(days=self.days + 10)
        for offset in range(self.days + 11):
            day = start + timedelta(days=offset)
            if day.weekday() >= 5:
                continue  # no rate on weekends: the next Monday's serves
            for currency, rate in FX.items():
                drift = 1 + 0.01 * random.Random(offset * 7 + len(currency)).uniform(-1, 1)
                self.data.rates.append((currency, "EUR", day, f"{rate * drift:.6f}"))


def generate_cases(
    n_invoices: int, n_receivables: int, n_credit_notes: int, *, seed: int, anchor: date, days: int
) -> CaseData:
    builder = _Builder(random.Random(f"cases-{seed}"), anchor, days)
    for index in range(n_invoices):
        builder.invoice(index)
    for index in range(n_receivables):
        builder.receivable(index)
    for index in range(n_credit_notes):
        builder.credit_note(index)
    builder.noise()
    builder.reference_rates()
    return builder.data


# --- into the database and back ----------------------------------------------------------------


def load_cases(cases: CaseData, workspace_id: int) -> None:
    """Invoices (with their documents), credit notes, receivables and reference rates. The
    transactions go in with the bulk ones (`bench.match.load`)."""
    from django.db import transaction as db_transaction

    with db_transaction.atomic():
        _load_invoices(cases, workspace_id)
        _load_receivables(cases, workspace_id)
        _load_rates(cases)


def parsed_document(workspace_id: int, key: str, kind: str, **fields: Any) -> Any:
    """An unsaved parsed Document of ``kind`` for the bench's item ``key``: its file is
    ``key``.pdf, its content hash the key's; ``fields`` (its extraction, say) go to the model."""
    import hashlib

    from reconciliation.models import Document
    from reconciliation.models import DocumentStatus

    return Document(
        workspace_id=workspace_id,
        source_file_id=key,
        original_name=f"{key}.pdf",
        content_hash=hashlib.sha256(key.encode()).hexdigest(),
        kind=kind,
        status=DocumentStatus.PARSED,
        **fields,
    )


def _load_invoices(cases: CaseData, workspace_id: int) -> None:
    import hashlib
    from decimal import Decimal

    from reconciliation.models import Document
    from reconciliation.models import DocumentKind
    from reconciliation.models import Invoice
    from reconciliation.text.references import normalize_reference

    documents = [
        parsed_document(workspace_id, item["key"], DocumentKind.INVOICE) for item in cases.invoices
    ]
    Document.objects.bulk_create(documents, batch_size=2_000)
    Invoice.objects.bulk_create(
        [
            Invoice(
                workspace_id=workspace_id,
                document=document,
                is_credit_note=item["is_credit_note"],
                supplier_name=item["supplier_name"],
                supplier_iban=item["supplier_iban"],
                number=item["number"],
                normalized_number=normalize_reference(item["number"])[:100],
                issue_date=item["issue_date"],
                total_amount=Decimal(item["amount_cents"]) / 100,
                currency=item["currency"],
                status=item["status"],
                idempotency_key=hashlib.sha256(f"case-{item['key']}".encode()).hexdigest(),
            )
            for document, item in zip(documents, cases.invoices, strict=True)
        ],
        batch_size=2_000,
    )


def _load_receivables(cases: CaseData, workspace_id: int) -> None:
    from decimal import Decimal

    from reconciliation.models import Receivable
    from reconciliation.text.names import normalize_counterparty
    from reconciliation.text.references import normalize_reference

    Receivable.objects.bulk_create(
        [
            Receivable(
                workspace_id=workspace_id,
                reference=item["reference"],
                normalized_reference=normalize_reference(item["reference"])[:140],
                other_references=item["other_references"],
                customer_name=item["customer_name"],
                normalized_customer=normalize_counterparty(item["customer_name"]),
                amount=Decimal(item["amount_cents"]) / 100,
                currency="EUR",
                issue_date=item["issue_date"],
                due_date=item["due_date"],
            )
            for item in cases.receivables
        ],
        batch_size=2_000,
    )


def _load_rates(cases: CaseData) -> None:
    from decimal import Decimal

    from reconciliation.models import ExchangeRate

    ExchangeRate.objects.bulk_create(
        [
            ExchangeRate(
                base_currency=base,
                quote_currency=quote,
                rate=Decimal(rate),
                rate_date=day,
                source="bench reference",
            )
            for base, quote, day, rate in cases.rates
        ],
        batch_size=2_000,
        ignore_conflicts=True,
    )


@dataclass
class KindScore:
    """One pairing kind: how many should be linked, how many were, how many rightly."""

    total: int = 0
    confirmed: int = 0
    right: int = 0
    proposed: int = 0
    wrong: list[str] = field(default_factory=list)
    #: Printed under the row when set.
    note: str = ""

    def add(self, truth: str | None, linked: str | None, proposed: bool, label: str) -> None:
        self.total += truth is not None
        if linked is None:
            self.proposed += proposed
            return
        self.confirmed += 1
        if linked == truth:
            self.right += 1
        else:
            self.wrong.append(f"{label}: linked {linked}, truth {truth}")


def evaluate_cases(cases: CaseData, workspace_id: int) -> dict[str, KindScore]:
    """Invoice ↔ debit, credit ↔ receivable (paid by number), credit ↔ credit note, double
    payments flagged and refused-but-paid surfaced, scored against the truth."""
    from reconciliation.models import Match
    from reconciliation.models import MatchKind
    from reconciliation.models import MatchStatus

    linked: dict[str, str] = {}
    proposed: set[str] = set()
    flags: dict[str, set[tuple[str, str]]] = {"double_payment": set(), "paid_refused": set()}
    rows = Match.objects.filter(workspace_id=workspace_id).values_list(
        "kind", "status", "invoice__document__source_file_id", "receivable__reference",
        "transaction__qonto_id",
    )  # fmt: skip
    receivables = {item["reference"]: item["key"] for item in cases.receivables}
    for kind, status, invoice_key, receivable, qonto_id in rows:
        key = invoice_key or receivables.get(receivable or "")
        if key is None or kind == MatchKind.CONFIRMATION_DEBIT:
            continue
        if kind in flags:
            flags[kind].add((key, qonto_id))
        elif status in (MatchStatus.CONFIRMED, MatchStatus.ATTACHED):
            linked[key] = f"{linked[key]} and {qonto_id}" if key in linked else qonto_id
        elif status == MatchStatus.PROPOSED:
            proposed.add(key)
    scores = {name: KindScore() for name in ("invoice_debit", "credit_receivable", "credit_note")}
    # An invoice paid twice was paid by both debits: the one linked is right when the other one
    # is flagged (the matcher links the clear winner by score, the earliest among equals).
    again = dict(cases.double_payments)
    later = {key for key, second in again.items() if linked.get(key) == second}
    for item in cases.invoices + cases.receivables:
        kind = "credit_note" if item.get("is_credit_note") else "invoice_debit"
        kind = "credit_receivable" if item["key"].startswith("rcv") else kind
        truth = again[item["key"]] if item["key"] in later else item["truth"]
        scores[kind].add(truth, linked.get(item["key"]), item["key"] in proposed, item["key"])
    first = {item["key"]: item["truth"] for item in cases.invoices if item["key"] in later}
    repeats = {(key, first[key] if key in later else second) for key, second in again.items()}
    doubles = _flag_score(repeats, flags["double_payment"])
    doubles.note = f"of which the later debit linked, the earlier flagged: {len(later)}"
    scores["double_payment"] = doubles
    refused_paid = {
        (item["key"], item["truth"])
        for item in cases.invoices
        if item["status"] == "refused" and item["truth"] is not None
    }
    scores["paid_refused"] = _flag_score(refused_paid, flags["paid_refused"])
    return scores


def _flag_score(truth: set[tuple[str, str]], flagged: set[tuple[str, str]]) -> KindScore:
    score = KindScore(total=len(truth), confirmed=len(flagged), right=len(truth & flagged))
    score.wrong = [f"{key}: flagged {qonto_id}, not a repeat" for key, qonto_id in flagged - truth]
    score.wrong += [f"{key}: {qonto_id} not flagged" for key, qonto_id in truth - flagged]
    return score
