"""Per-item errors of the Qonto emulator's supplier-invoice bulk upload, injected by tests and
the soak: the next items, the items with given idempotency keys, or a random share of them fail
with Qonto's per-item error (and nothing is created for them)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from connectors.sandbox.server import control_json
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import json_response

ITEM_ERROR_DETAILS = {
    "invalid": "File is invalid",
    "required": "File is missing",
    "internal_server_error": "An error occurred while processing the supplier invoice",
}


@dataclass
class ItemErrorRule:
    code: str
    detail: str
    count: int | None
    keys: frozenset[str] | None
    probability: float | None
    rng: random.Random


class ItemErrors:
    """Mixin of the Qonto emulator: its injected per-item error rules."""

    lock: threading.RLock
    item_error_rules: list[ItemErrorRule]

    def inject_item_errors(
        self,
        *,
        code: str = "invalid",
        detail: str | None = None,
        count: int | None = None,
        idempotency_keys: list[str] | None = None,
        probability: float | None = None,
        seed: int | None = None,
    ) -> None:
        """Make bulk items fail with a per-item error (and create nothing): the next ``count``
        items (default 1), or the items with these keys (every time, unless ``count``), or a
        random share of items (``probability`` + ``seed``)."""
        if code not in ITEM_ERROR_DETAILS:
            raise ValueError(f"code must be one of {sorted(ITEM_ERROR_DETAILS)}")
        if count is None and idempotency_keys is None and probability is None:
            count = 1
        if count is not None and count < 1:
            raise ValueError("count must be >= 1")
        if probability is not None and not 0 < probability <= 1:
            raise ValueError("probability must be in (0, 1]")
        with self.lock:
            self.item_error_rules.append(
                ItemErrorRule(
                    code=code,
                    detail=detail or ITEM_ERROR_DETAILS[code],
                    count=count,
                    keys=frozenset(idempotency_keys) if idempotency_keys is not None else None,
                    probability=probability,
                    rng=random.Random(seed),
                )
            )

    def clear_item_errors(self) -> None:
        with self.lock:
            self.item_error_rules.clear()

    def take_item_error(self, key: str) -> tuple[str, str] | None:
        """(code, detail) when an injected per-item error fires for this key."""
        for rule in list(self.item_error_rules):
            if rule.keys is not None and key not in rule.keys:
                continue
            if rule.probability is not None and rule.rng.random() >= rule.probability:
                continue
            if rule.count is not None:
                rule.count -= 1
                if rule.count == 0:
                    self.item_error_rules.remove(rule)
            return rule.code, rule.detail
        return None

    def _control_item_errors(self, request: Request, params: dict[str, str]) -> Response:
        if request.method == "DELETE":
            self.clear_item_errors()
            return json_response(200, {"cleared": True})
        self.inject_item_errors(**control_json(request))
        return json_response(201, {"rules": len(self.item_error_rules)})
