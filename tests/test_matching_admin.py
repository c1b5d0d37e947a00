"""The match pages: double charges first, one-click decisions scoped to the reviewer's
workspaces, candidates on the change page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_double_charge
from tests.factories import make_double_payment
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_paid_refused
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_workspace
from tests.helpers import logged_in_client
from tests.test_matching_confirmations import payment_document

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reconciliation_match_changelist")


def login(workspace: Workspace, role: Role = Role.REVIEWER) -> tuple[Client, int]:
    """A client signed in as a new member of ``workspace`` with ``role``, and that user's id."""
    user = make_user(workspace=workspace, role=role)
    return logged_in_client(user), user.pk


def double_charge(workspace: Workspace) -> Match:
    settled = make_invoice(workspace, number="INV-1", status=InvoiceStatus.POSTED)
    repeat = make_invoice(workspace, number="INV-1")
    return make_double_charge(
        repeat, settled, hold_reason="Possible double charge of invoice INV-1"
    )


def proposals(workspace: Workspace) -> list[Match]:
    bank = Connection.objects.filter(workspace=workspace, provider=Provider.QONTO).first()
    bank = bank or make_connection(workspace, Provider.QONTO, watched_folder="")
    document = payment_document(workspace, amount="480.00", execution_date="2026-11-10")
    return [
        make_match(
            workspace,
            document=document,
            transaction=make_transaction(workspace, bank, value_date=date(2026, 11, 10 + n)),
            rank=n + 1,
            score=Decimal(88 - n),
            reasons=["amount 480.00 EUR equal"],
        )
        for n in range(2)
    ]


def decide(client: Client, match: Match, action: str) -> int:
    response = client.post(
        reverse(f"admin:reconciliation_match_{action}", args=[match.pk]),
        HTTP_REFERER="http://testserver" + CHANGELIST,
    )
    return response.status_code


def test_double_charges_are_listed_first(workspace: Workspace) -> None:
    candidates = proposals(workspace)
    flagged = double_charge(workspace)
    client, _ = login(workspace)

    listed = list(client.get(CHANGELIST).context["cl"].result_list)

    assert [m.pk for m in listed] == [flagged.pk, candidates[0].pk, candidates[1].pk]


def test_one_click_refuse_records_who_and_when(workspace: Workspace) -> None:
    flagged = double_charge(workspace)
    client, user_id = login(workspace)
    body = client.get(CHANGELIST).content.decode()
    refuse_url = reverse("admin:reconciliation_match_refuse", args=[flagged.pk])

    status = decide(client, flagged, "refuse")

    flagged.refresh_from_db()
    assert f'formaction="{refuse_url}">Refuse</button>' in body
    assert (status, flagged.status, flagged.decided_by_id) == (302, MatchStatus.REFUSED, user_id)
    assert Invoice.objects.get(pk=flagged.invoice_id or 0).status == InvoiceStatus.REFUSED
    assert Decision.objects.get(action=DecisionAction.REFUSE).actor_id == user_id


def test_not_a_duplicate_releases_the_hold(workspace: Workspace) -> None:
    flagged = double_charge(workspace)
    client, user_id = login(workspace)

    decide(client, flagged, "not_duplicate")

    flagged.refresh_from_db()
    assert (flagged.status, flagged.decided_by_id) == (MatchStatus.DISMISSED, user_id)
    assert Invoice.objects.get(pk=flagged.invoice_id or 0).is_held is False


def test_pick_and_none_of_these(workspace: Workspace) -> None:
    first, second = proposals(workspace)
    client, user_id = login(workspace)

    decide(client, second, "pick")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.decided_by_id) == (
        MatchStatus.REJECTED,
        MatchStatus.CONFIRMED,
        user_id,
    )
    others = proposals(workspace)
    decide(client, others[0], "none")
    assert {m.status for m in Match.objects.filter(pk__in=[o.pk for o in others])} == {
        MatchStatus.REJECTED
    }


def test_change_page_lists_the_other_candidates_with_buttons(workspace: Workspace) -> None:
    first, second = proposals(workspace)
    client, _ = login(workspace)

    body = client.get(
        reverse("admin:reconciliation_match_change", args=[first.pk])
    ).content.decode()

    assert reverse("admin:reconciliation_match_pick", args=[second.pk]) in body
    assert "<td>2</td><td>Proposed — needs review</td><td>87 %</td>" in body


def test_auditors_see_but_cannot_decide(workspace: Workspace) -> None:
    flagged = double_charge(workspace)
    client, _ = login(workspace, Role.AUDITOR)

    assert client.get(CHANGELIST).status_code == 200
    assert decide(client, flagged, "refuse") == 403
    flagged.refresh_from_db()
    assert flagged.status == MatchStatus.PROPOSED


def test_another_workspaces_match_is_not_found(workspace: Workspace) -> None:
    flagged = double_charge(make_workspace("Other SAS"))
    client, _ = login(workspace)

    assert decide(client, flagged, "refuse") == 404
    flagged.refresh_from_db()
    assert flagged.status == MatchStatus.PROPOSED


def test_decisions_only_accept_post(workspace: Workspace) -> None:
    flagged = double_charge(workspace)
    client, _ = login(workspace)

    response = client.get(reverse("admin:reconciliation_match_refuse", args=[flagged.pk]))

    assert response.status_code == 405


def test_a_decided_match_cannot_be_decided_again(workspace: Workspace) -> None:
    flagged = double_charge(workspace)
    client, _ = login(workspace)
    decide(client, flagged, "refuse")

    response = client.post(
        reverse("admin:reconciliation_match_not_duplicate", args=[flagged.pk]), follow=True
    )

    flagged.refresh_from_db()
    assert flagged.status == MatchStatus.REFUSED
    assert [str(m) for m in response.context["messages"]][-1] == (
        f"{flagged} cannot be decided that way any more."
    )


def test_blocked_upload_can_be_retried(workspace: Workspace) -> None:
    first, _ = proposals(workspace)
    Match.objects.filter(pk=first.pk).update(
        status=MatchStatus.CONFIRMED, is_attach_blocked=True, attach_error="file_too_big"
    )
    client, _ = login(workspace)

    decide(client, first, "retry_attach")

    first.refresh_from_db()
    assert (first.is_attach_blocked, first.status) == (False, MatchStatus.CONFIRMED)
    assert list(Match.objects.to_attach()) == [first]


def double_payment(workspace: Workspace) -> Match:
    return make_double_payment(
        workspace,
        "INV-9",
        days=(date(2026, 11, 4), date(2026, 11, 18)),
        references=("INV-9", "INV 9"),
        reasons=["a second debit of 119.00 EUR"],
    )


def test_a_double_payment_is_listed_first_with_both_debits_and_the_invoice(
    workspace: Workspace,
) -> None:
    candidates = proposals(workspace)
    flagged = double_payment(workspace)
    client, _ = login(workspace)

    listed = [m.pk for m in client.get(CHANGELIST).context["cl"].result_list]
    page = client.get(reverse("admin:reconciliation_match_change", args=[flagged.pk]))

    assert listed[:3] == [flagged.pk, candidates[0].pk, candidates[1].pk]
    body = page.content.decode()
    assert "<th>First debit (paid it)</th><td>Acme Supplies GmbH · INV-9</td>" in body
    assert "<th>Second debit</th><td>Acme Supplies GmbH · INV 9</td>" in body
    assert ">Refund requested</button>" in body
    assert ">Not a duplicate</button>" in body


@pytest.mark.parametrize(
    ("action", "status", "decision"),
    [
        pytest.param("refund", MatchStatus.REFUSED, DecisionAction.REFUND_REQUESTED, id="refund"),
        pytest.param(
            "not_duplicate", MatchStatus.DISMISSED, DecisionAction.NOT_DUPLICATE, id="dismiss"
        ),
    ],
)
def test_one_click_answers_to_a_double_payment(
    workspace: Workspace, action: str, status: str, decision: str
) -> None:
    flagged = double_payment(workspace)
    client, user_id = login(workspace)

    code = decide(client, flagged, action)

    flagged.refresh_from_db()
    assert (code, flagged.status, flagged.decided_by_id) == (302, status, user_id)
    assert Decision.objects.get(match=flagged).action == decision


def test_a_refund_request_reads_as_such_in_the_decisions_list(workspace: Workspace) -> None:
    flagged = double_payment(workspace)
    client, _ = login(workspace, Role.ADMIN)
    decide(client, flagged, "refund")

    page = client.get(reverse("admin:reconciliation_decision_changelist")).content.decode()
    actions = re.findall(r'<td class="field-action[^"]*">(.*?)</td>', page)

    assert actions == ["Refund requested"]
    assert "action__exact=refund_requested" in page  # the list's filter offers it on its own


def _labels(page: str) -> list[str]:
    """The labels of the fields a change page shows."""
    return re.findall(r"<label[^>]*>([^<]*):</label>", page)


def test_a_double_payment_page_reads_as_the_flag_it_is(workspace: Workspace) -> None:
    flagged = double_payment(workspace)
    client, _ = login(workspace)

    page = client.get(reverse("admin:reconciliation_match_change", args=[flagged.pk]))
    body = page.content.decode()

    assert re.findall(r"<h1>(.*?)</h1>", body) == ["Possible double payment"]
    assert re.findall(r"<h2>(.*?)</h2>", body)[0] == "Invoice INV-9 paid twice"
    assert "Change match" not in body
    # Nothing on it is edited: no save buttons, the one-click answers stay.
    assert ('name="_save"' in body, 'name="_continue"' in body) == (False, False)
    assert ">Refund requested</button>" in body
    assert _labels(body) == [
        "Status",
        "Invoice",
        "The invoice and its debits",
        "Score",
        "Reasons",
        "Decided by",
        "Decided at",
        "Decide",
    ]
    # Dates and percentages as everywhere else on the admin.
    assert "<td>4 Nov 2026</td>" in body
    assert "<td>18 Nov 2026</td>" in body
    assert "2026-11-" not in body
    assert "100 %" in body
    assert "100.00 %" not in body


def test_a_refused_invoice_paid_anyway_page_reads_as_the_flag_it_is(
    workspace: Workspace,
) -> None:
    flagged = make_paid_refused(workspace, "INV-7", day=date(2026, 11, 9))
    client, _ = login(workspace)

    body = client.get(reverse("admin:reconciliation_match_change", args=[flagged.pk]))
    body = body.content.decode()

    assert re.findall(r"<h1>(.*?)</h1>", body) == ["Refused, but paid"]
    assert 'name="_save"' not in body
    assert ">Reopen the invoice</button>" in body
    assert "<th>Debit</th><td>Acme Supplies GmbH · INV-7</td>" in body
    assert "<td>9 Nov 2026</td>" in body
    assert "Attach" not in "".join(_labels(body))


def test_a_flag_page_cannot_be_saved(workspace: Workspace) -> None:
    flagged = double_payment(workspace)
    client, _ = login(workspace)

    response = client.post(reverse("admin:reconciliation_match_change", args=[flagged.pk]), {})

    assert response.status_code == 403


def test_a_candidate_page_is_unchanged(workspace: Workspace) -> None:
    first, _ = proposals(workspace)
    client, _ = login(workspace)

    body = client.get(reverse("admin:reconciliation_match_change", args=[first.pk]))
    body = body.content.decode()

    assert "Other candidates" in _labels(body)
    assert "The invoice and its debits" not in _labels(body)
    assert ">Pick this one</button>" in body


def test_a_refund_request_reads_as_such_in_the_invoice_s_decisions(workspace: Workspace) -> None:
    flagged = double_payment(workspace)
    client, _ = login(workspace)
    decide(client, flagged, "refund")

    page = logged_in_client(make_user(superuser=True)).get(
        reverse("admin:reconciliation_invoice_change", args=[flagged.invoice_id])
    )

    rows = re.findall(r">(Status: [^<]*)<", page.content.decode())
    assert rows == ["Status: Proposed — needs review → Refund requested"]
