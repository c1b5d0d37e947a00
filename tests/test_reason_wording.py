"""Reasons read one way wherever they are written or shown: the writers (routing, scoring,
matching) put percentages as the Confidence column does ("85 %", "58.59 %"), and every place
that shows a stored sentence (the Decisions list and page, the Decisions export, the review
screen) shows an older one ("58.59%", "85.00%") so too; a document's kind is named in words,
not by its code; a sync run's page writes its details in words, as its export, moments as the
admin writes them."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from reconciliation.admin.resources import sync_details_text
from reconciliation.invoices import reasons
from reconciliation.invoices.scoring import KIND_LABEL
from reconciliation.invoices.scoring import ScoreComponent
from reconciliation.invoices.scoring import kind_detail
from reconciliation.invoices.scoring import score_invoice
from reconciliation.invoices.scoring import stored_kind_detail
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.scoring import rank
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Role
from reconciliation.models import SyncKind
from reconciliation.models import Workspace
from reconciliation.text.percents import match_reason
from reconciliation.text.percents import percent
from reconciliation.text.percents import whole_percent
from reconciliation.text.percents import with_percents
from reconciliation.vendors.enrichment import EnrichmentResult
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_routed_invoice
from tests.factories import make_sync_run
from tests.factories import make_trained_vendor
from tests.factories import make_transaction
from tests.factories import make_user
from tests.helpers import client_for
from tests.helpers import exported_rows
from tests.helpers import logged_in_client
from tests.helpers import readonly_value
from tests.helpers import review_screen
from tests.helpers import visible_text
from tests.test_controls_reason_codes import SAMPLE
from tests.test_matching_scoring import candidate
from tests.test_scoring_components import extraction
from tests.test_scoring_components import fields
from tests.test_scoring_components import resolution

#: "85.00%", "58.59%", "87%": a percentage written the old way.
OLD_PERCENT = re.compile(r"\d%")
OLD_REASON = "Confidence 58.59% is below the auto-post threshold 85.00% (workspace)."
SHOWN_REASON = "Confidence 58.59 % is below the auto-post threshold 85 % (workspace)."


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Decimal("85.00"), "85 %"),
        (Decimal("58.59"), "58.59 %"),
        (Decimal("83.10"), "83.10 %"),
        (Decimal("100.00"), "100 %"),
        (87, "87 %"),
        (None, "—"),
    ],
)
def test_one_rule_writes_a_percentage(value: Decimal | int | None, written: str) -> None:
    assert percent(value) == written


def test_a_fraction_is_a_whole_percentage() -> None:
    assert (whole_percent(0.963), whole_percent(1.0), whole_percent(0.0)) == (
        "96 %",
        "100 %",
        "0 %",
    )


@pytest.mark.parametrize("code", sorted(reasons.REGISTRY))
def test_every_template_reads_back_with_values_written_the_new_way(code: str) -> None:
    """The templates hold the percentages as values: written "85 %" or "85.00%" (old rows),
    the sentence reads back as its code, and its values read back as written."""
    values = {key: with_percents(value) for key, value in SAMPLE.items()}
    text = reasons.sentence(code, **values).text
    assert reasons.code_of(text) == code
    if code != reasons.OTHER:
        assert reasons.values_of(code, text) is not None


def test_old_and_new_wordings_read_back_as_the_same_code_and_threshold() -> None:
    assert reasons.code_of(OLD_REASON) == reasons.code_of(SHOWN_REASON)
    assert reasons.code_of(SHOWN_REASON) == "below_auto_post_threshold"
    found = reasons.values_of("below_auto_post_threshold", SHOWN_REASON)
    assert found is not None
    assert (found["value"], found["threshold"]) == ("58.59 %", "85 %")


@pytest.mark.django_db
def test_routing_writes_its_percentages_by_the_one_rule(workspace: Workspace) -> None:
    low = make_routed_invoice(workspace, make_trained_vendor(workspace), "58.59")
    high = make_routed_invoice(workspace, make_trained_vendor(workspace, "Beta"), "100.00")

    assert low.routing_reasons == [SHOWN_REASON]
    assert high.routing_reasons == [
        "Confidence 100 % reaches the auto-post threshold 85 % (workspace)."
    ]
    routed = Decision.objects.filter(invoice__in=[low, high], action=DecisionAction.ROUTE)
    assert routed.exists()
    assert not any(OLD_PERCENT.search(decision.reason) for decision in routed)


def test_matching_writes_its_scores_as_percentages() -> None:
    policy = MatchPolicy(threshold=Decimal("80.00"), margin=Decimal("5"))
    sure = rank([candidate(1, "100.00")], policy)
    whole = rank([candidate(1, "100")], policy)
    close = rank([candidate(1, "90.00"), candidate(2, "89.50")], policy)

    # "score 100.00 ≥ threshold 80.00" and "score 100 ≥ threshold 80.00" read alike now.
    assert sure.explanation == whole.explanation == "score 100 % ≥ threshold 80 %"
    assert close.explanation == "best score 90 % is not clearly ahead of the runner-up (89.50 %)"
    # Written so, the display rewrite leaves them as they are.
    assert match_reason(sure.explanation) == sure.explanation
    assert match_reason("score 100.00 ≥ threshold 80.00") == sure.explanation


@pytest.mark.parametrize(
    ("kind", "written"),
    [
        ("credit_note", "credit note (95 %)"),
        ("invoice", "supplier invoice (95 %)"),
    ],
)
def test_the_kind_is_named_in_words(kind: str, written: str) -> None:
    assert kind_detail(kind, 0.95) == written
    # As scoring stored it before: the code, then "95%".
    assert stored_kind_detail(with_percents(f"{kind} (95%)")) == written
    assert stored_kind_detail(written) == written


@pytest.mark.django_db
def test_a_credit_note_s_kind_component_reads_in_words(workspace: Workspace) -> None:
    read = fields()
    score = score_invoice(
        invoice=make_invoice(workspace, confidence=None),
        extraction=extraction(read, kind="credit_note", kind_confidence=0.95),
        resolution=resolution(None, "none", 0.0),
        enrichment=EnrichmentResult(fields=read),
        duplicate_suspected=False,
    )

    [kind] = [c for c in score.components if c.key == "kind"]
    assert (kind.label, kind.detail) == (KIND_LABEL, "credit note (95 %)")
    assert f"{kind.label}: {kind.detail}" == "Document kind: credit note (95 %)"


@pytest.mark.django_db
def test_the_review_screen_s_confidence_table_writes_percent_one_way(workspace: Workspace) -> None:
    """A score stored before: its explanations "87%, read from the text", its kind by code;
    the Input column says "87 %", so does the explanation now."""
    components = [
        ScoreComponent("field:total_amount", "Total", 0.87, 0.97, "87%, read from the text", 2.0),
        ScoreComponent("kind", "Classified as an invoice", 0.95, 0.98, "credit_note (95%)", 1.0),
    ]
    invoice = make_invoice(
        workspace,
        confidence=Decimal("58.59"),
        routing_reasons=[OLD_REASON],
        confidence_components={"components": [c.to_json() for c in components]},
    )
    reviewer = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    body = logged_in_client(reviewer).get(review_screen(invoice.document_id)).content.decode()

    shown = visible_text(body)
    assert "87 %, read from the text" in shown
    assert f"{KIND_LABEL}" in shown
    assert "credit note (95 %)" in shown
    for written in ("87%", "95%", "credit_note", "Classified as an invoice", "58.59%"):
        assert written not in body


@pytest.mark.django_db
def test_decisions_show_a_stored_reason_as_every_page_writes_it(workspace: Workspace) -> None:
    """The Decisions list's Reason column, a decision's page and the Decisions export show a
    reason stored the old way ("58.59%", "85.00%") as "58.59 %", "85 %"."""
    invoice = make_invoice(workspace, number="OLD-1")
    decision = Decision.objects.create(
        workspace=workspace, action=DecisionAction.ROUTE, invoice=invoice, reason=OLD_REASON
    )
    client = logged_in_client(make_user("audrey", workspace=workspace, role=Role.AUDITOR))

    listed = client.get(reverse("admin:reconciliation_decision_changelist")).content.decode()
    page = client.get(reverse("admin:reconciliation_decision_change", args=[decision.pk]))
    [row] = exported_rows(client, "decision")

    assert SHOWN_REASON in visible_text(listed)
    assert "58.59%" not in listed
    assert readonly_value(page.content.decode(), "reason_shown") == SHOWN_REASON
    assert row["Reason"] == SHOWN_REASON
    # The stored sentence is as it was written (reason codes read back from it).
    decision.refresh_from_db()
    assert decision.reason == OLD_REASON


@pytest.mark.django_db
def test_a_decision_s_reason_is_still_searched_as_stored(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, number="OLD-2")
    Decision.objects.create(
        workspace=workspace, action=DecisionAction.ROUTE, invoice=invoice, reason=OLD_REASON
    )
    client = logged_in_client(make_user("audrey", workspace=workspace, role=Role.AUDITOR))

    listed = client.get(reverse("admin:reconciliation_decision_changelist") + "?q=58.59")

    assert SHOWN_REASON in visible_text(listed.content.decode())


DETAILS = {
    "created": 3,
    "pages": 1,
    "synced_until": "2026-12-06T18:29:05.881865+00:00",
    "accounts": ["acc-1", "acc-2"],
}
DETAILS_TEXT = (
    "Transactions new: 3; Pages read: 1; Bank accounts: 2; Synced until: 6 Dec 2026 18:29 UTC"
)


def test_a_sync_run_s_details_write_moments_as_the_admin_does() -> None:
    assert sync_details_text(DETAILS) == DETAILS_TEXT
    # Another offset is written in UTC; a text that only looks like a date stays as it is.
    assert sync_details_text({"synced_until": "2026-12-06T20:29:05+02:00"}) == (
        "Synced until: 6 Dec 2026 18:29 UTC"
    )
    assert sync_details_text({"note": "2026-12-06 and more"}) == "Note: 2026-12-06 and more"


@pytest.mark.django_db
def test_a_sync_run_s_page_shows_its_details_in_words_as_its_export(
    workspace: Workspace,
) -> None:
    run = make_sync_run(workspace, kind=SyncKind.TRANSACTIONS, details=DETAILS)
    client = logged_in_client(make_user("audrey", workspace=workspace, role=Role.AUDITOR))

    page = client.get(reverse("admin:reconciliation_syncrun_change", args=[run.pk]))
    [row] = exported_rows(client, "syncrun")

    content = page.content.decode()
    assert readonly_value(content, "details_shown") == DETAILS_TEXT
    assert row["Details"] == DETAILS_TEXT
    # The recorded JSON only under the collapsed "Raw record".
    before, raw = content.split("Raw record")
    assert "&quot;synced_until&quot;" in raw
    assert "&quot;synced_until&quot;" not in before
    assert re.search(r"<details><summary>\s*<h\d[^>]*>Raw record", content)


def test_a_match_page_shows_its_stored_reasons_with_percents_written_one_way(
    workspace: Workspace,
) -> None:
    match = make_match(
        workspace,
        transaction=make_transaction(workspace),
        reasons=["score 98.57 ≥ threshold 80.00", "name 87% similar"],
    )
    page = client_for(workspace).get(reverse("admin:reconciliation_match_change", args=[match.pk]))
    text = visible_text(page.content.decode())
    assert "score 98.57 % ≥ threshold 80 %" in text
    assert "name 87 % similar" in text


def test_an_invoice_page_and_the_matches_export_write_stored_percentages_one_way(
    workspace: Workspace,
) -> None:
    invoice = make_invoice(
        workspace, routing_reasons=["Confidence 58.59% is below the auto-post threshold 85.00%."]
    )
    client = client_for(workspace, Role.AUDITOR)
    page = client.get(reverse("admin:reconciliation_invoice_change", args=[invoice.pk]))
    assert readonly_value(page.content.decode(), "routing_reasons") == (
        "Confidence 58.59 % is below the auto-post threshold 85 %."
    )
    make_match(workspace, transaction=make_transaction(workspace), reasons=["name 87% similar"])
    [row] = exported_rows(client, "match")
    assert "name 87 % similar" in row["Reasons"]
