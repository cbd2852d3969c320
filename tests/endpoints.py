"""Real local stand-ins for what digests are delivered to: an SMTP server and a webhook endpoint."""

from __future__ import annotations

import email
import json
import threading
import time
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from monitor.demo.server import free_port


class SMTPSink:
    """aiosmtpd on 127.0.0.1 at a port we choose ourselves (Controller(port=0) is unreliable)."""

    def __init__(
        self,
        port: int | None = None,
        *,
        tls: str | None = None,
        cert=None,
        credentials: tuple[str, str] | None = None,
    ):
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.tls = tls  # None | "starttls" | "tls"
        self.cert = cert  # a trustme leaf certificate
        self.credentials = credentials
        self.logins: list[str] = []

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 535

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def __enter__(self) -> SMTPSink:
        kwargs: dict = {}
        if self.tls:
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.cert.configure_cert(ctx)
            if self.tls == "starttls":
                kwargs.update(tls_context=ctx, require_starttls=True)
            else:
                kwargs.update(ssl_context=ctx)
        if self.credentials:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                # aiosmtpd only sees STARTTLS sessions as TLS, not implicit TLS
                auth_require_tls=self.tls == "starttls",
            )
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class WebhookEndpoint:
    """Answers POSTs from a script of (status, headers, body); records every JSON payload."""

    def __init__(self, script: list[tuple[int, dict, str]] | None = None):
        self.script = list(script or [])
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.times: list[float] = []

    def __enter__(self) -> WebhookEndpoint:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                outer.received.append(json.loads(self.rfile.read(length)))
                outer.headers.append(dict(self.headers))
                outer.times.append(time.monotonic())
                status, headers, body = outer.script.pop(0) if outer.script else (200, {}, "ok")
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
