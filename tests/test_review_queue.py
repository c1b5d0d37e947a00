"""The review queue: what it lists and in which order, its filters, counts and query cost, and
the bulk approve / refuse actions with their confirmation page."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reconciliation import review
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import bulk_invoices
from tests.factories import make_document
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.helpers import logged_in_client
from tests.helpers import page_queries

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review/"


def _aged(invoice: Invoice, days: int) -> Invoice:
    Document.objects.filter(pk=invoice.document_id).update(
        received_at=timezone.now() - timedelta(days=days)
    )
    return invoice


def _double_charge(workspace: Workspace, name: str) -> Invoice:
    settled = make_invoice(workspace, status=InvoiceStatus.POSTED)
    repeat = make_invoice(workspace, document=make_document(workspace, original_name=name))
    make_double_charge(repeat, settled, hold_reason="Possible double charge")
    return repeat


def _names(body: str) -> list[str]:
    """File names of the queue's rows, in the order shown (whole in each cell's tooltip)."""
    titles = re.findall(
        r'<th class="field-title"><a href="[^"]*"><span class="well-(?:clip|ends)" title="([^"]*)"',
        body,
    )
    return [title.rsplit(" · ", 1)[-1] for title in titles]


def _queue_scenario(workspace: Workspace) -> None:
    def invoice(name: str, **fields: object) -> Invoice:
        return make_invoice(
            workspace,
            document=make_document(workspace, original_name=name),
            supplier_name="",
            **fields,
        )

    _aged(invoice("due-late.pdf", due_date=date(2026, 12, 20)), 1)
    _aged(invoice("no-due-old.pdf"), 9)
    _aged(invoice("due-soon.pdf", due_date=date(2026, 12, 1)), 2)
    _aged(invoice("no-due-new.pdf"), 1)
    invoice("approved.pdf", status=InvoiceStatus.APPROVED)
    invoice("refused.pdf", status=InvoiceStatus.REFUSED)
    _aged(_double_charge(workspace, "double.pdf"), 0)
    confirmation = make_document(
        workspace, kind=DocumentKind.PAYMENT_CONFIRMATION, original_name="transfer.pdf"
    )
    make_match(workspace, document=confirmation, transaction=make_transaction(workspace))
    settled_confirmation = make_document(
        workspace, kind=DocumentKind.PAYMENT_CONFIRMATION, original_name="settled.pdf"
    )
    make_match(
        workspace,
        document=settled_confirmation,
        transaction=make_transaction(workspace),
        status=MatchStatus.CONFIRMED,
    )


def test_queue_lists_what_needs_a_person_double_charges_first(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    _queue_scenario(workspace)
    Document.objects.filter(original_name="transfer.pdf").update(
        received_at=timezone.now() - timedelta(days=5)
    )
    body = logged_in_client(reviewer).get(QUEUE).content.decode()
    assert _names(body) == [
        "double.pdf",
        "due-soon.pdf",
        "due-late.pdf",
        "no-due-old.pdf",
        "transfer.pdf",
        "no-due-new.pdf",
    ]
    assert "<strong>1</strong> double charge" in body
    assert "<strong>4</strong> invoices to check" in body
    assert "<strong>1</strong> payment to match" in body
    assert "6 waiting in all" in body


def test_each_reason_alone_puts_a_document_in_the_queue(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    """The queue is the union of its reasons: a proposed double charge or candidate, an invoice
    to review, a document sent to review; a decided proposal takes nothing there."""
    settled = make_invoice(workspace, status=InvoiceStatus.POSTED)
    for name, status in (
        ("charged.pdf", MatchStatus.PROPOSED),
        ("kept.pdf", MatchStatus.DISMISSED),
    ):
        repeat = make_invoice(
            workspace,
            document=make_document(workspace, original_name=name),
            status=InvoiceStatus.APPROVED,
        )
        make_match(
            workspace,
            kind=MatchKind.DOUBLE_CHARGE,
            status=status,
            invoice=repeat,
            document=repeat.document,
            settled_invoice=settled,
        )
    make_document(workspace, original_name="advice.pdf", review_reason="Nothing fits")
    make_document(workspace, original_name="plain.pdf")
    rejected = make_document(workspace, original_name="rejected.pdf")
    make_match(
        workspace,
        document=rejected,
        transaction=make_transaction(workspace),
        status=MatchStatus.REJECTED,
    )

    body = logged_in_client(reviewer).get(f"{QUEUE}?all=").content.decode()
    assert sorted(_names(body)) == ["advice.pdf", "charged.pdf"]


def test_the_queue_reads_only_the_given_workspaces_id_sets(workspace: Workspace) -> None:
    """Narrowed to some workspaces, the queue's id sets leave the others' rows out even when
    the documents handed in include them (the admin hands in the reader's workspaces)."""
    other = make_workspace()
    ours = make_invoice(workspace).document_id
    make_invoice(other)
    make_document(other, original_name="advice.pdf", review_reason="Nothing fits")

    everyone = review.queue_documents(Document.objects.all())
    narrowed = review.queue_documents(Document.objects.all(), workspace_ids=[workspace.pk])

    assert everyone.count() == 3
    assert [document.pk for document in narrowed] == [ours]


@pytest.mark.parametrize(
    ("_case", "query", "expected"),
    [
        ("kind", "kind__exact=payment_confirmation", ["transfer.pdf"]),
        ("reason_double", "reason=double_charge", ["double.pdf"]),
        ("reason_payment", "reason=payment_match", ["transfer.pdf"]),
        ("reason_held", "reason=held", ["double.pdf"]),
        (
            "band",
            "confidence=70-85",
            ["double.pdf", "due-soon.pdf", "due-late.pdf", "no-due-old.pdf", "no-due-new.pdf"],
        ),
        ("band_empty", "confidence=0-55", []),
        ("search", "q=due-soon", ["due-soon.pdf"]),
    ],
)
def test_queue_filters(
    workspace: Workspace, reviewer: AbstractUser, _case: str, query: str, expected: list[str]
) -> None:
    _queue_scenario(workspace)
    response = logged_in_client(reviewer).get(f"{QUEUE}?{query}")
    assert response.status_code == 200
    assert _names(response.content.decode()) == expected


def test_queue_filters_by_vendor_and_training(workspace: Workspace, reviewer: AbstractUser) -> None:
    trained = make_vendor(
        workspace, name="Trained", status=VendorStatus.ACTIVE, documents_reviewed=12
    )
    learning = make_vendor(
        workspace, name="Learning", status=VendorStatus.ACTIVE, documents_reviewed=3
    )
    make_invoice(
        workspace, vendor=trained, document=make_document(workspace, original_name="t.pdf")
    )
    make_invoice(
        workspace,
        vendor=learning,
        document=make_document(workspace, original_name="l.pdf"),
        routing_reasons=["Vendor “Learning” is in training (3/10 reviewed)."],
    )
    # Of a vendor in training too, but its score sent it here: not the training.
    make_invoice(
        workspace,
        vendor=learning,
        document=make_document(workspace, original_name="low.pdf"),
        routing_reasons=["Confidence 60.00% is below the auto-post threshold 85.00% (workspace)."],
    )
    make_invoice(workspace, document=make_document(workspace, original_name="unknown.pdf"))
    client = logged_in_client(reviewer)
    assert _names(
        client.get(f"{QUEUE}?invoice__vendor__id__exact={trained.pk}").content.decode()
    ) == ["t.pdf"]
    assert _names(client.get(f"{QUEUE}?reason=training").content.decode()) == ["l.pdf"]
    assert _names(client.get(f"{QUEUE}?code=vendor_in_training").content.decode()) == ["l.pdf"]
    assert _names(client.get(f"{QUEUE}?reason=new_vendor").content.decode()) == ["unknown.pdf"]


@pytest.mark.postgres
def test_queue_filters_by_facts_not_wording(workspace: Workspace, reviewer: AbstractUser) -> None:
    def invoice(name: str, **fields: object) -> Invoice:
        return make_invoice(
            workspace, document=make_document(workspace, original_name=name), **fields
        )

    def components(*keys: str) -> dict[str, object]:
        return {"components": [{"key": key, "label": key, "factor": 0.85} for key in keys]}

    invoice("conflict.pdf", confidence_components=components("fields", "conflict:supplier_iban"))
    invoice("no-conflict.pdf", confidence_components=components("fields", "vendor"))
    invoice("no-components.pdf", confidence_components={})
    rule = RoutingRule.objects.create(workspace=workspace, name="Big amounts")
    invoice("rule.pdf", routing_rule=rule)
    make_invoice(
        workspace, document=make_document(workspace, original_name="scan.pdf", has_text_layer=False)
    )
    make_invoice(
        workspace, document=make_document(workspace, original_name="unscored.pdf"), confidence=None
    )
    client = logged_in_client(reviewer)
    assert _names(client.get(f"{QUEUE}?reason=conflict").content.decode()) == ["conflict.pdf"]
    assert _names(client.get(f"{QUEUE}?reason=rule").content.decode()) == ["rule.pdf"]
    assert _names(client.get(f"{QUEUE}?reason=no_text").content.decode()) == ["scan.pdf"]
    assert _names(client.get(f"{QUEUE}?confidence=none").content.decode()) == ["unscored.pdf"]


def test_row_links_keep_the_queue_filters(workspace: Workspace, reviewer: AbstractUser) -> None:
    invoice = make_invoice(workspace)
    body = logged_in_client(reviewer).get(f"{QUEUE}?kind__exact=invoice").content.decode()
    screen = reverse("admin:reconciliation-review-document", args=[invoice.document_id])
    assert f'href="{screen}?_changelist_filters=kind__exact%3Dinvoice"' in body


def test_screen_walks_the_filtered_queue(workspace: Workspace, reviewer: AbstractUser) -> None:
    first = _aged(make_invoice(workspace), 3)
    _aged(
        make_invoice(workspace, document=make_document(workspace, kind=DocumentKind.CREDIT_NOTE)), 2
    )
    third = _aged(make_invoice(workspace), 1)
    screen = reverse("admin:reconciliation-review-document", args=[first.document_id])
    body = (
        logged_in_client(reviewer)
        .get(f"{screen}?_changelist_filters=kind__exact%3Dinvoice")
        .content.decode()
    )
    next_screen = reverse("admin:reconciliation-review-document", args=[third.document_id])
    assert (
        f'href="{next_screen}?_changelist_filters=kind__exact%3Dinvoice" data-shortcut="j"' in body
    )
    assert "1 of 2" in body


def test_queue_carries_its_keyboard_map(workspace: Workspace, reviewer: AbstractUser) -> None:
    make_invoice(workspace)
    body = logged_in_client(reviewer).get(QUEUE).content.decode()
    assert 'data-well-shortcuts="queue"' in body
    assert '<script src="/static/well/review.js" defer></script>' in body
    assert 'id="well-help" hidden' in body


def _populate(workspace: Workspace, start: int, stop: int) -> None:
    bulk_invoices(
        workspace,
        range(start, stop),
        document_fields={"status": DocumentStatus.PARSED, "kind": DocumentKind.INVOICE},
        confidence=Decimal("70.00"),
        status=InvoiceStatus.NEEDS_REVIEW,
        due_date=date(2026, 12, 1),
        routing_reasons=["score 70 between 55 and 85"],
    )


def test_queue_costs_the_same_for_10_and_200_rows(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    client = logged_in_client(reviewer)
    _populate(workspace, 0, 10)
    small = page_queries(client, f"{QUEUE}?all=")
    screen = reverse(
        "admin:reconciliation-review-document", args=[Document.objects.earliest("pk").pk]
    )
    screen_small = page_queries(client, screen)
    _populate(workspace, 10, 200)
    large = page_queries(client, f"{QUEUE}?all=")
    screen_large = page_queries(client, screen)
    assert (large, screen_large) == (small, screen_small)
    # The screen's next/previous read the queue's ids, not its vendor filter's choices; the
    # queue counts the open money flags (double payments, refused but paid) in one query more;
    # both read which of their invoices the bank shows paid in one query more.
    assert (large, screen_large) == (13, 12)


# --- bulk actions ----------------------------------------------------------------------------


def _select(action: str, documents: list[Document], **extra: str) -> dict[str, object]:
    return {"action": action, "_selected_action": [d.pk for d in documents], **extra}


def test_bulk_approve_asks_first_then_approves_and_counts(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    plain = [make_invoice(workspace) for _ in range(3)]
    held = _double_charge(workspace, "double.pdf")
    documents = [invoice.document for invoice in [*plain, held]]
    client = logged_in_client(reviewer)
    page = client.post(QUEUE, _select("approve_selected", documents, index="0"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Approve these 4 documents?" in body
    assert body.count('name="_selected_action"') == 4
    assert set(Invoice.objects.values_list("status", flat=True)) == {
        InvoiceStatus.NEEDS_REVIEW,
        InvoiceStatus.POSTED,
    }
    response = client.post(QUEUE, _select("approve_selected", documents, post="yes"), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "Approved 3 documents.",
        "Skipped 1: 1 held out of posting (decide on each one).",
    ]
    for invoice in plain:
        invoice.refresh_from_db()
        assert (invoice.status, invoice.decided_by) == (InvoiceStatus.APPROVED, reviewer)
    held.refresh_from_db()
    assert held.status == InvoiceStatus.NEEDS_REVIEW
    decisions = Decision.objects.filter(action=DecisionAction.APPROVE).order_by("invoice_id")
    assert [(d.invoice_id, d.actor, d.before, d.after) for d in decisions] == [
        (invoice.pk, reviewer, {"status": "needs_review"}, {"status": "approved"})
        for invoice in plain
    ]


def test_bulk_refuse_needs_a_reason(workspace: Workspace, reviewer: AbstractUser) -> None:
    invoices = [make_invoice(workspace) for _ in range(2)]
    documents = [invoice.document for invoice in invoices]
    client = logged_in_client(reviewer)
    page = client.post(QUEUE, _select("refuse_selected", documents, post="yes", reason=""))
    assert page.status_code == 200
    assert "Say why they are refused (a few words)." in page.content.decode()
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.NEEDS_REVIEW}
    response = client.post(
        QUEUE,
        _select("refuse_selected", documents, post="yes", reason="Duplicate upload"),
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["Refused 2 documents."]
    decisions = Decision.objects.order_by("invoice_id")
    assert [(d.action, d.invoice_id, d.reason, d.before, d.after) for d in decisions] == [
        (
            DecisionAction.REFUSE,
            invoice.pk,
            "Duplicate upload",
            {"status": "needs_review"},
            {"status": "refused"},
        )
        for invoice in invoices
    ]


def test_bulk_refuse_refuses_double_charges_through_matching(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    held = _double_charge(workspace, "double.pdf")
    logged_in_client(reviewer).post(
        QUEUE, _select("refuse_selected", [held.document], post="yes", reason="Paid already")
    )
    held.refresh_from_db()
    assert (held.status, held.decision_reason) == (InvoiceStatus.REFUSED, "Paid already")
    assert held.document.matches.get().status == MatchStatus.REFUSED


def test_auditor_sees_the_queue_without_actions(workspace: Workspace) -> None:
    auditor = make_user("audrey", workspace=workspace, role=Role.AUDITOR)
    invoice = make_invoice(workspace)
    client = logged_in_client(auditor)
    body = client.get(QUEUE).content.decode()
    assert 'name="_selected_action"' not in body
    assert 'name="action"' not in body
    client.post(QUEUE, _select("approve_selected", [invoice.document], post="yes"))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert not Decision.objects.exists()


def test_the_queue_says_why_a_confident_invoice_waits(workspace: Workspace) -> None:
    from reconciliation.models import InvoiceStatus
    from tests.factories import make_invoice
    from tests.factories import make_user

    make_invoice(
        workspace,
        status=InvoiceStatus.NEEDS_REVIEW,
        confidence=Decimal("92.00"),
        routing_reasons=[
            "Confidence 92.00% reaches the auto-post threshold 85.00% (workspace).",
            "Vendor “Acme” is in training (2/10 reviewed).",
        ],
    )
    client = Client()
    user = make_user("lea", workspace=workspace, role=Role.REVIEWER)
    assert client.login(username=user.username, password=PASSWORD)
    body = client.get(reverse("admin:reconciliation-review")).content.decode()
    assert (
        '<span class="well-clip">In training</span> <span class="well-figure">2/10</span></span>'
        ' <span class="well-more">+1</span>'
    ) in body
    # Every sentence on hover, its percentages as the Confidence column writes them.
    assert (
        'title="Vendor “Acme” is in training (2/10 reviewed).\n'
        'Confidence 92 % reaches the auto-post threshold 85 % (workspace)."'
    ) in body


def test_a_superuser_sees_the_workspace_column_once_the_server_holds_several(
    workspace: Workspace,
) -> None:
    _queue_scenario(workspace)
    root = make_user("root", superuser=True)
    queue = reverse("admin:reconciliation-review")
    assert "column-workspace_name" not in logged_in_client(root).get(queue).content.decode()
    make_workspace("Other SAS")
    assert "column-workspace_name" in logged_in_client(root).get(queue).content.decode()


def test_the_workspace_column_only_for_several_workspaces(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    _queue_scenario(workspace)
    queue = reverse("admin:reconciliation-review")
    assert "column-workspace_name" not in logged_in_client(reviewer).get(queue).content.decode()
    other = make_workspace("Other SAS")
    other.memberships.create(user_id=reviewer.pk, role=Role.REVIEWER)
    body = logged_in_client(reviewer).get(queue).content.decode()
    assert "column-workspace_name" in body
    assert '<span class="well-clip" title="Acme SAS">Acme SAS</span>' in body


@pytest.mark.parametrize(
    ("sentence", "short"),
    [
        ("Vendor “Northwind Traders GmbH” is in training (4/10 reviewed).", "In training 4/10"),
        # The confidence is in its own column beside it: the threshold it missed is the figure.
        ("Confidence 83.10% is below the auto-post threshold 85.00% (workspace).", "Below 85 %"),
        ("Possible double charge of invoice F-2026-118", "Double charge"),
        ("Held: Possible double charge of invoice F-2026-118", "Double charge"),
        (
            "Total was read with 60.00% confidence, below the auto-post threshold 85.00%.",
            "Total 60 %",
        ),
        ("Routing rule “Big amounts” always sends to review.", "Rule “Big amounts”"),
        ("Payment not matched with certainty", "Payment to match"),
        ("A sentence no template fits", "A sentence no template fits"),
    ],
)
def test_the_why_column_leads_with_the_cause_in_a_few_words(sentence: str, short: str) -> None:
    from reconciliation.admin.review_screen import short_reason

    assert str(short_reason(sentence)) == short


def test_the_why_column_keeps_every_sentence_on_hover(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    sentence = "Confidence 83.10% is below the auto-post threshold 85.00% (workspace)."
    make_invoice(workspace, confidence=Decimal("83.10"), routing_reasons=[sentence])
    body = logged_in_client(reviewer).get(QUEUE).content.decode()
    shown = "Confidence 83.10 % is below the auto-post threshold 85 % (workspace)."
    assert (
        f'<span class="well-why" title="{shown}"><span class="well-clip">Below</span>'
        ' <span class="well-figure">85 %</span></span>'
    ) in body


def test_the_document_column_leaves_the_vendor_to_its_own_column(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    known = make_vendor(workspace, name="Northwind", status=VendorStatus.ACTIVE)
    make_invoice(
        workspace,
        vendor=known,
        supplier_name="Northwind",
        document=make_document(workspace, original_name="known.pdf"),
    )
    make_invoice(
        workspace,
        supplier_name="Unknown Ltd",
        document=make_document(workspace, original_name="unknown.pdf"),
    )
    body = logged_in_client(reviewer).get(QUEUE).content.decode()
    assert 'title="known.pdf">known.pdf</span>' in body
    assert "Northwind · known.pdf" not in body
    assert 'title="Unknown Ltd · unknown.pdf"' in body  # no vendor yet: the supplier as read


def test_the_dashboard_counts_the_rows_its_reason_links_open(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    from reconciliation.admin.dashboard import queue_by_reason

    learning = make_vendor(workspace, name="Learning", documents_reviewed=3)
    training = "Vendor “Learning” is in training (3/10 reviewed)."
    make_invoice(workspace, vendor=learning, routing_reasons=[training])
    # Held first for a double charge: training is not its leading reason, still one of them.
    make_invoice(
        workspace,
        vendor=learning,
        is_held=True,
        hold_reason="Possible double charge of invoice F-1",
        routing_reasons=[training],
    )
    make_invoice(workspace, vendor=learning, routing_reasons=[])  # its score sent it here
    counts = dict(queue_by_reason([workspace.pk])[workspace.pk])
    client = logged_in_client(reviewer)
    for query in ("code=vendor_in_training", "reason=training"):
        assert len(_names(client.get(f"{QUEUE}?{query}").content.decode())) == 2
    assert counts["vendor_in_training"] == 2
    assert len(_names(client.get(f"{QUEUE}?code=double_charge").content.decode())) == 1
    assert counts["double_charge"] == 1


def test_the_routing_reason_filter_offers_double_charge(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    body = logged_in_client(reviewer).get(QUEUE).content.decode()
    assert "?code=double_charge" in body


@pytest.mark.parametrize("query", ["code=no_such_code", "reason=no_such_situation"])
def test_an_unknown_filter_value_is_refused_as_django_does(
    workspace: Workspace, reviewer: AbstractUser, query: str
) -> None:
    make_invoice(workspace)
    response = logged_in_client(reviewer).get(f"{QUEUE}?{query}")
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_names_alike_but_for_their_numbers_keep_their_ends_in_the_document_cell(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    for number in ("004740", "004741"):
        document = make_document(workspace, original_name=f"Invoice_INV-{number}.pdf")
        make_invoice(workspace, document=document)
    body = logged_in_client(reviewer).get(QUEUE).content.decode()
    tails = re.findall(r'<span class="well-ends-tail">([^<]*)</span>', body)
    assert sorted(tails) == ["004740.pdf", "004741.pdf"]
