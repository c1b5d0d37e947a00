"""The dashboard as the tour read it: the confidence histogram carries its counts, an empty
chart does not repeat its title, and the cards keep their own height."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from reconciliation.admin.dashboard import bar_chart
from reconciliation.admin.dashboard import column_chart


def test_histogram_shows_each_columns_count() -> None:
    chart = str(column_chart([("0–10", 0), ("80–90", 7), ("90–100", 12)], title="h", counts=True))
    values = re.findall(r'class="well-chart-value">(\d+)</text>', chart)
    assert values == ["0", "7", "12"]
    assert "well-chart-value" not in str(column_chart([("a", 3)], title="volume"))


def test_an_empty_chart_says_nothing_yet_without_its_title() -> None:
    assert str(bar_chart([], title="Post failures by cause (30 days)")) == (
        '<p class="well-chart-empty">Nothing yet.</p>'
    )


def test_cards_do_not_stretch_to_the_tallest() -> None:
    css = Path(settings.BASE_DIR, "static", "well", "well.css").read_text()
    tiles = re.search(r"\.well-tiles\s*\{([^}]*)\}", css)
    assert tiles is not None
    assert "align-items: flex-start" in tiles.group(1)
