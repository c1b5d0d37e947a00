"""One way to show a thing across the admin: the match status filter's short refused label,
the review screen's dates, the decisions' percentages, the export form's "Select all" label and
the document page's status."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse

from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_match
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _reviewer(workspace: Workspace) -> AbstractUser:
    return make_user(workspace=workspace, role=Role.REVIEWER)


def test_the_match_status_filter_names_refused_in_few_words(workspace: Workspace) -> None:
    make_match(workspace, kind=MatchKind.DOUBLE_CHARGE, status=MatchStatus.REFUSED)
    client = logged_in_client(_reviewer(workspace))
    response = client.get(reverse("admin:reconciliation_match_changelist"))
    changelist = response.context["cl"]
    offered = [
        str(choice["display"])
        for spec in changelist.filter_specs
        if getattr(spec, "field_path", "") == "status"
        for choice in spec.choices(changelist)
    ]
    assert "Refused / refund requested" in offered
    assert not any("(double charge) /" in label for label in offered)
