"""Fault rules: "for the next N calls of METHOD PATH, answer with FAULT".

A fault is a dict with exactly one kind key:

``{"status": 401|429|500|503|..., "retry_after": 2}``
    Answer with that status and the provider's documented error body for it; the request is not
    processed. Extra keys: ``retry_after`` (seconds; sets ``Retry-After`` and any body field),
    ``error`` (a provider error tag, e.g. Dropbox ``expired_access_token``), ``plain_text``
    (Dropbox's plain-text 429 variant), ``body``/``content_type`` (a verbatim body).
``{"delay": 3.5}``
    Sleep, then process and answer normally (provokes client read timeouts; the request is still
    processed after the sleep unless the emulator is reset or stopped meanwhile).
``{"delay_after_processing": 3.5}``
    Process (state changes happen), then sleep before answering: "timed out after the request
    was received".
``{"drop": true}`` / ``{"drop": "after_processing"}``
    Close the socket without answering, before or after processing.
``{"malformed": "html"}``
    A 200 HTML page instead of the API answer; not processed (a proxy or login page answered).
``{"malformed": "truncated_json"}`` / ``{"malformed": "wrong_shape"}``
    Processed; the JSON answer is cut in half, or is valid JSON of the wrong shape
    (``{"result": <the real answer>}``).
``{"schema_error": {...}}``
    The provider's documented validation error (each emulator documents its keys); not processed.

Emulators may add their own kinds (Apideck ``warning``). A rule may carry ``faults`` (a list to
pick from at random) instead of ``fault``, and ``probability`` + ``seed`` to fire at random,
which is what the reliability harness uses.
"""

from __future__ import annotations

import fnmatch
import random
import threading
import uuid
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = ("status", "delay", "delay_after_processing", "drop", "malformed", "schema_error")
MALFORMED_KINDS = ("html", "truncated_json", "wrong_shape")
_STATUS_EXTRAS = frozenset({"retry_after", "error", "plain_text", "body", "content_type"})
MAX_DELAY_SECONDS = 600.0


class FaultSpecError(ValueError):
    pass


def fault_kind(spec: Mapping[str, Any], custom_kinds: frozenset[str] = frozenset()) -> str:
    kinds = [key for key in spec if key in FAULT_KINDS or key in custom_kinds]
    if len(kinds) != 1:
        known = ", ".join([*FAULT_KINDS, *sorted(custom_kinds)])
        raise FaultSpecError(f"a fault needs exactly one of: {known}; got {sorted(spec)}")
    return kinds[0]


def validate_fault(spec: Any, custom_kinds: frozenset[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise FaultSpecError("a fault must be a JSON object")
    kind = fault_kind(spec, custom_kinds)
    extras = set(spec) - {kind}
    value = spec[kind]
    if kind == "status":
        if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
            raise FaultSpecError("status must be an HTTP error code (400-599)")
        unknown = extras - _STATUS_EXTRAS
        if unknown:
            raise FaultSpecError(f"unknown keys for a status fault: {sorted(unknown)}")
        retry_after = spec.get("retry_after")
        if retry_after is not None and (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, int | float)
            or retry_after < 0
        ):
            raise FaultSpecError("retry_after must be a number of seconds >= 0")
    elif kind in ("delay", "delay_after_processing"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FaultSpecError(f"{kind} must be a number of seconds")
        if not 0 <= value <= MAX_DELAY_SECONDS:
            raise FaultSpecError(f"{kind} must be between 0 and {MAX_DELAY_SECONDS:.0f} seconds")
    elif kind == "drop":
        if value not in (True, "after_processing"):
            raise FaultSpecError('drop must be true or "after_processing"')
    elif kind == "malformed":
        if value not in MALFORMED_KINDS:
            raise FaultSpecError(f"malformed must be one of {', '.join(MALFORMED_KINDS)}")
    elif kind == "schema_error" and not isinstance(value, Mapping):
        raise FaultSpecError("schema_error must be an object")
    if kind != "status" and kind not in custom_kinds and extras:
        raise FaultSpecError(f"unknown keys for a {kind} fault: {sorted(extras)}")
    return dict(spec)


@dataclass
class FaultRule:
    id: str
    path: str
    method: str | None
    faults: list[dict[str, Any]]
    count: int | None
    probability: float | None
    seed: int | None
    rng: random.Random
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        if any(char in self.path for char in "*?"):
            return fnmatch.fnmatchcase(path, self.path)
        return path == self.path

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "faults": self.faults,
            "count": self.count,
            "probability": self.probability,
            "seed": self.seed,
            "fired": self.fired,
        }


class FaultPlan:
    """The active fault rules of one emulator; thread-safe. Rules are tried in the order they
    were added; the first one that matches (and, for random rules, wins its draw) fires."""

    def __init__(self, custom_kinds: frozenset[str] = frozenset()) -> None:
        self.custom_kinds = custom_kinds
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(
        self,
        path: str,
        fault: Mapping[str, Any] | None = None,
        *,
        faults: Sequence[Mapping[str, Any]] | None = None,
        method: str | None = None,
        count: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
    ) -> FaultRule:
        if (fault is None) == (faults is None):
            raise FaultSpecError("give either fault or faults")
        chosen = [fault] if fault is not None else list(faults or [])
        if not chosen:
            raise FaultSpecError("faults must not be empty")
        validated = [validate_fault(item, self.custom_kinds) for item in chosen]
        if not isinstance(path, str) or not path.startswith(("/", "*")):
            raise FaultSpecError("path must start with / (globs with * are allowed)")
        if probability is not None and (
            isinstance(probability, bool)
            or not isinstance(probability, int | float)
            or not 0 < probability <= 1
        ):
            raise FaultSpecError("probability must be in (0, 1]")
        if count is None and probability is None:
            count = 1
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise FaultSpecError("count must be an integer")
        if count is not None and count < 1:
            raise FaultSpecError("count must be >= 1")
        method = method.upper() if method is not None and method != "*" else None
        rule = FaultRule(
            id=uuid.uuid4().hex[:12],
            path=path,
            method=method,
            faults=validated,
            count=count,
            probability=float(probability) if probability is not None else None,
            seed=seed,
            rng=random.Random(seed),
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_from_json(self, payload: Any) -> FaultRule:
        if not isinstance(payload, Mapping):
            raise FaultSpecError("expected a JSON object")
        known = {"method", "path", "count", "fault", "faults", "probability", "seed"}
        unknown = set(payload) - known
        if unknown:
            raise FaultSpecError(f"unknown keys: {sorted(unknown)}")
        if "path" not in payload:
            raise FaultSpecError("path is required")
        faults = payload.get("faults")
        if faults is not None and not isinstance(faults, list):
            raise FaultSpecError("faults must be a list")
        seed = payload.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise FaultSpecError("seed must be an integer")
        return self.add(
            payload["path"],
            payload.get("fault"),
            faults=faults,
            method=payload.get("method"),
            count=payload.get("count"),
            probability=payload.get("probability"),
            seed=seed,
        )

    def take(self, method: str, path: str) -> dict[str, Any] | None:
        """The fault for this request, if a rule fires; firing consumes one of its count."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.probability is not None and rule.rng.random() >= rule.probability:
                    continue
                chosen = rule.faults[0] if len(rule.faults) == 1 else rule.rng.choice(rule.faults)
                rule.fired += 1
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                return dict(chosen)
        return None

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            for rule in self._rules:
                if rule.id == rule_id:
                    self._rules.remove(rule)
                    return True
        return False

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._rules)
            self._rules.clear()
        return cleared

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)
