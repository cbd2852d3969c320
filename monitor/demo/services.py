"""The demo's local services: the sample site served from files, and a webhook receiver.

`monitor demo --keep DIR` writes the sample site into DIR/site and a config whose [demo]
table names it. Whenever monitor runs with that config (`run`, the daemon, `digest`,
`browse`...), `ensure_running` serves the site on its port, and the receiver on its port, for
as long as the process lives, unless another monitor process already does (`demo --serve`, or
a daemon). So the kept demo keeps working after the demo command has exited.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from monitor.demo.server import SiteServer

TOKEN = "http://monitor-demo.invalid"  # the site's files say this where the real base goes
MANIFEST = "site.json"
MARKER = "/.monitor-demo-site"  # answers with the folder it serves: "is this port ours?"


class DemoError(Exception):
    """The kept demo's services cannot start; worded for the user."""


def write_site(folder: Path, site: dict[str, tuple[str, bytes]]) -> None:
    """Write `site` (path -> (content type, body), built for TOKEN) as files under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for path, (ctype, body) in site.items():
        target = folder / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        manifest[path] = ctype
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def folder_site(folder: Path) -> Callable[[str], dict[str, tuple[str, bytes]]]:
    """A SiteServer builder serving the files of `folder` at whatever base it gets."""

    def build(base: str) -> dict[str, tuple[str, bytes]]:
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise DemoError(f"the demo site in {folder} is missing or damaged ({e})") from None
        site = {}
        for path, ctype in manifest.items():
            body = (folder / path.lstrip("/")).read_bytes().replace(TOKEN.encode(), base.encode())
            site[path] = (ctype, body)
        site[MARKER] = ("text/plain", str(folder.resolve()).encode())
        return site

    return build


class HookReceiver:
    """A webhook endpoint on 127.0.0.1 that prints a short account of each digest it gets."""

    def __init__(self, port: int = 0, out: Callable[[str], None] | None = None):
        self.port = port
        self.out = out or (lambda line: print(line, file=sys.stderr, flush=True))
        self.received: list[dict] = []

    def __enter__(self) -> HookReceiver:
        me = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = min(int(self.headers.get("Content-Length") or 0), 5_000_000)
                body = self.rfile.read(length)
                try:
                    data = json.loads(body)
                except ValueError:
                    data = {"raw": body[:200].decode("utf-8", "replace")}
                me.received.append(data)
                me.out(describe_delivery(data))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"monitor demo webhook receiver: POST digests here\n")

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def describe_delivery(data: dict) -> str:
    stories = data.get("stories") or []
    lines = [
        f"[webhook receiver] digest {data.get('digest_id') or '?'} for channel "
        f"{data.get('channel')!r}: {len(stories)} {'story' if len(stories) == 1 else 'stories'}"
    ]
    for s in stories:
        label = (s.get("evidence") or {}).get("label") or ""
        lines.append(f"  - {s.get('title')}" + (f"  [{label}]" if label else ""))
    return "\n".join(lines)


_RUNNING: dict[tuple[str, int], object] = {}


def _ours(port: int, folder: Path) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{MARKER}", timeout=2) as r:
            return r.read().decode() == str(folder.resolve())
    except OSError:
        return False


def ensure_running(demo) -> None:  # demo: monitor.config.DemoConfig
    """Serve the kept demo's site (and receiver) for this process, unless already served."""
    key = ("site", demo.port)
    if key not in _RUNNING:
        server = SiteServer(folder_site(demo.site), port=demo.port)
        try:
            server.__enter__()
            _RUNNING[key] = server
        except OSError:
            if not _ours(demo.port, demo.site):
                raise DemoError(
                    f"port {demo.port} of the demo's sample site is taken by another program; "
                    f"stop it or change [demo] port and the sources' addresses"
                ) from None
            _RUNNING[key] = "elsewhere"  # `monitor demo --serve` or another monitor serves it
    if demo.hook_port and ("hook", demo.hook_port) not in _RUNNING:
        try:
            _RUNNING[("hook", demo.hook_port)] = HookReceiver(demo.hook_port).__enter__()
        except OSError:
            _RUNNING[("hook", demo.hook_port)] = "elsewhere"  # its prints go to that terminal
