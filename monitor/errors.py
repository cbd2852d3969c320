"""The common base of the errors monitor raises on purpose.

Every stage names its own failures (``FetchError``, ``FeedError``, ``ConfigError``, the
archive's ``ArchiveError``...) and each derives from ``MonitorError``, so that the command
line can print any of them as one line while a bug (anything else) still shows its
traceback.
"""

from __future__ import annotations

__all__ = ["MonitorError"]


class MonitorError(Exception):
    """An expected failure with a message meant for the user (no traceback needed)."""
