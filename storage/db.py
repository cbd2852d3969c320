"""The archive's connection as the storage modules use it: ``db.execute`` and ``db.conn``.

This replaced ``sqlite_utils.Database``, of which the archive used nothing else (see the
README, "Storage: why no sqlite-utils"). Every statement is written out in ``storage/``, and a
connection runs only what the archive chose: no plugin hook runs on it, and the one PRAGMA
sqlite-utils used to set (``recursive_triggers``) is set here by name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any


class Database:
    """One SQLite connection; ``execute`` is the connection's own (a cursor back)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        # REPLACE deletes fire delete triggers, as they did under sqlite-utils (the FTS index
        # of articles is kept by triggers)
        conn.execute("PRAGMA recursive_triggers = ON")

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def table_names(self) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
