"""The SQLite archive: schema, migrations and every read and write. No other package writes SQL."""

from storage.archive import Archive

__all__ = ["Archive"]
