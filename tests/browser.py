"""Headless Chromium for tests that look at what a person sees (Debian's chromium package).

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages separated by NUL bytes on file descriptors 3 and 4), the transport Playwright itself
uses. That takes ~250 lines and no dependency, where Playwright's Python package is 165 MB
(with a Node.js runtime inside) only to drive the same system Chromium.

The API is the small part of Playwright's that the tests use, with the same names, so a test
reads the same either way::

    with browser() as ctx:
        page = ctx.new_page()
        page.set_viewport_size({"width": 375, "height": 900})
        page.goto(url)
        page.locator("h1").inner_text(); page.locator("a").count()
        page.evaluate("document.title"); page.screenshot(path=p, full_page=True)
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
]
TIMEOUT = 30.0


class BrowserError(Exception):
    pass


def require_chromium() -> None:
    """Skip outside CI when Chromium is missing; in CI (.ci/run installs it) fail instead."""
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium package")
    pytest.skip("Chromium not installed: run scripts/install-chromium.sh (or make chromium)")


class _Connection:
    """One Chromium process and its DevTools pipe."""

    def __init__(self, profile: str):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def plumb() -> None:  # in the child: the pipe ends on fds 3 (commands) and 4 (replies)
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                *ARGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=plumb,  # noqa: PLW1509 (tests only; no threads hold locks here)
            pass_fds=(3, 4),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._ids = itertools.count(1)
        self._replies: dict[int, dict] = {}
        self._events: list[dict] = []
        self._cond = threading.Condition()
        self._closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self._events.append(msg)
                    self._cond.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        mid = next(self._ids)
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        with self._cond:
            while mid not in self._replies:
                if self._closed:
                    raise BrowserError(f"Chromium exited while waiting for {method}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BrowserError(f"no reply to {method} within {TIMEOUT:.0f}s")
                self._cond.wait(left)
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def wait_event(self, method: str, session: str, since: int, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if any(
                    e.get("method") == method and e.get("sessionId") == session
                    for e in self._events[since:]
                ):
                    return
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise BrowserError(f"no {method} within {timeout:.0f}s")
                self._cond.wait(left)

    def event_count(self) -> int:
        with self._cond:
            return len(self._events)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except BrowserError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass


class Locator:
    """Elements matching a CSS selector (optionally the n-th of them), evaluated when asked."""

    def __init__(self, page: Page, css: str, index: int | None = None):
        self.page, self.css, self.index = page, css, index

    def _js(self, body: str) -> Any:
        sel = json.dumps(self.css)
        pick = f"const all = Array.from(document.querySelectorAll({sel}));" + (
            f"const els = all.length > {self.index} ? [all[{self.index}]] : [];"
            if self.index is not None
            else "const els = all;"
        )
        return self.page.evaluate(f"(() => {{ {pick} {body} }})()")

    def count(self) -> int:
        return self._js("return els.length;")

    def nth(self, index: int) -> Locator:
        return Locator(self.page, self.css, index)

    @property
    def first(self) -> Locator:
        return self.nth(0)

    def wait_for(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count() == 0:
            if time.monotonic() > deadline:
                raise BrowserError(f"no element matches {self.css!r}")
            time.sleep(0.05)

    def inner_text(self) -> str:
        self.wait_for()
        return self._js("return els[0].innerText;")

    def text_content(self) -> str:
        self.wait_for()
        return self._js("return els[0].textContent;")

    def get_attribute(self, name: str) -> str | None:
        self.wait_for()
        return self._js(f"return els[0].getAttribute({json.dumps(name)});")

    def all_inner_texts(self) -> list[str]:
        return self._js("return els.map(e => e.innerText);")

    def bounding_box(self) -> dict | None:
        return self._js(
            "if (!els.length) return null; const r = els[0].getBoundingClientRect();"
            "return {x: r.x, y: r.y, width: r.width, height: r.height};"
        )

    def evaluate_all(self, function: str) -> Any:
        return self._js(f"return ({function})(els);")


class Page:
    def __init__(self, conn: _Connection):
        self.conn = conn
        target = conn.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = conn.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.target = target
        self._send("Page.enable")
        self._send("Runtime.enable")
        self.viewport = {"width": 1280, "height": 900}
        self.set_viewport_size(self.viewport)

    def _send(self, method: str, params: dict | None = None) -> dict:
        return self.conn.send(method, params, self.session)

    def set_viewport_size(self, size: dict) -> None:
        self.viewport = dict(size)
        self._send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": size["width"],
                "height": size["height"],
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )

    def goto(self, url: str, timeout: float = TIMEOUT) -> None:
        since = self.conn.event_count()
        result = self._send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        self.conn.wait_event("Page.loadEventFired", self.session, since, timeout)

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        """Like Playwright's: an expression's value, or a function's result called with `arg`;
        promises are awaited. The expression is evaluated once either way."""
        expr = (
            "(() => { const __v = ("
            + expression.strip()
            + f"); return typeof __v === 'function' ? __v({json.dumps(arg)}) : __v; }})()"
        )
        result = self._send(
            "Runtime.evaluate",
            {"expression": expr, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            detail = result["exceptionDetails"]
            raise BrowserError(
                "JavaScript error: "
                + str(detail.get("exception", {}).get("description") or detail.get("text"))
            )
        return result["result"].get("value")

    def wait_for_function(self, expression: str, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"{expression!r} stayed false for {timeout:.0f}s")
            time.sleep(0.05)

    def wait_for_selector(self, css: str, timeout: float = 10.0) -> Locator:
        loc = self.locator(css)
        loc.wait_for(timeout)
        return loc

    def locator(self, css: str) -> Locator:
        return Locator(self, css)

    def title(self) -> str:
        return self.evaluate("document.title")

    def content(self) -> str:
        return self.evaluate("document.documentElement.outerHTML")

    def screenshot(self, path: str | os.PathLike, full_page: bool = False) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.evaluate(
                "({w: Math.max(document.documentElement.scrollWidth, innerWidth),"
                " h: Math.max(document.documentElement.scrollHeight, document.body ? "
                "document.body.scrollHeight : 0)})"
            )
            params["clip"] = {"x": 0, "y": 0, "width": size["w"], "height": size["h"], "scale": 1}
            params["captureBeyondViewport"] = True
        data = base64.b64decode(self._send("Page.captureScreenshot", params)["data"])
        Path(path).write_bytes(data)
        return data

    def close(self) -> None:
        try:
            self.conn.send("Target.closeTarget", {"targetId": self.target})
        except BrowserError:
            pass


class Context:
    def __init__(self, conn: _Connection):
        self.conn = conn
        self.pages: list[Page] = []

    def new_page(self) -> Page:
        page = Page(self.conn)
        self.pages.append(page)
        return page

    def close(self) -> None:
        for p in self.pages:
            p.close()


@contextmanager
def browser():
    """A headless Chromium with a fresh profile; yields a context with new_page()."""
    require_chromium()
    with tempfile.TemporaryDirectory(prefix="monitor-chromium-") as profile:
        conn = _Connection(profile)
        ctx = Context(conn)
        try:
            yield ctx
        finally:
            ctx.close()
            conn.close()


def screenshot_dir(tmp_path) -> os.PathLike:
    """Where screenshots go: docs/screenshots/ with UPDATE_SCREENSHOTS=1, else the test's tmp dir.

    (Writing into docs/ on every run would leave modified images in every checkout.)
    """
    if os.environ.get("UPDATE_SCREENSHOTS"):
        folder = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path
