"""On Redis, documents to read wait behind the pipeline's other tasks (the scheduler's ticks,
polls, windows), in their own order; the queue's size counts both."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django_q.conf import Conf
from django_q.signing import SignedPackage

from reconciliation.broker import PipelineRedis

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineRedis]:
    monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    queue = PipelineRedis(list_key=f"well-test-{uuid.uuid4().hex}")
    yield queue
    queue.delete_queue()


def _task(func: str, *args: int) -> str:
    return str(SignedPackage.dumps({"id": uuid.uuid4().hex, "func": func, "args": args}))


def _taken(broker: PipelineRedis) -> list[tuple[str, tuple[int, ...]]]:
    taken = []
    while rows := broker.dequeue():
        package = SignedPackage.loads(rows[0][1])
        taken.append((package["func"].rsplit(".", 1)[-1], package["args"]))
    return taken


def test_documents_wait_behind_the_scheduler_polls_and_windows_in_their_own_order(
    broker: PipelineRedis,
) -> None:
    for task in (
        _task("reconciliation.tasks.parse_document", 1),
        _task("reconciliation.tasks.parse_document", 2),
        _task("reconciliation.tasks.dispatch_due_work"),
        _task("reconciliation.tasks.parse_document", 3),
        _task("reconciliation.tasks.sync_file_connection", 7),
        _task("reconciliation.tasks.close_window", 4),
    ):
        broker.enqueue(task)

    assert broker.queue_size() == 6
    assert _taken(broker) == [
        ("dispatch_due_work", ()),
        ("sync_file_connection", (7,)),
        ("close_window", (4,)),
        ("parse_document", (1,)),
        ("parse_document", (2,)),
        ("parse_document", (3,)),
    ]
    assert broker.queue_size() == 0


def test_purging_empties_both_lists(broker: PipelineRedis) -> None:
    broker.enqueue(_task("reconciliation.tasks.parse_document", 1))
    broker.enqueue(_task("reconciliation.tasks.sweep_stuck_work"))

    broker.purge_queue()

    assert broker.queue_size() == 0
