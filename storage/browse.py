"""Reading the archive for `monitor browse`: hardened read-only connections and schema reads.

Every connection browsing uses (Datasette's own, the SQL sandbox's workers, the metadata
reader) goes through ``harden``:

- ``query_only`` on top of ``mode=ro``, a busy timeout that rides over the daemon's
  checkpoints;
- SQLite's own limits (``Connection.setlimit``, table ``LIMITS``): no string or blob over
  8 MiB, so one expression cannot allocate gigabytes (``randomblob(300000000)`` fails at once
  with "string or blob too big"); short SQL texts, shallow expressions, a small program, short
  LIKE/GLOB patterns, no ATTACH, no sorter threads.

The SQL that monitor.browse runs lives here and in storage.queries; monitor/browse holds none.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from storage import queries

MAX_VALUE_BYTES = 8 * 1024 * 1024  # above any text the archive stores (extraction keeps 3M chars)

#: SQLite's run-time limits on every browse connection (sqlite3.Connection.setlimit)
LIMITS: dict[int, int] = {
    sqlite3.SQLITE_LIMIT_LENGTH: MAX_VALUE_BYTES,  # any string, blob or row
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,  # one statement's text
    sqlite3.SQLITE_LIMIT_COLUMN: 500,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 200,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 50,
    sqlite3.SQLITE_LIMIT_VDBE_OP: 250_000,  # instructions in one compiled statement
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 200,  # LIKE/GLOB cost grows with the pattern
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 1000,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 10,
    sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
}

_PRAGMAS = (
    "PRAGMA query_only = 1",  # refuses writes from any plugin or write connection
    "PRAGMA busy_timeout = 5000",
)


def harden(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Apply the browse limits and pragmas to a connection (any connection that browses)."""
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    return conn


def limit_heap(conn: sqlite3.Connection, max_bytes: int) -> None:
    """Cap all of SQLite's memory in this process (PRAGMA hard_heap_limit: process-wide; only
    for processes that do nothing but browse). Beyond it a query fails with "out of memory"."""
    conn.execute(f"PRAGMA hard_heap_limit = {int(max_bytes)}")


def open_read_only(path: str | Path) -> sqlite3.Connection:
    """A hardened read-only connection that never blocks the daemon (WAL readers take no lock)."""
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, check_same_thread=False)
    return harden(conn)


def open_sandboxed(path: str | Path, heap_bytes: int) -> sqlite3.Connection:
    """The connection of a sandbox worker process (monitor.browse.sandbox): hardened, with all
    of SQLite's memory in the process capped and temporary tables and sorts kept in that
    memory, so a huge sort fails with "out of memory" instead of filling the disk."""
    conn = open_read_only(path)
    limit_heap(conn, heap_bytes)
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


_row_conn = threading.local()


def as_rows(columns: list[str], rows: list[tuple]) -> list[sqlite3.Row]:
    """sqlite3.Row objects with these column names for plain tuples (rows from a worker)."""
    conn = getattr(_row_conn, "conn", None)
    if conn is None:
        conn = _row_conn.conn = sqlite3.connect(":memory:", check_same_thread=False)
    names = ", ".join('NULL AS "' + c.replace('"', '""') + '"' for c in columns) or "NULL"
    cur = conn.execute(f"SELECT {names}")
    return [sqlite3.Row(cur, tuple(r)) for r in rows]


class QueryRefused(sqlite3.OperationalError):
    """A browse query refused before or while it ran (too large, busy, ...)."""


def error_from(name: str, args: tuple) -> sqlite3.Error:
    """The sqlite3 exception a worker process reported, by its class name."""
    error_class = getattr(sqlite3, name, sqlite3.OperationalError)
    if not (isinstance(error_class, type) and issubclass(error_class, sqlite3.Error)):
        error_class = sqlite3.OperationalError
    return error_class(*args)


def _size(row: tuple) -> int:
    return sum(len(v) if isinstance(v, str | bytes) else 8 for v in row)


def run_bounded(
    conn: sqlite3.Connection,
    sql: str,
    params: Any,
    time_limit_ms: int,
    max_rows: int | None,
    result_bytes: int,
) -> tuple:
    """Run one untrusted query: ("ok", rows, columns) or ("error", class name, args).

    Loops stop at the time limit (progress handler); the answer stops at ``max_rows`` + 1 rows
    or fails beyond ``result_bytes`` of text and blobs. (A single long step is stopped by the
    process that runs this being killed: monitor.browse.sandbox.)"""
    deadline = time.perf_counter() + time_limit_ms / 1000
    conn.set_progress_handler(lambda: time.perf_counter() >= deadline, 1000)
    try:
        cur = conn.execute(sql, params if params is not None else {})
        rows: list[tuple] = []
        size = 0
        for row in cur:
            size += _size(row)
            if size > result_bytes:
                raise QueryRefused(
                    f"the result is over {result_bytes // 1_000_000} MB: select fewer rows or "
                    "shorter columns"
                )
            rows.append(row)
            if max_rows is not None and len(rows) > max_rows:
                break
        columns = [d[0] for d in cur.description or ()]
        cur.close()
        return ("ok", rows, columns)
    except sqlite3.Error as e:
        return ("error", "OperationalError" if isinstance(e, QueryRefused) else type(e).__name__,
                tuple(str(a) for a in e.args))  # fmt: skip
    except MemoryError:
        return ("error", "OperationalError", ("the query used more memory than allowed",))
    finally:
        conn.set_progress_handler(None, 1000)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute(queries.SCHEMA_VERSION).fetchone()[0])


def views_present(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute(queries.BROWSE_VIEWS_PRESENT)}


def schema_objects(conn: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    """(name, 'table' | 'view', CREATE statement) of every table and view, in schema order."""
    return conn.execute(
        "SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view')"
        " AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()


def column_names(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", [table])]


def archived_sources(conn: sqlite3.Connection) -> list[tuple[str, str, int, str | None]]:
    """(name, url, enabled, last_status) of every source the archive knows (url is masked)."""
    return conn.execute(queries.SOURCE_LIST).fetchall()
