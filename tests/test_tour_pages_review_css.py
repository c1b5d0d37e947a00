"""The review screen's stylesheet: the confidence table's figures never wrap ("100 %" on one
line) and the fields' value column keeps room for an IBAN (08b/08c of the tour)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

CSS = Path(settings.BASE_DIR, "static", "well", "well.css").read_text()


def _rule(selector: str) -> str:
    found = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert found, selector
    return found.group(1)


def test_confidence_figures_do_not_wrap() -> None:
    assert "white-space: nowrap" in _rule(".well-components td")


def test_field_meta_leaves_room_for_the_value() -> None:
    meta = _rule(".well-field-meta")
    assert "nowrap" not in meta
    assert int(re.search(r"width:\s*(\d+)px", meta).group(1)) <= 100  # type: ignore[union-attr]
    assert "monospace" in _rule('.well-field[data-field$="iban"] input')
