"""The dashboard as a new user read it: a connection that succeeded seconds ago did so "just
now" (not "0 minutes ago"), and the volume chart says which day each column is and how many
documents arrived — on the chart and as text a screen reader reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta

import pytest
import time_machine

from reconciliation.admin.dashboard import ago
from reconciliation.admin.dashboard import volume_chart
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_sync_run
from tests.factories import make_user
from tests.helpers import logged_in_client

NOW = datetime.fromisoformat("2026-11-25T12:00:00+00:00")


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "just now"),
        (59, "just now"),
        (60, "1 minute ago"),
        (3 * 3600 + 5 * 60, "3 hours, 5 minutes ago"),
    ],
)
def test_ago_says_just_now_under_a_minute(seconds: int, words: str) -> None:
    assert ago(NOW - timedelta(seconds=seconds), now=NOW).replace("\xa0", " ") == words


@pytest.mark.django_db
def test_the_dashboard_says_just_now(workspace: Workspace, frozen: None) -> None:
    make_connection(workspace, last_success_at=NOW - timedelta(seconds=20))
    make_sync_run(workspace, minutes_ago=0.2)
    body = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER)).get("/admin/")
    content = body.content.decode()
    assert "last success just now" in content
    assert "started just now:" in content
    assert "0 minutes" not in content


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_volume_chart_labels_each_day_with_documents() -> None:
    days = [(_day("2026-11-01") + timedelta(days=n)).date() for n in range(28)]
    chart = str(volume_chart([(day, 12 if n == 27 else 0) for n, day in enumerate(days)]))
    # On the chart: the count above the column, the day under it (the last day always).
    assert re.findall(r'class="well-chart-value">(\d+)</text>', chart) == ["12"]
    labels = re.findall(r'class="well-chart-label"[^>]*>([^<]+)</text>', chart)
    assert labels[-1] == "28 Nov"
    assert labels == ["07 Nov", "14 Nov", "21 Nov", "28 Nov"]
    # As text: the days with documents, and the span the chart covers.
    table = re.search(r'<table class="visually-hidden">(.*?)</table>', chart, re.S)
    assert table is not None
    rows = re.findall(r"<tr><th[^>]*>([^<]+)</th><td>(\d+)</td></tr>", table.group(1))
    assert rows == [("28 Nov", "12")]
    assert "01 Nov – 28 Nov" in table.group(1)


def test_an_empty_volume_chart_says_nothing_yet() -> None:
    days = [(_day("2026-11-01") + timedelta(days=n)).date() for n in range(28)]
    assert "Nothing yet." in str(volume_chart([(day, 0) for day in days]))


@pytest.mark.django_db
def test_the_home_page_shows_the_volume_labels(workspace: Workspace, frozen: None) -> None:
    make_document(workspace, received_at=NOW - timedelta(hours=1))
    body = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER)).get("/admin/")
    content = body.content.decode()
    assert re.search(r'<th scope="row">25 Nov</th><td>1</td>', content)
