"""Reason codes: one registry of code → sentence; every sentence Well writes (and wrote before
the codes existed) reads back as its code; filters, exports and the dashboard use the codes."""

from __future__ import annotations

import re

import pytest

from reconciliation.admin.dashboard import queue_by_reason
from reconciliation.invoices.reasons import OTHER
from reconciliation.invoices.reasons import REGISTRY
from reconciliation.invoices.reasons import code_of
from reconciliation.invoices.reasons import codes_of
from reconciliation.invoices.reasons import leading_code
from reconciliation.invoices.reasons import marker
from reconciliation.invoices.reasons import sentence
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_routed_invoice
from tests.factories import make_trained_vendor
from tests.factories import make_user
from tests.helpers import exported_rows
from tests.helpers import filter_choices
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db

SAMPLE = {
    "iban": "LT121000011101001000",
    "vendor": "Acme",
    "known": "DE89370400440532013000",
    "change": "bank DE 37040044 → LT 10000",
    "what": "the bank already paid 1.00 EUR",
    "number": "F-1",
    "detail": "something",
    "progress": "3/10",
    "rule": "Big amounts",
    "value": "50.00%",
    "threshold": "55.00%",
    "source": "workspace",
    "field": "Total",
    "confidence": "60%",
    "currency": "XYZ",
    "who": "alice",
    "reason": "wrong total",
    "days": "7",
    "review": "55.00%",
    "auto_post": "85.00%",
    "points": "12.0",
    "label": "Vendor identified",
    "text": "anything",
}


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_template_reads_back_as_its_code(code: str) -> None:
    assert code_of(sentence(code, **SAMPLE).text) == code


@pytest.mark.parametrize(
    ("_case", "text", "code"),
    [
        ("reminder", "Payment reminder for invoice 42, already received.", "payment_reminder"),
        ("held_double", "Held: Possible double charge of invoice F-1", "double_charge"),
        ("no_debit", "No debit found within 7 days.", "no_debit_found"),
        (
            "revised",
            "Revised after posting: invoice 7 is already in Qonto; this version differs (total).",
            "revised_after_posting",
        ),
        (
            "probe",
            "Qonto may already have this invoice: 2 entries scoring 70/100 (links at 85). "
            "Link one, or post anyway.",
            "qonto_candidates",
        ),
        ("scan", "No text layer.", "no_text_layer"),
        ("total", "Total not found.", "total_unreadable"),
        ("reopened", "Reopened by alice: the total was right", "reopened"),
        ("free_text", "score 70 between 55 and 85", OTHER),
    ],
)
def test_sentences_written_before_the_codes_get_theirs(_case: str, text: str, code: str) -> None:
    assert code_of(text) == code


def test_the_leading_code_is_the_hold_then_the_review_reason() -> None:
    sentences = [
        "Confidence 90.00% reaches the auto-post threshold 85.00% (workspace).",
        "Vendor “Acme” is in training (3/10 reviewed).",
        "Held: Possible double charge of invoice F-1",
    ]

    assert codes_of(sentences) == [
        "auto_post_threshold_reached",
        "vendor_in_training",
        "double_charge",
    ]
    assert leading_code(sentences) == "double_charge"
    assert leading_code(sentences[:2]) == "vendor_in_training"


def test_markers_are_plain_words_of_one_code_only() -> None:
    for code in REGISTRY:
        words = marker(code)
        assert words.isascii()
        others = [kind.template for kind in REGISTRY.values() if kind.code != code]
        assert not any(words and words in template for template in others), code


def test_routing_writes_sentences_of_known_codes(workspace: Workspace) -> None:
    refused = make_routed_invoice(workspace, make_trained_vendor(workspace), "40.00")
    training = make_routed_invoice(
        workspace, make_trained_vendor(workspace, "Beta", reviewed=3), "95.00"
    )

    assert codes_of(refused.routing_reasons) == ["below_review_threshold"]
    assert codes_of(training.routing_reasons) == [
        "vendor_in_training",
        "auto_post_threshold_reached",
    ]
    assert leading_code(training.routing_reasons) == "vendor_in_training"


def test_the_invoice_list_filters_and_exports_by_code(workspace: Workspace) -> None:
    make_routed_invoice(workspace, make_trained_vendor(workspace), "40.00", number="LOW-1")
    make_routed_invoice(
        workspace, make_trained_vendor(workspace, "Beta", reviewed=3), "95.00", number="TRAIN-1"
    )
    auditor = make_user("audrey", workspace=workspace, role=Role.AUDITOR)
    client = logged_in_client(auditor)

    listed = client.get("/admin/reconciliation/invoice/?code=vendor_in_training")
    rows = exported_rows(client, "invoice", "code=vendor_in_training")

    assert listed.status_code == 200
    body = listed.content.decode()
    assert "TRAIN-1" in body
    assert "LOW-1" not in body
    # In review: the threshold it reached is not a reason (tests/test_tour_exports_reasons.py).
    assert [(row["Number"], row["Reason codes"]) for row in rows] == [
        ("TRAIN-1", "vendor_in_training")
    ]


def test_the_dashboard_groups_the_queue_by_code(workspace: Workspace) -> None:
    learner = make_trained_vendor(workspace, "Beta", reviewed=3)
    make_routed_invoice(workspace, learner, "95.00")
    make_routed_invoice(workspace, learner, "96.00")
    make_routed_invoice(workspace, make_trained_vendor(workspace), "70.00")
    waiting = make_document(
        workspace, review_reason="No debit found within 7 days.", original_name="paid.pdf"
    )
    admin_user = make_user("ada", workspace=workspace, role=Role.ADMIN)
    client = logged_in_client(admin_user)

    page = client.get("/admin/").content.decode()

    assert queue_by_reason([workspace.pk]) == {
        workspace.pk: [
            ("vendor_in_training", 2),
            ("below_auto_post_threshold", 1),
            ("no_debit_found", 1),
        ]
    }
    queue = client.get("/admin/review/?code=no_debit_found&all=")
    assert "Review queue by reason" in page
    # A code whose rows are exactly a situation's opens that situation (the choice the queue
    # offers for it, shown chosen); any other opens the routing-reason filter.
    assert (
        '<a href="/admin/review/?reason=training" title="Reason code: vendor_in_training">'
        "Vendor in training</a>"
    ) in page
    assert '<a href="/admin/review/?code=no_debit_found" title="Reason code: ' in page
    assert queue.status_code == 200
    listed = re.findall(r'<span class="well-clip" title="([^"]+\.pdf)"', queue.content.decode())
    assert listed == [waiting.original_name]
    training = client.get("/admin/review/?reason=training&all=").content.decode()
    assert "Vendor in training [chosen]" in filter_choices(training, "situation")
    assert filter_choices(training, "routing reason")[0] == "All [chosen]"
    assert len(re.findall(r'<span class="well-clip" title="[^"]+\.pdf"', training)) == 2
