"""The review screen: what it shows, the keyboard map it carries, and every decision it takes,
with the exact resulting states and Decision rows."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from fpdf import FPDF

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.helpers import logged_in_client
from tests.helpers import review_form

pytestmark = pytest.mark.django_db

#: Words of a one-page invoice as the engine stores them: [page, text, x0, top, x1, bottom].
WORDS = [
    [1, "ACME", 40.0, 40.0, 90.0, 52.0],
    [1, "Supplies", 94.0, 40.0, 150.0, 52.0],
    [1, "GmbH", 154.0, 40.0, 190.0, 52.0],
    [1, "Invoice", 40.0, 100.0, 80.0, 110.0],
    [1, "no:", 82.0, 100.0, 98.0, 110.0],
    [1, "INV-0042", 102.0, 100.0, 150.0, 110.0],
    [1, "Total", 40.0, 300.0, 70.0, 310.0],
    [1, "119.00", 300.0, 300.0, 340.0, 310.0],
    [1, "EUR", 344.0, 300.0, 364.0, 310.0],
]


def _entry(
    value: str, confidence: float, source: str, box: list[float] | None, origin: str = ""
) -> dict[str, Any]:
    return {
        "value": value,
        "confidence": confidence,
        "source": source,
        "evidence": {"page": 1, "bbox": box, "text": value} if box else None,
        "origin": origin,
    }


def invoice_pdf() -> bytes:
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.text(40, 50, "ACME Supplies GmbH")
    pdf.text(40, 108, "Invoice no: INV-0042")
    pdf.text(40, 308, "Total")
    pdf.text(300, 308, "119.00 EUR")
    return bytes(pdf.output())


def make_review_invoice(
    workspace: Workspace, vendor: Vendor | None = None, **fields: Any
) -> Invoice:
    """An invoice in review, read from a one-page stored PDF with words and evidence."""
    document = make_document(
        workspace,
        page_count=1,
        has_text_layer=True,
        extraction={"page_sizes": [[595.0, 842.0]], "fields": {}},
        words=WORDS,
        original_name=fields.pop("original_name", "acme-0042.pdf"),
    )
    document.file.save("acme.pdf", ContentFile(invoice_pdf()))
    invoice_fields = {
        "supplier_name": _entry("ACME Supplies GmbH", 0.93, "text", [40.0, 40.0, 190.0, 52.0]),
        "invoice_number": _entry("INV-0O42", 0.61, "text", [102.0, 100.0, 150.0, 110.0]),
        "total_amount": _entry("119.00", 0.97, "text", [300.0, 300.0, 340.0, 310.0]),
        "currency": _entry("EUR", 0.9, "text", [344.0, 300.0, 364.0, 310.0]),
        "supplier_vat_id": _entry(
            "DE136695976", 0.8, "enriched", None, "Filled from the vendor record “ACME” (#1)."
        ),
    }
    fields.setdefault("number", "INV-0O42")
    fields.setdefault("supplier_name", "ACME Supplies GmbH")
    fields.setdefault("supplier_vat_id", "DE136695976")
    fields.setdefault("confidence", Decimal("72.50"))
    fields.setdefault(
        "confidence_components",
        {
            "version": 1,
            "score": "72.50",
            "components": [
                {
                    "key": "field:invoice_number",
                    "label": "Invoice number",
                    "value": 0.61,
                    "factor": 0.9,
                    "points": 9.1,
                    "detail": "61%, read from the text",
                },
                {
                    "key": "conflict:supplier_iban",
                    "label": "IBAN differs from the vendor's",
                    "value": 0.0,
                    "factor": 0.85,
                    "points": 15.2,
                    "detail": "The document's IBAN differs from the vendor record.",
                },
                {"key": "check:totals", "label": "Totals add up", "value": 1.0, "factor": 1.0},
            ],
            "blocking": [],
            "must_review": [],
        },
    )
    fields.setdefault("routing_reasons", ["score 72.5 between 55 and 85: review"])
    return make_invoice(
        workspace, document=document, vendor=vendor, fields=invoice_fields, **fields
    )


def _screen(document: Document) -> str:
    return reverse("admin:reconciliation-review-document", args=[document.pk])


def test_screen_shows_fields_with_confidence_evidence_and_origin(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    invoice = make_review_invoice(workspace)
    body = logged_in_client(reviewer).get(_screen(invoice.document)).content.decode()
    number_row = re.search(r'<tr class="well-field"[^>]*data-field="invoice_number"[^>]*>', body)
    assert number_row is not None
    assert 'data-evidence-page="1"' in number_row.group(0)
    assert 'data-evidence-box="102.00 100.00 150.00 110.00"' in number_row.group(0)
    assert (
        '<span class="well-badge well-badge-medium" title="Confidence of this field">61 %</span>'
        in body
    )
    assert (
        '<span class="well-badge well-badge-high" title="Confidence of this field">97 %</span>'
        in body
    )
    assert 'class="well-tag well-tag-enriched"' in body
    assert "Filled from the vendor record “ACME” (#1)." in body
    assert "The document&#x27;s IBAN differs from the vendor record." in body
    assert "score 72.5 between 55 and 85: review" in body
    components = re.findall(r"<tr(?: class=\"well-costly\")?><th scope=\"row\">([^<]*)<", body)
    assert components == ["IBAN differs from the vendor&#x27;s", "Invoice number", "Totals add up"]
    assert "<td>61 %</td><td>×0.90</td><td>9.1</td>" in body
    assert 'data-page-number="1" data-page-width="595.0" data-page-height="842.0"' in body
    assert f'src="/admin/review/{invoice.document_id}/page/1.png"' in body
    assert 'value="INV-0O42"' in body


def test_screen_carries_the_keyboard_map(workspace: Workspace, reviewer: AbstractUser) -> None:
    first = make_review_invoice(workspace, original_name="first.pdf")
    second = make_review_invoice(workspace, original_name="second.pdf")
    third = make_review_invoice(workspace, original_name="third.pdf")
    body = logged_in_client(reviewer).get(_screen(second.document)).content.decode()
    shortcuts = dict(
        (key, tag) for tag, key in re.findall(r'<(\w+)[^>]*?data-shortcut="([^"]+)"', body)
    )
    assert shortcuts == {
        "k": "a",
        "j": "a",
        "d": "a",
        "?": "button",
        "e": "tr",
        "a": "button",
        "s": "button",
        "r": "button",
    }
    assert f'href="{_screen(first.document)}" data-shortcut="k"' in body
    assert f'href="{_screen(third.document)}" data-shortcut="j"' in body
    assert 'data-well-shortcuts="review"' in body
    assert '<script src="/static/well/review.js" defer></script>' in body
    assert 'id="well-help" hidden' in body
    assert "2 of 3" in body


@pytest.mark.postgres  # record_review locks the invoice: FOR UPDATE must work on PostgreSQL too
def test_approve_with_a_correction_records_both_and_teaches_the_vendor(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    vendor = make_vendor(workspace, name="ACME Supplies GmbH", status=VendorStatus.ACTIVE)
    invoice = make_review_invoice(workspace, vendor=vendor)
    form = review_form(invoice) | {"field-invoice_number": "INV-0042", "action": "approve"}
    response = logged_in_client(reviewer).post(_screen(invoice.document), form)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert invoice.number == "INV-0042"
    assert invoice.decided_by == reviewer
    assert invoice.fields["invoice_number"]["source"] == "reviewer"
    decisions = list(Decision.objects.filter(invoice=invoice).order_by("id"))
    assert [
        (d.action, d.actor, d.before, d.after["status"] if d.action == "approve" else d.after)
        for d in decisions
    ] == [
        (
            DecisionAction.EDIT,
            reviewer,
            {"invoice_number": "INV-0O42"},
            {"invoice_number": "INV-0042"},
        ),
        (DecisionAction.APPROVE, reviewer, {"status": "needs_review"}, "approved"),
    ]
    vendor.refresh_from_db()
    assert vendor.documents_reviewed == 1
    assert vendor.learned_mapping["invoice_number"]["label"] == "invoice no"


def test_approve_then_opens_the_next_document(workspace: Workspace, reviewer: AbstractUser) -> None:
    first = make_review_invoice(workspace, due_date=date(2026, 12, 1))
    second = make_review_invoice(workspace, due_date=date(2026, 12, 5))
    response = logged_in_client(reviewer).post(
        _screen(first.document), review_form(first) | {"action": "approve"}
    )
    assert response.status_code == 302
    assert response["Location"] == _screen(second.document)
    first.refresh_from_db()
    assert first.status == InvoiceStatus.APPROVED
    assert list(Decision.objects.filter(invoice=first).values_list("action", flat=True)) == [
        "approve"
    ]


def test_save_and_next_keeps_the_invoice_in_review(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    first = make_review_invoice(workspace, due_date=date(2026, 12, 1))
    second = make_review_invoice(workspace, due_date=date(2026, 12, 5))
    form = review_form(first) | {"field-due_date": "2026-12-31", "action": "save_next"}
    response = logged_in_client(reviewer).post(_screen(first.document), form)
    assert response["Location"] == _screen(second.document)
    first.refresh_from_db()
    assert first.status == InvoiceStatus.NEEDS_REVIEW
    assert first.due_date == date(2026, 12, 31)
    decision = Decision.objects.get(invoice=first)
    assert (decision.action, decision.before, decision.after) == (
        DecisionAction.EDIT,
        {"due_date": "2026-12-01"},
        {"due_date": "2026-12-31"},
    )


def test_an_invalid_field_saves_nothing(workspace: Workspace, reviewer: AbstractUser) -> None:
    invoice = make_review_invoice(workspace)
    form = review_form(invoice) | {"field-issue_date": "31/02/2026", "action": "approve"}
    response = logged_in_client(reviewer).post(_screen(invoice.document), form)
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert not Decision.objects.filter(invoice=invoice).exists()


def test_refuse_needs_a_reason_and_records_it(workspace: Workspace, reviewer: AbstractUser) -> None:
    invoice = make_review_invoice(workspace)
    client = logged_in_client(reviewer)
    response = client.post(_screen(invoice.document), {"action": "refuse", "reason": ""})
    assert response.status_code == 200
    assert "Say why it is refused (a few words)." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    response = client.post(
        _screen(invoice.document), {"action": "refuse", "reason": "Not our order"}
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.decision_reason, invoice.decided_by) == (
        InvoiceStatus.REFUSED,
        "Not our order",
        reviewer,
    )
    decision = Decision.objects.get(invoice=invoice)
    assert (decision.action, decision.actor, decision.before, decision.after, decision.reason) == (
        DecisionAction.REFUSE,
        reviewer,
        {"status": "needs_review"},
        {"status": "refused"},
        "Not our order",
    )


def test_history_panel_shows_before_and_after(workspace: Workspace, reviewer: AbstractUser) -> None:
    invoice = make_review_invoice(workspace)
    client = logged_in_client(reviewer)
    client.post(
        _screen(invoice.document),
        review_form(invoice) | {"field-currency": "usd", "action": "save"},
    )
    body = client.get(_screen(invoice.document)).content.decode()
    history = body[body.index('id="well-history"') :]
    assert "<strong>rita</strong> · Fields corrected" in history
    assert "Currency: EUR → USD" in history
    assert "Corrected Currency." in history  # the field's label, not currency


def _double_charge(workspace: Workspace) -> tuple[Invoice, Invoice, Match]:
    settled = make_invoice(workspace, status=InvoiceStatus.POSTED, number="INV-7")
    repeat = make_review_invoice(workspace, number="INV-7", original_name="reminder.pdf")
    match = make_double_charge(
        repeat,
        settled,
        hold_reason="Possible double charge of invoice INV-7",
        transaction=make_transaction(workspace),
        reasons=["same issuer and invoice number INV-7"],
    )
    return settled, repeat, match


def test_double_charge_is_refused_in_one_click(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    _, repeat, match = _double_charge(workspace)
    client = logged_in_client(reviewer)
    body = client.get(_screen(repeat.document)).content.decode()
    assert "Possible double charge" in body
    assert 'value="refuse_double"' in body
    assert 'data-shortcut="a"' not in body  # a held invoice cannot be approved
    response = client.post(_screen(repeat.document), {"action": "refuse_double", "match": match.pk})
    assert response.status_code == 302
    match.refresh_from_db()
    repeat.refresh_from_db()
    assert (match.status, match.decided_by) == (MatchStatus.REFUSED, reviewer)
    assert repeat.status == InvoiceStatus.REFUSED
    decision = Decision.objects.get(match=match)
    assert (decision.action, decision.actor, decision.reason) == (
        DecisionAction.REFUSE,
        reviewer,
        "Double charge of invoice INV-7, already paid.",
    )


def test_double_charge_panel_shows_the_debit_in_minor_units(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    _, repeat, match = _double_charge(workspace)
    assert match.transaction is not None
    match.transaction.amount = Decimal("1283.440")
    match.transaction.counterparty_name = "ACME"
    match.transaction.save()
    body = logged_in_client(reviewer).get(_screen(repeat.document)).content.decode()
    panel = body[body.index('id="well-double-charge"') :]
    assert "by the debit −1,283.44 EUR · ACME on" in panel
    assert "1283.440" not in body


def test_not_a_duplicate_releases_the_hold_and_stays(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    _, repeat, match = _double_charge(workspace)
    response = logged_in_client(reviewer).post(
        _screen(repeat.document), {"action": "not_duplicate", "match": match.pk}
    )
    assert response["Location"] == _screen(repeat.document)
    match.refresh_from_db()
    repeat.refresh_from_db()
    assert match.status == MatchStatus.DISMISSED
    assert (repeat.is_held, repeat.status) == (False, InvoiceStatus.NEEDS_REVIEW)
    assert Decision.objects.get(match=match).action == DecisionAction.NOT_DUPLICATE


def test_refuse_key_on_a_double_charge_refuses_the_match(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    _, repeat, match = _double_charge(workspace)
    response = logged_in_client(reviewer).post(
        _screen(repeat.document), {"action": "refuse", "reason": "Paid already"}
    )
    assert response.status_code == 302
    match.refresh_from_db()
    repeat.refresh_from_db()
    assert (match.status, repeat.status, repeat.decision_reason) == (
        MatchStatus.REFUSED,
        InvoiceStatus.REFUSED,
        "Paid already",
    )


def _confirmation(workspace: Workspace) -> tuple[Document, Match, Match]:
    document = make_document(
        workspace,
        kind=DocumentKind.PAYMENT_CONFIRMATION,
        page_count=1,
        extraction={
            "page_sizes": [[595.0, 842.0]],
            "fields": {
                "amount": {
                    "value": "119.00",
                    "confidence": 0.95,
                    "source": "text",
                    "evidence": {"page": 1, "bbox": [10, 10, 50, 20], "text": "119.00"},
                },
                "beneficiary_name": {
                    "value": "ACME",
                    "confidence": 0.9,
                    "source": "text",
                    "evidence": None,
                },
            },
        },
        original_name="transfer.pdf",
    )
    best, other = (
        make_match(
            workspace,
            document=document,
            transaction=make_transaction(workspace),
            score=Decimal(score),
            rank=rank,
            reasons=reasons,
        )
        for rank, score, reasons in ((1, "70.00", ["same amount"]), (2, "60.00", []))
    )
    return document, best, other


def test_pick_a_payment_candidate(workspace: Workspace, reviewer: AbstractUser) -> None:
    document, best, other = _confirmation(workspace)
    client = logged_in_client(reviewer)
    body = client.get(_screen(document)).content.decode()
    assert "Which payment is this?" in body
    assert 'data-evidence-box="10.00 10.00 50.00 20.00"' in body
    response = client.post(_screen(document), {"action": "pick", "match": best.pk})
    assert response.status_code == 302
    best.refresh_from_db()
    other.refresh_from_db()
    assert (best.status, other.status) == (MatchStatus.CONFIRMED, MatchStatus.REJECTED)
    assert Decision.objects.get(match=best).action == DecisionAction.PICK_MATCH


def test_none_of_the_candidates(workspace: Workspace, reviewer: AbstractUser) -> None:
    document, best, other = _confirmation(workspace)
    response = logged_in_client(reviewer).post(_screen(document), {"action": "reject_all"})
    assert response.status_code == 302
    assert set(Match.objects.filter(document=document).values_list("status", flat=True)) == {
        MatchStatus.REJECTED
    }
    decision = Decision.objects.get(document=document)
    assert (decision.action, decision.after) == (
        DecisionAction.REJECT_MATCHES,
        {"rejected": [best.pk, other.pk]},
    )


def test_auditor_reads_but_cannot_decide(workspace: Workspace) -> None:
    auditor = make_user("audrey", workspace=workspace, role=Role.AUDITOR)
    invoice = make_review_invoice(workspace)
    client = logged_in_client(auditor)
    body = client.get(_screen(invoice.document)).content.decode()
    assert 'data-shortcut="a"' not in body
    assert 'data-shortcut="r"' not in body
    assert (
        '<input type="text" name="field-invoice_number" value="INV-0O42" maxlength="100" '
        'disabled id="id_field-invoice_number">'
    ) in body
    response = client.post(_screen(invoice.document), review_form(invoice) | {"action": "approve"})
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert not Decision.objects.exists()


def test_pdf_downloads_through_the_scoped_view(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    invoice = make_review_invoice(workspace)
    invoice.document.file.save("x.pdf", ContentFile(b"%PDF-1.4 test\n%%EOF\n"))
    response = logged_in_client(reviewer).get(
        reverse("admin:reconciliation-review-file", args=[invoice.document_id])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="acme-0042.pdf"'
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test\n%%EOF\n"  # type: ignore[attr-defined]


def test_decided_document_leaves_the_queue_and_next_is_the_first(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    old = make_review_invoice(workspace, original_name="old.pdf")
    Document.objects.filter(pk=old.document_id).update(
        received_at=timezone.now() - timedelta(days=3)
    )
    decided = make_review_invoice(
        workspace, status=InvoiceStatus.APPROVED, original_name="done.pdf"
    )
    body = logged_in_client(reviewer).get(_screen(decided.document)).content.decode()
    assert "not in the queue (1 waiting)" in body
    assert f'href="{_screen(old.document)}" data-shortcut="j"' in body
