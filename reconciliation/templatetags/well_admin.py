"""How the admin shows a read-only field: amounts in their currency's minor units, exchange rates
without trailing zeros, and JSON lists as lists (Django shows the stored Decimal or the JSON)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.contrib.admin.helpers import AdminReadonlyField
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from reconciliation.money import MONEY_DECIMAL_PLACES
from reconciliation.money import RATE_DECIMAL_PLACES
from reconciliation.money import currency_field_of
from reconciliation.money import format_money
from reconciliation.money import format_rate
from reconciliation.money import is_known_currency
from reconciliation.text.percents import with_percents

register = template.Library()


def _model_field(instance: Any, name: Any) -> models.Field[Any, Any] | None:
    if not isinstance(name, str) or instance is None:
        return None
    try:
        field = instance._meta.get_field(name)
    except (FieldDoesNotExist, AttributeError):
        return None
    return field if isinstance(field, models.Field) else None


def _list_html(items: list[Any]) -> SafeString:
    if not items:
        return format_html("{}", "—")
    # Reasons among them read their percentages as everywhere else ("85 %").
    rows = format_html_join("", "<li>{}</li>", ((with_percents(str(item)),) for item in items))
    return format_html('<ul class="well-plain-list">{}</ul>', rows)


def display_value(instance: Any, name: Any) -> str | SafeString | None:
    """The display of `instance.name` when a generic rule applies, else None (Django's own)."""
    field = _model_field(instance, name)
    if field is None:
        return None
    value = getattr(instance, field.attname, None)
    if isinstance(field, models.BooleanField) and isinstance(value, bool):
        return "Yes" if value else "No"  # in words: Django's icon is read aloud as "False"
    if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
        if field.decimal_places == RATE_DECIMAL_PLACES:
            return format_rate(value)
        currency = getattr(instance, currency_field_of(field.name), "")
        if field.decimal_places == MONEY_DECIMAL_PLACES and is_known_currency(currency):
            return format_money(value, currency)
    scalars = isinstance(value, list) and all(
        isinstance(item, str | int | float | Decimal) for item in value
    )
    if isinstance(field, models.JSONField) and isinstance(value, list) and scalars:
        return _list_html(value)
    return None


@register.filter
def readonly_contents(field: AdminReadonlyField) -> str | SafeString:
    """``{{ field|readonly_contents }}`` in the admin fieldset, in place of ``field.contents``."""
    shown = display_value(getattr(field.form, "instance", None), field.field.get("name"))
    return field.contents() if shown is None else shown
