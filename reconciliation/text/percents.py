"""Percentages in the sentences Well writes and shows: one rule, "85 %", "83.11 %" (as the
admin's Confidence column writes them, `decision_display.percent`).

Writers (scoring, routing, matching) format a percentage with `percent` when they write a
reason. Sentences stored before that say "83.10%", "85.00%" or, in a match's reasons,
"score 98.57 ≥ threshold 80.00": every page and export that shows a stored sentence passes it
through `with_percents` (a match's reasons through `match_reason`), so old rows read as new
ones. The stored text itself is never rewritten (reason codes are read back from it).

Pure: no Django, no I/O.
"""

from __future__ import annotations

import re
from decimal import Decimal
from decimal import InvalidOperation

_CENT = Decimal("0.01")


def percent(value: Decimal | float | None) -> str:
    """A confidence or score (0–100) as Well writes it: "94.80 %", "100 %" (two places at
    most, none when it is whole); "—" for none."""
    if value is None:
        return "—"
    if type(value) is int:  # a whole percentage (matching's per-candidate reasons): no Decimal
        return f"{value} %"
    number = Decimal(str(value)).quantize(_CENT)
    if number == number.to_integral_value():
        return f"{number:.0f} %"
    return f"{number:f} %"


def recorded_percent(value: object, *, fraction: bool = False) -> str:
    """A recorded percentage (0–100; a fraction 0–1 with `fraction`), stored as a number or
    its text, as `percent` writes it; as stored when it is not a finite number. The decision
    pages, the decision log's thresholds and its field confidences read one through here."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    return percent(number * 100 if fraction else number)


def whole_percent(fraction: float) -> str:
    """A fraction (0–1) as a whole percentage: 0.963 gives "96 %"."""
    return percent(round(fraction * 100))


#: A percentage as Well's writers put it in a sentence before `percent` ("83.10%", "85.00%").
_WRITTEN_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)%")
#: The scores (0–100, without a sign) in the explanation matching used to add to a match's
#: reasons: "score 98.57 ≥ threshold 80.00", "ahead of the runner-up (79.00)".
_MATCH_SCORE = re.compile(r"\b(score |threshold |runner-up \()(\d+(?:\.\d+)?)(?![\d.]*\s*%)")


def with_percents(text: str) -> str:
    """A sentence Well wrote, its percentages as `percent` writes them ("Confidence 83.10% is
    below the auto-post threshold 85.00%" shows "Confidence 83.10 % is below the auto-post
    threshold 85 %"); a sentence already written so is shown as it is."""
    if "%" not in text:
        return text
    return _WRITTEN_PERCENT.sub(lambda found: percent(Decimal(found.group(1))), text)


def match_reason(text: str) -> str:
    """One of a match's reasons as shown: `with_percents`, and the scores of matching's
    explanation ("score 98.57 ≥ threshold 80.00") as percentages too."""
    scored = _MATCH_SCORE.sub(lambda found: found.group(1) + percent(Decimal(found.group(2))), text)
    return with_percents(scored)
