"""The receivables CSV import (matching). Kept apart from the audit exports: it writes rows."""

from __future__ import annotations

import re
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from import_export import fields
from import_export import resources
from import_export import widgets

from reconciliation.models import Receivable
from reconciliation.models import Workspace
from reconciliation.text.identifiers import compact_iban
from reconciliation.text.identifiers import normalize_iban
from reconciliation.text.names import normalize_counterparty as normalize_name
from reconciliation.text.references import normalize_reference

RECEIVABLE_COLUMNS = (
    "reference",
    "customer_name",
    "customer_iban",
    "amount",
    "currency",
    "issue_date",
    "due_date",
    "other_references",
)


class ReceivableReferencesWidget(widgets.Widget):
    """The other references printed on a receivable (its number, an RF or +++…+++ one), in
    one cell separated by ";" or "|" (optional column: a customer may pay by any of them)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[str]:
        return [part.strip() for part in re.split(r"[;|]", str(value or "")) if part.strip()]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "; ".join(str(item) for item in value or [])


class ReceivableDateWidget(widgets.DateWidget):
    """ISO dates, or the day-first forms European spreadsheets write (never month-first)."""

    def __init__(self) -> None:
        super().__init__()
        self.formats = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        text = str(value).strip() if value is not None else ""
        try:
            return super().clean(text, row, **kwargs)
        except ValueError:
            raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)") from None


class ReceivableAmountWidget(widgets.DecimalWidget):
    """Amounts as spreadsheets write them: "1234.56", "1 234,56", "1.234,56", "1,234.56"."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        text = re.sub(r"[\s\u00a0\u202f']", "", str(value or ""))
        if not text:
            raise ValueError("the amount is missing")
        if "," in text and ("." not in text or text.rfind(",") > text.rfind(".")):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount") from None
        if not amount.is_finite() or amount <= 0:
            raise ValueError(f"{value!r}: the amount must be positive")
        return amount


class ReceivableImportResource(resources.ModelResource):
    """Receivables from a CSV, into one workspace chosen on the import form.

    Rows are matched on ``reference`` within that workspace: a known reference updates the
    receivable (what was already paid stays), a new one creates it. Each row is validated on
    its own — amount, ISO currency, dates, IBAN — and the preview lists the errors per row.
    """

    reference = fields.Field(attribute="reference", column_name="reference")
    customer_name = fields.Field(attribute="customer_name", column_name="customer_name")
    customer_iban = fields.Field(attribute="customer_iban", column_name="customer_iban")
    amount = fields.Field(attribute="amount", column_name="amount", widget=ReceivableAmountWidget())
    currency = fields.Field(attribute="currency", column_name="currency")
    issue_date = fields.Field(
        attribute="issue_date", column_name="issue_date", widget=ReceivableDateWidget()
    )
    due_date = fields.Field(
        attribute="due_date", column_name="due_date", widget=ReceivableDateWidget()
    )
    other_references = fields.Field(
        attribute="other_references",
        column_name="other_references",
        widget=ReceivableReferencesWidget(),
    )

    class Meta:
        model = Receivable
        name = "Receivables (CSV import)"
        fields = RECEIVABLE_COLUMNS
        import_id_fields = ("reference",)
        export_order = RECEIVABLE_COLUMNS
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, workspace: Workspace | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace

    def get_queryset(self) -> QuerySet[Receivable]:
        # Rows are looked up (and updated) only inside the chosen workspace.
        if self.workspace is None:
            return Receivable.objects.none()
        return Receivable.objects.for_workspace(self.workspace)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        if self.workspace is None:
            raise ValueError("Choose the workspace the receivables belong to.")
        headers = {str(header).strip().lower() for header in dataset.headers or []}
        missing = [name for name in ("reference", "customer_name", "amount") if name not in headers]
        if missing:
            raise ValueError(f"The file has no {', '.join(missing)} column.")

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        for key in list(row.keys()):
            value = row[key]
            row[key] = value.strip() if isinstance(value, str) else value
        row["currency"] = (row.get("currency") or "EUR").upper()
        row["customer_iban"] = compact_iban(row.get("customer_iban"))

    def import_instance(self, instance: Receivable, row: Any, **kwargs: Any) -> None:
        instance.workspace = self.workspace  # type: ignore[assignment]
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not instance.reference:
            errors.setdefault("reference", []).append("The reference is missing.")
        if not instance.customer_name:
            errors.setdefault("customer_name", []).append("The customer is missing.")
        if instance.customer_iban and normalize_iban(instance.customer_iban) is None:
            errors.setdefault("customer_iban", []).append(
                f"{instance.customer_iban} is not a valid IBAN."
            )
        if instance.issue_date and instance.due_date and instance.due_date < instance.issue_date:
            errors.setdefault("due_date", []).append("The due date is before the issue date.")
        instance.normalized_reference = normalize_reference(instance.reference)[:140]
        instance.normalized_customer = normalize_name(instance.customer_name)
        if instance.amount is not None:
            instance.refresh_status()  # a re-imported amount may change what is still due
        if errors:
            raise ValidationError(errors)
