"""The demo workspace's past: printed as each vendor prints its new invoices, numbered and
priced apart from them, enough of it to train three vendors, and the same at every run."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from connectors.sandbox.demo_data import TRAINED_AFTER
from connectors.sandbox.demo_data import DemoHistory
from connectors.sandbox.demo_data import DemoScenario
from connectors.sandbox.demo_data import build_demo_history
from connectors.sandbox.demo_data import build_demo_scenario
from reconciliation.models.vendor import TRAINING_DOCUMENTS


@pytest.fixture(scope="module")
def scenario() -> DemoScenario:
    return build_demo_scenario(7)


@pytest.fixture(scope="module")
def history(scenario: DemoScenario) -> DemoHistory:
    return build_demo_history(scenario)


def test_training_count_is_the_products(history: DemoHistory) -> None:
    assert TRAINED_AFTER == TRAINING_DOCUMENTS
    assert history.trained == (
        "Nuage Hébergement SAS",
        "Van Dijk Vertaalbureau B.V.",
        "Tipografia Rossi S.r.l.",
    )
    assert history.reviewed["Northwind Analytics Inc."] == 4
    by_vendor = Counter(item.document.truth["supplier_name"] for item in history.invoices)
    assert dict(by_vendor) == history.reviewed


def test_history_is_printed_as_the_vendors_new_invoices(
    scenario: DemoScenario, history: DemoHistory
) -> None:
    printed = {
        (d.truth["supplier_name"], d.layout, d.language)
        for _, d in scenario.files
        if d.kind == "invoice"
    }
    for item in history.invoices:
        truth = item.document.truth
        assert (truth["supplier_name"], item.document.layout, item.document.language) in printed
        assert item.document.kind == "invoice"
    hosting = [i for i in history.invoices if i.document.extra.get("facturx")]
    assert len(hosting) == TRAINED_AFTER  # the host embeds Factur-X, as in the scenario


def test_history_comes_before_each_vendors_new_invoices_and_never_repeats_them(
    scenario: DemoScenario, history: DemoHistory
) -> None:
    new = [d for _, d in scenario.files if d.kind in ("invoice", "credit_note")]
    first_new: dict[str | None, str] = {}
    for d in new:
        name, issued = d.truth["supplier_name"], d.truth["issue_date"] or ""
        first_new[name] = min(first_new.get(name, issued), issued)
    numbers = {d.truth["invoice_number"] for d in new}
    totals = {Decimal(d.truth["total_amount"] or "0") for d in new}
    paths = {path for path, _ in scenario.files}
    for item in history.invoices:
        truth = item.document.truth
        assert (truth["issue_date"] or "") < first_new[truth["supplier_name"]]
        assert truth["invoice_number"] not in numbers
        assert Decimal(truth["total_amount"] or "0") not in totals
        assert item.path not in paths
        assert item.posted_on.isoformat() > (truth["issue_date"] or "")
    assert len({item.document.truth["invoice_number"] for item in history.invoices}) == len(
        history.invoices
    )


def test_history_is_deterministic(scenario: DemoScenario, history: DemoHistory) -> None:
    again = build_demo_history(scenario)
    assert [i.document.sha256 for i in again.invoices] == [
        i.document.sha256 for i in history.invoices
    ]
    assert [i.ledger_account for i in again.invoices] == [
        i.ledger_account for i in history.invoices
    ]
