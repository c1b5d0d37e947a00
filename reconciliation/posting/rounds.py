"""The window's work: claim a chunk, then rounds of look-ups, requests and waits until every
invoice of the chunk is settled or the budget is spent; chunk after chunk until the outbox is
empty or Qonto refuses our authorisation."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from connectors.config import QontoConfig
from connectors.http import RetryPolicy
from connectors.http import backoff_delay
from connectors.qonto import QontoClient
from reconciliation.connections.tokens import ConnectionTokenSource
from reconciliation.connections.tokens import mark_needs_reauth
from reconciliation.models import Connection
from reconciliation.posting.batches import prepare
from reconciliation.posting.batches import request_batches
from reconciliation.posting.leases import claim
from reconciliation.posting.leases import release_held
from reconciliation.posting.leases import renew_leases
from reconciliation.posting.lookup import resolve_unknown
from reconciliation.posting.sending import send_batch
from reconciliation.posting.settling import fail
from reconciliation.posting.state import AuthStopError
from reconciliation.posting.state import Entry
from reconciliation.posting.state import RetryBudget
from reconciliation.posting.state import Window
from reconciliation.posting.state import WindowStopError

logger = logging.getLogger("reconciliation.posting")

#: Invoices claimed at a time: one full request, so two workers share a window's work.
CLAIM_SIZE = 20

#: Safety stop for one window: chunks claimed by one worker.
MAX_CHUNKS_PER_WINDOW = 10_000


def bounded(budget: RetryBudget, lease: timedelta) -> RetryBudget:
    """A chunk's waits must fit in its lease (which is renewed before each call)."""
    ceiling = lease.total_seconds() / 3
    if budget.seconds <= ceiling:
        return budget
    return RetryBudget(budget.max_rounds, budget.base_delay, budget.max_delay, ceiling)


def client_for(connection: Connection, lease: timedelta) -> QontoClient:
    # The client's own retries (429 and connect failures on the upload, anything on reads) stay
    # short: a whole call, retries included, must end well inside the lease renewed before it.
    policy = RetryPolicy(
        max_attempts=3,
        base_delay=0.5,
        max_delay=5.0,
        budget=min(20.0, lease.total_seconds() / 6),
    )
    return QontoClient(
        QontoConfig.from_settings(), ConnectionTokenSource(connection.pk), retry=policy
    )


def drain(window: Window) -> None:
    for _ in range(MAX_CHUNKS_PER_WINDOW):
        claimed = claim(window, CLAIM_SIZE)
        if not claimed:
            return
        window.tally.claimed += len(claimed)
        try:
            entries = prepare(window, claimed)
            _post_chunk(window, entries)
        except AuthStopError as stop:
            reason = str(stop)
            window.tally.auth_stopped = True
            window.tally.stop_reason = f"Qonto refused the authorisation: {reason}"
            window.tally.released += release_held(
                window, code="auth", detail=f"Posting stopped: {reason}"
            )
            mark_needs_reauth(window.connection.pk, f"Posting to Qonto stopped: {reason}")
            return
        except WindowStopError as stop:
            window.tally.stop_reason = str(stop)
            window.tally.released += release_held(window, code="stopped", detail=str(stop))
            return


def _post_chunk(window: Window, entries: list[Entry]) -> None:
    """Rounds: look up unknown outcomes, send what is safe to send, wait, repeat what failed
    transiently; whatever is left when the budget is spent is ``failed`` for the next window."""
    pending = entries
    slept = 0.0
    round_number = 0
    while pending:
        round_number += 1
        pending = renew_leases(window, pending)
        retry: list[Entry] = []
        needs_lookup = [entry for entry in pending if entry.unknown_since is not None]
        if needs_lookup:
            retry.extend(resolve_unknown(window, needs_lookup))
        sendable = [
            entry
            for entry in pending
            if not entry.done and entry.unknown_since is None and entry not in retry
        ]
        for batch in request_batches(window, sendable):
            # Each call gets a full lease: a chunk split into several requests stays covered.
            held = renew_leases(window, batch)
            if held:
                retry.extend(send_batch(window, held, round_number))
        retry = [entry for entry in retry if not entry.done]
        if not retry:
            return
        delay = _retry_delay(window.budget, round_number, retry)
        if round_number >= window.budget.max_rounds or slept + delay > window.budget.seconds:
            fail(window, retry)
            return
        logger.info(
            "posting: %d invoice(s) of workspace %s retried in %.1f s (round %d)",
            len(retry),
            window.workspace.pk,
            delay,
            round_number,
        )
        window.sleep(delay)
        slept += delay
        pending = retry


def _retry_delay(budget: RetryBudget, round_number: int, retry: Sequence[Entry]) -> float:
    """Qonto's Retry-After when it gave one (the longest of the chunk), else full-jitter
    exponential backoff."""
    asked = [entry.retry_after for entry in retry if entry.retry_after is not None]
    if asked:
        return max(asked)
    policy = RetryPolicy(
        max_attempts=budget.max_rounds, base_delay=budget.base_delay, max_delay=budget.max_delay
    )
    return backoff_delay(round_number, policy)
