"""What the new-user tour still read wrong on the lists: the sync-run and routing-rule exports'
raw codes and "55.00" thresholds, no bulk "Refund requested" on the Matches list, a supplier's
credit-note refund listed as "Credit ↔ receivable", and a Documents status filter offering the
file's raw statuses where the Status column says where each document stands."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from reconciliation.admin.standing import STANDING_LABELS
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Membership
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import Side
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from reconciliation.models.audit import SyncTrigger
from tests.factories import make_double_charge
from tests.factories import make_double_payment
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_receivable
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_workspace
from tests.factories import one_document_of_each_standing
from tests.helpers import client_for
from tests.helpers import column_cells
from tests.helpers import column_headers
from tests.helpers import documents_list_rows
from tests.helpers import exported_rows
from tests.helpers import logged_in_client
from tests.helpers import page_queries
from tests.helpers import sort_link

pytestmark = pytest.mark.django_db

MATCHES = reverse("admin:reconciliation_match_changelist")
DOCUMENTS = reverse("admin:reconciliation_document_changelist")
DAYS = (date(2026, 11, 2), date(2026, 11, 9))


def _export(client: Client, model: str) -> tuple[list[str], list[str], list[dict[str, str]]]:
    """The export form's column labels, the CSV's headers and its rows (every column)."""
    form = client.get(f"/admin/reconciliation/{model}/export/").content.decode()
    labels = re.findall(r'<label for="id_\w+resource_[^"]+">([^<]+)</label>', form)
    rows = exported_rows(client, model)
    return [label.strip() for label in labels], list(rows[0]) if rows else [], rows


def _filter_choices(page: str, title: str) -> list[tuple[str, str]]:
    """(query string, label) of each choice of the list filter titled `title`."""
    block = re.search(rf"<summary>\s*By {title}\s*</summary>(.*?)</details>", page, re.S)
    assert block is not None, title
    return [
        (query.replace("&amp;", "&"), label.strip())
        for query, label in re.findall(r'<a href="([^"]*)">([^<]*)</a>', block.group(1))
    ]


# --- 1. exports of sync runs and routing rules ----------------------------------------------


def test_the_sync_runs_export_writes_kind_trigger_and_status_as_people_read_them(
    workspace: Workspace,
) -> None:
    SyncRun.objects.create(
        workspace=workspace,
        kind=SyncKind.MATCHING,
        trigger="window",
        status=SyncStatus.PARTIAL,
    )
    labels, headers, [row] = _export(client_for(workspace, Role.AUDITOR), "syncrun")

    assert labels == headers
    assert [row[h] for h in ("Kind", "Trigger", "Status")] == [
        str(SyncKind.MATCHING.label),
        "Window closing",
        "Partly failed",
    ]
    assert [row[h] for h in ("Kind code", "Trigger code", "Status code")] == [
        "matching",
        "window",
        "partial",
    ]
    # Each code sits just after its label, as in the other exports.
    for column in ("Kind", "Trigger", "Status"):
        assert headers[headers.index(column) + 1] == f"{column} code"


def test_every_trigger_a_sync_run_is_started_with_has_a_label() -> None:
    assert {str(trigger) for trigger in SyncTrigger.values} == {"schedule", "manual", "window"}
    assert all(label and label != value for value, label in SyncTrigger.choices)


def test_the_routing_rules_export_writes_thresholds_in_percent_under_the_fields_names(
    workspace: Workspace,
) -> None:
    RoutingRule.objects.create(
        workspace=workspace,
        name="Large invoices",
        document_kind=DocumentKind.INVOICE,
        review_threshold=Decimal("55.00"),
        auto_post_threshold=Decimal("92.50"),
    )
    labels, headers, [row] = _export(client_for(workspace, Role.AUDITOR), "routingrule")

    assert labels == headers
    assert (row["Review threshold"], row["Auto-post threshold"]) == ("55 %", "92.50 %")
    assert "Auto post threshold" not in headers
    assert (row["Document kind"], row["Document kind code"]) == (
        str(DocumentKind.INVOICE.label),
        "invoice",
    )


def test_the_workspace_settings_read_as_people_read_them(workspace: Workspace) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(match_threshold=Decimal("82.50"))
    page = client_for(workspace, Role.ADMIN).get(
        reverse("admin:reconciliation_workspace_changelist")
    )
    body = page.content.decode()
    assert column_headers(body)[-4:] == [
        "Review threshold",
        "Auto-post threshold",
        "Match threshold",
        "Poll interval (minutes)",
    ]
    assert [
        column_cells(body, column)
        for column in ("review_percent", "auto_post_percent", "match_percent")
    ] == [["55 %"], ["85 %"], ["82.50 %"]]


def test_the_routing_rules_list_shows_thresholds_in_percent(workspace: Workspace) -> None:
    RoutingRule.objects.create(
        workspace=workspace,
        name="Large invoices",
        review_threshold=Decimal("72.50"),
        auto_post_threshold=Decimal("90"),
    )
    body = (
        client_for(workspace, Role.ADMIN)
        .get(reverse("admin:reconciliation_routingrule_changelist"))
        .content.decode()
    )
    assert [column_cells(body, column) for column in ("review_percent", "auto_post_percent")] == [
        ["72.50 %"],
        ["90 %"],
    ]
    assert column_headers(body)[-3:] == ["Review threshold", "Auto-post threshold", "Always review"]


# --- 2. bulk "Refund requested" on the Matches list ------------------------------------------


def test_refund_requested_in_bulk_answers_only_open_double_payments_of_the_users_workspaces(
    workspace: Workspace,
) -> None:
    reviewer = make_user(workspace=workspace, role=Role.REVIEWER)
    audited = make_workspace("Audited SAS")
    Membership.objects.create(workspace=audited, user=reviewer, role=Role.AUDITOR)
    open_flags = [
        make_double_payment(workspace, "INV-1", days=DAYS, reasons=["Same amount again"]),
        make_double_payment(workspace, "INV-2", days=DAYS),
    ]
    answered = make_double_payment(workspace, "INV-3", days=DAYS)
    Match.objects.filter(pk=answered.pk).update(status=MatchStatus.DISMISSED)
    charge = make_double_charge(make_invoice(workspace, number="INV-4"), hold_reason="double")
    only_seen = make_double_payment(audited, "INV-5", days=DAYS)
    selected = [*open_flags, answered, charge, only_seen]

    response = logged_in_client(reviewer).post(
        MATCHES,
        {"action": "refund_selected", "_selected_action": [m.pk for m in selected]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Refund requested for 2 possible double payments; 3 selected rows skipped (not open "
        "double payments you may answer)."
    ]
    rows = Match.objects.filter(pk__in=[m.pk for m in selected])
    statuses = dict(rows.values_list("pk", "status"))
    assert statuses == {
        open_flags[0].pk: MatchStatus.REFUSED,
        open_flags[1].pk: MatchStatus.REFUSED,
        answered.pk: MatchStatus.DISMISSED,
        charge.pk: MatchStatus.PROPOSED,
        only_seen.pk: MatchStatus.PROPOSED,
    }
    decisions = Decision.objects.filter(action=DecisionAction.REFUND_REQUESTED)
    assert sorted(decisions.values_list("match_id", "actor_id")) == sorted(
        (flag.pk, reviewer.pk) for flag in open_flags
    )
    first = decisions.get(match=open_flags[0])
    assert first.reason == "Refund requested: Same amount again"  # as the one-click button


def test_refund_requested_in_bulk_says_so_when_nothing_could_be_answered(
    workspace: Workspace,
) -> None:
    charge = make_double_charge(make_invoice(workspace, number="INV-9"), hold_reason="double")
    response = client_for(workspace).post(
        MATCHES, {"action": "refund_selected", "_selected_action": [charge.pk]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "No refund requested: the selected row is not an open possible double payment you may "
        "answer."
    ]
    assert not Decision.objects.filter(action=DecisionAction.REFUND_REQUESTED).exists()


def test_the_refund_action_is_offered_to_reviewers_not_auditors(workspace: Workspace) -> None:
    make_double_payment(workspace, "INV-1", days=DAYS)
    url = f"{MATCHES}?kind__exact=double_payment"
    offered = client_for(workspace).get(url).content.decode()
    assert '<option value="refund_selected">Refund requested for the selected' in offered
    audited = client_for(workspace, Role.AUDITOR).get(url).content.decode()
    assert "refund_selected" not in audited


# --- 3. a credit-note refund reads as one ------------------------------------------------------


def _credit_note_refund(workspace: Workspace) -> Match:
    note = make_invoice(
        workspace, number="AV-2026-12", is_credit_note=True, total_amount=Decimal("-80.00")
    )
    credit = make_transaction(workspace, side=Side.CREDIT, amount=Decimal("80.00"))
    return make_match(
        workspace,
        kind=MatchKind.CREDIT_RECEIVABLE,
        status=MatchStatus.CONFIRMED,
        transaction=credit,
        invoice=note,
    )


def _receivable_payment(workspace: Workspace) -> Match:
    credit = make_transaction(workspace, side=Side.CREDIT)
    return make_match(
        workspace,
        kind=MatchKind.CREDIT_RECEIVABLE,
        transaction=credit,
        receivable=make_receivable(workspace),
    )


def test_a_credit_note_refund_reads_as_one_on_the_list_its_filter_its_page_and_the_export(
    workspace: Workspace,
) -> None:
    refund = _credit_note_refund(workspace)
    payment = _receivable_payment(workspace)
    client = client_for(workspace)

    page = client.get(MATCHES).content.decode()
    assert sorted(column_cells(page, "match_kind")) == ["Credit ↔ receivable", "Credit-note refund"]
    choices = dict((label, query) for query, label in _filter_choices(page, "kind"))
    assert list(choices)[: len(MatchKind.choices) + 2] == [
        "All",
        *[str(label) for _, label in MatchKind.choices[:3]],
        "Credit-note refund",
        *[str(label) for _, label in MatchKind.choices[3:]],
    ]
    for label, match in (("Credit-note refund", refund), ("Credit ↔ receivable", payment)):
        filtered = client.get(MATCHES + choices[label]).content.decode()
        assert column_cells(filtered, "match_kind") == [label]
        change = reverse("admin:reconciliation_match_change", args=[match.pk])
        assert change in filtered

    shown = client.get(reverse("admin:reconciliation_match_change", args=[refund.pk]))
    assert re.search(
        r'<div class="readonly">\s*Credit-note refund\s*</div>', shown.content.decode()
    )

    _, _, rows = _export(client, "match")
    kinds = sorted((row["Kind"], row["Kind code"]) for row in rows)
    assert kinds == [
        ("Credit ↔ receivable", "credit_receivable"),
        ("Credit-note refund", "credit_receivable"),
    ]
    assert str(refund).startswith("Credit-note refund (")


def test_the_kind_filter_keeps_its_address_and_refuses_a_kind_it_does_not_know(
    workspace: Workspace,
) -> None:
    flag = make_double_payment(workspace, "INV-1", days=DAYS)
    client = client_for(workspace)
    page = client.get(f"{MATCHES}?kind__exact=double_payment&status__exact=proposed")
    assert reverse("admin:reconciliation_match_change", args=[flag.pk]) in page.content.decode()
    unknown = client.get(f"{MATCHES}?kind__exact=nonsense")
    assert (unknown.status_code, unknown["Location"][-4:]) == (302, "?e=1")


# --- 4. the Documents status filter offers where documents stand ------------------------------


def test_the_documents_status_filter_offers_the_status_column_s_words(
    workspace: Workspace,
) -> None:
    page = client_for(workspace).get(DOCUMENTS).content.decode()
    offered = [label for _, label in _filter_choices(page, "status")]
    assert offered == ["All", *STANDING_LABELS.values()]
    assert not {"Parsing", "Parsed", "Failed"} & set(offered)


def test_choosing_a_status_lists_exactly_the_rows_whose_status_reads_it(
    workspace: Workspace,
) -> None:
    one_document_of_each_standing(workspace)
    client = client_for(workspace)
    everything = documents_list_rows(client.get(DOCUMENTS).content.decode())
    queries = dict(
        (label, query)
        for query, label in _filter_choices(client.get(DOCUMENTS).content.decode(), "status")
    )
    seen = set()
    for label in STANDING_LABELS.values():
        listed = documents_list_rows(client.get(DOCUMENTS + queries[label]).content.decode())
        expected = {name for name, (status, _) in everything.items() if status == label}
        assert set(listed) == expected, label
        assert {status for status, _ in listed.values()} <= {label}
        seen |= expected
    assert seen == set(everything)  # every row is under one of the choices


def test_the_status_filter_works_sorted_by_status_and_refuses_an_unknown_status(
    workspace: Workspace,
) -> None:
    one_document_of_each_standing(workspace)
    client = client_for(workspace)
    page = client.get(DOCUMENTS).content.decode()
    sorted_and_filtered = client.get(
        f"{DOCUMENTS}{sort_link(page, 'standing')}&standing=needs_review"
    )
    listed = documents_list_rows(sorted_and_filtered.content.decode())
    assert set(listed) == {"in-review.pdf", "payment-no-debit.pdf"}
    unknown = client.get(f"{DOCUMENTS}?standing=parsing")
    assert (unknown.status_code, unknown["Location"][-4:]) == (302, "?e=1")


def test_the_status_filter_costs_the_same_queries_for_any_mix(workspace: Workspace) -> None:
    client = client_for(workspace)
    url = f"{DOCUMENTS}?standing=matched"
    one_document_of_each_standing(workspace)
    few = page_queries(client, url)
    for _ in range(3):
        one_document_of_each_standing(workspace)
    assert Document.objects.count() > 40
    assert page_queries(client, url) == few
    # Names repeat (every standing four times): the rows are counted by their Status cells.
    page = client.get(url).content.decode()
    assert column_cells(page, "standing") == ["Matched to its bank line"] * 4


def test_an_auditor_reads_the_same_filter(workspace: Workspace, reviewer: AbstractUser) -> None:
    one_document_of_each_standing(workspace)
    page = client_for(workspace, Role.AUDITOR).get(f"{DOCUMENTS}?standing=unreadable")
    assert list(documents_list_rows(page.content.decode())) == ["unreadable.pdf"]


@pytest.mark.parametrize("column", ["standing", "age"])
def test_the_documents_list_sorts_by_status_or_waiting_alone_either_way(
    workspace: Workspace, column: str
) -> None:
    """Sorted by that column only ("?o=3", as after removing the other sort), not only together
    with the list's default one: the column numbers count the action checkbox first."""
    one_document_of_each_standing(workspace)
    client = client_for(workspace)
    number = re.match(r"\?o=-?(\d+)", sort_link(client.get(DOCUMENTS).content.decode(), column))
    assert number is not None
    for query in (
        f"o={number[1]}",
        f"o=-{number[1]}",
        f"o={number[1]}&standing=needs_review",
        "o=99",  # past the last column: Django leaves it out
    ):
        response = client.get(f"{DOCUMENTS}?{query}")
        assert response.status_code == 200, query
        assert documents_list_rows(response.content.decode()), query
