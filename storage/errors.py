"""The archive's own errors: no caller outside ``storage`` sees the SQLite driver's.

Every statement the archive runs goes through ``Connection`` (a ``sqlite3.Connection``
whose ``execute``/``executemany`` translate ``sqlite3.Error``), so a full disk, a locked or
read-only file or a file that is not an archive reach the pipeline and the command line as
``ArchiveError`` with a message that says what to do.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from monitor.errors import MonitorError

__all__ = ["ArchiveError", "ArchiveFull", "Connection", "translate"]


class ArchiveError(MonitorError):
    """The archive could not be read or written; the message names the file and a fix."""


class ArchiveFull(ArchiveError):
    """The disk, or the archive's configured ``[storage] max_size``, is full."""


def translate(error: sqlite3.Error, path: str | Path | None) -> ArchiveError:
    text = str(error) or type(error).__name__
    where = f"archive {path}" if path else "archive"
    low = text.lower()
    if "disk is full" in low or "database or disk is full" in low:
        return ArchiveFull(
            f"{where}: {text}; free disk space or raise [storage] max_size in the configuration"
        )
    if "readonly" in low or "read-only" in low:
        return ArchiveError(
            f"{where}: {text}; the file or its folder is read-only for this user (check its "
            "permissions, or point [storage] path at a writable place)"
        )
    if "unable to open" in low:
        return ArchiveError(
            f"{where}: {text}; check that the folder exists and this user may read and write it"
        )
    if "not a database" in low or "malformed" in low:
        return ArchiveError(
            f"{where}: {text}; this file is not a monitor archive or is damaged (restore a "
            "backup, or point [storage] path at a new file)"
        )
    if "locked" in low or "busy" in low:
        return ArchiveError(
            f"{where}: {text}; another process holds the archive too long, retry later"
        )
    return ArchiveError(f"{where}: {text}")


class Connection(sqlite3.Connection):
    """sqlite3 connection that raises ArchiveError instead of sqlite3.Error."""

    archive_path: str | None = None

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:  # type: ignore[override]
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.Error as e:
            raise translate(e, self.archive_path) from e

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:  # type: ignore[override]
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.Error as e:
            raise translate(e, self.archive_path) from e
