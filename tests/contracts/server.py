"""Serve contract fixtures from a loopback HTTP server, so each client is tested over real HTTP
against the providers' published examples.

``FixtureServer`` answers every request with the next queued fixture (the last one repeats) and
records what it was asked; ``load`` reads one fixture file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

CONTRACTS = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Fixture:
    provider: str
    name: str
    source: Mapping[str, Any]
    status: int
    headers: Mapping[str, str]
    body: Any
    raw: bytes = field(repr=False)


def load(provider: str, name: str) -> Fixture:
    """Read ``tests/contracts/<provider>/<name>.json``. ``body`` keeps numbers exact
    (``Decimal``); the served bytes re-encode the file's JSON (Python writes floats back in their
    shortest form, so ``0.43`` goes out as ``0.43``)."""
    text = (CONTRACTS / provider / f"{name}.json").read_text(encoding="utf-8")
    document = json.loads(text, parse_float=Decimal)
    headers = dict(document.get("headers", {}))
    if "body_text" in document:
        body: Any = None
        raw = str(document["body_text"]).encode()
        headers.setdefault("Content-Type", "text/plain")
    else:
        body = document["body"]
        raw = json.dumps(json.loads(text)["body"], ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
    return Fixture(provider, name, document["_source"], int(document["status"]), headers, body, raw)


def names(provider: str) -> list[str]:
    return sorted(path.stem for path in (CONTRACTS / provider).glob("*.json"))


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


class FixtureServer:
    """``with FixtureServer() as server: server.serve(load(...)); client(server.base_url)``."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._queue: list[Fixture] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve(self, *fixtures: Fixture) -> None:
        with self._lock:
            self._queue = list(fixtures)
            self.received.clear()

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, received: Received) -> Fixture:
        with self._lock:
            self.received.append(received)
            if not self._queue:
                raise AssertionError(f"no fixture queued for {received.method} {received.path}")
            return self._queue.pop(0) if len(self._queue) > 1 else self._queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                received = Received(
                    self.command,
                    parts.path,
                    parse_qsl(parts.query, keep_blank_values=True),
                    {name.lower(): value for name, value in self.headers.items()},
                    body,
                )
                fixture = server._next(received)
                self.send_response(fixture.status)
                for name, value in fixture.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(fixture.raw)))
                self.end_headers()
                if fixture.status != 204:
                    self.wfile.write(fixture.raw)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
