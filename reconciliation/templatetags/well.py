"""Template helpers: amounts through the one money formatter, reason codes by their label,
and what a receivable shows."""

from __future__ import annotations

from decimal import Decimal

from django import template

from reconciliation.invoices.reasons import label
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Receivable
from reconciliation.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str | None) -> str:
    """``{{ amount|money:currency }}``: minor units of the currency, the reader's separators."""
    return format_money(amount, currency)


@register.filter
def reason_label(code: str) -> str:
    """``{{ code|reason_label }}``: what people read for a reason code, from the one registry
    ("iban_changed" -> "New IBAN (possible payment fraud)")."""
    return label(code)


@register.simple_tag
def remittances_of(receivable: Receivable) -> list[Match]:
    """The customers' remittance advices linked to this receivable, with their credit."""
    return list(
        Match.objects.filter(
            receivable=receivable,
            kind=MatchKind.REMITTANCE_CREDIT,
            status__in=(MatchStatus.CONFIRMED, MatchStatus.ATTACHED),
        )
        .select_related("document", "transaction")
        .order_by("created_at", "pk")
    )
