from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django_q.signals import pre_execute
from django_q.tasks import async_task
from prometheus_client import REGISTRY

from connectors.http import build_session
from connectors.sandbox import QontoEmulator
from reconciliation import tasks
from reconciliation.models import DocumentStatus
from reconciliation.observability import context
from reconciliation.observability.logs import ContextFilter
from reconciliation.observability.logs import JsonFormatter
from reconciliation.observability.tasks import observed
from tests.factories import make_document
from tests.factories import make_workspace


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged during the test, as the production handler formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def _lines(stream: io.StringIO, logger: str) -> list[dict[str, object]]:
    parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in parsed if line["logger"] == logger]


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_a_request_line_carries_the_request_id_the_proxy_sent(
    client: Client, json_lines: io.StringIO
) -> None:
    response = client.get("/readyz", HTTP_X_REQUEST_ID="proxy-req-12345678")
    assert response["X-Request-ID"] == "proxy-req-12345678"
    warnings = _lines(json_lines, "reconciliation.web.health")
    assert [line["request_id"] for line in warnings] == ["proxy-req-12345678"]
    assert warnings[0]["level"] == "WARNING"
    assert warnings[0]["task_id"] is None


@pytest.mark.django_db
def test_a_request_without_a_sane_id_gets_a_fresh_one(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id; drop table")
    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != "bad id; drop table"


@pytest.mark.django_db
def test_a_parse_task_line_carries_workspace_document_and_task_ids(
    json_lines: io.StringIO,
) -> None:
    workspace = make_workspace()
    document = make_document(workspace, status=DocumentStatus.NEW)
    document.file.save("broken.pdf", ContentFile(b"this is not a PDF"))
    failures_before = _sample("well_parse_seconds_count", lane="failed")
    pre_execute.send(sender="django_q", func=tasks.parse_document, task={"id": "q2-task-42"})
    try:
        assert tasks.parse_document(document.pk) == "failed"
    finally:
        context.set_id("task_id", None)
    lines = _lines(json_lines, "reconciliation.parsing")
    assert lines, "the parser logged nothing"
    for line in lines:
        assert line["workspace_id"] == workspace.pk
        assert line["document_id"] == document.pk
        assert line["task_id"] == "q2-task-42"
    assert _sample("well_parse_seconds_count", lane="failed") == failures_before + 1
    # The ids are unbound once the task is done: the next line of the worker carries none.
    assert context.current()["document_id"] is None


@pytest.mark.django_db
def test_a_task_run_in_the_calling_process_leaves_no_task_id_behind() -> None:
    """Sync mode (tests, `Q_SYNC`) runs the worker's code in the caller: the lines the caller
    writes after the task must not carry the task's id."""
    workspace = make_workspace()
    document = make_document(workspace, status=DocumentStatus.NEW)
    document.file.save("broken.pdf", ContentFile(b"this is not a PDF"))

    async_task(tasks.parse_document, document.pk, sync=True)

    assert context.current()["task_id"] is None


@pytest.mark.django_db
def test_a_failing_task_is_counted_and_its_ids_are_released() -> None:
    workspace = make_workspace()
    document = make_document(workspace)

    @observed
    def explode(document_id: int) -> str:
        assert context.current()["workspace_id"] == workspace.pk
        raise RuntimeError("boom")

    before = _sample("well_task_failures_total", task="explode")
    with pytest.raises(RuntimeError):
        explode(document.pk)
    assert _sample("well_task_failures_total", task="explode") == before + 1
    assert _sample("well_task_seconds_count", task="explode") >= 1
    assert context.current()["workspace_id"] is None


def test_explicit_ids_win_over_bound_ones_and_the_provider_request_id_is_kept() -> None:
    record = logging.LogRecord("connectors.http", logging.INFO, __file__, 1, "call", None, None)
    record.request_id = "qonto-req-9"
    record.document_id = 7
    with context.bind(request_id="ours-12345678", document_id=3, workspace_id=5):
        ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "ours-12345678"
    assert line["provider_request_id"] == "qonto-req-9"
    assert line["document_id"] == 7
    assert line["workspace_id"] == 5


def test_provider_calls_are_counted_by_status(qonto_emulator: QontoEmulator) -> None:
    session = build_session(provider="qonto-metrics-test")
    before = _sample("well_provider_calls_total", provider="qonto-metrics-test", status="401")
    response = session.get(qonto_emulator.url("/v2/organization"))
    assert response.status_code == 401
    assert (
        _sample("well_provider_calls_total", provider="qonto-metrics-test", status="401")
        == before + 1
    )


def test_provider_calls_without_an_answer_are_counted_as_errors() -> None:
    session = build_session(provider="nowhere-metrics-test")
    with pytest.raises(Exception, match="could not connect"):
        session.get("http://127.0.0.1:9/", timeout=(0.5, 0.5))
    assert (
        _sample("well_provider_calls_total", provider="nowhere-metrics-test", status="error") == 1.0
    )
