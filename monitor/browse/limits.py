"""What bounds a browse request: SQLite's limits, a watchdog, and the SQL sandbox.

``BrowseDatabase`` is the Datasette database `monitor browse` serves the archive through:

- every connection is hardened by storage.browse (``plugin.prepare_connection``): no string or
  blob over 8 MiB, short SQL, ...;
- queries of requests with SQL or search text from the URL run in the sandbox's worker
  processes (monitor.browse.sandbox), which are killed when they overrun the time limit;
- Datasette's own queries (tables, rows, facets, canned queries) run in its threads as before,
  with a watchdog that calls ``sqlite3_interrupt`` when one overruns the time limit by
  ``grace`` seconds. Datasette's progress handler stops loops; the interrupt also stops long
  single steps that check for it (a COUNT, a b-tree walk).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.database import Database, QueryInterrupted, Results

from monitor.browse.sandbox import (
    Sandbox,
    SandboxSettings,
    SandboxTimeout,
    is_untrusted,
    mark_untrusted,
    rows_as_sqlite_rows,
)
from storage import browse as storage_browse


class Watchdog:
    """One thread that interrupts connections whose armed deadline has passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, Any] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self.interrupts = 0

    def arm(self, conn: Any, seconds: float) -> int:
        token = next(self._ids)
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sql-watchdog", daemon=True)
                self._thread.start()
            self._armed[token] = conn
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            self._cond.notify()
        return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._armed.pop(token, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                conn = self._armed.pop(token, None)
                if conn is not None:
                    self.interrupts += 1
                    conn.interrupt()


WATCHDOG = Watchdog()


class BrowseDatabase(Database):
    """The archive, read-only, with its queries bounded in time and memory."""

    def __init__(self, ds: Any, path: str | Path, settings: SandboxSettings | None = None) -> None:
        super().__init__(ds, path=str(path), is_mutable=True)
        self.sandbox = Sandbox(path, settings)
        self.grace_s = self.sandbox.settings.grace_s

    async def execute_fn(self, fn: Any) -> Any:
        limit_s = self.ds.sql_time_limit_ms / 1000 + self.grace_s

        def guarded(conn: Any) -> Any:
            token = WATCHDOG.arm(conn, limit_s)
            try:
                return fn(conn)
            finally:
                WATCHDOG.disarm(token)

        return await super().execute_fn(guarded)

    async def execute(
        self,
        sql: str,
        params: Any = None,
        truncate: bool = False,
        custom_time_limit: int | None = None,
        page_size: int | None = None,
        log_sql_errors: bool = True,
    ) -> Results:
        if not is_untrusted(sql, params):
            return await super().execute(
                sql, params, truncate, custom_time_limit, page_size, log_sql_errors
            )
        # the same time limit and row cap as Datasette's own execute, in a killable worker
        time_limit_ms = self.ds.sql_time_limit_ms
        if custom_time_limit and custom_time_limit < time_limit_ms:
            time_limit_ms = custom_time_limit
        page_size = page_size or self.ds.page_size
        max_rows = self.ds.max_returned_rows
        if max_rows == page_size:
            max_rows += 1
        cap = max_rows if (max_rows and truncate) else None
        try:
            reply = await self.sandbox.execute(sql, params, time_limit_ms, cap)
        except SandboxTimeout:
            raise QueryInterrupted(
                storage_browse.error_from("OperationalError", ("interrupted",)), sql, params
            ) from None
        if reply[0] == "error":
            _, name, args = reply
            e = storage_browse.error_from(name, args)
            if args == ("interrupted",):
                raise QueryInterrupted(e, sql, params)
            raise e
        _, rows, columns = reply
        truncated = cap is not None and len(rows) > cap
        rows = rows[:cap] if cap is not None else rows
        description = tuple((c, None, None, None, None, None, None) for c in columns)
        return Results(rows_as_sqlite_rows(columns, rows), truncated, description)

    def close(self) -> None:
        self.sandbox.close()
        super().close()


class _LoggedTraceback:
    """Stands in for the `traceback` module in Datasette's error handler: an unexpected
    error's traceback goes to the log (masked by monitor.logsafe), not straight to stderr."""

    @staticmethod
    def print_exc(*args: Any, **kwargs: Any) -> None:
        logging.getLogger("monitor.browse").error("unexpected error", exc_info=True)


def quiet_datasette_errors() -> None:
    """Datasette prints every error's traceback with all its local variables to the console
    when `rich` is importable (datasette/handle_exception.py): for a browse server that is a
    leak (locals), and output the client controls (each refused query printed pages of it,
    and a full pipe stalled the server). Errors still get their page; unexpected ones are
    logged through logging instead."""
    from datasette import handle_exception

    if hasattr(handle_exception, "rich"):
        handle_exception.rich = None
    if hasattr(handle_exception, "traceback"):
        handle_exception.traceback = _LoggedTraceback  # type: ignore[assignment]


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Requests with SQL or search text from the URL run their queries in the sandbox."""
    return mark_untrusted
