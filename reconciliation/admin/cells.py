"""How a list cell shows a text too long for it: on one line, cut with an ellipsis (well.css's
well-clip), whole in its tooltip; names alike but for their ends cut in their middle instead."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString


def clipped(text: str) -> SafeString:
    """`text` on one line, cut with an ellipsis (well.css), whole in its tooltip."""
    return format_html('<span class="well-clip" title="{}">{}</span>', text, text)


#: A long name cut in its middle keeps its end whole: from just after a space, "_", "-", "." or
#: "/" when that leaves 12 to 18 characters (a file name's "2026-11-04.pdf", a reference's
#: "0042-GRAND-OUEST"), else its last 14.
KEPT_END = (12, 18, 14)


def _kept_end(text: str, keep: tuple[int, int, int]) -> int:
    """How many last characters of `text` `clipped_ends` keeps whole (`KEPT_END`)."""
    shortest, longest, otherwise = keep
    for length in range(shortest, longest + 1):
        if text[-length - 1] in " _-./":
            return length
    return otherwise


def clipped_ends(text: str, *, fits: int = 24, keep: tuple[int, int, int] = KEPT_END) -> SafeString:
    """`text` on one line within its cell, whole in its tooltip; when it does not fit, its
    middle is cut with an ellipsis and its end stays (well.css's well-ends, `KEPT_END`), so
    names alike but for their ends ("…_2026-11-04.pdf", "…_2026-11-18.pdf") read apart. A
    text of `fits` characters or fewer, which its cell shows whole, is `clipped`; a narrower
    cell keeps a shorter end (`keep`, read as `KEPT_END`)."""
    if len(text) <= fits:
        return clipped(text)
    kept = _kept_end(text, keep)
    return format_html(
        '<span class="well-ends" title="{}"><span class="well-clip">{}</span>'
        '<span class="well-ends-tail">{}</span></span>',
        text,
        text[:-kept],
        text[-kept:],
    )
