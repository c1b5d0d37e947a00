"""Wire-level building blocks shared by the emulators: requests, responses, bodies.

Nothing here knows about a provider. Bodies are parsed by hand (multipart included) because the
emulators must see exactly what a client sent: part order, repeated Rails-style field names,
header capitalisation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

SECRET_FIELDS = frozenset(
    {
        "access_token",
        "client_secret",
        "code",
        "code_verifier",
        "id_token",
        "password",
        "refresh_token",
        "secret",
        "session_token",
        "token",
    }
)
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "x-apideck-downstream-authorization",
        "x-qonto-staging-token",
    }
)


class BadRequestError(ValueError):
    """A body that cannot be parsed as the content type it claims."""


@dataclass(frozen=True)
class Part:
    """One part of a multipart/form-data body."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def is_file(self) -> bool:
        return self.filename is not None

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def find_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first header called ``name`` in any capitalisation, or None."""
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


@dataclass
class Request:
    """An HTTP request as the emulator received it. ``path`` is the raw (percent-encoded) path
    without the query string; ``headers`` keep the client's spelling."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: list[tuple[str, str]]
    body: bytes
    generation: int = 0
    request_id: str = ""
    raw_query: str = ""

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)

    def header_exact(self, name: str) -> str | None:
        """The header only when spelled exactly ``name`` (Qonto warns that other capitalisations
        of its staging header may be lost by some layer)."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def args(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    @property
    def content_type(self) -> str:
        return media_type(self.header("Content-Type"))

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BadRequestError(f"could not decode input as JSON: {error}") from None

    def form(self) -> dict[str, list[str]]:
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError("form body is not UTF-8") from None
        return parse_qs(text, keep_blank_values=True)

    def form_value(self, name: str) -> str | None:
        values = self.form().get(name)
        return values[0] if values else None

    def multipart(self) -> list[Part]:
        return parse_multipart(self.body, self.header("Content-Type") or "")


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    # The JSON value behind ``body`` when there is one, so faults can reshape it.
    payload: Any = None

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)

    def with_header(self, name: str, value: str) -> Response:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))
        return self


class HttpError(Exception):
    """Raised by a route handler to answer with ``response`` immediately."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(
    status: int, payload: Any, *, headers: Iterable[tuple[str, str]] = ()
) -> Response:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = text_response(status, text, headers=headers, content_type="application/json")
    response.payload = payload
    return response


def text_response(
    status: int,
    text: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    content_type: str = "text/plain; charset=utf-8",
) -> Response:
    return Response(
        status=status, body=text.encode("utf-8"), content_type=content_type, headers=list(headers)
    )


def html_response(status: int, html: str, *, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return text_response(status, html, headers=headers, content_type="text/html; charset=utf-8")


def redirect_response(location: str, *, status: int = 302) -> Response:
    return Response(status=status, headers=[("Location", location)])


def empty_response(status: int) -> Response:
    return Response(status=status)


def html_page(title: str, body_html: str) -> str:
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>"
        + escape_html(title)
        + "</title></head><body>"
        + body_html
        + "</body></html>\n"
    )


def escape_html(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def header_params(value: str) -> dict[str, str]:
    """Parameters of a header such as ``multipart/form-data; boundary=xyz`` or
    ``form-data; name="a"; filename="b.pdf"``. Quoted strings may contain ``;``."""
    params: dict[str, str] = {}
    index = value.find(";")
    if index < 0:
        return params
    rest = value[index + 1 :]
    position = 0
    while position < len(rest):
        while position < len(rest) and rest[position] in " \t;":
            position += 1
        equals = rest.find("=", position)
        if equals < 0:
            break
        key = rest[position:equals].strip().lower()
        position = equals + 1
        if position < len(rest) and rest[position] == '"':
            position += 1
            chars: list[str] = []
            while position < len(rest) and rest[position] != '"':
                if rest[position] == "\\" and position + 1 < len(rest):
                    position += 1
                chars.append(rest[position])
                position += 1
            position += 1
            params[key] = "".join(chars)
        else:
            end = rest.find(";", position)
            end = len(rest) if end < 0 else end
            params[key] = rest[position:end].strip()
            position = end
    return params


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """Parse multipart/form-data into parts, in order. Field names are taken verbatim, so
    ``supplier_invoices[][file]`` stays a name the caller groups Rails-style."""
    if media_type(content_type) != "multipart/form-data":
        raise BadRequestError(f"expected multipart/form-data, got {content_type or 'nothing'}")
    boundary = header_params(content_type).get("boundary")
    if not boundary:
        raise BadRequestError("multipart body without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise BadRequestError("multipart body is not terminated by its closing boundary")
    parts: list[Part] = []
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise BadRequestError("multipart part is not framed by CRLF")
        chunk = chunk[2:-2]
        head, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise BadRequestError("multipart part without a blank line after its headers")
        headers: dict[str, str] = {}
        for line in head.split(b"\r\n"):
            if not line:
                continue
            name, colon, value = line.partition(b":")
            if not colon:
                raise BadRequestError("malformed multipart part header")
            headers[name.decode("latin-1").strip().lower()] = _decode_header_value(value.strip())
        disposition = headers.get("content-disposition", "")
        if media_type(disposition.split(";", 1)[0]) != "form-data":
            raise BadRequestError("multipart part without Content-Disposition: form-data")
        params = header_params(disposition)
        if "name" not in params:
            raise BadRequestError("multipart part without a name")
        filename = params.get("filename")
        if "filename*" in params:
            filename = _rfc5987(params["filename*"])
        parts.append(
            Part(
                name=params["name"],
                data=data,
                filename=filename,
                content_type=headers.get("content-type"),
            )
        )
    return parts


def _decode_header_value(raw: bytes) -> str:
    # urllib3 writes non-ASCII file names as raw UTF-8 (HTML5 style).
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _rfc5987(value: str) -> str:
    from urllib.parse import unquote

    charset, _, rest = value.partition("'")
    _, _, encoded = rest.partition("'")
    return unquote(encoded, encoding=charset or "utf-8", errors="replace")


def with_query(url: str, params: Mapping[str, str | None]) -> str:
    """``url`` with ``params`` added to (or replacing keys of) its query string."""
    parts = urlsplit(url)
    existing = [
        (key, value)
        for key, values in parse_qs(parts.query, keep_blank_values=True).items()
        for value in values
        if key not in params
    ]
    extra = [(key, value) for key, value in params.items() if value is not None]
    query = urlencode(existing + extra, quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def fingerprint(secret: str) -> str:
    """A short, non-reversible tag for a secret: request logs show it instead of the secret, and
    tests compute the same tag to check which token a client sent."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]


def redact_header(name: str, value: str) -> str:
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, space, credential = value.partition(" ")
    if space and scheme.lower() in ("bearer", "basic"):
        return f"{scheme} <redacted:{fingerprint(credential)}>"
    return f"<redacted:{fingerprint(value)}>"


def redact_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: (
                f"<redacted:{fingerprint(str(item))}>"
                if key in SECRET_FIELDS and item is not None
                else redact_value(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    return value


def summarize_body(request: Request) -> Any:
    """What the request log keeps of a body: parsed and redacted, never file bytes."""
    if not request.body:
        return None
    kind = request.content_type
    try:
        if kind == "application/json":
            return redact_value(request.json())
        if kind == "application/x-www-form-urlencoded":
            form = request.form()
            return redact_value(
                {key: values[0] if len(values) == 1 else values for key, values in form.items()}
            )
        if kind == "multipart/form-data":
            return [_summarize_part(part) for part in request.multipart()]
    except BadRequestError as error:
        return {"unparsable": str(error), "size": len(request.body)}
    return {
        "content_type": kind or None,
        "size": len(request.body),
        "sha256": hashlib.sha256(request.body).hexdigest(),
    }


def _summarize_part(part: Part) -> dict[str, Any]:
    if part.is_file:
        return {
            "name": part.name,
            "filename": part.filename,
            "content_type": part.content_type,
            "size": len(part.data),
            "sha256": hashlib.sha256(part.data).hexdigest(),
        }
    value: Any = part.text()
    if part.name in SECRET_FIELDS:
        value = f"<redacted:{fingerprint(value)}>"
    return {"name": part.name, "value": value}
