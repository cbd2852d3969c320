"""A small threaded HTTP server on 127.0.0.1 serving an in-memory site (the demo, and tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class SiteServer:
    """Serves `site` (path -> (content type, bytes)); `build` gets the base URL once it is known."""

    def __init__(
        self,
        build: Callable[[str], dict[str, tuple[str, bytes]]],
        host: str = "127.0.0.1",
        delay: float = 0.0,
        port: int = 0,
    ):
        self.host = host
        self.requested_port = port  # 0: any free port
        self.delay = delay  # seconds to wait before each answer (tests of slow sites)
        self._build = build
        self.site: dict[str, tuple[str, bytes]] = {}
        self.requests: list[str] = []

    def __enter__(self) -> SiteServer:
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                server_self.requests.append(self.path)
                if server_self.delay:
                    time.sleep(server_self.delay)
                found = server_self.site.get(path)
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"not found")
                    return
                ctype, body = found
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer((self.host, self.requested_port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://{self.host}:{self.port}"
        self.site = self._build(self.base)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
