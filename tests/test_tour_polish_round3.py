"""Round three of the new-user tour: a list opened with a filter it does not know says so, the
Documents list sorted by Status reads needs-a-person first and finished last, a match's page
reads as the other pages do (its rate, who decided, no Save buttons, its score "100 %"), a
routing rule's decision names its fields as the rule's page does with Yes / No, and a review
note names the vendor record without its internal id."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reconciliation.admin.decision_display import WELL_ALONE
from reconciliation.admin.decision_display import stated_changes
from reconciliation.admin.standing import FINISHED_STANDINGS
from reconciliation.admin.standing import STANDING_LABELS
from reconciliation.admin.standing import STANDING_ORDER
from reconciliation.admin.unknown_filters import UNKNOWN_FILTER_WARNING
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.vendors.enrichment import enrich_fields
from tests.factories import make_document
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import one_document_of_each_standing
from tests.helpers import client_for
from tests.helpers import column_cells
from tests.helpers import logged_in_client
from tests.helpers import page_queries
from tests.helpers import readonly_value
from tests.helpers import sort_link
from tests.helpers import visible_text
from tests.test_enrichment_fields import known_vendor

pytestmark = pytest.mark.django_db

DOCUMENTS = reverse("admin:reconciliation_document_changelist")
MATCHES = reverse("admin:reconciliation_match_changelist")


def _warnings(page: str) -> int:
    return visible_text(page).count(UNKNOWN_FILTER_WARNING)


# --- 1. a filter the list does not know: the list says so ------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        f"{MATCHES}?kind__exact=bogus",
        # An old bookmark of the Documents list's former Status filter.
        f"{DOCUMENTS}?status__exact=needs_review",
        f"{DOCUMENTS}?standing=bogus",
        # An export asked with an unknown filter is sent back to its list.
        f"{MATCHES}export/?kind__exact=bogus",
        f"{DOCUMENTS}export/?standing=bogus",
        reverse("admin:reconciliation_invoice_changelist") + "?nonsense=1",
    ],
)
def test_a_list_opened_with_a_filter_it_does_not_know_says_so_once(
    workspace: Workspace, address: str
) -> None:
    client = client_for(workspace, Role.REVIEWER)
    response = client.get(address, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("?e=1")
    assert _warnings(response.content.decode()) == 1
    # Said on that page only: the list opened again is quiet.
    assert _warnings(client.get(MATCHES).content.decode()) == 0


def test_a_list_with_known_filters_says_nothing(workspace: Workspace) -> None:
    client = client_for(workspace, Role.REVIEWER)
    for address in (
        MATCHES,
        f"{DOCUMENTS}?standing=unreadable",
        f"{MATCHES}?status__exact=proposed",
    ):
        page = client.get(address)
        assert (page.status_code, _warnings(page.content.decode())) == (200, 0), address


# --- 2. the Documents list sorted by Status ----------------------------------------------------


def test_the_status_order_names_every_standing_once_finished_last() -> None:
    assert sorted(STANDING_ORDER) == sorted(STANDING_LABELS)
    finished = [code for code in STANDING_ORDER if code in FINISHED_STANDINGS]
    assert list(STANDING_ORDER[-len(finished) :]) == finished
    assert STANDING_ORDER[0] == "needs_review"


#: `one_document_of_each_standing` sorted by Status: what needs a person first, finished last.
BY_STATUS = [
    "Needs review",
    "Needs review",
    "Bank match to confirm",
    "Unreadable",
    "Being read",
    "Approved — waiting for the posting window",
    "Waiting for its debit",
    "Posted to Qonto",
    "Matched to its bank line",
    "Refused",
    "Duplicate",
    "Ignored",
    "Read — nothing to do",
]


def test_sorting_by_status_puts_what_needs_a_person_first_and_the_finished_last(
    workspace: Workspace,
) -> None:
    one_document_of_each_standing(workspace)
    client = client_for(workspace, Role.REVIEWER)
    by_status = sort_link(client.get(DOCUMENTS).content.decode(), "standing")
    page = client.get(DOCUMENTS + by_status).content.decode()
    assert column_cells(page, "standing") == BY_STATUS
    reverse_order = by_status.replace("?o=", "?o=-", 1)
    page = client.get(DOCUMENTS + reverse_order).content.decode()
    assert column_cells(page, "standing") == BY_STATUS[::-1]


def test_sorting_by_status_costs_the_same_queries_for_any_mix(workspace: Workspace) -> None:
    client = client_for(workspace, Role.REVIEWER)
    make_document(workspace)
    by_status = DOCUMENTS + sort_link(client.get(DOCUMENTS).content.decode(), "standing")
    few = page_queries(client, by_status)
    for _ in range(2):
        one_document_of_each_standing(workspace)
    assert page_queries(client, by_status) == few
    assert page_queries(client, f"{by_status}&standing=needs_review") == few


# --- 3. a match's page -------------------------------------------------------------------------


def _match(workspace: Workspace, **fields: object) -> Match:
    document = make_document(workspace, original_name="confirmation.pdf")
    return make_match(
        workspace, document=document, transaction=make_transaction(workspace), **fields
    )


def _page(client: Client, match: Match) -> str:
    url = reverse("admin:reconciliation_match_change", args=[match.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("stored", "shown"), [("1.0850000000", "1.085"), ("0.9333586957", "0.9333586957")]
)
def test_a_match_s_rate_reads_without_trailing_zeros(
    workspace: Workspace, stored: str, shown: str
) -> None:
    match = _match(workspace, fx_rate=Decimal(stored))
    page = _page(client_for(workspace, Role.REVIEWER), match)
    assert readonly_value(page, "fx_rate") == shown


def test_a_match_says_who_decided_it_well_when_it_decided_alone(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    client = client_for(workspace, Role.REVIEWER)
    now = timezone.now()
    alone = _match(workspace, status=MatchStatus.CONFIRMED, decided_at=now)
    by_rita = _match(workspace, status=MatchStatus.CONFIRMED, decided_at=now, decided_by=reviewer)
    open_one = _match(workspace)
    assert readonly_value(_page(client, alone), "decider") == WELL_ALONE
    assert readonly_value(_page(client, by_rita), "decider") == "rita"
    assert readonly_value(_page(client, open_one), "decider") == "—"
    labels = re.findall(r"<label[^>]*>(.*?):</label>", _page(client, alone))
    assert labels.count("Decided by") == 1


def test_a_match_s_page_has_no_save_buttons_and_turns_a_post_away(workspace: Workspace) -> None:
    match = _match(workspace, score=Decimal("60.00"))
    client = client_for(workspace, Role.REVIEWER)
    page = _page(client, match)
    assert ('name="_save"' in page, 'name="_continue"' in page) == (False, False)
    # Its one-click answers stay, posting to their own addresses.
    assert ">Pick this one</button>" in page
    url = reverse("admin:reconciliation_match_change", args=[match.pk])
    response = client.post(url, {"status": MatchStatus.REJECTED, "rank": "9"})
    assert (response.status_code, response["Location"]) == (302, url)
    match.refresh_from_db()
    assert (match.status, match.rank) == (MatchStatus.PROPOSED, 1)


def test_a_match_is_named_with_its_score_as_the_lists_say_it(workspace: Workspace) -> None:
    match = _match(workspace, score=Decimal("100.00"), status=MatchStatus.CONFIRMED)
    assert str(match) == "Confirmation ↔ debit (Confirmed, 100 %)"
    decision = Decision.record(
        workspace=workspace,
        action=DecisionAction.PICK_MATCH,
        actor=None,
        match=match,
        after={"status": MatchStatus.CONFIRMED},
    )
    client = logged_in_client(make_user(superuser=True))
    page = client.get(reverse("admin:reconciliation_decision_change", args=[decision.pk]))
    match_row = readonly_value(page.content.decode(), "match")
    assert "(Confirmed, 100 %)" in match_row
    assert "100.00" not in match_row


# --- 4. a routing rule's decision ---------------------------------------------------------------


def test_a_routing_rule_decision_names_its_fields_as_the_rule_s_page_with_yes_and_no(
    workspace: Workspace,
) -> None:
    decision = Decision.record(
        workspace=workspace,
        action=DecisionAction.RULE,
        actor=None,
        before={"id": 3, "is_active": False, "always_review": True, "name": "Large"},
        after={"id": 3, "is_active": True, "always_review": False, "name": "Large"},
    )
    rows = [(c.label, c.before, c.after) for c in stated_changes(decision)]
    assert rows == [("Always review", "Yes", "No"), ("Active", "No", "Yes")]


# --- 5. a review note names the vendor record without its id ------------------------------------


def test_a_field_filled_from_the_vendor_names_the_record_without_its_id(
    workspace: Workspace,
) -> None:
    vendor = known_vendor(workspace, name="Hotel Spreeblick GmbH")
    result = enrich_fields(vendor=vendor, fields={})
    origin = result.origins["supplier_vat_id"]
    assert origin == "Filled from the vendor record “Hotel Spreeblick GmbH”."
    assert f"#{vendor.pk}" not in " ".join(result.origins.values())
