"""What one posting window carries from call to call: its retry budget and tally, the invoices it
claimed (entries), and the settlements waiting to be applied under the row locks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from datetime import datetime
from datetime import timedelta
from typing import Any

from connectors.qonto import BulkItem
from connectors.qonto import QontoClient
from reconciliation.models import Connection
from reconciliation.models import Invoice
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Workspace

DEFAULT_RETRY_BUDGET_SECONDS = 60.0

#: Failures after which Qonto surely did not process the request (a 429 is refused before any
#: processing; a connection never opened sent nothing): the key was not used, so the invoice
#: is sent again without a look-up. Every other earlier send is looked up first.
NOT_PROCESSED_CODES = frozenset({"rate_limited", "no_connection"})


@dataclass(frozen=True)
class RetryBudget:
    """How hard one window tries before leaving an invoice ``failed`` for the next window.

    ``seconds`` caps the time spent waiting between rounds of one chunk; a ``Retry-After`` longer
    than what is left fails the chunk at once instead of blocking the worker."""

    max_rounds: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    seconds: float = DEFAULT_RETRY_BUDGET_SECONDS


@dataclass(kw_only=True)
class WindowCounts:
    """What a posting window did, counted as it goes (Tally) and reported (PostingReport)."""

    claimed: int = 0
    posted: int = 0
    #: Of ``posted``: found on Qonto by a look-up after an unknown outcome, not re-sent.
    resolved_by_lookup: int = 0
    rejected: int = 0
    failed: int = 0
    #: Claims handed back to the outbox (authorisation lost, worker stopping).
    released: int = 0
    #: Claims another worker or the sweeper took over meanwhile.
    lost_leases: int = 0
    requests: int = 0
    lookups: int = 0
    auth_stopped: bool = False
    #: Linked to an entry Qonto already had (nothing uploaded; not counted in ``posted``).
    linked: int = 0
    #: Sent to review by the probe: Qonto may already have them.
    probe_review: int = 0

    def counts(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(WindowCounts)}


@dataclass
class Tally(WindowCounts):
    stop_reason: str = ""
    #: "rejected by Qonto (invalid)" → count, for the report's error lines.
    causes: dict[str, int] = field(default_factory=dict)

    def add_cause(self, cause: str) -> None:
        self.causes[cause] = self.causes.get(cause, 0) + 1


@dataclass
class Window:
    workspace: Workspace
    connection: Connection
    worker_id: str
    client: QontoClient
    lease: timedelta
    budget: RetryBudget
    sleep: Callable[[float], None]
    tally: Tally = field(default_factory=Tally)
    #: Why Qonto's supplier invoices could not be mirrored this window ("" when they were):
    #: without the mirror, an invoice never sent is not probed and waits for the next window.
    mirror_error: str = ""


@dataclass
class Entry:
    """One claimed invoice on its way through the rounds of a window."""

    invoice: Invoice
    item: BulkItem
    #: Start of the earliest attempt whose outcome is unknown: look Qonto up before re-sending.
    unknown_since: datetime | None = None
    attempt: PostAttempt | None = None
    #: Settled (posted, rejected, failed) or taken over by another worker: nothing more to do.
    done: bool = False
    last_code: str = ""
    last_error: str = ""
    retry_after: float | None = None

    @property
    def key(self) -> str:
        return self.item.idempotency_key


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str


@dataclass
class Settlement:
    entry: Entry
    #: How to finish the entry's attempt (None: no attempt is open).
    outcome: PostOutcome | None
    details: dict[str, Any]
    #: The invoice transition to apply under the row lock (None: leave the invoice claimed).
    move: Callable[[Invoice], None] | None
    counter: str = ""
    #: For the report: "rejected by Qonto (invalid)", "failed, retried next window (http_503)".
    cause: str = ""


class AuthStopError(Exception):
    """Qonto refused our authorisation: stop posting for this workspace now."""


class WindowStopError(Exception):
    """Every further call would fail the same way (our own configuration): end the window."""
