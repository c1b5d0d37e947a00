"""On Redis, documents to read have a list of their own, taken in turn with the pipeline's other
tasks (the scheduler's ticks, polls, windows): neither waits behind all of the other, each keeps
its order, and the queue's size counts both."""

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


def test_documents_and_the_other_tasks_are_taken_in_turn_each_in_its_own_order(
    broker: PipelineRedis,
) -> None:
    for task in (
        _task("reconciliation.tasks.parse_document", 1),
        _task("reconciliation.tasks.parse_document", 2),
        _task("reconciliation.tasks.dispatch_due_work"),
        _task("reconciliation.tasks.parse_document", 3),
        _task("reconciliation.tasks.parse_document", 4),
        _task("reconciliation.tasks.sync_file_connection", 7),
    ):
        broker.enqueue(task)

    assert broker.queue_size() == 6
    assert _taken(broker) == [
        ("dispatch_due_work", ()),
        ("parse_document", (1,)),
        ("sync_file_connection", (7,)),
        ("parse_document", (2,)),
        ("parse_document", (3,)),
        ("parse_document", (4,)),
    ]
    assert broker.queue_size() == 0


def test_polls_and_windows_that_keep_coming_do_not_starve_the_documents(
    broker: PipelineRedis,
) -> None:
    for n in range(3):
        broker.enqueue(_task("reconciliation.tasks.close_window", n))
    broker.enqueue(_task("reconciliation.tasks.parse_document", 9))

    assert [func for func, _ in _taken(broker)][:2] == ["close_window", "parse_document"]


def test_purging_empties_both_lists(broker: PipelineRedis) -> None:
    broker.enqueue(_task("reconciliation.tasks.parse_document", 1))
    broker.enqueue(_task("reconciliation.tasks.sweep_stuck_work"))

    broker.purge_queue()

    assert broker.queue_size() == 0
