"""A list opened with a filter value it does not know (an old bookmark, a hand-made address,
an export sent back) refuses it, as Django refuses an invalid lookup, and says so. A leaf
module: every filter may import it, whatever the filter's own imports."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters

#: What a list says when it was opened with a filter it does not know: Django sends it to
#: "?e=1" (an old bookmark, a hand-made address, an export sent back) and lists every row.
UNKNOWN_FILTER_WARNING = "That filter is not one this list knows, so every row is shown."


def known_value(value: str | None, choices: Any) -> None:
    """The one check that a filter's value is one it knows: an unknown one is refused as Django
    refuses an invalid lookup, so the list goes to "?e=1" and says `UNKNOWN_FILTER_WARNING`,
    never every row as if no filter were chosen."""
    if value is not None and value not in choices:
        raise IncorrectLookupParameters(f"Unknown filter value {value!r}.")
