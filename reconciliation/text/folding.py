"""Case and accent folding: the one place text is made comparable.

Three foldings, because three different things are compared:

* :func:`fold` gives comparison keys (names, labels, vendor values): lower case without
  accents, and "ß" written "ss" so "Straße" equals "Strasse". The result may be longer than
  the input, so positions in it mean nothing in the original.
* :func:`fold_keeping_offsets` is for searching inside a document's text: one character for
  one character, so a match at offset 12 in the folded text is at offset 12 in the original
  (the extraction engine maps matches back to their place on the page). "ß" stays "ß", a
  ligature keeps its first letter.
* :func:`fold_upper_ascii` is for payment references, which banks carry as upper-case ASCII:
  accents dropped, anything that is not ASCII dropped ("N°" gives "N").

Pure: no Django, no I/O (the extraction engine imports it in its isolated process).
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents, for comparing: "Société Générale" gives
    "societe generale", "Straße" gives "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.replace("ß", "ss").casefold()


def fold_keeping_offsets(text: str) -> str:
    """Lower case without accents, one character for one character: "Février 2024" gives
    "fevrier 2024" and every offset in the result is the same offset in ``text``."""
    out: list[str] = []
    for char in text:
        lowered = char.lower()
        if len(lowered) != 1:
            lowered = char  # "İ" lowers to two characters: keep the one we have
        if ord(lowered) > 127:
            base = unicodedata.normalize("NFKD", lowered)[:1]
            if base and not unicodedata.combining(base):
                lowered = base
        out.append(lowered)
    return "".join(out)


def fold_upper_ascii(text: str) -> str:
    """Upper-case ASCII as banks carry references: accents dropped, other non-ASCII
    characters dropped ("N°" gives "N")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii").upper()
