"""Every bulk action of the Matches list skips the rows it can no longer answer — answered
meanwhile by another tab or another person — and says so, instead of an error page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models.signals import post_save
from django.urls import reverse

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Workspace
from tests.factories import example_double_payment
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

MATCHES = reverse("admin:reconciliation_match_changelist")


@pytest.fixture
def answered_meanwhile() -> Iterator[dict[str, Any]]:
    """Once the bulk action records its first decision, someone else answers the other open
    selected rows (set ``answer["rows"]`` and ``answer["status"]``), as another tab would
    between the list's read and the action's next row."""
    answer: dict[str, Any] = {}

    def other_person(sender: type[Decision], instance: Decision, **kwargs: Any) -> None:
        others = Match.objects.filter(pk__in=answer["rows"], status=MatchStatus.PROPOSED)
        others.exclude(pk=instance.match_id or 0).update(status=answer["status"])

    post_save.connect(other_person, sender=Decision, weak=False)
    try:
        yield answer
    finally:
        post_save.disconnect(other_person, sender=Decision)


def _charges(workspace: Workspace) -> list[Match]:
    return [
        make_double_charge(make_invoice(workspace, number=f"INV-{n}"), hold_reason="double")
        for n in range(2)
    ]


def _told(
    workspace: Workspace, action: str, rows: list[Match], page: str = MATCHES
) -> list[tuple[str, str]]:
    """The messages (level, text) of `action` run by a reviewer on `rows` of the list `page`."""
    response = client_for(workspace).post(
        page, {"action": action, "_selected_action": [r.pk for r in rows]}, follow=True
    )
    assert response.status_code == 200
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("action", "own_answer", "other_answer", "told"),
    [
        (
            "refuse_selected",
            MatchStatus.REFUSED,
            MatchStatus.DISMISSED,
            "Refused 1 double charge; 1 selected row skipped (not an open double charge you "
            "may answer).",
        ),
        (
            "not_duplicate_selected",
            MatchStatus.DISMISSED,
            MatchStatus.REFUSED,
            "1 marked not a duplicate; 1 selected row skipped (not an open double charge or "
            "payment you may answer).",
        ),
    ],
)
def test_a_bulk_answer_skips_rows_answered_meanwhile_and_says_so(
    workspace: Workspace,
    answered_meanwhile: dict[str, Any],
    action: str,
    own_answer: MatchStatus,
    other_answer: MatchStatus,
    told: str,
) -> None:
    charges = _charges(workspace)
    answered_meanwhile.update(rows=[c.pk for c in charges], status=other_answer)
    assert _told(workspace, action, charges) == [("success", told)]
    statuses = Match.objects.filter(pk__in=[c.pk for c in charges]).values_list("status")
    assert sorted(status for (status,) in statuses) == sorted([own_answer, other_answer])
    assert Decision.objects.count() == 1


@pytest.mark.parametrize(
    ("action", "told"),
    [
        (
            "refuse_selected",
            "No double charge refused: the 2 selected rows are not open double charges you "
            "may answer.",
        ),
        (
            "not_duplicate_selected",
            "None marked not a duplicate: the 2 selected rows are not open double charges or "
            "payments you may answer.",
        ),
    ],
)
def test_a_bulk_answer_that_answered_none_warns(
    workspace: Workspace, action: str, told: str
) -> None:
    charges = _charges(workspace)
    Match.objects.filter(pk__in=[c.pk for c in charges]).update(status=MatchStatus.DISMISSED)
    assert _told(workspace, action, charges) == [("warning", told)]
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("action", "told"),
    [
        ("refuse_selected", "Refused 2 double charges."),
        ("not_duplicate_selected", "2 marked not a duplicate."),
    ],
)
def test_a_bulk_answer_on_the_list_of_open_flags_counts_what_was_selected(
    workspace: Workspace, action: str, told: str
) -> None:
    """As the dashboard's links open it: filtered to open rows, which the answered ones leave."""
    charges = _charges(workspace)
    open_flags = f"{MATCHES}?kind__exact=double_charge&status__exact=proposed"
    assert _told(workspace, action, charges, open_flags) == [("success", told)]


def test_not_a_duplicate_in_bulk_answers_double_payments_as_their_button_does(
    workspace: Workspace,
) -> None:
    charge, payment = _charges(workspace)[0], example_double_payment(workspace)
    told = _told(workspace, "not_duplicate_selected", [charge, payment])
    assert told == [("success", "2 marked not a duplicate.")]
    statuses = Match.objects.filter(pk__in=[charge.pk, payment.pk]).values_list("status")
    assert {status for (status,) in statuses} == {MatchStatus.DISMISSED}
    assert Decision.objects.filter(match=payment, action=DecisionAction.NOT_DUPLICATE).exists()
