"""What the new-user tour read wrong about one document: the Documents list said where it stands
("Needs review") while its own page and the documents export said the file's status ("Parsed");
and its page offered the raw "Is not duplicate" and "Review reason" fields for editing, outside
the recorded ways forward (Not a duplicate, Read again)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reconciliation.admin.standing import STANDING_LABELS
from reconciliation.models import Document
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_user
from tests.factories import one_document_of_each_standing
from tests.helpers import documents_list_rows
from tests.helpers import exported_rows
from tests.helpers import logged_in_client
from tests.helpers import readonly_value
from tests.helpers import section
from tests.test_tour_lists_standing import DOCUMENTS

pytestmark = pytest.mark.django_db


def _page_status(client: Client, document: Document) -> str:
    page = client.get(reverse("admin:reconciliation_document_change", args=[document.pk]))
    return readonly_value(page.content.decode(), "standing")


def test_the_export_and_each_page_say_where_a_document_stands_as_the_list(
    workspace: Workspace,
) -> None:
    one_document_of_each_standing(workspace)
    client = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))
    rows = documents_list_rows(client.get(DOCUMENTS).content.decode())
    listed = {name: status for name, (status, _) in rows.items()}
    exported = {row["Original name"]: row for row in exported_rows(client, "document")}

    assert {name: row["Status"] for name, row in exported.items()} == listed
    assert {name: STANDING_LABELS[row["Status code"]] for name, row in exported.items()} == listed
    assert exported["in-review.pdf"]["Status code"] == "needs_review"
    assert exported["payment-matched.pdf"]["Status code"] == "matched"
    pages = {d.original_name: _page_status(client, d) for d in Document.objects.all()}
    assert pages == listed


def test_the_documents_export_costs_the_same_queries_for_any_mix(workspace: Workspace) -> None:
    client = logged_in_client(make_user(workspace=workspace, role=Role.AUDITOR))
    make_document(workspace)
    with CaptureQueriesContext(connection) as few:
        exported_rows(client, "document")
    one_document_of_each_standing(workspace)
    one_document_of_each_standing(workspace)
    with CaptureQueriesContext(connection) as many:
        rows = exported_rows(client, "document")
    assert len(rows) == Document.objects.count()
    assert len(many) == len(few)


# --- the document page's fields ----------------------------------------------------------------


def _change(document: Document) -> str:
    return reverse("admin:reconciliation_document_change", args=[document.pk])


def test_a_document_s_page_offers_no_raw_field_to_edit(workspace: Workspace) -> None:
    document = make_document(workspace, original_name="Sollecito_110-2026.pdf")
    client = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))
    page = client.get(_change(document)).content.decode()
    form = section(page, 'id="document_form"', "</form>")

    assert re.findall(r'<(?:input|textarea|select)[^>]*name="(?!csrfmiddlewaretoken)', form) == []
    # Irrelevant here (not a duplicate, nothing to review): not shown at all.
    assert "Is not duplicate" not in page
    assert "Review reason" not in page


def test_a_post_to_a_document_s_page_changes_nothing(workspace: Workspace) -> None:
    document = make_document(workspace, original_name="Sollecito_110-2026.pdf")
    client = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))
    client.post(_change(document), {"is_not_duplicate": "on", "review_reason": "typed in"})

    document.refresh_from_db()
    assert (document.is_not_duplicate, document.review_reason) == (False, "")


def test_a_document_s_review_reason_and_not_duplicate_show_read_only_when_set(
    workspace: Workspace,
) -> None:
    document = make_document(
        workspace, review_reason="No debit found within 10 days.", is_not_duplicate=True
    )
    client = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))
    page = client.get(_change(document)).content.decode()

    assert 'name="review_reason"' not in page
    assert 'name="is_not_duplicate"' not in page
    assert "No debit found within 10 days." in page
    assert re.search(r"field-is_not_duplicate.*?<div class=\"readonly\">Yes</div>", page, re.S)
