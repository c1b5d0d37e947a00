"""Enqueue django-q2 tasks after the surrounding transaction commits.

A task queued inside a transaction that later rolls back would run against rows that do not
exist (or be lost with them), so every enqueue goes through `transaction.on_commit`.
"""

from __future__ import annotations

from django.db import transaction
from django_q.brokers import get_broker
from django_q.tasks import async_task


def enqueue(task: str, *args: int | str, group: str | None = None) -> None:
    """Queue `task` (dotted path of a function in reconciliation.tasks) with id arguments."""

    def _send() -> None:
        async_task(task, *args, group=group or task.rsplit(".", 1)[-1])

    transaction.on_commit(_send)


def broker_is_empty() -> bool:
    """Nothing waits in the broker (tasks a cluster has already taken are not counted)."""
    return not get_broker().queue_size()
