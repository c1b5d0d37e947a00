"""A flag badge that is a link (the review queue's "Possible double payment" in "Money gone —
answer these first") reads in the badge's own text colour, not Django's link blue on the red
badge, and underlines on hover (tour: unreadable flag link)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

CSS = Path(settings.BASE_DIR, "static", "well", "well.css").read_text()


def _declarations(selector: str) -> dict[str, str]:
    """The declarations of every rule whose selector list names `selector`, merged in order."""
    merged: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", CSS):
        uncommented = re.sub(r"/\*.*?\*/", "", selectors, flags=re.S)
        names = [name.strip() for name in uncommented.split(",")]
        if selector in names:
            for declaration in body.split(";"):
                if ":" in declaration:
                    prop, value = declaration.split(":", 1)
                    merged[prop.strip()] = value.strip()
    return merged


def _luminance(colour: str) -> float:
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(digit * 2 for digit in hex_digits)
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("variant", ["double", "match"])
@pytest.mark.parametrize("state", ["link", "visited", "hover", "focus"])
def test_flag_link_keeps_the_badge_text_colour(variant: str, state: str) -> None:
    badge = _declarations(f".well-flag-{variant}")
    link = _declarations(f"a.well-flag-{variant}:{state}")
    assert link.get("color") == badge["color"]
    assert _contrast(link["color"], badge["background"]) >= 4.5


@pytest.mark.parametrize("state", ["link", "visited", "hover", "focus"])
def test_link_inside_a_flag_inherits_the_badge_colour(state: str) -> None:
    assert _declarations(f".well-flag a:{state}").get("color") == "inherit"


def test_flag_link_underlines_on_hover_only() -> None:
    assert _declarations("a.well-flag:link").get("text-decoration") == "none"
    assert _declarations("a.well-flag:hover").get("text-decoration") == "underline"
    assert _declarations(".well-flag a:hover").get("text-decoration") == "underline"
