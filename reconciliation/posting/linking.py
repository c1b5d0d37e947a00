"""Acting on the probe: inside a posting window (link, send to review, or let the invoice go on
to the upload), and a person's two answers on the invoice page (link this entry / post anyway).
Every link and every "post anyway" is recorded as a decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from reconciliation.invoices.reasons import sentence
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import QontoSupplierInvoice
from reconciliation.posting.leases import locked_if_held
from reconciliation.posting.lookup import sent_before
from reconciliation.posting.probe import ProbeResult
from reconciliation.posting.probe import candidates_for
from reconciliation.posting.probe import candidates_json
from reconciliation.posting.probe import needs_probe
from reconciliation.posting.probe import probe
from reconciliation.posting.settling import NEXT_WINDOW_DELAY
from reconciliation.posting.state import Window

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


class LinkError(Exception):
    """The entry cannot be linked (gone from the mirror, linked elsewhere, invoice decided)."""


@dataclass(frozen=True)
class PersonLink:
    invoice_id: int
    qonto_id: str
    status: str


def probe_chunk(window: Window, invoices: list[Invoice]) -> list[Invoice]:
    """Probe the claimed invoices never sent; link or send to review what Qonto may already
    have. Returns the invoices that go on to the upload."""
    sent = sent_before([invoice.pk for invoice in invoices])
    fresh = [invoice for invoice in invoices if needs_probe(invoice, sent=invoice.pk in sent)]
    fresh_ids = {invoice.pk for invoice in fresh}
    going = [invoice for invoice in invoices if invoice.pk not in fresh_ids]
    if not fresh:
        return going
    if window.mirror_error:
        for invoice in fresh:
            _wait_for_mirror(window, invoice)
        return going
    threshold = int(window.workspace.qonto_link_threshold)
    pools = candidates_for(window.workspace, fresh)
    for invoice in fresh:
        result = probe(invoice, pools.get(invoice.pk, []), threshold=threshold)
        if result.verdict == "post":
            going.append(invoice)
        elif result.verdict == "link":
            _link_in_window(window, invoice, result)
        else:
            _review_in_window(window, invoice, result)
    return going


def _link_in_window(window: Window, invoice: Invoice, result: ProbeResult) -> None:
    best = result.best
    assert best is not None
    linked = _act_on_probe(
        window,
        invoice,
        result,
        outcome="linked",
        move=lambda locked: locked.mark_as_linked(best.qonto_id),
        action=DecisionAction.LINK_QONTO,
        after={"qonto_id": best.qonto_id, "score": best.score},
        reason=f"Qonto already had this invoice (supplier invoice {best.qonto_id}, "
        f"{best.score}/100 ≥ {result.threshold}: {', '.join(best.reasons)}). Linked to it; "
        "nothing was uploaded.",
    )
    if linked:
        window.tally.linked += 1


def _review_in_window(window: Window, invoice: Invoice, result: ProbeResult) -> None:
    best = result.best
    assert best is not None
    reason = sentence(
        "qonto_candidates",
        detail=f"{len(result.candidates)} entr"
        f"{'y' if len(result.candidates) == 1 else 'ies'} scoring {best.score}/100 "
        f"(links at {result.threshold}). Link one, or post anyway.",
    ).text
    sent_to_review = _act_on_probe(
        window,
        invoice,
        result,
        outcome="review",
        move=lambda locked: locked.probe_to_review([reason]),
        action=DecisionAction.ROUTE,
        after={"candidates": [c.qonto_id for c in result.candidates]},
        reason=reason,
    )
    if sent_to_review:
        window.tally.probe_review += 1


def _act_on_probe(
    window: Window,
    invoice: Invoice,
    result: ProbeResult,
    *,
    outcome: str,
    move: Callable[[Invoice], None],
    action: DecisionAction,
    after: dict[str, object],
    reason: str,
) -> bool:
    """Apply the probe's outcome to a claimed invoice and record it; False when the lease was
    lost meanwhile."""
    with transaction.atomic():
        locked = locked_if_held(window, invoice)
        if locked is None:
            return False
        locked.qonto_probe = _probe_json(result, outcome=outcome)
        move(locked)
        locked.save()
        Decision.record_for_invoice(
            locked,
            action,
            actor=None,
            before={"status": InvoiceStatus.POSTING},
            after={"status": locked.status, **after},
            reason=reason,
        )
    return True


def _wait_for_mirror(window: Window, invoice: Invoice) -> None:
    with transaction.atomic():
        locked = locked_if_held(window, invoice)
        if locked is None:
            return
        locked.mark_as_failed(
            "Not sent: Qonto's supplier invoices could not be listed to check that Qonto does "
            f"not already have this one ({window.mirror_error}).",
            timezone.now() + NEXT_WINDOW_DELAY,
        )
        locked.last_error_code = "probe_failed"
        locked.save()
    window.tally.failed += 1
    window.tally.add_cause("failed, retried next window (probe_failed)")


def _probe_json(result: ProbeResult, *, outcome: str) -> dict[str, object]:
    return {
        "outcome": outcome,
        "threshold": result.threshold,
        "probed_at": timezone.now().isoformat(),
        "candidates": candidates_json(result),
    }


# --- a person's answers ---------------------------------------------------------------------


def link_invoice(
    *, invoice_id: int, qonto_id: str, user: AbstractBaseUser | AnonymousUser | None
) -> PersonLink:
    """Link the invoice to an entry Qonto already has (one of the probe's candidates)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        entry = (
            QontoSupplierInvoice.objects.for_workspace(invoice.workspace_id)
            .filter(qonto_id=qonto_id, is_well_upload=False)
            .first()
        )
        if entry is None:
            raise LinkError(f"Qonto entry {qonto_id} is not in Well's copy of Qonto.")
        taken = (
            Invoice.objects.for_workspace(invoice.workspace_id)
            .filter(qonto_id=qonto_id)
            .exclude(pk=invoice.pk)
            .first()
        )
        if taken is not None:
            raise LinkError(f"Qonto entry {qonto_id} is already linked to {taken}.")
        before = {"status": invoice.status, "qonto_id": invoice.qonto_id}
        try:
            invoice.mark_as_linked(qonto_id)
        except IllegalTransitionError as error:
            raise LinkError(f"{invoice} is {invoice.get_status_display().lower()}.") from error
        invoice.qonto_probe = {**invoice.qonto_probe, "decision": "link", "linked": qonto_id}
        invoice.decided_by = user if user is not None and user.is_authenticated else None  # type: ignore[assignment]
        invoice.decided_at = timezone.now()
        invoice.save()
        Decision.record_for_invoice(
            invoice,
            DecisionAction.LINK_QONTO,
            actor=user,
            before=before,
            after={"status": invoice.status, "qonto_id": qonto_id},
            reason=f"Linked by a person to the entry Qonto already had ({entry}); nothing "
            "is uploaded.",
        )
    return PersonLink(invoice.pk, qonto_id, invoice.status)


def post_anyway(*, invoice_id: int, user: AbstractBaseUser | AnonymousUser | None) -> PersonLink:
    """The candidates are other invoices: approve it for the next posting window, never probed
    again."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.status != InvoiceStatus.NEEDS_REVIEW or invoice.is_held:
            raise LinkError(f"{invoice} is {invoice.get_status_display().lower()}.")
        invoice.qonto_probe = {**invoice.qonto_probe, "decision": "post_anyway"}
        approve_anyway(
            invoice,
            user,
            note="posted anyway: not one of the entries Qonto already has",
            before={"status": invoice.status},
            reason="A person checked the entries Qonto already has: none is this invoice. "
            "It is uploaded in the next posting window.",
        )
    return PersonLink(invoice.pk, "", invoice.status)


def approve_anyway(
    invoice: Invoice,
    user: AbstractBaseUser | AnonymousUser | None,
    *,
    note: str,
    before: dict[str, object],
    reason: str,
    after: dict[str, object] | None = None,
) -> None:
    """A person's "post it anyway" on the locked invoice: approved for the next posting window
    (with `note` as the decision's reason on the invoice), saved and recorded."""
    invoice.approve(user, note)  # type: ignore[arg-type]
    invoice.save()
    Decision.record_for_invoice(
        invoice,
        DecisionAction.POST_ANYWAY,
        actor=user,
        before=before,
        after={"status": invoice.status, **(after or {})},
        reason=reason,
    )
