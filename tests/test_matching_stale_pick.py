from __future__ import annotations

import pytest

from reconciliation.matching import MatchConflictError
from reconciliation.matching import pick_candidate
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Workspace
from tests.test_matching_admin import proposals

pytestmark = pytest.mark.django_db


def test_a_stale_pick_of_a_rejected_candidate_is_refused(workspace: Workspace) -> None:
    first, second = proposals(workspace)  # one confirmation, two candidate debits
    stale_second = Match.objects.get(pk=second.pk)  # read by a second tab / reviewer: proposed
    pick_candidate(match=first, user=None)  # rejects `second`
    with pytest.raises((IllegalTransitionError, MatchConflictError)):
        pick_candidate(match=stale_second, user=None)
    confirmed = Match.objects.filter(document=first.document, status=MatchStatus.CONFIRMED)
    assert confirmed.count() == 1


def test_no_decision_while_a_matching_run_is_writing(workspace: Workspace) -> None:
    from reconciliation.models import SyncKind
    from reconciliation.models import SyncRun

    first, _ = proposals(workspace)
    SyncRun.objects.create(workspace=workspace, kind=SyncKind.MATCHING, trigger="window")
    with pytest.raises(MatchConflictError, match="Matching is running"):
        pick_candidate(match=first, user=None)
    first.refresh_from_db()
    assert first.status == MatchStatus.PROPOSED
