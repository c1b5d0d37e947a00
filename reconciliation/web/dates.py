"""A date typed in a form, written the way the admin writes dates (``DATE_FORMAT`` of
``well.formats``: "3 Nov 2026") and read back in that form as well as the usual ones
("03/11/2026", "2026-11-03")."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import MONTHS
from django.utils.dates import MONTHS_3
from django.utils.formats import date_format

#: "3 Nov 2026", as ``DATE_FORMAT`` ("j M Y") writes it.
_WRITTEN = re.compile(r"(\d{1,2}) ([^\W\d_]+)\.? (\d{4})")


def iso_day(value: Any) -> date | None:
    """The day of an ISO date (or date-time) as extraction stores it, else None."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def written_day(text: str) -> date | None:
    """The day in `text` written as the admin writes dates, else None."""
    found = _WRITTEN.fullmatch(text.strip())
    if found is None:
        return None
    day, month_name, year = found.groups()
    months = {str(name).lower(): number for number, name in MONTHS_3.items()}
    months |= {str(name).lower(): number for number, name in MONTHS.items()}
    month = months.get(month_name.lower())
    if month is None:
        return None
    try:
        return date(int(year), month, int(day))
    except ValueError:
        return None


class DayInput(forms.DateInput):
    """A text input showing its date as the admin's pages do."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, date):
            return date_format(value, "DATE_FORMAT")
        return super().format_value(value)


class DayField(forms.DateField):
    """A date field shown with `DayInput`, reading back what it shows."""

    widget = DayInput

    def to_python(self, value: Any) -> date | None:
        try:
            return super().to_python(value)
        except ValidationError:
            day = written_day(value) if isinstance(value, str) else None
            if day is None:
                raise
            return day
