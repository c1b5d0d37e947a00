"""Small helpers shared by the tests: signed-in admin clients, the queries a page costs, an
admin list's export with every column, emulator tokens on a connection, and reading a page: its
visible text, one part of it, a list's column headers, cells and sort links, a change page's
read-only values."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import connection as database
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connectors.oauth import TokenSet
from reconciliation.connections.tokens import store_tokens
from reconciliation.models import Connection
from reconciliation.models import Invoice
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import make_user


def logged_in_client(user: AbstractUser, **client_options: Any) -> Client:
    """A test client signed in as ``user`` (``client_options`` go to ``Client``, e.g. CSRF)."""
    client = Client(**client_options)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def review_screen(document_id: int) -> str:
    """The review screen of document ``document_id`` (an invoice's is its ``document_id``)."""
    return reverse("admin:reconciliation-review-document", args=[document_id])


def review_form(invoice: Invoice) -> dict[str, str]:
    """The review screen's form for ``invoice`` as it is shown: each field's posted name and
    the invoice's value (add ``action`` to decide)."""
    values = {
        "supplier_name": invoice.supplier_name,
        "supplier_vat_id": invoice.supplier_vat_id,
        "supplier_iban": invoice.supplier_iban,
        "supplier_domain": invoice.supplier_domain,
        "invoice_number": invoice.number,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else "",
        "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
        "net_amount": str(invoice.net_amount or ""),
        "tax_amount": str(invoice.tax_amount or ""),
        "total_amount": str(invoice.total_amount or ""),
        "currency": invoice.currency,
        "ledger_account": invoice.ledger_account,
    }
    return {f"field-{name}": value for name, value in values.items()}


def page_queries(client: Client, url: str) -> int:
    """How many database queries ``client`` opening the page at ``url`` (answered 200) costs."""
    with CaptureQueriesContext(database) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def visible_text(html: str) -> str:
    """``html`` as a reader sees its words: tags dropped, runs of white space (and each tag's
    place) read as one space, entities left as written (``&lt;``, ``&#x27;``)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(page: str, start: str, end: str) -> str:
    """The part of ``page`` from the first ``start`` up to the first ``end`` after it (raises
    ``ValueError`` when either is missing)."""
    begin = page.index(start)
    return page[begin : page.index(end, begin)]


def money_flags_block(body: str) -> str:
    """The review queue ``body``'s "Money gone" block (its money flags), up to its form's end."""
    return section(body, "data-well-money-flags", "</form>")


def column_headers(page: str) -> list[str]:
    """The visible header of each column of the admin list on ``page`` that has words (the
    select-all box's has none), left to right."""
    headers = (visible_text(h) for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page, re.S))
    return [header for header in headers if header]


def column_cells(page: str, column: str) -> list[str]:
    """The visible text of each cell of ``column`` (a ``list_display`` name) on the admin list
    (or list row) ``page``, top to bottom: its ``<td>``, or its ``<th>`` for the column that
    links each row to its page."""
    cells = re.findall(rf'<(td|th) class="field-{column}(?: [^"]*)?">(.*?)</\1>', page, re.S)
    return [visible_text(cell) for _, cell in cells]


def filter_choices(page: str, title: str) -> list[str]:
    """The visible choices of the admin list filter headed "By ``title``" on ``page``, the
    chosen one marked "[chosen]" ("All" included)."""
    block = re.search(rf"<summary>\s*By {title}\s*</summary>(.*?)</details>", page, re.S)
    assert block is not None, title
    choices = re.findall(r"<li( class=\"selected\")?>\s*<a [^>]*>(.*?)</a>", block.group(1), re.S)
    return [visible_text(label) + (" [chosen]" if chosen else "") for chosen, label in choices]


def documents_list_rows(page: str) -> dict[str, tuple[str, str]]:
    """Each document the Documents list ``page`` lists, by name: (its Status cell, its Waiting
    cell)."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        name = re.search(r'class="field-original_name"><a [^>]*>(.*?)</a>', row)
        if name is None:
            continue
        [standing] = column_cells(row, "standing")
        [age] = column_cells(row, "age")
        rows[name.group(1)] = (standing, age)
    return rows


def sort_link(page: str, column: str) -> str:
    """The ``?o=…`` query of the link sorting the unsorted admin list on ``page`` by
    ``column``."""
    link = re.search(
        rf'<th scope="col" class="sortable column-{column}">(?:(?!</th>).)*?href="(\?o=[^"]+)"',
        page,
        re.S,
    )
    assert link is not None, column
    return link.group(1)


def readonly_value(page: str, field: str) -> str:
    """The visible text of the read-only value of ``field`` on the admin change page ``page``."""
    found = re.search(
        rf'class="[^"]*field-{field}(?: [^"]*)?">.*?<div class="readonly">(.*?)</div>', page, re.S
    )
    assert found is not None, field
    return visible_text(found.group(1))


#: The export formats of an admin list's export form, as its format choice posts them.
CSV_FORMAT, XLSX_FORMAT = "0", "1"


def export_every_column(
    client: Client,
    model: str,
    *,
    query: str = "",
    file_format: str = CSV_FORMAT,
    extra: dict[str, str] | None = None,
) -> Any:
    """The file ``client`` downloads from ``model``'s admin list (filtered by ``query``) with
    every column its export form offers ticked; ``extra`` adds fields to the posted form."""
    url = f"/admin/reconciliation/{model}/export/" + (f"?{query}" if query else "")
    page = client.get(url)
    assert page.status_code == 200, url
    names = re.findall(
        r'<input[^>]*type="checkbox"[^>]*name="([^"]+resource_[^"]+)"', page.content.decode()
    )
    form = {"format": file_format, "resource": "0", **{n: "on" for n in names}, **(extra or {})}
    response = client.post(url, form)
    assert response.status_code == 200, response.content[:500]
    return response


def exported_rows(client: Client, model: str, query: str = "") -> list[dict[str, str]]:
    """The rows of ``model``'s CSV export with every column, each by its column header."""
    return csv_rows(export_every_column(client, model, query=query))


def csv_rows(response: Any) -> list[dict[str, str]]:
    """The rows of the CSV file ``response`` downloads, each by its column header."""
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def client_for(
    workspace: Workspace | None,
    role: Role = Role.REVIEWER,
    *,
    superuser: bool = False,
    csrf: bool = False,
) -> Client:
    """A client signed in as a new member of ``workspace`` with ``role``."""
    user = make_user(
        f"{role}-{uuid.uuid4().hex[:6]}", workspace=workspace, role=role, superuser=superuser
    )
    return logged_in_client(user, enforce_csrf_checks=csrf)


def store_emulator_tokens(connection: Connection, emulator: Any) -> Connection:
    """Store on ``connection`` (encrypted) a fresh token set the provider ``emulator`` issued."""
    payload = emulator.issue_token()
    store_tokens(
        connection,
        TokenSet(
            access_token=payload["access_token"],
            refresh_token=payload.get("refresh_token"),
            expires_at=timezone.now() + timedelta(seconds=int(payload["expires_in"])),
            scopes=tuple(str(payload.get("scope", "")).split()),
        ),
    )
    return connection
