"""django-q2 entry points: take ids, load nothing themselves, call exactly one domain function.

They are queued with `reconciliation.queue.enqueue` (after commit) or by the schedules in
`reconciliation.schedules`. Every domain function they call is idempotent, because django-q2
delivers at least once.
"""

from __future__ import annotations

import logging

from reconciliation import dispatch, window
from reconciliation.intake import folder_polls

logger = logging.getLogger(__name__)


def dispatch_due_work() -> str:
    report = dispatch.dispatch_due_work()
    return f"polls={report.polls_queued} windows={report.windows_queued}"


def sync_file_connection(connection_id: int, trigger: str = "schedule") -> str:
    try:
        result = folder_polls.sync_file_connection(connection_id=connection_id, trigger=trigger)
    except folder_polls.SyncNotAllowedError as refused:
        logger.info("sync of connection %s not allowed: %s", connection_id, refused)
        return str(refused)
    return f"{result.status}: {result.files_new} new, {result.files_duplicate} duplicates"


def parse_document(document_id: int) -> str:
    return window.read_document(document_id=document_id).outcome


def close_window(workspace_id: int) -> str:
    return window.close_window(workspace_id=workspace_id).status


def sweep_stuck_work() -> str:
    return str(dispatch.sweep_stuck_work())
