from __future__ import annotations

import random
from datetime import UTC
from datetime import datetime

import pytest

from connectors.errors import PermanentError
from connectors.errors import TransientError
from connectors.http import RetryPolicy
from connectors.http import backoff_delay
from connectors.http import call_with_retries
from connectors.http import parse_retry_after
from connectors.http import retry_if_not_sent

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class Flaky:
    """Fails with the given errors, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def transient(retry_after: float | None = None, *, outcome_unknown: bool = True) -> TransientError:
    return TransientError(
        "boom",
        provider="qonto",
        status=503,
        retry_after=retry_after,
        outcome_unknown=outcome_unknown,
    )


@pytest.mark.parametrize(
    ("header", "expected", "_case"),
    [
        ("120", 120.0, "seconds"),
        ("1.5", 1.5, "fractional seconds"),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0, "http date"),
        ("Sun, 01 Mar 2026 11:59:00 GMT", 0.0, "date in the past"),
        ("-4", 0.0, "negative"),
        ("soon", None, "garbage"),
        ("", None, "empty"),
        (None, None, "absent"),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None, _case: str) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_retry_after_is_slept_exactly() -> None:
    sleeps: list[float] = []
    operation = Flaky(transient(retry_after=7.0))

    result = call_with_retries(operation, policy=RetryPolicy(), sleep=sleeps.append)

    assert result == "done"
    assert sleeps == [7.0]
    assert operation.calls == 2


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=3.0, budget=100.0)
    sleeps: list[float] = []
    operation = Flaky(transient(), transient(), transient(), transient())

    call_with_retries(operation, policy=policy, sleep=sleeps.append, rng=random.Random(7))

    expected_rng = random.Random(7)
    assert sleeps == [expected_rng.uniform(0.0, ceiling) for ceiling in (1.0, 2.0, 3.0, 3.0)]
    assert all(0.0 <= delay <= 3.0 for delay in sleeps)


def test_backoff_delay_ceiling_doubles_until_the_cap() -> None:
    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)

    assert [backoff_delay(n, policy, Top()) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    sleeps: list[float] = []
    last = transient()
    operation = Flaky(transient(), transient(), last, transient())

    with pytest.raises(TransientError) as raised:
        call_with_retries(operation, policy=RetryPolicy(max_attempts=3), sleep=sleeps.append)

    assert raised.value is last
    assert operation.calls == 3
    assert len(sleeps) == 2


def test_retry_after_beyond_the_budget_is_raised_at_once() -> None:
    sleeps: list[float] = []
    operation = Flaky(transient(retry_after=300.0))

    with pytest.raises(TransientError) as raised:
        call_with_retries(operation, policy=RetryPolicy(budget=60.0), sleep=sleeps.append)

    assert raised.value.retry_after == 300.0
    assert sleeps == []
    assert operation.calls == 1


def test_permanent_errors_are_never_retried() -> None:
    sleeps: list[float] = []
    operation = Flaky(PermanentError("no", provider="qonto", status=400))

    with pytest.raises(PermanentError):
        call_with_retries(operation, policy=RetryPolicy(), sleep=sleeps.append)

    assert operation.calls == 1
    assert sleeps == []


def test_unsent_only_policy_does_not_retry_an_unknown_outcome() -> None:
    sleeps: list[float] = []
    operation = Flaky(transient(outcome_unknown=False), transient(outcome_unknown=True))

    with pytest.raises(TransientError) as raised:
        call_with_retries(
            operation,
            policy=RetryPolicy(),
            sleep=sleeps.append,
            should_retry=retry_if_not_sent,
            rng=random.Random(1),
        )

    assert raised.value.outcome_unknown is True
    assert operation.calls == 2
    assert len(sleeps) == 1
