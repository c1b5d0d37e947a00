"""Common core of the emulators: a stdlib ``ThreadingHTTPServer`` on a loopback port, routing,
a request log, fault injection and the ``/_sandbox/*`` control API.

Every emulator is an :class:`Emulator` subclass that declares routes and the provider's error
bodies. It is usable in-process (``with DropboxEmulator() as dropbox: ...``) and over HTTP:

=========================  =================================================================
``POST /_sandbox/faults``  add a fault rule: ``{"method", "path", "count", "fault" | "faults",
                           "probability", "seed"}`` (see :mod:`connectors.sandbox.faults`)
``GET /_sandbox/faults``   active rules; ``DELETE`` clears them, ``DELETE .../{id}`` one rule
``GET /_sandbox/requests`` the request log (``?method=&path=`` filters; globs allowed);
                           ``DELETE`` clears it. Control calls are never logged.
``GET /_sandbox/state``    the emulator's state as JSON
``POST /_sandbox/reset``   back to the initial state: faults, log, clock and data
``GET|POST /_sandbox/clock``  read or move the virtual clock: ``{"advance": seconds}``,
                           ``{"freeze": true|false}``
=========================  =================================================================

Requests waiting in a ``delay`` fault when the emulator is reset are dropped, never processed,
so a slow request from one test cannot change the state of the next.
"""

from __future__ import annotations

import contextlib
import fnmatch
import ipaddress
import json
import logging
import re
import socket
import threading
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any
from typing import ClassVar
from typing import Self
from typing import TypedDict
from urllib.parse import parse_qs
from urllib.parse import unquote
from urllib.parse import urlsplit

from connectors.sandbox.clock import Clock
from connectors.sandbox.clock import iso_millis
from connectors.sandbox.faults import FaultPlan
from connectors.sandbox.faults import FaultSpecError
from connectors.sandbox.faults import fault_kind
from connectors.sandbox.wire import BadRequestError
from connectors.sandbox.wire import HttpError
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import find_header
from connectors.sandbox.wire import html_page
from connectors.sandbox.wire import html_response
from connectors.sandbox.wire import json_response
from connectors.sandbox.wire import redact_header
from connectors.sandbox.wire import summarize_body
from connectors.sandbox.wire import text_response

logger = logging.getLogger("connectors.sandbox")

RouteHandler = Callable[[Request, dict[str, str]], Response]
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_LOG_ENTRIES = 200_000


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    template: str
    pattern: re.Pattern[str]
    handler: RouteHandler
    # Exclusive handlers run under the emulator lock; long-polls must not.
    exclusive: bool = True


def route(
    methods: str | Iterable[str], template: str, handler: RouteHandler, *, exclusive: bool = True
) -> Route:
    """A route for ``template`` such as ``/v2/transactions/{id}/attachments``; ``{name}``
    matches one path segment, handed to the handler percent-decoded."""
    names = (methods,) if isinstance(methods, str) else tuple(methods)
    pieces = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(piece) if index % 2 == 0 else f"(?P<{piece}>[^/]+)"
        for index, piece in enumerate(pieces)
    )
    return Route(
        methods=frozenset(name.upper() for name in names),
        template=template,
        pattern=re.compile(f"^{regex}$"),
        handler=handler,
        exclusive=exclusive,
    )


@dataclass
class LoggedRequest:
    """One API call as the emulator saw it (secrets replaced by ``<redacted:fingerprint>``)."""

    seq: int
    at: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int | None = None
    fault: dict[str, Any] | None = None

    def header(self, name: str) -> str | None:
        return find_header(self.headers.items(), name)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "fault": self.fault,
        }


@dataclass(frozen=True)
class StatusFault:
    """A ``{"status": ...}`` fault (``spec``, as injected) and the request it answers: what
    :meth:`Emulator.status_fault_response` reads to answer in the provider's words."""

    request: Request
    spec: Mapping[str, Any]

    @property
    def status(self) -> int:
        return int(self.spec["status"])

    @property
    def headers(self) -> list[tuple[str, str]]:
        """``Retry-After`` when the fault sets ``retry_after`` (a new list each time)."""
        if self.spec.get("retry_after") is None:
            return []
        # Whole seconds, as the providers send it (HTTP's delay-seconds).
        return [("Retry-After", str(int(self.spec["retry_after"])))]

    def error(self, default: str) -> str:
        """The fault's ``error`` (the provider's error code or tag), else ``default``."""
        return str(self.spec.get("error", default))

    def retry_after(self, default: int) -> int:
        """The fault's ``retry_after`` in whole seconds, else ``default``: for a body field."""
        seconds = self.spec.get("retry_after")
        return int(seconds) if seconds is not None else default


@dataclass
class Reply:
    response: Response | None  # None: close the socket without answering
    sleep_after: float = 0.0
    interrupt: threading.Event | None = None


class Address(TypedDict, total=False):
    """Where an emulator listens: :class:`Emulator`'s ``host`` and ``port``, which the emulators'
    constructors pass on as they are (the defaults are the base class's)."""

    host: str
    port: int


def loopback_address(host: str) -> str:
    """``host`` if it is an IPv4 loopback address (``localhost`` means 127.0.0.1); anything
    else is refused: the emulators hold fake credentials and must never be reachable."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the sandbox binds loopback addresses only, not {host!r}") from None
    if address.version != 4 or not address.is_loopback:
        raise ValueError(f"the sandbox binds IPv4 loopback addresses only, not {host!r}")
    return host


class Emulator:
    """Base class of the three emulators. Subclasses set their configuration before calling
    ``super().__init__`` (which calls :meth:`reset_state`) and override the hooks below."""

    name: ClassVar[str] = "emulator"
    custom_fault_kinds: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None):
        self.host = loopback_address(host)
        self._requested_port = port
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.faults = FaultPlan(self.custom_fault_kinds)
        self._log: list[LoggedRequest] = []
        self._log_lock = threading.Lock()
        self._sequence = 0
        self._generation_lock = threading.Lock()
        self._generation = 0
        self._interrupt = threading.Event()
        self._server: _EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = self.build_routes()
        self._control_routes = self._base_control_routes() + self.build_control_routes()
        self.reset_state()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = _EmulatorHTTPServer((self.host, self._requested_port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        with self._generation_lock:
            self._interrupt.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def is_running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"the {self.name} emulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # --- Python control API (the same operations as /_sandbox/*) ---------------------------------

    def inject_fault(
        self,
        path: str,
        fault: Mapping[str, Any] | None = None,
        *,
        faults: list[Mapping[str, Any]] | None = None,
        method: str | None = None,
        count: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
    ) -> str:
        """Add a fault rule and return its id. ``count`` defaults to 1, or to unlimited for a
        random rule (``probability``)."""
        rule = self.faults.add(
            path,
            fault,
            faults=faults,
            method=method,
            count=count,
            probability=probability,
            seed=seed,
        )
        return rule.id

    def clear_faults(self) -> int:
        return self.faults.clear()

    def requests(
        self, *, method: str | None = None, path: str | None = None
    ) -> list[LoggedRequest]:
        with self._log_lock:
            entries = list(self._log)
        if method is not None:
            entries = [entry for entry in entries if entry.method == method.upper()]
        if path is not None:
            entries = [entry for entry in entries if _path_matches(path, entry.path)]
        return entries

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def reset(self) -> None:
        with self.lock, self._generation_lock:
            self._generation += 1
            self._interrupt.set()
            self._interrupt = threading.Event()
            self.faults.clear()
            with self._log_lock:
                self._log.clear()
                self._sequence = 0
            self.clock.reset()
            self.reset_state()

    def state(self) -> dict[str, Any]:
        with self.lock:
            return self.state_snapshot()

    # --- hooks -----------------------------------------------------------------------------------

    def build_routes(self) -> list[Route]:
        return []

    def build_control_routes(self) -> list[Route]:
        return []

    def reset_state(self) -> None:
        """(Re)create the emulated provider's data. Called under the lock."""

    def state_snapshot(self) -> dict[str, Any]:
        return {}

    def response_headers(self, request: Request) -> list[tuple[str, str]]:
        """Headers every answer carries (request ids)."""
        return []

    def _bind(self, handler: Callable[[Self, Request, dict[str, str]], Response]) -> RouteHandler:
        """A route handler for a module-level ``handler(emulator, request, params)``."""

        def bound(request: Request, params: dict[str, str]) -> Response:
            return handler(self, request, params)

        return bound

    def fault_response(self, request: Request, fault: Mapping[str, Any]) -> Response:
        """A ``{"status": ...}`` fault: its ``body`` verbatim, else the provider's error for
        that status (:meth:`status_fault_response`); ``retry_after`` sets ``Retry-After``."""
        status_fault = StatusFault(request, fault)
        if "body" in fault:
            return text_response(
                status_fault.status,
                str(fault["body"]),
                headers=status_fault.headers,
                content_type=str(fault.get("content_type", "text/plain; charset=utf-8")),
            )
        return self.status_fault_response(status_fault)

    def status_fault_response(self, fault: StatusFault) -> Response:
        status = fault.status
        return json_response(status, {"error": f"injected {status}"}, headers=fault.headers)

    def schema_error_response(self, request: Request, spec: Mapping[str, Any]) -> Response:
        return json_response(int(spec.get("status", 400)), {"error": dict(spec)})

    def html_fault_response(self, request: Request) -> Response:
        return html_response(200, html_page("Sign in", "<h1>Sign in</h1><form></form>"))

    def custom_fault(self, request: Request, fault: Mapping[str, Any], kind: str) -> Response:
        raise NotImplementedError(kind)

    def wrong_shape(self, response: Response) -> Response:
        payload = response.payload
        if payload is None and response.body:
            payload = response.body.decode("utf-8", errors="replace")
        return json_response(response.status, {"result": payload}, headers=response.headers)

    def not_found_response(self, request: Request) -> Response:
        return json_response(404, {"error": f"no route for {request.method} {request.path}"})

    def method_not_allowed_response(self, request: Request, allowed: set[str]) -> Response:
        return json_response(
            405,
            {"error": f"{request.method} not allowed"},
            headers=[("Allow", ", ".join(sorted(allowed)))],
        )

    def bad_request_response(self, request: Request, message: str) -> Response:
        return json_response(400, {"error": message})

    def internal_error_response(self, request: Request) -> Response:
        return json_response(500, {"error": "internal error in the emulator"})

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.path == "/_sandbox" or request.path.startswith("/_sandbox/"):
            response = self._run(request, self._control_routes, control=True)
            return Reply(self._decorate(request, response))
        with self._generation_lock:
            request.generation = self._generation
            interrupt = self._interrupt
        fault = self.faults.take(request.method, request.path)
        entry = self._record(request, fault)
        reply = self._respond(request, fault, interrupt)
        entry.status = reply.response.status if reply.response is not None else None
        return reply

    def _respond(
        self, request: Request, fault: dict[str, Any] | None, interrupt: threading.Event
    ) -> Reply:
        if fault is None:
            return Reply(self._process(request))
        kind = fault_kind(fault, self.custom_fault_kinds)
        if kind == "delay":
            if interrupt.wait(float(fault["delay"])):
                return Reply(None)
            return Reply(self._process(request))
        if kind == "delay_after_processing":
            response = self._process(request)
            return Reply(response, float(fault["delay_after_processing"]), interrupt)
        if kind == "drop":
            if fault["drop"] == "after_processing":
                self._process(request)
            return Reply(None)
        if kind == "status":
            return Reply(self._decorate(request, self.fault_response(request, fault)))
        if kind == "schema_error":
            spec = fault["schema_error"]
            return Reply(self._decorate(request, self.schema_error_response(request, spec)))
        if kind == "malformed":
            if fault["malformed"] == "html":
                return Reply(self._decorate(request, self.html_fault_response(request)))
            response = self._process(request)
            if fault["malformed"] == "truncated_json":
                cut = response.body[: max(1, len(response.body) // 2)] or b'{"'
                truncated = Response(
                    status=response.status,
                    body=cut,
                    content_type="application/json",
                    headers=response.headers,
                )
                return Reply(truncated)
            return Reply(self._decorate(request, self.wrong_shape(response)))
        return Reply(self._decorate(request, self.custom_fault(request, fault, kind)))

    def process(self, request: Request) -> Response:
        """Run ``request`` through the API routes without faults or logging (for custom faults
        that alter a normal answer)."""
        return self._process(request)

    def _process(self, request: Request) -> Response:
        return self._decorate(request, self._run(request, self._routes, control=False))

    def _run(self, request: Request, routes: list[Route], *, control: bool) -> Response:
        allowed: set[str] = set()
        for candidate in routes:
            match = candidate.pattern.match(request.path)
            if match is None:
                continue
            if request.method not in candidate.methods:
                allowed |= candidate.methods
                continue
            params = {key: unquote(value) for key, value in match.groupdict().items()}
            try:
                if candidate.exclusive and not control:
                    with self.lock:
                        if request.generation != self._generation:
                            return text_response(503, "the sandbox was reset meanwhile")
                        return candidate.handler(request, params)
                return candidate.handler(request, params)
            except HttpError as error:
                return error.response
            except BadRequestError as error:
                if control:
                    return json_response(400, {"error": str(error)})
                return self.bad_request_response(request, str(error))
            except FaultSpecError as error:
                return json_response(400, {"error": str(error)})
            except (KeyError, ValueError, TypeError) as error:
                if not control:
                    logger.exception("%s emulator failed on %s", self.name, request.path)
                    return self.internal_error_response(request)
                return json_response(400, {"error": f"{type(error).__name__}: {error}"})
            except Exception:
                logger.exception(
                    "%s emulator failed on %s %s", self.name, request.method, request.path
                )
                if control:
                    return json_response(500, {"error": "control call failed"})
                return self.internal_error_response(request)
        if allowed:
            return self.method_not_allowed_response(request, allowed)
        if control:
            return json_response(404, {"error": f"no control route {request.path}"})
        return self.not_found_response(request)

    def _decorate(self, request: Request, response: Response) -> Response:
        present = {name.lower() for name, _ in response.headers}
        for name, value in self.response_headers(request):
            if name.lower() not in present:
                response.headers.append((name, value))
        return response

    def _record(self, request: Request, fault: dict[str, Any] | None) -> LoggedRequest:
        with self._log_lock:
            self._sequence += 1
            entry = LoggedRequest(
                seq=self._sequence,
                at=iso_millis(self.clock.now()),
                method=request.method,
                path=request.path,
                query={key: list(values) for key, values in request.query.items()},
                headers={key: redact_header(key, value) for key, value in request.headers},
                body=summarize_body(request),
                fault=fault,
            )
            self._log.append(entry)
            if len(self._log) > MAX_LOG_ENTRIES:
                del self._log[: len(self._log) - MAX_LOG_ENTRIES]
        return entry

    # --- control routes --------------------------------------------------------------------------

    def _base_control_routes(self) -> list[Route]:
        return [
            route("POST", "/_sandbox/faults", self._control_add_fault),
            route("GET", "/_sandbox/faults", self._control_list_faults),
            route("DELETE", "/_sandbox/faults", self._control_clear_faults),
            route("DELETE", "/_sandbox/faults/{rule_id}", self._control_remove_fault),
            route("GET", "/_sandbox/requests", self._control_requests),
            route("DELETE", "/_sandbox/requests", self._control_clear_requests),
            route("GET", "/_sandbox/state", self._control_state),
            route("POST", "/_sandbox/reset", self._control_reset),
            route(("GET", "POST"), "/_sandbox/clock", self._control_clock),
        ]

    def _control_add_fault(self, request: Request, params: dict[str, str]) -> Response:
        rule = self.faults.add_from_json(control_json(request))
        return json_response(201, rule.to_json())

    def _control_list_faults(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, {"faults": [rule.to_json() for rule in self.faults.rules()]})

    def _control_clear_faults(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, {"cleared": self.faults.clear()})

    def _control_remove_fault(self, request: Request, params: dict[str, str]) -> Response:
        if not self.faults.remove(params["rule_id"]):
            return json_response(404, {"error": "no such fault rule"})
        return json_response(200, {"removed": params["rule_id"]})

    def _control_requests(self, request: Request, params: dict[str, str]) -> Response:
        entries = self.requests(method=request.arg("method"), path=request.arg("path"))
        return json_response(200, {"requests": [entry.to_json() for entry in entries]})

    def _control_clear_requests(self, request: Request, params: dict[str, str]) -> Response:
        self.clear_requests()
        return json_response(200, {"cleared": True})

    def _control_state(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, self.state())

    def _control_reset(self, request: Request, params: dict[str, str]) -> Response:
        self.reset()
        return json_response(200, {"reset": True})

    def _control_clock(self, request: Request, params: dict[str, str]) -> Response:
        if request.method == "POST":
            payload = control_json(request)
            if "advance" in payload:
                seconds = payload["advance"]
                if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                    raise BadRequestError("advance must be a number of seconds")
                self.clock.advance(float(seconds))
            if "freeze" in payload:
                if payload["freeze"] is True:
                    self.clock.freeze()
                elif payload["freeze"] is False:
                    self.clock.unfreeze()
                else:
                    raise BadRequestError("freeze must be true or false")
        return json_response(
            200, {"now": iso_millis(self.clock.now()), "frozen": self.clock.is_frozen}
        )


def control_json(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    payload = request.json()
    if not isinstance(payload, dict):
        raise BadRequestError("expected a JSON object")
    return payload


def _path_matches(pattern: str, path: str) -> bool:
    if any(char in pattern for char in "*?"):
        return fnmatch.fnmatchcase(path, pattern)
    return pattern == path


class _EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        # Open client connections, so stopping also ends idle keep-alive connections.
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("sandbox connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the client's delayed ACK
    # would add ~40 ms to every answer.
    disable_nagle_algorithm = True
    # Idle keep-alive connections end after this, so handler threads do not pile up.
    timeout = 120
    server: _EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError as error:
            self.close_connection = True
            self._send(text_response(400, str(error)))
            return
        split = urlsplit(self.path)
        request = Request(
            method=self.command.upper(),
            path=split.path or "/",
            query=parse_qs(split.query, keep_blank_values=True),
            headers=list(self.headers.items()),
            body=body,
            request_id=uuid.uuid4().hex,
            raw_query=split.query,
        )
        reply = self.server.emulator.handle(request)
        if reply.response is None:
            self._drop()
            return
        if reply.sleep_after > 0 and reply.interrupt is not None:
            reply.interrupt.wait(reply.sleep_after)
        self._send(reply.response)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                except ValueError:
                    raise ValueError("malformed chunked body") from None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    raise ValueError("body too large for the sandbox")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            raise ValueError("malformed Content-Length") from None
        if size < 0 or size > MAX_BODY_BYTES:
            raise ValueError("body too large for the sandbox")
        return self.rfile.read(size)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            if response.status not in (204, 304):
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD" and response.body and response.status not in (204, 304):
                self.wfile.write(response.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def dump_json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":"))


__all__ = [
    "Emulator",
    "LoggedRequest",
    "Reply",
    "Route",
    "control_json",
    "dump_json",
    "loopback_address",
    "route",
]
