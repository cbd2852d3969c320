"""Real local servers that half-fail, for the delivery tests: they count what each recipient
really received, so a test can assert "every story reached every recipient exactly once".

- ScriptedSMTP: aiosmtpd answering each RCPT from a script per recipient (450 greylisted,
  550 unknown user, ...) and optionally dropping the connection after DATA;
- ScriptedHTTP: an HTTP endpoint (Slack, webhook, Apprise json://) whose answer to each POST
  comes from a function: a status, headers, a body and an optional delay before answering.
"""

from __future__ import annotations

import email
import json
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from monitor.demo.server import free_port

STORY_URL = re.compile(r"https://news\.example/story-(\d{4})\.html")


def story_numbers(text: str) -> list[int]:
    """The seeded stories a received message carries (see tests/test_delivery_partial.py)."""
    return [int(n) for n in STORY_URL.findall(text)]


class ScriptedSMTP:
    """aiosmtpd on 127.0.0.1; `rcpt_script[address]` is the list of replies to that address's
    next RCPTs (then 250). `drop_after_data` connections are cut after DATA, before the
    message is stored (a server crash): the client never gets a 250."""

    def __init__(
        self, rcpt_script: dict[str, list[str]] | None = None, *, drop_after_data: int = 0
    ):
        self.port = free_port()
        self.rcpt_script = {k: list(v) for k, v in (rcpt_script or {}).items()}
        self.drop_after_data = drop_after_data
        self.inbox: dict[str, list[email.message.EmailMessage]] = defaultdict(list)
        self.rcpt_log: list[tuple[str, str]] = []  # (address, reply)
        self.transactions = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        script = self.rcpt_script.get(address)
        reply = script.pop(0) if script else "250 OK"
        self.rcpt_log.append((address, reply))
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.transactions += 1
        if self.drop_after_data > 0:
            self.drop_after_data -= 1
            server.transport.abort()  # gone before the 250: nothing stored
            return "421 unreachable"
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        for rcpt in envelope.rcpt_tos:
            self.inbox[rcpt].append(msg)
        return "250 Message accepted for delivery"

    def stories(self, address: str) -> Counter:
        """How many times each story reached `address` (from the plain-text bodies)."""
        seen: Counter = Counter()
        for msg in self.inbox[address]:
            seen.update(story_numbers(msg.get_body(("plain",)).get_content()))
        return seen

    def __enter__(self) -> ScriptedSMTP:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = "ok"
    delay: float = 0.0  # seconds before answering (a slow receiver)


class ScriptedHTTP:
    """POSTs answered by `answer(request, n)` (n counts requests from 1); records every request,
    and which were answered with a 2xx (`accepted`)."""

    def __init__(self, answer: Callable[[Request, int], Reply] | None = None):
        self.answer = answer or (lambda req, n: Reply())
        self.requests: list[Request] = []
        self.lock = threading.Lock()

    @property
    def accepted(self) -> list[Request]:
        return [r for r in self.requests if 200 <= r.status < 300]

    def __enter__(self) -> ScriptedHTTP:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                req = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with outer.lock:
                    outer.requests.append(req)
                    n = len(outer.requests)
                reply = outer.answer(req, n)
                if reply.delay:
                    time.sleep(reply.delay)
                req.status = reply.status
                data = reply.body.encode()
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = self.base + "/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
