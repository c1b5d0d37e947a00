"""A list opened with a filter value it does not know (an old bookmark, a hand-made address,
an export sent back) refuses it, as Django refuses an invalid lookup, and says so. A leaf
module: every filter may import it, whatever the filter's own imports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP

#: What a list says when it was opened with a filter it does not know: Django sends it to
#: "?e=1" (an old bookmark, a hand-made address, an export sent back) and lists every row.
UNKNOWN_FILTER_WARNING = "That filter is not one this list knows, so every row is shown."

#: The look-ups whose values `known_choices` checks against a field's choices (a bare field
#: name is an exact one).
_CHECKED_LOOKUPS = frozenset({"exact", "in"})


def known_value(value: str | None, choices: Any) -> None:
    """The one check that a filter's value is one it knows: an unknown one is refused as Django
    refuses an invalid lookup, so the list goes to "?e=1" and says `UNKNOWN_FILTER_WARNING`,
    never every row as if no filter were chosen."""
    if value is not None and value not in choices:
        raise IncorrectLookupParameters(f"Unknown filter value {value!r}.")


def known_choices(model: type[Model], params: dict[str, list[str]], owned: Iterable[str]) -> None:
    """Each value an address gives a field of fixed choices (``status``, ``status__exact``,
    ``status__in=a,b``, through relations too: ``invoice__status__exact``) is one of its
    choices, else refused through `known_value` ("?e=1"), as a custom filter's unknown value is;
    left alone, Django filtered on it and listed "0 results". The `owned` parameters are a
    custom filter's, which knows its own values (a kind the field does not store, say)."""
    skipped = set(owned)
    for key, values in params.items():
        choices = None if key in skipped else field_choices(model, key)
        if choices is None:
            continue
        for value in values:
            for one in value.split(",") if key.endswith(f"{LOOKUP_SEP}in") else [value]:
                known_value(one, choices)


def field_choices(model: type[Model], key: str) -> frozenset[str] | None:
    """The values (as an address writes them) of the field of fixed choices an exact or ``in``
    look-up `key` filters, None for any other parameter (a field without choices, another
    look-up, not a field: Django's own parameters, a custom filter's). An empty value is one of
    them where the field stores it (a routing rule's "any kind")."""
    path = key.split(LOOKUP_SEP)
    if len(path) > 1 and path[-1] in _CHECKED_LOOKUPS:
        path.pop()
    try:
        field = get_fields_from_path(model, LOOKUP_SEP.join(path))[-1]
    except (FieldDoesNotExist, NotRelationField):
        return None
    if not getattr(field, "choices", None):
        return None
    values = {str(value) for value, _label in field.flatchoices}
    if field.blank and field.empty_strings_allowed:
        values.add("")
    return frozenset(values)
