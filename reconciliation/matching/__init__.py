"""Matching: paperwork ↔ money.

- `match_window` — once per sync window, in batch: payment confirmations ↔ debits, invoices
  settled straight from the bank, double charges, inbound credits ↔ receivables.
- `attach_confirmed` — end of window: upload confirmed confirmations to Qonto.
- Review entry points: `pick_candidate`, `reject_all`, `reject_credit_candidates`,
  `refuse_double_charge`, `dismiss_double_charge` (each writes a `Decision`).

Scoring rules live in `scoring`, reference normalisation in `reconciliation.text.references`.
"""

from reconciliation.matching.attach import AttachReport, attach_confirmed, attach_idempotency_key
from reconciliation.matching.batch import MatchReport, match_window, policy_for
from reconciliation.matching.review import (
    MatchConflictError,
    PickResult,
    RejectResult,
    dismiss_double_charge,
    pick_candidate,
    refuse_double_charge,
    reject_all,
    reject_credit_candidates,
)

__all__ = [
    "AttachReport",
    "MatchConflictError",
    "MatchReport",
    "PickResult",
    "RejectResult",
    "attach_confirmed",
    "attach_idempotency_key",
    "dismiss_double_charge",
    "match_window",
    "pick_candidate",
    "policy_for",
    "refuse_double_charge",
    "reject_all",
    "reject_credit_candidates",
]
