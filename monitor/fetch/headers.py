"""HTTP header arithmetic and content-type checks (pure functions, no I/O)."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

__all__ = [
    "feed_content_type_ok",
    "media_type",
    "page_content_type_ok",
    "parse_cache_max_age",
    "parse_retry_after",
]


def parse_retry_after(
    value: str | None, date_header: str | None = None, now: datetime | None = None
) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date.

    An HTTP date is measured from the response's own ``Date`` header when there is one
    (so a skewed server clock does not matter), else from ``now``. Never negative.
    """
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    ref = None
    if date_header:
        try:
            ref = email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            ref = None
        if ref is not None and ref.tzinfo is None:
            ref = ref.replace(tzinfo=UTC)
    if ref is None:
        ref = now or datetime.now(UTC)
    return max(0.0, (when - ref).total_seconds())


def parse_cache_max_age(value: str | None) -> float | None:
    """``max-age`` of a Cache-Control header in seconds (None if absent or ``no-store``)."""
    if not value:
        return None
    max_age = None
    for part in value.lower().split(","):
        part = part.strip()
        if part == "no-store":
            return None
        if part.startswith("max-age="):
            try:
                max_age = max(0.0, float(part[8:].strip().strip('"')))
            except ValueError:
                return None
    return max_age


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf|rdf)[\s>/]")
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]")


def _looks_like_feed(body: bytes) -> bool:
    head = body[:4096].lower()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: strip the zero bytes
        head = head.replace(b"\x00", b"")
    feed = _FEED_ROOT.search(head)
    if feed is None:
        return head.lstrip().startswith(b"{") and b'"items"' in body[:65536]
    html = _HTML_ROOT.search(head)
    return html is None or html.start() > feed.start()


def _looks_like_html(body: bytes) -> bool:
    return _HTML_ROOT.search(body[:4096].lower()) is not None


def feed_content_type_ok(content_type: str | None, body: bytes) -> bool:
    """Whether a feed response may be handed to the parser: XML, RSS, Atom, JSON, text
    and octet-stream types pass; an HTML page passes only when its body is in fact a feed
    (servers do mislabel feeds)."""
    mt = media_type(content_type)
    if not mt:
        return True
    if mt in ("text/html", "application/xhtml+xml"):
        return _looks_like_feed(body)
    if any(word in mt for word in ("xml", "rss", "atom", "json")):
        return True
    if mt.startswith("text/") or mt in ("application/octet-stream", "binary/octet-stream"):
        return True
    return False


def page_content_type_ok(content_type: str | None, body: bytes) -> bool:
    """Whether an article response is an HTML page (missing or generic types are sniffed)."""
    mt = media_type(content_type)
    if mt in ("text/html", "application/xhtml+xml"):
        return True
    if not mt or mt in ("application/octet-stream", "binary/octet-stream", "text/plain"):
        return _looks_like_html(body)
    return False
