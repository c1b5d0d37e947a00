"""django-q2's Redis broker with two lists: documents to read apart from the pipeline's other tasks.

With one first-in-first-out list, a poll that stores 250 documents queues 250 readings, and the
scheduler's minute (the polls that are due, the windows nobody closed, the sweeper that gives
back a killed worker's work) waits behind all of them: in the soak, a poll whose worker was
killed stayed given up for minutes while thousands of documents were read. Here documents go to
a list of their own, and each pusher takes from the two lists in turn (Redis's BLPOP takes from
the first non-empty list it is named; the order alternates): the scheduler's work no longer waits
behind every document, and documents still get half the takes while polls and windows keep
coming (strict priority starved them in the 10,000-document soak). Each list keeps its order;
tasks queued by an older release are in the first list and are taken as before.
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
        self._documents_first = True  # flipped before each take: the first is the others

    def enqueue(self, task: str) -> Any:
        return self.connection.rpush(self.bulk_key if _is_bulk(task) else self.list_key, task)

    def dequeue(self) -> list[tuple[None, bytes]] | None:
        keys = [self.list_key, self.bulk_key]
        self._documents_first = not self._documents_first
        task = self.connection.blpop(keys[::-1] if self._documents_first else keys, 1)
        return [(None, task[1])] if task else None

    def queue_size(self) -> int:
        return int(self.connection.llen(self.list_key)) + int(self.connection.llen(self.bulk_key))

    def delete_queue(self) -> Any:
        return self.connection.delete(self.list_key, self.bulk_key)

    def purge_queue(self) -> None:
        for key in (self.list_key, self.bulk_key):
            self.connection.ltrim(key, 1, 0)
