"""``manage.py sandbox``: the runner starts the three emulators, prints the settings for Well,
loads the demo scenario on request, and stops cleanly; the command refuses non-loopback hosts."""

from __future__ import annotations

import io
import re
import threading
import time

import pytest
import requests
from django.core.management import CommandError
from django.core.management import call_command

from connectors.sandbox import APIDECK_API_KEY
from connectors.sandbox import APIDECK_APP_ID
from connectors.sandbox import APIDECK_CONSUMER_ID
from connectors.sandbox import Sandbox
from connectors.sandbox.demo import demo_file_path
from connectors.sandbox.demo import load_demo
from connectors.sandbox.demo import run_sandbox
from connectors.sandbox.demo_data import build_demo_scenario
from connectors.sandbox.qonto_analysis import ANALYSIS_SECONDS


def wait_for_ready(out: io.StringIO, seconds: float = 20.0) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = out.getvalue()
        if "Ready." in text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"sandbox did not start: {out.getvalue()!r}")


def exported(text: str) -> dict[str, str]:
    return dict(re.findall(r"^  export (\w+)=(.*)$", text, flags=re.M))


def test_runner_serves_the_demo_scenario_until_stopped() -> None:
    out = io.StringIO()
    stop = threading.Event()
    runner = threading.Thread(
        target=run_sandbox,
        kwargs={"host": "127.0.0.1", "port": 0, "demo": True, "seed": 7, "out": out, "stop": stop},
    )
    runner.start()
    try:
        settings = exported(wait_for_ready(out))
        scenario = build_demo_scenario(7)
        dropbox_state = requests.get(
            settings["DROPBOX_API_URL"] + "/_sandbox/state", timeout=5
        ).json()
        qonto_state = requests.get(settings["QONTO_API_URL"] + "/_sandbox/state", timeout=5).json()
        apideck_files = requests.get(
            settings["APIDECK_API_URL"] + "/file-storage/files",
            headers={
                "Authorization": f"Bearer {APIDECK_API_KEY}",
                "x-apideck-app-id": APIDECK_APP_ID,
                "x-apideck-consumer-id": APIDECK_CONSUMER_ID,
            },
            timeout=5,
        )
    finally:
        stop.set()
        runner.join(timeout=10)

    assert sorted(settings) == [
        "APIDECK_API_KEY",
        "APIDECK_API_URL",
        "APIDECK_APP_ID",
        "DROPBOX_API_URL",
        "DROPBOX_APP_KEY",
        "DROPBOX_APP_SECRET",
        "DROPBOX_CONTENT_URL",
        "DROPBOX_WEB_URL",
        "QONTO_API_URL",
        "QONTO_CLIENT_ID",
        "QONTO_CLIENT_SECRET",
        "QONTO_OAUTH_URL",
        "QONTO_STAGING_TOKEN",
    ]
    assert all(
        settings[name].startswith("http://127.0.0.1:") for name in settings if name.endswith("_URL")
    )
    files = [e["path_display"] for e in dropbox_state["files"]["entries"] if e[".tag"] == "file"]
    assert sorted(files) == sorted(demo_file_path(path, doc) for path, doc in scenario.files)
    assert qonto_state["organization"]["id"] == scenario.organization["id"]
    assert len(qonto_state["transactions"]) == len(scenario.transactions)
    assert sorted(item["name"] for item in apideck_files.json()["data"]) == [
        "Apideck inbox",
        "Invoices",
    ]
    assert not runner.is_alive()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(settings["QONTO_API_URL"] + "/_sandbox/state", timeout=2)


def test_demo_invoices_get_qonto_extracted_fields(sandbox: Sandbox) -> None:
    summary = load_demo(sandbox, seed=7)
    scenario = build_demo_scenario(7)
    path, document = next((p, d) for p, d in scenario.files if d.kind == "invoice")
    other = next(d for _, d in scenario.files if d.kind == "payment_confirmation")
    token = sandbox.qonto.issue_token()["access_token"]

    response = requests.post(
        sandbox.qonto.url("/v2/supplier_invoices/bulk"),
        headers={"Authorization": f"Bearer {token}"},
        files=[
            ("supplier_invoices[][file]", (document.filename, document.content, "application/pdf")),
            ("supplier_invoices[][idempotency_key]", (None, "demo-1")),
            ("supplier_invoices[][file]", (other.filename, other.content, "application/pdf")),
            ("supplier_invoices[][idempotency_key]", (None, "demo-2")),
        ],
        timeout=5,
    )

    uploaded = [invoice["id"] for invoice in response.json()["supplier_invoices"]]
    before = response.json()["supplier_invoices"][0]
    sandbox.qonto.advance_clock(ANALYSIS_SECONDS)
    listing = requests.get(
        sandbox.qonto.url("/v2/supplier_invoices"),
        headers={"Authorization": f"Bearer {token}"},
        params={"sort_by": "created_at:asc"},
        timeout=5,
    ).json()["supplier_invoices"]
    invoice, confirmation = (next(i for i in listing if i["id"] == id_) for id_ in uploaded)
    assert (before["supplier_name"], before["analyzed_at"]) == (None, None)
    assert summary.files == len(scenario.files)
    assert (invoice["supplier_name"], invoice["invoice_number"]) == (
        document.truth["supplier_name"],
        document.truth["invoice_number"],
    )
    assert invoice["total_amount"] == {
        "value": document.truth["total_amount"],
        "currency": document.truth["currency"],
    }
    assert invoice["analyzed_at"] is not None
    assert confirmation["supplier_name"] is None
    assert sandbox.dropbox.files.lookup(path) is not None
    assert sandbox.apideck.connections[APIDECK_CONSUMER_ID].state == "callable"


@pytest.mark.parametrize(
    ("options", "case"),
    [
        ({"host": "0.0.0.0"}, "all_interfaces"),  # noqa: S104 - the refusal is the point
        ({"port": 80}, "privileged_port"),
    ],
)
def test_command_refuses_bad_bindings(options: dict[str, object], case: str) -> None:
    with pytest.raises(CommandError):
        call_command("sandbox", **options)
