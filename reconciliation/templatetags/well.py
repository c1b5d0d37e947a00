"""Template helpers: amounts through the one money formatter, and what a receivable shows."""

from __future__ import annotations

from decimal import Decimal

from django import template

from reconciliation.models import Match, MatchKind, MatchStatus, Receivable
from reconciliation.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str | None) -> str:
    """``{{ amount|money:currency }}``: minor units of the currency, the reader's separators."""
    return format_money(amount, currency)


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
