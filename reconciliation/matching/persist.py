"""Writing a window's rankings as `Match` rows, the same way for every pairing kind.

A window ranks candidates for each piece of paperwork (or each credit); what it writes is the
confident best as ``confirmed``, or the top candidates as ``proposed`` for review. Rows a person
decided are never touched: only Well's own ``proposed`` rows are updated or dropped, and an
unchanged proposal is not rewritten (a second window over the same data writes nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from django.db import transaction as db_transaction
from django.utils import timezone

from reconciliation.matching.scoring import Ranking
from reconciliation.matching.scoring import ScoredCandidate
from reconciliation.matching.scoring import worth_review
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Match
from reconciliation.models import MatchStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("reconciliation.matching")

#: How many candidates a reviewer sees.
REVIEW_CANDIDATES = 3
#: What a window may change on a match row.
WRITTEN_FIELDS = (
    "status",
    "invoice",
    "score",
    "rank",
    "reasons",
    "amount_basis",
    "matched_amount",
    "matched_currency",
    "fx_rate",
    "decided_at",
)
#: A proposal is known by (its paperwork or credit, the other side).
RowKey = tuple[int, Hashable]


def proposal_state(match: Match) -> tuple[Any, ...]:
    return tuple(
        getattr(match, "invoice_id" if name == "invoice" else name) for name in WRITTEN_FIELDS
    )


def chunks(ids: Iterable[int], size: int = 900) -> Iterable[list[int]]:
    """Sorted ids in pieces small enough for one ``IN (...)`` on every database."""
    ordered = sorted(set(ids))
    for offset in range(0, len(ordered), size):
        yield ordered[offset : offset + size]


def load_proposals(
    queryset: Any, owner_field: str, owner_ids: Iterable[int], key_of: Callable[[Match], Hashable]
) -> dict[RowKey, Match]:
    """Well's current proposals of ``queryset`` for these owners, by (owner, other side)."""
    found: dict[RowKey, Match] = {}
    for chunk in chunks(owner_ids):
        for match in queryset.filter(status=MatchStatus.PROPOSED, **{f"{owner_field}__in": chunk}):
            found[(getattr(match, f"{owner_field}_id") or 0, key_of(match))] = match
    return found


def transaction_of(candidate: ScoredCandidate) -> int:
    return candidate.transaction_id


def transaction_side(candidate: ScoredCandidate) -> dict[str, Any]:
    return {"transaction_id": candidate.transaction_id}


@dataclass
class MatchWriter:
    """Collects a window's rows, then writes them in one transaction (`save`)."""

    existing: dict[RowKey, Match]
    now: datetime = field(default_factory=timezone.now)
    to_create: list[Match] = field(default_factory=list)
    to_update: list[Match] = field(default_factory=list)
    kept: set[RowKey] = field(default_factory=set)

    def keep_ranking(
        self,
        owner: int,
        ranking: Ranking,
        *,
        confident: bool,
        key_of: Callable[[ScoredCandidate], Hashable],
        fields: dict[str, Any],
        side_of: Callable[[ScoredCandidate], dict[str, Any]],
        invoice_of: Callable[[ScoredCandidate], int | None] | None = None,
    ) -> list[ScoredCandidate]:
        """Write the confident best (confirmed) or the candidates worth a review (proposed);
        returns the candidates kept. A new row gets ``fields`` (its paperwork or credit) and
        ``side_of(candidate)`` (the other side)."""
        keep = list(
            ranking.candidates[:1] if confident else worth_review(ranking, REVIEW_CANDIDATES)
        )
        status = MatchStatus.CONFIRMED if confident else MatchStatus.PROPOSED
        for position, candidate in enumerate(keep, start=1):
            key = (owner, key_of(candidate))
            self.kept.add(key)
            match = self.existing.get(key) or Match(**fields, **side_of(candidate))
            before = proposal_state(match)
            match.keep_as_candidate(confident=confident)
            if invoice_of is not None:
                match.invoice_id = invoice_of(candidate)
            match.score = candidate.score
            match.rank = position
            match.reasons = [*candidate.reasons, ranking.explanation]
            match.amount_basis = candidate.amount.basis
            match.matched_amount = candidate.amount.matched_amount
            match.matched_currency = candidate.amount.matched_currency
            match.fx_rate = candidate.amount.fx_rate
            match.decided_at = self.now if confident else None
            logger.info(
                "%s %s ↔ %s: %s, score %s (%s)",
                match.kind,
                owner,
                key[1],
                status,
                candidate.score,
                "; ".join(match.reasons),
            )
            if match._state.adding:
                self.to_create.append(match)
            elif proposal_state(match) != before:
                self.to_update.append(match)
        return keep

    def save(self, *, owners: Iterable[int]) -> None:
        """Write everything; the stale proposals of ``owners`` (those not kept) are dropped."""
        wanted = set(owners)
        stale = [
            match.pk
            for key, match in self.existing.items()
            if key[0] in wanted and key not in self.kept
        ]
        with db_transaction.atomic():
            for chunk in chunks(stale):
                # Never a reviewer's decision: only `proposed` rows are dropped.
                Match.objects.filter(pk__in=chunk, status=MatchStatus.PROPOSED).delete()
            Match.objects.bulk_update(self.to_update, list(WRITTEN_FIELDS), batch_size=500)
            Match.objects.bulk_create(self.to_create, batch_size=500)


def match_summary(match: Match) -> dict[str, Any]:
    return {
        "match": match.pk,
        "kind": match.kind,
        "status": match.status,
        "transaction": match.transaction_id,
        "score": str(match.score),
    }


#: What a change of a match also moved, as (before, after) values for its decision's record.
Moved = tuple[dict[str, Any], dict[str, Any]]


def decide_match(
    match: Match,
    change: Callable[[Match], Moved | None],
    action: DecisionAction,
    *,
    actor: AbstractBaseUser | None,
    reason: str,
) -> None:
    """Apply ``change`` (a transition of ``match``), save it and record the decision with the
    match before and after (the caller holds whatever lock the decision needs), and with what
    the change says it also moved (a refused invoice reopened: its status before and after,
    read under the change's own lock), so the trail says what became of it."""
    before = match_summary(match)
    moved_before, moved_after = change(match) or ({}, {})
    match.save(update_fields=["status", "decided_by", "decided_at"])
    Decision.record_for_match(
        match,
        action,
        actor=actor,
        before=before | moved_before,
        after=match_summary(match) | moved_after,
        reason=reason,
    )
