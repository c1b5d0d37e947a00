"""The ids of the work in hand, set by the request middleware and the task wrappers.

Context variables rather than thread locals: each q2 task, each request and each thread sees
its own values, and ``bind`` restores the previous ones when the work is done, so a worker
never stamps one task's ids on the next task's lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from contextvars import Token

FIELDS = ("request_id", "workspace_id", "task_id", "document_id", "connection_id")

_VARS: dict[str, ContextVar[str | int | None]] = {
    name: ContextVar(f"well_{name}", default=None) for name in FIELDS
}


def current() -> dict[str, str | int | None]:
    """Every id, None where nothing is bound."""
    return {name: var.get() for name, var in _VARS.items()}


@contextmanager
def bind(**ids: str | int | None) -> Iterator[None]:
    """Bind ids for the duration of the block (None values leave the outer binding alone)."""
    tokens: list[tuple[ContextVar[str | int | None], Token[str | int | None]]] = []
    for name, value in ids.items():
        if name not in _VARS:
            raise KeyError(f"unknown log context field {name!r}")
        if value is not None:
            tokens.append((_VARS[name], _VARS[name].set(value)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def set_id(name: str, value: str | int | None) -> None:
    """Set one id until the surrounding ``bind`` ends (a view learning its workspace late)."""
    _VARS[name].set(value)
