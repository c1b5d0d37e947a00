"""Matching: paperwork ↔ money.

- `match_window` — once per sync window, in batch: invoices paid straight from the bank (in
  either currency), payment confirmations ↔ debits, double charges, double payments, refused
  invoices found paid, inbound credits ↔ receivables and credit notes.
- `attach_confirmed` — end of window: upload confirmed confirmations to Qonto.
- Review entry points: `pick_candidate`, `reject_all`, `reject_invoice_candidates`,
  `reject_credit_candidates`, `refuse_double_charge`, `dismiss_double_charge`, and for money
  already gone `request_refund`, `dismiss_double_payment`, `keep_refused`,
  `reopen_paid_refused` (each writes a `Decision`).

Scoring rules live in `scoring`, reference normalisation in `reconciliation.text.references`,
exchange rates in `reconciliation.fx` (the one rule posting uses too).
"""

from reconciliation.matching.attach import AttachReport
from reconciliation.matching.attach import attach_confirmed
from reconciliation.matching.attach import attach_idempotency_key
from reconciliation.matching.batch import MatchReport
from reconciliation.matching.batch import match_window
from reconciliation.matching.batch import policy_for
from reconciliation.matching.flags import dismiss_double_payment
from reconciliation.matching.flags import keep_refused
from reconciliation.matching.flags import reopen_paid_refused
from reconciliation.matching.flags import request_refund
from reconciliation.matching.review import MatchConflictError
from reconciliation.matching.review import PickResult
from reconciliation.matching.review import RejectResult
from reconciliation.matching.review import dismiss_double_charge
from reconciliation.matching.review import pick_candidate
from reconciliation.matching.review import refuse_double_charge
from reconciliation.matching.review import reject_all
from reconciliation.matching.review import reject_credit_candidates
from reconciliation.matching.review import reject_invoice_candidates

__all__ = [
    "AttachReport",
    "MatchConflictError",
    "MatchReport",
    "PickResult",
    "RejectResult",
    "attach_confirmed",
    "attach_idempotency_key",
    "dismiss_double_charge",
    "dismiss_double_payment",
    "keep_refused",
    "match_window",
    "pick_candidate",
    "policy_for",
    "refuse_double_charge",
    "reject_all",
    "reject_credit_candidates",
    "reject_invoice_candidates",
    "reopen_paid_refused",
    "request_refund",
]
