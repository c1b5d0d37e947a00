"""django-q2 entry points: take ids, load nothing themselves, call exactly one domain function.

They are queued with `reconciliation.queue.enqueue` (after commit) or by the schedules in
`reconciliation.schedules`. Every domain function they call is idempotent, because django-q2
delivers at least once.
"""

from __future__ import annotations

import logging

from reconciliation import dispatch
from reconciliation import window
from reconciliation.intake import folder_polls
from reconciliation.models.audit import SyncTrigger
from reconciliation.observability.tasks import observed
from reconciliation.observability.tasks import record_parse
from reconciliation.observability.tasks import record_window

logger = logging.getLogger(__name__)


@observed
def dispatch_due_work() -> str:
    report = dispatch.dispatch_due_work()
    return f"polls={report.polls_queued} windows={report.windows_queued}"


@observed
def sync_file_connection(connection_id: int, trigger: str = SyncTrigger.SCHEDULE) -> str:
    try:
        result = folder_polls.sync_file_connection(connection_id=connection_id, trigger=trigger)
    except folder_polls.SyncNotAllowedError as refused:
        logger.info("sync of connection %s not allowed: %s", connection_id, refused)
        return str(refused)
    return f"{result.status}: {result.files_new} new, {result.files_duplicate} duplicates"


@observed
def parse_document(document_id: int) -> str:
    own, *more = window.read_document(document_id=document_id)
    for result in (own, *more):
        if result.outcome != "skipped":
            record_parse(result.document_id, result.seconds, result.outcome)
    return own.outcome + (f" (+{len(more)} more of its workspace)" if more else "")


@observed
def close_window(workspace_id: int, trigger: str = SyncTrigger.WINDOW) -> str:
    report = window.close_window(workspace_id=workspace_id, trigger=trigger)
    record_window(report.invoices_posted, report.invoices_failed, report.attachments)
    return report.status


@observed
def sweep_stuck_work() -> str:
    return str(dispatch.sweep_stuck_work())


@observed
def send_daily_digests() -> str:
    from reconciliation.reports.digest import send_daily_digests as send

    run = send()
    return f"sent={run.sent} already={run.already} failed={run.failed}"
