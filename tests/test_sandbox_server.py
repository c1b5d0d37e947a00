"""The emulators' common core: control API, request log, virtual clock, loopback-only binding
and every fault type, exercised over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from typing import Any

import pytest
import requests

from connectors.sandbox import DropboxEmulator
from connectors.sandbox import QontoEmulator
from connectors.sandbox import Sandbox
from connectors.sandbox import fingerprint

BULK = "/v2/supplier_invoices/bulk"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


def bearer(qonto: QontoEmulator) -> dict[str, str]:
    return {"Authorization": "Bearer " + qonto.issue_token()["access_token"]}


def bulk_files(*keys: str) -> list[tuple[str, Any]]:
    files: list[tuple[str, Any]] = []
    for key in keys:
        files.append(
            ("supplier_invoices[][file]", (f"{key}.pdf", PDF + key.encode(), "application/pdf"))
        )
        files.append(("supplier_invoices[][idempotency_key]", (None, key, None)))
    return files


def post_bulk(qonto: QontoEmulator, *keys: str, timeout: float = 5.0) -> requests.Response:
    return requests.post(
        qonto.url(BULK), headers=bearer(qonto), files=bulk_files(*keys), timeout=timeout
    )


def wait_for(predicate: Any, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


# --- binding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "case"),
    [
        ("0.0.0.0", "all_interfaces"),  # noqa: S104 - the refusal is the point
        ("10.1.2.3", "private"),
        ("::1", "ipv6"),
        ("example.com", "name"),
    ],
)
def test_refuses_to_bind_anything_but_ipv4_loopback(host: str, case: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        DropboxEmulator(host=host)


def test_localhost_binds_127_0_0_1() -> None:
    with DropboxEmulator(host="localhost") as emulator:
        assert emulator.base_url == f"http://127.0.0.1:{emulator.port}"
        assert requests.get(emulator.url("/_sandbox/clock"), timeout=5).status_code == 200
    assert not emulator.is_running


# --- control API: faults -------------------------------------------------------------------------


def test_fault_rule_added_over_http_fires_count_times_then_goes(
    qonto_emulator: QontoEmulator,
) -> None:
    created = requests.post(
        qonto_emulator.url("/_sandbox/faults"),
        json={
            "method": "POST",
            "path": BULK,
            "count": 2,
            "fault": {"status": 503, "retry_after": 2},
        },
        timeout=5,
    )
    assert created.status_code == 201
    rule = created.json()
    assert rule["count"] == 2
    assert rule["faults"] == [{"status": 503, "retry_after": 2}]
    listed = requests.get(qonto_emulator.url("/_sandbox/faults"), timeout=5).json()
    assert [item["id"] for item in listed["faults"]] == [rule["id"]]

    first = post_bulk(qonto_emulator, "k1")
    second = post_bulk(qonto_emulator, "k1")
    third = post_bulk(qonto_emulator, "k1")

    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.headers["Retry-After"] == "2"
    assert first.json() == {
        "errors": [{"code": "service_unavailable", "detail": "Service unavailable"}],
        "trace_id": first.json()["trace_id"],
    }
    assert len(first.json()["trace_id"]) == 32
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1}
    assert requests.get(qonto_emulator.url("/_sandbox/faults"), timeout=5).json() == {"faults": []}


def test_fault_rule_matches_method_and_glob_path(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.inject_fault("/v2/*", {"status": 500}, method="GET", count=1)
    posted = post_bulk(qonto_emulator, "k1")
    fetched = requests.get(
        qonto_emulator.url("/v2/organization"), headers=bearer(qonto_emulator), timeout=5
    )

    assert posted.status_code == 200
    assert fetched.status_code == 500
    assert fetched.json()["errors"] == [
        {"code": "internal_server_error", "detail": "Internal server error"}
    ]


def test_fault_rule_removed_by_id_and_all_cleared(qonto_emulator: QontoEmulator) -> None:
    first = qonto_emulator.inject_fault(BULK, {"status": 500})
    qonto_emulator.inject_fault("/v2/organization", {"status": 500})

    removed = requests.delete(qonto_emulator.url(f"/_sandbox/faults/{first}"), timeout=5)
    missing = requests.delete(qonto_emulator.url(f"/_sandbox/faults/{first}"), timeout=5)
    cleared = requests.delete(qonto_emulator.url("/_sandbox/faults"), timeout=5)

    assert removed.json() == {"removed": first}
    assert missing.status_code == 404
    assert cleared.json() == {"cleared": 1}
    assert post_bulk(qonto_emulator, "k1").status_code == 200


@pytest.mark.parametrize(
    ("payload", "case"),
    [
        ({"path": BULK, "fault": {"teapot": True}}, "unknown_kind"),
        ({"path": BULK, "fault": {"status": 500, "delay": 1}}, "two_kinds"),
        ({"path": BULK, "fault": {"status": 200}}, "status_not_an_error"),
        ({"path": BULK, "fault": {"delay": -1}}, "negative_delay"),
        ({"path": BULK, "fault": {"malformed": "xml"}}, "unknown_malformation"),
        ({"path": BULK, "fault": {"drop": "later"}}, "unknown_drop"),
        ({"path": BULK, "fault": {"status": 500}, "count": 0}, "zero_count"),
        ({"path": BULK, "fault": {"status": 500}, "probability": 0}, "zero_probability"),
        ({"fault": {"status": 500}}, "no_path"),
        ({"path": BULK}, "no_fault"),
        ({"path": BULK, "fault": {"status": 500}, "colour": "red"}, "unknown_key"),
    ],
)
def test_invalid_fault_rules_are_refused(
    qonto_emulator: QontoEmulator, payload: dict[str, Any], case: str
) -> None:
    response = requests.post(qonto_emulator.url("/_sandbox/faults"), json=payload, timeout=5)

    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)
    assert qonto_emulator.faults.rules() == []


# --- fault kinds ---------------------------------------------------------------------------------


def test_delay_fault_times_the_client_out_then_processes(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.inject_fault(BULK, {"delay": 0.6})

    with pytest.raises(requests.exceptions.ReadTimeout):
        post_bulk(qonto_emulator, "k1", timeout=0.2)

    assert qonto_emulator.invoice_count_by_idempotency_key() == {}
    assert wait_for(lambda: qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1})


def test_delayed_request_is_dropped_when_the_emulator_is_reset(
    qonto_emulator: QontoEmulator,
) -> None:
    qonto_emulator.inject_fault(BULK, {"delay": 5})
    outcome: list[BaseException | int] = []
    # The token must exist before the reset wipes it; the request never gets that far anyway.
    headers = bearer(qonto_emulator)

    def call() -> None:
        try:
            response = requests.post(
                qonto_emulator.url(BULK), headers=headers, files=bulk_files("k1"), timeout=5
            )
            outcome.append(response.status_code)
        except requests.exceptions.RequestException as error:
            outcome.append(error)

    worker = threading.Thread(target=call)
    worker.start()
    assert wait_for(lambda: len(qonto_emulator.requests(path=BULK)) == 1)
    started = time.monotonic()
    qonto_emulator.reset()
    worker.join(timeout=5)

    assert time.monotonic() - started < 2
    assert len(outcome) == 1
    assert isinstance(outcome[0], requests.exceptions.ConnectionError)
    assert qonto_emulator.invoice_count_by_idempotency_key() == {}


def test_delay_after_processing_applies_the_effect_before_stalling(
    qonto_emulator: QontoEmulator,
) -> None:
    qonto_emulator.inject_fault(BULK, {"delay_after_processing": 0.6})

    with pytest.raises(requests.exceptions.ReadTimeout):
        post_bulk(qonto_emulator, "k1", timeout=0.2)
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1}
    created_id = next(iter(qonto_emulator.supplier_invoices))

    retried = post_bulk(qonto_emulator, "k1")

    assert retried.status_code == 200
    assert [item["id"] for item in retried.json()["supplier_invoices"]] == [created_id]
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1}


def test_drop_closes_the_socket_without_processing(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.inject_fault(BULK, {"drop": True})

    with pytest.raises(requests.exceptions.ConnectionError):
        post_bulk(qonto_emulator, "k1")

    assert qonto_emulator.invoice_count_by_idempotency_key() == {}
    assert qonto_emulator.requests(path=BULK)[0].status is None


def test_drop_after_processing_closes_the_socket_after_the_effect(
    qonto_emulator: QontoEmulator,
) -> None:
    qonto_emulator.inject_fault(BULK, {"drop": "after_processing"})

    with pytest.raises(requests.exceptions.ConnectionError):
        post_bulk(qonto_emulator, "k1")

    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1}


def test_malformed_html_answers_a_200_page_without_processing(
    qonto_emulator: QontoEmulator,
) -> None:
    qonto_emulator.inject_fault(BULK, {"malformed": "html"})

    response = post_bulk(qonto_emulator, "k1")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.text.startswith("<!DOCTYPE html>")
    assert qonto_emulator.invoice_count_by_idempotency_key() == {}


def test_malformed_truncated_json_is_processed_but_unparsable(
    qonto_emulator: QontoEmulator,
) -> None:
    qonto_emulator.inject_fault(BULK, {"malformed": "truncated_json"})

    response = post_bulk(qonto_emulator, "k1")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert response.content.startswith(b'{"supplier_invoices":[{')
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1}


def test_malformed_wrong_shape_wraps_the_real_answer(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.inject_fault(BULK, {"malformed": "wrong_shape"})

    response = post_bulk(qonto_emulator, "k1")

    body = response.json()
    assert list(body) == ["result"]
    assert list(body["result"]) == ["supplier_invoices", "errors"]
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1}


def test_schema_error_answers_the_documented_validation_error(
    qonto_emulator: QontoEmulator,
) -> None:
    qonto_emulator.inject_fault(
        BULK,
        {
            "schema_error": {
                "status": 422,
                "code": "invalid",
                "detail": "is invalid",
                "pointer": "/source",
            }
        },
    )

    response = post_bulk(qonto_emulator, "k1")

    assert response.status_code == 422
    assert response.json() == {
        "errors": [{"code": "invalid", "detail": "is invalid", "source": {"pointer": "/source"}}],
        "trace_id": response.json()["trace_id"],
    }
    assert qonto_emulator.invoice_count_by_idempotency_key() == {}


def test_random_faults_follow_their_seed(qonto_emulator: QontoEmulator) -> None:
    headers = bearer(qonto_emulator)

    def run() -> list[int]:
        qonto_emulator.clear_faults()
        qonto_emulator.inject_fault(
            "/v2/organization",
            faults=[{"status": 500}, {"status": 429, "retry_after": 1}],
            probability=0.5,
            seed=42,
        )
        return [
            requests.get(
                qonto_emulator.url("/v2/organization"), headers=headers, timeout=5
            ).status_code
            for _ in range(24)
        ]

    first, second = run(), run()

    assert first == second
    assert set(first) == {200, 429, 500}


def test_faults_answer_with_the_request_id_header(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.inject_fault("/2/files/list_folder", {"status": 503})

    faulted = requests.post(
        dropbox_emulator.url("/2/files/list_folder"), json={"path": ""}, timeout=5
    )
    unknown = requests.post(dropbox_emulator.url("/2/files/teleport"), json={}, timeout=5)

    assert faulted.status_code == 503
    assert len(faulted.headers["x-dropbox-request-id"]) == 32
    assert unknown.status_code == 404
    assert len(unknown.headers["x-dropbox-request-id"]) == 32


# --- request log ---------------------------------------------------------------------------------


def test_request_log_keeps_redacted_headers_and_a_body_summary(
    qonto_emulator: QontoEmulator,
) -> None:
    token = qonto_emulator.issue_token()["access_token"]
    requests.post(
        qonto_emulator.url(BULK),
        headers={"Authorization": f"Bearer {token}"},
        files=bulk_files("k1"),
        timeout=5,
    )
    requests.get(qonto_emulator.url("/_sandbox/state"), timeout=5)

    logged = requests.get(qonto_emulator.url("/_sandbox/requests"), timeout=5).json()["requests"]

    assert len(logged) == 1
    entry = logged[0]
    assert (entry["seq"], entry["method"], entry["path"], entry["status"]) == (1, "POST", BULK, 200)
    assert entry["headers"]["Authorization"] == f"Bearer <redacted:{fingerprint(token)}>"
    assert token not in json.dumps(entry)
    assert entry["body"] == [
        {
            "name": "supplier_invoices[][file]",
            "filename": "k1.pdf",
            "content_type": "application/pdf",
            "size": len(PDF) + 2,
            "sha256": entry["body"][0]["sha256"],
        },
        {"name": "supplier_invoices[][idempotency_key]", "value": "k1"},
    ]
    assert entry["fault"] is None


def test_request_log_redacts_form_secrets_and_filters(qonto_emulator: QontoEmulator) -> None:
    requests.post(
        qonto_emulator.url("/oauth2/token"),
        data={"grant_type": "refresh_token", "refresh_token": "ory_rt_secret", "client_id": "x"},
        timeout=5,
    )
    requests.get(qonto_emulator.url("/v2/organization"), timeout=5)

    token_calls = qonto_emulator.requests(method="POST", path="/oauth2/*")
    everything = requests.get(
        qonto_emulator.url("/_sandbox/requests"), params={"path": "/v2/organization"}, timeout=5
    ).json()["requests"]

    assert [entry.path for entry in token_calls] == ["/oauth2/token"]
    assert token_calls[0].body == {
        "grant_type": "refresh_token",
        "refresh_token": f"<redacted:{fingerprint('ory_rt_secret')}>",
        "client_id": "x",
    }
    assert [entry["path"] for entry in everything] == ["/v2/organization"]
    requests.delete(qonto_emulator.url("/_sandbox/requests"), timeout=5)
    assert qonto_emulator.requests() == []


def test_request_log_records_the_fault_that_fired(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.inject_fault(BULK, {"status": 429, "retry_after": 3})

    post_bulk(qonto_emulator, "k1")

    assert [(e.status, e.fault) for e in qonto_emulator.requests(path=BULK)] == [
        (429, {"status": 429, "retry_after": 3})
    ]


# --- state, reset, clock -------------------------------------------------------------------------


def test_state_and_reset_over_http(qonto_emulator: QontoEmulator) -> None:
    post_bulk(qonto_emulator, "k1")
    qonto_emulator.inject_fault(BULK, {"status": 500})

    state = requests.get(qonto_emulator.url("/_sandbox/state"), timeout=5).json()
    reset = requests.post(qonto_emulator.url("/_sandbox/reset"), timeout=5)

    assert state["invoice_count_by_idempotency_key"] == {"k1": 1}
    assert reset.json() == {"reset": True}
    assert qonto_emulator.state()["supplier_invoices"] == []
    assert qonto_emulator.faults.rules() == []
    assert qonto_emulator.requests() == []


def test_clock_advances_and_freezes_over_http(qonto_emulator: QontoEmulator) -> None:
    frozen = requests.post(qonto_emulator.url("/_sandbox/clock"), json={"freeze": True}, timeout=5)
    before = frozen.json()["now"]
    time.sleep(0.01)
    still = requests.get(qonto_emulator.url("/_sandbox/clock"), timeout=5).json()["now"]
    moved = requests.post(qonto_emulator.url("/_sandbox/clock"), json={"advance": 3600}, timeout=5)
    refused = requests.post(
        qonto_emulator.url("/_sandbox/clock"), json={"advance": "soon"}, timeout=5
    )

    assert frozen.json()["frozen"] is True
    assert still == before
    assert moved.json()["now"][11:13] != before[11:13]
    assert qonto_emulator.clock.now().timestamp() - _epoch(before) == pytest.approx(3600, abs=0.001)
    assert refused.status_code == 400


def test_sandbox_reset_and_clock_cover_all_three(sandbox: Sandbox) -> None:
    sandbox.dropbox.put_file("/a.pdf", PDF)
    for emulator in sandbox.emulators:
        emulator.clock.freeze()
    readings = [emulator.clock.timestamp() for emulator in sandbox.emulators]

    sandbox.advance_clock(100)

    assert [e.clock.timestamp() - r for e, r in zip(sandbox.emulators, readings, strict=True)] == [
        pytest.approx(100, abs=0.001)
    ] * 3
    sandbox.reset()
    assert sandbox.dropbox.files.snapshot()["entries"] == []
    assert all(not emulator.clock.is_frozen for emulator in sandbox.emulators)


def test_unknown_control_route_is_a_404(dropbox_emulator: DropboxEmulator) -> None:
    response = requests.post(dropbox_emulator.url("/_sandbox/teleport"), json={}, timeout=5)

    assert response.status_code == 404
    assert response.json() == {"error": "no control route /_sandbox/teleport"}


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


@pytest.mark.parametrize(
    ("path", "payload", "case"),
    [
        ("/_sandbox/item_errors", {"code": "teapot"}, "bad_value"),
        ("/_sandbox/item_errors", {"colour": "red"}, "unknown_argument"),
        ("/_sandbox/transactions", {"label": "no amount"}, "missing_argument"),
    ],
)
def test_bad_control_calls_are_400s(
    qonto_emulator: QontoEmulator, path: str, payload: dict[str, Any], case: str
) -> None:
    response = requests.post(qonto_emulator.url(path), json=payload, timeout=5)

    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)
    assert qonto_emulator.item_error_rules == []
    assert qonto_emulator.transactions == {}
