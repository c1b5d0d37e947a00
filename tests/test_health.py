from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule
from pytest_django.fixtures import Settings

from reconciliation.schedules import sync_schedules
from tests.factories import make_document
from tests.factories import make_workspace


def _dispatch_next_run(when: object) -> None:
    sync_schedules()
    Schedule.objects.filter(name="well:dispatch").update(next_run=when)


def test_healthz_answers_ok_without_touching_the_database(client: Client) -> None:
    # No django_db mark: any query here would raise "Database access not allowed".
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_database_broker_scheduler_and_storage_answer(client: Client) -> None:
    _dispatch_next_run(timezone.now() + timedelta(seconds=30))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "scheduler": "ok", "storage": "ok"},
    }


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_scheduler_stopped(client: Client) -> None:
    _dispatch_next_run(timezone.now() - timedelta(minutes=10))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["scheduler"] == "the scheduler's last run is 10 minutes late"
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_is_unavailable_without_the_dispatch_schedule(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"] == (
        "no dispatch schedule (run manage.py sync_schedules)"
    )


@pytest.mark.django_db
def test_readyz_is_unavailable_when_storage_refuses_a_write(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    _dispatch_next_run(timezone.now())
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media directory should be")
    settings.MEDIA_ROOT = str(blocker)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"].startswith(("NotADirectoryError", "FileExists"))


@pytest.mark.django_db
def test_probes_are_not_redirected_to_https_while_the_admin_is(
    client: Client, settings: Settings
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503  # no schedule here: answered, not redirected
    assert client.get("/admin/").status_code == 301


@pytest.mark.django_db
def test_metrics_is_not_found_without_a_token_setting(client: Client, settings: Settings) -> None:
    settings.WELL_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_metrics_refuses_a_wrong_token(client: Client, settings: Settings) -> None:
    settings.WELL_METRICS_TOKEN = "scrape-token-0123456789"
    assert client.get("/metrics").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert response.status_code == 401


@pytest.mark.django_db
def test_metrics_shows_queue_depths_with_the_token(client: Client, settings: Settings) -> None:
    settings.WELL_METRICS_TOKEN = "scrape-token-0123456789"
    workspace = make_workspace()
    make_document(workspace, status="new")
    make_document(workspace, status="new")
    make_document(workspace, status="parsed")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert 'well_queue_depth{queue="documents_to_read"} 2.0' in lines
    assert 'well_queue_depth{queue="broker"} 0.0' in lines


@pytest.mark.django_db
def test_storage_is_written_at_most_once_a_minute(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    _dispatch_next_run(timezone.now())
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert client.get("/readyz").status_code == 200
        for region in (tmp_path / "media").iterdir():
            shutil.rmtree(region)
            region.write_text("a file where the region's folder was")
        assert client.get("/readyz").status_code == 200  # proven a moment ago: no write
        clock.shift(61)
        _dispatch_next_run(timezone.now())
        assert client.get("/readyz").status_code == 503
