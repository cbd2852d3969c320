"""Untrusted SQL runs in worker processes that are killed when it runs past its time.

SQLite checks its progress handler and ``sqlite3_interrupt`` only between the steps of a
loop, so one expression (``hex(randomblob(...))`` twelve times, ``instr`` of two long strings,
a sort of long values) cannot be stopped from inside the process that runs it. Requests that
carry SQL or free text from the URL (``sql=``, ``_where=``, ``_search``) therefore run their
queries here, not in Datasette's threads:

- a small pool of worker processes (``python -m monitor.browse.sandbox``), each with one
  hardened read-only connection (storage.browse: value length, SQL length, ... limits), an
  address-space limit (RLIMIT_AS), SQLite's heap limit and in-memory temp storage (a huge sort
  fails with "out of memory" instead of filling the disk), a byte budget on the result;
- the worker gets the same time limit as Datasette's threads; if it has not answered
  ``grace`` seconds after it, it is killed (SIGKILL) and replaced, and the request gets
  Datasette's "query took too long" answer;
- at most ``workers`` such queries run at once; the others wait, and the wait counts against
  their time limit, so every answer comes within the limit (plus ``grace``).
  Datasette's own pages (tables, rows, facets, canned queries) never wait for them, so a
  one-row page stays fast while hostile queries run.
"""

from __future__ import annotations

import contextvars
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from storage import browse as storage_browse

#: request parameters whose value reaches SQLite as SQL or as a full-text query
UNTRUSTED_PARAMS = ("sql", "_where", "_search")
#: the SQL texts and search strings of the current request (empty: nothing untrusted)
untrusted_request: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "monitor_browse_untrusted", default=()
)


def is_untrusted(sql: str, params: Any) -> bool:
    """Does this query carry SQL or search text from the current request's URL?

    Datasette's own queries of the same request (schema version, table names, counts without
    the user's text) do not, and run in its threads as usual."""
    fragments = untrusted_request.get()
    if not fragments:
        return False
    values = params.values() if isinstance(params, dict) else (params or ())
    texts = {v for v in values if isinstance(v, str)}
    return any(f in sql or f in texts for f in fragments)


@dataclass(frozen=True)
class SandboxSettings:
    workers: int = 3
    grace_s: float = 0.2  # after the time limit, before the worker is killed
    memory_bytes: int = 768 * 1024 * 1024  # RLIMIT_AS of a worker
    sqlite_heap_bytes: int = 256 * 1024 * 1024  # PRAGMA hard_heap_limit in a worker
    result_bytes: int = 16 * 1024 * 1024  # text and blob bytes one answer may carry


MIN_RUN_MS = 50  # a query left less than this after waiting for a worker is refused as busy
STARTUP_TIMEOUT_S = 60.0  # a worker that is not ready by then is replaced


class SandboxBusy(storage_browse.QueryRefused):
    """Every worker stayed busy until the query's time limit ran out."""


class SandboxTimeout(Exception):
    """The worker did not answer within the time limit and was killed."""


def mark_untrusted(app: Callable) -> Callable:
    """ASGI middleware: requests with SQL or search text from the URL use the sandbox."""

    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope.get("type") == "http":
            query = parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"))
            fragments = tuple(
                v.strip()
                for k, v in query
                if v.strip() and any(k == p or k.startswith(p + "_") for p in UNTRUSTED_PARAMS)
            )
            if fragments:
                token = untrusted_request.set(fragments)
                try:
                    return await app(scope, receive, send)
                finally:
                    untrusted_request.reset(token)
        return await app(scope, receive, send)

    return wrapped


# ------------------------------------------------------------------------- parent side
class _Worker:
    def __init__(self, path: Path, settings: SandboxSettings) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.browse.sandbox", str(path), str(to_child_r),
             str(from_child_w), json.dumps(asdict(settings))],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            close_fds=True,
        )  # fmt: skip
        os.close(to_child_r)
        os.close(from_child_w)
        self.send_conn = Connection(to_child_w, readable=False)
        self.recv_conn = Connection(from_child_r, writable=False)

    def wait_ready(self, timeout: float) -> bool:
        """The worker says "ready" once its connection is open (imports take a while)."""
        try:
            return self.recv_conn.poll(timeout) and self.recv_conn.recv() == "ready"
        except (EOFError, OSError):
            return False

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        self.send_conn.close()
        self.recv_conn.close()


class Sandbox:
    """A pool of SQL worker processes over one archive file (started on first use)."""

    def __init__(self, path: str | Path, settings: SandboxSettings | None = None) -> None:
        self.path = Path(path)
        self.settings = settings or SandboxSettings()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.RLock()
        self._started = False
        self._closed = False
        self._failed_starts = 0
        self._first_ready = threading.Event()  # set once a worker has ever been ready
        # threads that only wait on pipes; more than workers, so queued requests can time out
        self._threads = ThreadPoolExecutor(
            max_workers=self.settings.workers * 4, thread_name_prefix="sql-sandbox"
        )

    def start(self) -> None:
        """Start the workers now (otherwise at the first query)."""
        with self._lock:
            if self._started:
                return
            for _ in range(self.settings.workers):
                self._add_worker()
            self._started = True

    def _add_worker(self) -> None:
        """Start a worker and hand it out once it is ready (in a pool thread)."""
        w = _Worker(self.path, self.settings)
        with self._lock:
            self._all.append(w)

        def ready() -> None:
            if w.wait_ready(STARTUP_TIMEOUT_S):
                self._failed_starts = 0
                self._idle.put(w)
                self._first_ready.set()
                return
            # a worker that cannot start (archive gone, ...): retry, ever more slowly
            self._failed_starts += 1
            time.sleep(min(30.0, 0.5 * 2**self._failed_starts))
            self._replace(w)

        self._threads.submit(ready)

    def _replace(self, dead: _Worker) -> None:
        dead.kill()
        with self._lock:
            if dead in self._all:
                self._all.remove(dead)
            closed = self._closed
        if not closed:
            self._add_worker()

    def run(self, sql: str, params: Any, time_limit_ms: int, max_rows: int | None) -> tuple:
        """Blocking: ("ok", rows, columns, truncated) or ("error", class name, args)."""
        self.start()
        # the pool's first start (imports, on a slow or busy machine seconds) is not the
        # query's fault: the time limit runs from when a worker could have answered...
        if not self._first_ready.wait(STARTUP_TIMEOUT_S):
            raise SandboxBusy("the query workers did not start; see the server's log")
        # ...and from there, waiting for a busy worker uses it up
        started = time.monotonic()
        busy = SandboxBusy(
            "the server is busy with other queries and the time limit ran out; try again"
        )
        try:
            worker = self._idle.get(timeout=time_limit_ms / 1000)
        except queue.Empty:
            raise busy from None
        time_limit_ms -= int((time.monotonic() - started) * 1000)
        if time_limit_ms < MIN_RUN_MS:
            self._idle.put(worker)
            raise busy
        try:
            worker.send_conn.send((sql, params, time_limit_ms, max_rows))
            wait = time_limit_ms / 1000 + self.settings.grace_s
            if not worker.recv_conn.poll(wait):
                raise SandboxTimeout(f"no answer within {wait:.1f} s")
            reply = worker.recv_conn.recv()
        except (SandboxTimeout, EOFError, OSError) as e:
            # killed (time) or died (memory): the request fails, a fresh worker takes its place
            self._threads.submit(self._replace, worker)
            if isinstance(e, SandboxTimeout):
                raise
            return ("error", "OperationalError", ("the query used more memory than allowed",))
        self._idle.put(worker)
        return reply

    async def execute(self, sql: str, params: Any, time_limit_ms: int, max_rows: int | None):
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(
            self._threads, self.run, sql, params, time_limit_ms, max_rows
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for w in self._all:
                w.kill()
            self._all.clear()
            self._started = False
        self._threads.shutdown(wait=False, cancel_futures=True)


def rows_as_sqlite_rows(columns: list[str], rows: list[tuple]) -> list[Any]:
    """Rebuild sqlite3.Row objects (what Datasette's pages expect) for rows from a worker."""
    return storage_browse.as_rows(columns, rows)


# -------------------------------------------------------------------------- worker side
def _serve(path: str, inbox: Connection, outbox: Connection, settings: SandboxSettings) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (settings.memory_bytes, settings.memory_bytes))
    except (ImportError, ValueError, OSError):  # no rlimits here: SQLite's heap limit remains
        pass
    conn = storage_browse.open_sandboxed(path, settings.sqlite_heap_bytes)
    conn.text_factory = lambda b: str(b, "utf-8", "replace")  # as Datasette reads text
    _prepare_like_datasette(conn)
    outbox.send("ready")
    while True:
        try:
            sql, params, time_limit_ms, max_rows = inbox.recv()
        except EOFError:
            return
        reply = storage_browse.run_bounded(
            conn, sql, params, time_limit_ms, max_rows, settings.result_bytes
        )
        try:
            outbox.send(reply)
        except MemoryError:
            outbox.send(("error", "OperationalError", ("the result is too large",)))


def _prepare_like_datasette(conn: Any) -> None:
    """The SQL functions Datasette's plugins add to its connections (escape_fts, ...)."""
    from datasette.plugins import pm

    from monitor.browse import limits, plugin

    for module, name in ((plugin, "monitor-browse"), (limits, "monitor-browse-limits")):
        if not pm.is_registered(module):
            pm.register(module, name=name)
    pm.hook.prepare_connection(conn=conn, database="archive", datasette=None)


def main(argv: list[str]) -> None:
    path, inbox_fd, outbox_fd, settings_json = argv
    settings = SandboxSettings(**json.loads(settings_json))
    inbox = Connection(int(inbox_fd), writable=False)
    outbox = Connection(int(outbox_fd), readable=False)
    _serve(path, inbox, outbox, settings)


if __name__ == "__main__":
    main(sys.argv[1:])
