"""Which copy of a story is shown first: the originator, then the earliest, then the longest.

The originator is decided by what the configuration and the page say, never by a source's name:

* a source configured with ``kind = "journal"`` or ``kind = "press-release"`` (sources.toml);
* otherwise a page that says it is a press release (a release line or press contacts at its top
  or end) or a journal's article page (its own DOI address);
* everything else is news. A short text (a teaser, a failed extraction) comes last.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["SOURCE_KINDS", "canonical_order"]

#: the values of a source's ``kind`` in sources.toml
SOURCE_KINDS = ("news", "press-release", "journal")


def canonical_order(
    source_kind: str | None,
    page_kind: str,
    published: datetime | None,
    length: int,
    short: bool,
    source: str = "",
    url: str = "",
) -> tuple:
    """Sort key for a story's copies: lower is the better canonical copy."""
    if short:
        rank = 3
    elif source_kind in ("journal", "press-release"):
        rank = 0
    elif page_kind in ("journal", "press-release"):
        rank = 1
    else:
        rank = 2
    ts = published.timestamp() if published else float("inf")
    return (rank, ts, -length, source, url)
