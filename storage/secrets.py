"""What the archive refuses to hold: credentials, in any column.

Every write that can carry text from a URL or an error goes through here:

- ``record``: an article's links, key, title and text lose URL userinfo (removed: a link's
  identity does not include the credentials used to fetch it, so a link stored by an older
  monitor matches the same link seen now) and every registered secret
  (``monitor.logsafe.remove_credentials``; query parameters are kept, since they may select
  the article); its note is an error text;
- ``error``: error texts (delivery and digest errors) are masked fully (``logsafe.mask``);
- ``mask_existing``: the migration step that cleans an archive written by an older monitor,
  in every text column of every table, with SQLite's ``secure_delete`` on so that the old
  bytes are overwritten rather than left in free pages. ``migrations.migrate`` checkpoints
  the WAL (TRUNCATE) after it, so no old frame keeps them either.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from typing import Any

from monitor.logsafe import mask, registered, remove_credentials

#: columns whose whole content is an address or an error text: masked fully
FULL_MASK = {
    ("sources", "url"),
    ("sources", "configured_url"),
    ("sources", "last_error"),
    ("sources", "disabled_reason"),
    ("articles", "extract_note"),
}
_ERROR_COLUMN = re.compile(r"(^|_)(error|reason)$")
_SKIP_TABLE = re.compile(r"^sqlite_|_fts(_\w+)?$")
_TEXT_FIELDS = ("key", "url", "canonical_url", "title", "text", "extract_note", "lead_image")


def error(text: str | None) -> str | None:
    """An error text as the archive keeps it."""
    return mask(text) if text else text


def url(value: str | None) -> str | None:
    """A link as the archive keeps it (lookups use the same form as writes)."""
    return remove_credentials(value) if value else value


def record(rec: Any) -> Any:
    """An ArticleRecord with its text fields cleaned (the same object when nothing changes)."""
    changes = {}
    for name in _TEXT_FIELDS:
        value = getattr(rec, name, None)
        if isinstance(value, str):
            clean = error(value) if name == "extract_note" else remove_credentials(value)
            if clean != value:
                changes[name] = clean
    return dataclasses.replace(rec, **changes) if changes else rec


def _masker_for(table: str, column: str):  # type: ignore[no-untyped-def]
    if (table, column) in FULL_MASK or _ERROR_COLUMN.search(column):
        return mask
    return remove_credentials


def mask_existing(conn: sqlite3.Connection) -> dict[str, int]:
    """Mask every text value of every ordinary table in place; returns changed rows per column.

    Runs inside the caller's transaction. Unique columns (an article key) that would collide
    once masked get the row id appended, so no row is lost.
    """
    before = conn.execute("PRAGMA secure_delete").fetchone()[0]
    conn.execute("PRAGMA secure_delete = ON")  # overwritten, not left in free pages
    try:
        return _mask_tables(conn)
    finally:
        conn.execute(f"PRAGMA secure_delete = {int(before)}")


def _mask_tables(conn: sqlite3.Connection) -> dict[str, int]:
    changed: dict[str, int] = {}
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
            "'CREATE VIRTUAL TABLE%' AND name NOT LIKE 'sqlite_%'"
        )
        if not _SKIP_TABLE.search(name)
    ]
    for table in tables:
        info = conn.execute(f'PRAGMA table_xinfo("{table}")').fetchall()
        without_rowid = conn.execute(
            "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = ?", [table]
        ).fetchone()[0]
        if without_rowid:
            continue  # only integer keys here (the story index)
        for col in info:
            column, declared, hidden = col[1], (col[2] or "").upper(), col[6]
            if hidden or not (declared == "" or "TEXT" in declared or "CHAR" in declared):
                continue
            masker = _masker_for(table, column)
            where = f"typeof(\"{column}\") = 'text'"
            params: list[str] = []
            if masker is remove_credentials:  # only rows that can hold a URL or a known secret
                probes = ["://", *registered()]
                where += " AND (" + " OR ".join(f'instr("{column}", ?) > 0' for _ in probes) + ")"
                params = probes
            rows = conn.execute(
                f'SELECT rowid, "{column}" FROM "{table}" WHERE {where}', params
            ).fetchall()
            for rowid, value in rows:
                clean = masker(value)
                if clean == value:
                    continue
                try:
                    conn.execute(
                        f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', [clean, rowid]
                    )
                except sqlite3.IntegrityError:
                    conn.execute(
                        f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                        [f"{clean}#{rowid}", rowid],
                    )
                changed[f"{table}.{column}"] = changed.get(f"{table}.{column}", 0) + 1
    if any(k.startswith("articles.") for k in changed):
        # the full-text index of the changed rows was updated by the triggers; rebuilding it
        # leaves no old term behind in its segments
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    return changed
