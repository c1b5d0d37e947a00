"""The one HTTP seam every connector goes through.

``build_session`` returns a ``requests.Session`` that always has a connect and a read timeout,
Well's user agent, no automatic retries and no automatic redirects, logs one redacted line per
request, and turns transport failures into ``TransientError``. Retrying is explicit
(``call_with_retries``) and only used where it is safe: reads, and writes that carry an
idempotency key. The helpers below read bodies defensively so a provider's surprise becomes a
``ProtocolError`` that says what was expected and what came.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import MaxRetryError
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

from connectors.errors import ConfigurationError
from connectors.errors import ConnectorError
from connectors.errors import FileTooLargeError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.redaction import redact
from connectors.responses import REQUEST_ID_HEADERS as REQUEST_ID_HEADERS
from connectors.responses import content_type_of as content_type_of
from connectors.responses import describe_body as describe_body
from connectors.responses import looks_like_html as looks_like_html
from connectors.responses import parse_retry_after as parse_retry_after
from connectors.responses import request_id_of as request_id_of

WELL_VERSION = "0.1.0"
USER_AGENT = f"Well/{WELL_VERSION} (+https://well.example)"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
_CHUNK_SIZE = 64 * 1024

logger = logging.getLogger("connectors.http")

#: Called after every provider call with (provider, HTTP status or None, seconds): the metrics
#: hook (reconciliation.observability registers it; connectors never import reconciliation).
_CALL_OBSERVERS: list[Callable[[str, int | None, float], None]] = []


def add_call_observer(observer: Callable[[str, int | None, float], None]) -> None:
    if observer not in _CALL_OBSERVERS:
        _CALL_OBSERVERS.append(observer)


def _notify_observers(provider: str, status: int | None, seconds: float) -> None:
    for observer in _CALL_OBSERVERS:
        try:
            observer(provider, status, seconds)
        except Exception:  # an observer's bug must never fail a provider call
            logger.exception("call observer %r failed", observer)


T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)


def setting(name: str, default: T) -> T:
    """Read a Django setting, or ``default`` when absent or when Django is not configured (the
    pure tests run without settings)."""
    from django.conf import settings

    if not settings.configured:
        return default
    value: T = getattr(settings, name, default)
    return value


@dataclass(frozen=True)
class Timeouts:
    connect: float
    read: float

    @classmethod
    def from_settings(cls) -> Timeouts:
        return cls(
            connect=float(setting("HTTP_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)),
            read=float(setting("HTTP_READ_TIMEOUT", DEFAULT_READ_TIMEOUT)),
        )

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


class ConnectorSession(requests.Session):
    """A ``requests.Session`` that never waits forever and never talks about secrets.

    Per call, ``timeout`` may be a ``Timeouts``, a number or a (connect, read) tuple; it defaults
    to the session's ``Timeouts``. ``allow_redirects`` defaults to False: a provider redirecting an
    API call (Qonto's sandbox sends you to a login page) is a protocol problem, and following it
    would send our Authorization header's request elsewhere.
    """

    def __init__(self, *, provider: str, timeouts: Timeouts) -> None:
        super().__init__()
        self.provider = provider
        self.timeouts = timeouts
        self.headers["User-Agent"] = USER_AGENT
        # urllib3 must not retry anything on its own: a silently repeated POST could post twice.
        adapter = HTTPAdapter(max_retries=Retry(total=0, read=False, redirect=False))
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        timeout = kwargs.get("timeout")
        if timeout is None:
            timeout = self.timeouts
        if isinstance(timeout, Timeouts):
            timeout = timeout.as_tuple()
        kwargs["timeout"] = timeout
        kwargs.setdefault("allow_redirects", False)
        secrets = _request_secrets(self.headers, kwargs)
        parts = urlsplit(url)
        started = time.monotonic()
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.exceptions.RequestException as error:
            duration_ms = (time.monotonic() - started) * 1000
            failure = transport_error(error, provider=self.provider, secrets=secrets)
            _notify_observers(self.provider, None, duration_ms / 1000)
            logger.warning(
                "%s %s %s %s failed after %.0f ms: %s",
                self.provider,
                method.upper(),
                parts.hostname,
                redact(parts.path, secrets),
                duration_ms,
                failure.message,
                extra=_log_extra(
                    self.provider, method, parts.hostname, parts.path, None, duration_ms, None
                ),
            )
            raise failure from None
        duration_ms = (time.monotonic() - started) * 1000
        request_id = request_id_of(response)
        _notify_observers(self.provider, response.status_code, duration_ms / 1000)
        logger.info(
            "%s %s %s %s -> %s in %.0f ms%s",
            self.provider,
            method.upper(),
            parts.hostname,
            redact(parts.path, secrets),
            response.status_code,
            duration_ms,
            f" (request id {request_id})" if request_id else "",
            extra=_log_extra(
                self.provider,
                method,
                parts.hostname,
                parts.path,
                response.status_code,
                duration_ms,
                request_id,
            ),
        )
        return response


class RedactingFilter(logging.Filter):
    """Belt and braces for any logger (add it to a handler in ``LOGGING``): renders the record's
    message once, redacted, so a token passed as a log argument anywhere never reaches output."""

    def filter(self, record: logging.LogRecord) -> bool:
        rendered = record.getMessage()
        cleaned = redact(rendered)
        if cleaned != rendered:
            record.msg, record.args = cleaned, None
        return True


def build_session(
    *,
    provider: str,
    timeouts: Timeouts | None = None,
    headers: Mapping[str, str] | None = None,
) -> ConnectorSession:
    """The only way connectors obtain a ``requests.Session``."""
    session = ConnectorSession(provider=provider, timeouts=timeouts or Timeouts.from_settings())
    if headers:
        session.headers.update(headers)
    return session


def _log_extra(
    provider: str,
    method: str,
    host: str | None,
    path: str,
    status: int | None,
    duration_ms: float,
    request_id: str | None,
) -> dict[str, object]:
    return {
        "provider": provider,
        "http_method": method.upper(),
        "http_host": host,
        "http_path": redact(path),
        "http_status": status,
        "duration_ms": round(duration_ms),
        "request_id": request_id,
    }


_SECRET_HEADER_NAMES = ("authorization", "x-qonto-staging-token", "x-apideck-api-key")
_SECRET_FIELD_NAMES = (
    "access_token",
    "refresh_token",
    "client_secret",
    "code",
    "code_verifier",
    "token",
)


def _request_secrets(
    session_headers: Mapping[str, str | bytes], kwargs: Mapping[str, Any]
) -> list[str]:
    """Exact secret values a request carries, so messages about it can drop them even where no
    pattern would catch them (a Qonto API key ``login:secret`` looks like nothing in particular)."""
    found: list[str] = []
    header_sources: list[Mapping[str, Any]] = [session_headers]
    if isinstance(kwargs.get("headers"), Mapping):
        header_sources.append(kwargs["headers"])
    for headers in header_sources:
        for name, value in headers.items():
            if name.lower() in _SECRET_HEADER_NAMES and isinstance(value, str):
                found.append(value)
                found.extend(value.split(" ", 1)[1:])
    data = kwargs.get("data")
    if isinstance(data, Mapping):
        for name, value in data.items():
            if name in _SECRET_FIELD_NAMES and isinstance(value, str):
                found.append(value)
    auth = kwargs.get("auth")
    if isinstance(auth, tuple):
        found.extend(str(part) for part in auth[1:])
    return found


def transport_error(
    error: requests.exceptions.RequestException,
    *,
    provider: str,
    secrets: Iterable[str | None] = (),
) -> ConnectorError:
    """Translate a ``requests`` exception. Connect failures mean the request never left
    (``outcome_unknown=False``); anything after that may have reached the provider."""
    failure = _transport_failure(error)
    if failure is None:
        # InvalidURL, MissingSchema, InvalidHeader...: our own configuration is wrong.
        return ConfigurationError(
            f"the request could not be built: {error}", provider=provider, secrets=secrets
        )
    message, outcome_unknown = failure
    return TransientError(
        message, provider=provider, outcome_unknown=outcome_unknown, secrets=secrets
    )


def _transport_failure(error: requests.exceptions.RequestException) -> tuple[str, bool] | None:
    """What went wrong on the way, and whether the provider may have got the request; None
    when the request could not even be built."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"could not connect in time: {error}", False
    if isinstance(error, requests.exceptions.ReadTimeout):
        return "no answer within the read timeout (the request may have been processed)", True
    if isinstance(error, requests.exceptions.SSLError):
        return f"TLS handshake failed: {error}", False
    if isinstance(error, requests.exceptions.ConnectionError):
        reason: object = error.args[0] if error.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(reason, NewConnectionError | ConnectTimeoutError):
            return f"could not connect: {reason}", False
        return f"connection dropped (the request may have been processed): {error}", True
    if isinstance(
        error, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return f"the answer was cut off or corrupted in transit: {error}", True
    return None


# --- Retry ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` counts the first try; ``budget`` caps the total seconds spent sleeping.
    When the provider asks for a longer wait than the budget leaves, the error is raised at once
    (it carries ``retry_after``) so the caller can reschedule instead of blocking a worker."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    budget: float = 60.0


NO_RETRY = RetryPolicy(max_attempts=1)


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(max_delay, base * 2**(n-1))]."""
    ceiling = min(policy.max_delay, policy.base_delay * (2 ** (attempt - 1)))
    return (rng or random).uniform(0.0, ceiling)


def retry_any(error: TransientError) -> bool:
    return True


def retry_if_not_sent(error: TransientError) -> bool:
    """For writes without a provider-honoured idempotency key: only retry what surely did not
    reach the provider (connect failures, 429)."""
    return not error.outcome_unknown


def call_with_retries(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    should_retry: Callable[[TransientError], bool] = retry_any,
    rng: random.Random | None = None,
) -> T:
    """Run ``operation`` and retry it on ``TransientError`` per ``policy``, honouring the
    error's ``retry_after`` (waiting exactly that long) over the jittered backoff."""
    slept = 0.0
    attempt = 1
    while True:
        try:
            return operation()
        except TransientError as error:
            if attempt >= policy.max_attempts or not should_retry(error):
                raise
            if error.retry_after is not None:
                delay = error.retry_after
            else:
                delay = backoff_delay(attempt, policy, rng)
            if slept + delay > policy.budget:
                raise
            logger.info(
                "%s: retrying in %.2f s after attempt %d: %s",
                error.provider,
                delay,
                attempt,
                error.message,
                extra={"provider": error.provider, "retry_delay": delay, "attempt": attempt},
            )
            sleep(delay)
            slept += delay
            attempt += 1


# --- Reading bodies ------------------------------------------------------------------------------


def read_json(
    response: requests.Response,
    *,
    provider: str,
    expected: str,
    hint: str = "",
    secrets: Iterable[str | None] = (),
) -> Any:
    """Decode a JSON body; decimals stay ``Decimal`` so money never passes through float."""

    def not_json(what: str) -> ProtocolError:
        received = describe_body(response)
        return ProtocolError(
            f"expected {expected} as JSON, received {what}{received}{hint}",
            provider=provider,
            status=response.status_code,
            request_id=request_id_of(response),
            expected=expected,
            received=received,
            secrets=secrets,
        )

    if looks_like_html(response):
        raise not_json("")
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise not_json(f"malformed or truncated JSON ({error}): ") from None


def validate(
    model: type[ModelT],
    data: Any,
    *,
    provider: str,
    expected: str,
    response: requests.Response | None = None,
    secrets: Iterable[str | None] = (),
) -> ModelT:
    """Validate ``data`` at the edge; a shape mismatch is a ``ProtocolError`` that names the
    offending fields but never echoes their values (they may be secrets)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}"
            for item in error.errors(include_input=False, include_url=False)[:5]
        )
        received = f"a JSON document that does not match ({problems})"
        raise ProtocolError(
            f"expected {expected}, received {received}",
            provider=provider,
            status=response.status_code if response is not None else None,
            request_id=request_id_of(response) if response is not None else None,
            expected=expected,
            received=received,
            secrets=secrets,
        ) from None


def read_model(
    response: requests.Response,
    model: type[ModelT],
    *,
    provider: str,
    expected: str,
    hint: str = "",
    secrets: Iterable[str | None] = (),
) -> ModelT:
    """A JSON body validated as ``model``: :func:`read_json`, then :func:`validate`."""
    secrets = tuple(secrets)
    data = read_json(response, provider=provider, expected=expected, hint=hint, secrets=secrets)
    return validate(
        model, data, provider=provider, expected=expected, response=response, secrets=secrets
    )


def read_capped(
    response: requests.Response,
    *,
    provider: str,
    max_bytes: int,
    filename: str,
) -> bytes:
    """Read a streamed body into memory, refusing more than ``max_bytes`` (checked against
    Content-Length before reading, and again while reading since it may be absent or wrong)."""
    request_id = request_id_of(response)
    declared = response.headers.get("Content-Length")

    def too_large(size: int | None) -> FileTooLargeError:
        described = "larger than the" if size is None else f"{size} bytes, above the"
        return FileTooLargeError(
            f"{filename} is {described} {max_bytes}-byte limit",
            provider=provider,
            status=response.status_code,
            request_id=request_id,
            code="file_too_large",
            filename=filename,
            size=size,
            limit=max_bytes,
        )

    try:
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise too_large(int(declared))
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_content(chunk_size=_CHUNK_SIZE):
            total += len(chunk)
            if total > max_bytes:
                raise too_large(None)
            chunks.append(chunk)
    except requests.exceptions.RequestException as error:
        raise transport_error(error, provider=provider) from None
    finally:
        response.close()
    # Only comparable when the body was not re-encoded (gzip) on the way.
    identity = response.headers.get("Content-Encoding", "identity").lower() == "identity"
    if identity and declared is not None and declared.isdigit() and int(declared) != total:
        raise TransientError(
            f"{filename}: the body stopped at {total} of {declared} announced bytes",
            provider=provider,
            status=response.status_code,
            request_id=request_id,
        )
    return b"".join(chunks)
