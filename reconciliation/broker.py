"""django-q2's Redis broker with two lists: the pipeline's other tasks before its documents.

With one first-in-first-out list, a poll that stores 250 documents queues 250 readings, and the
scheduler's minute (the polls that are due, the windows nobody closed, the sweeper that gives
back a killed worker's work) waits behind all of them: in the soak, a poll whose worker was
killed stayed given up for minutes while thousands of documents were read. Redis's BLPOP takes
from the first non-empty list it is named, so the scheduler's tasks, polls and windows go to the
front list and documents keep their own order in the second; nothing else changes. Tasks queued
by an older release are in the front list and are taken as before.
"""

from __future__ import annotations

from typing import Any

from django_q.brokers.redis_broker import Redis
from django_q.signing import SignedPackage

#: Tasks queued by the thousand (one per stored document): they wait behind the others.
BULK_TASKS = frozenset({"reconciliation.tasks.parse_document"})


def _is_bulk(task: str) -> bool:
    func = SignedPackage.loads(task).get("func")
    return isinstance(func, str) and func in BULK_TASKS


class PipelineRedis(Redis):
    def __init__(self, list_key: str | None = None) -> None:
        super().__init__(list_key)
        self.bulk_key = f"{self.list_key}:documents"

    def enqueue(self, task: str) -> Any:
        return self.connection.rpush(self.bulk_key if _is_bulk(task) else self.list_key, task)

    def dequeue(self) -> list[tuple[None, bytes]] | None:
        task = self.connection.blpop([self.list_key, self.bulk_key], 1)
        return [(None, task[1])] if task else None

    def queue_size(self) -> int:
        return int(self.connection.llen(self.list_key)) + int(self.connection.llen(self.bulk_key))

    def delete_queue(self) -> Any:
        return self.connection.delete(self.list_key, self.bulk_key)

    def purge_queue(self) -> None:
        for key in (self.list_key, self.bulk_key):
            self.connection.ltrim(key, 1, 0)
