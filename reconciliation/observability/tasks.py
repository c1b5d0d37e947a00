"""The wrapper every q2 entry point wears: ids bound for its log lines, time and failures counted.

The task id comes from django-q2's ``pre_execute`` signal (sent in the worker just before the
function runs); the workspace, document and connection ids from the task's own arguments, the
workspace looked up by primary key when the task only names a document or a connection.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import Any
from typing import ParamSpec
from typing import TypeVar

from django.dispatch import receiver
from django_q.signals import post_execute_in_worker
from django_q.signals import pre_execute

from reconciliation.observability import context
from reconciliation.observability import metrics

P = ParamSpec("P")
R = TypeVar("R")

_ID_ARGUMENTS = ("workspace_id", "document_id", "connection_id")


@receiver(pre_execute, dispatch_uid="well-observability-task-id")
def _bind_task_id(sender: object, task: dict[str, Any], **kwargs: object) -> None:
    # The worker runs one task at a time in its own process: the id holds until the task ends.
    context.set_id("task_id", str(task.get("id") or "") or None)


@receiver(post_execute_in_worker, dispatch_uid="well-observability-task-id-done")
def _release_task_id(sender: object, task: dict[str, Any], **kwargs: object) -> None:
    # A task run in the calling process (sync mode) must not lend its id to the lines after it.
    context.set_id("task_id", None)


def observed(func: Callable[P, R]) -> Callable[P, R]:
    """Bind the ids the task's arguments name, time it, count its failures."""
    name = func.__name__
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        arguments = signature.bind_partial(*args, **kwargs).arguments
        ids = {key: arguments[key] for key in _ID_ARGUMENTS if key in arguments}
        ids.setdefault("workspace_id", workspace_of(ids))
        started = time.perf_counter()
        with context.bind(**ids):
            try:
                return func(*args, **kwargs)
            except Exception:
                metrics.TASK_FAILURES.labels(name).inc()
                raise
            finally:
                metrics.TASK_SECONDS.labels(name).observe(time.perf_counter() - started)

    return wrapper


def workspace_of(ids: dict[str, Any]) -> int | None:
    """The workspace a document or a connection belongs to (one primary-key read)."""
    from reconciliation.models import Connection
    from reconciliation.models import Document

    if ids.get("document_id") is not None:
        return (
            Document.objects.filter(pk=ids["document_id"])
            .values_list("workspace_id", flat=True)
            .first()
        )
    if ids.get("connection_id") is not None:
        return (
            Connection.objects.filter(pk=ids["connection_id"])
            .values_list("workspace_id", flat=True)
            .first()
        )
    return None


def record_parse(document_id: int, seconds: float, outcome: str) -> None:
    """Parse time by lane (the lane the reader took, stored on the document)."""
    from reconciliation.models import Document

    lane = "failed"
    if outcome != "failed":
        lane = (
            Document.objects.filter(pk=document_id)
            .values_list("extraction__source", flat=True)
            .first()
        ) or "none"
    metrics.PARSE_SECONDS.labels(str(lane)).observe(seconds)


def record_window(posted: int, failed: int, attachments: int) -> None:
    if posted:
        metrics.POSTS.labels("posted").inc(posted)
    if failed:
        metrics.POSTS.labels("failed").inc(failed)
    if attachments:
        metrics.ATTACHMENTS.inc(attachments)
