"""A small threaded HTTP/1.1 server on 127.0.0.1 for tests.

Routes are set by the test: a fixed answer (status, headers, body), optionally delayed,
gzip-compressed, or dripped a few bytes at a time, or a callable that builds the answer
from the request. Every request is recorded (method, path, headers) for assertions.

    with TestServer() as srv:
        srv.route("/feed.xml", body=b"<rss/>", headers={"Content-Type": "application/rss+xml"})
        url = srv.url("/feed.xml")
        ...
        assert srv.requests[0].headers["user-agent"].startswith("monitor/")

Nothing here reaches beyond the loopback address it is bound to.
"""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds before the status line is sent
    gzip: bool = False  # compress the body and send Content-Encoding: gzip
    raw_gzip: bytes | None = None  # send these bytes as an already-gzipped body
    drip: tuple[bytes, float] | None = None  # (chunk, interval): send chunk forever
    handler: Callable[[RecordedRequest], Route] | None = None  # build the answer per request


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case keys
    at: float


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        req = RecordedRequest(
            "GET", self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
        )
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(req)
        route = owner.lookup(self.path)
        if route is not None and route.handler is not None:
            route = route.handler(req)
        if route is None:
            route = Route(status=404, body=b"not found")
        if route.delay:
            time.sleep(route.delay)
        body = route.body
        headers = dict(route.headers)
        if route.raw_gzip is not None:
            body = route.raw_gzip
            headers["Content-Encoding"] = "gzip"
        elif route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self.send_response_only(route.status)
        if "date" not in {k.lower() for k in headers}:
            self.send_header("Date", self.date_time_string())
        for key, value in headers.items():
            self.send_header(key, value)
        if route.drip is not None:
            chunk, interval = route.drip
            self.send_header("Connection", "close")  # no length: the body ends at close
            self.end_headers()
            try:
                while not owner.stopping.is_set():
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    owner.stopping.wait(interval)
            except OSError:
                pass
            self.close_connection = True
            return
        if "content-length" not in {k.lower() for k in headers}:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: TestServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early (caps, timeouts) are expected here


class TestServer:
    """Threaded HTTP server bound to ``host`` on a free port; a context manager."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _Server((host, 0), _Handler)
        self._server.owner = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> TestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def route(self, path: str, **kwargs: object) -> Route:
        """Set the answer for ``path`` (exact match, query string included if given)."""
        route = Route(**kwargs)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def lookup(self, path: str) -> Route | None:
        if path in self.routes:
            return self.routes[path]
        return self.routes.get(path.split("?", 1)[0])

    def hits(self, path: str) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


@contextmanager
def serving(*servers: TestServer) -> Iterator[None]:
    """Run several servers (each on its own loopback address) for the length of a block."""
    with ExitStack() as stack:
        for server in servers:
            stack.enter_context(server)
        yield
