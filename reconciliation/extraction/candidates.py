"""What a field extractor proposes: a value, where it was read, and the features the
confidence model weighs."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from reconciliation.extraction.types import Evidence
from reconciliation.extraction.types import FieldValue


@dataclass
class Guess:
    value: FieldValue
    evidence: Evidence | None
    score: float  # ranking only; the confidence comes from ``features``
    features: dict[str, float] = field(default_factory=dict)


def pick(guesses: list[Guess], key: object = None) -> Guess | None:
    """The best guess, with agreement and competition recorded as features: how many
    guesses share its value and how strong the best different value is."""
    if not guesses:
        return None

    def norm(value: object) -> str:
        return "".join(ch for ch in str(value).casefold() if ch.isalnum())

    groups: dict[str, list[Guess]] = {}
    for guess in guesses:
        groups.setdefault(norm(guess.value), []).append(guess)
    ranked = sorted(
        groups.values(),
        key=lambda group: max(g.score for g in group) + 0.15 * min(len(group) - 1, 3),
        reverse=True,
    )
    winner_group = ranked[0]
    best = max(winner_group, key=lambda g: g.score)
    best.features["support"] = float(len(winner_group))
    if len(ranked) > 1:
        runner = max(g.score for g in ranked[1])
        best.features["competitor"] = runner
        best.features["margin"] = best.score - runner
        # Another value almost as well supported: the choice between them is a coin toss.
        best.features["contested"] = float(best.score - runner < 0.25)
    else:
        best.features["competitor"] = 0.0
        best.features["margin"] = best.score
    return best
