"""Feed bytes -> entries (minimal version; the Polling issue deepens it)."""

from __future__ import annotations

import calendar
import hashlib
import io
from datetime import UTC, datetime

import feedparser
from selectolax.lexbor import LexborHTMLParser

from monitor.model import Entry, ParsedFeed
from monitor.urls import canonicalize


class FeedError(Exception):
    pass


def entry_key(guid: str | None, url: str | None, title: str, published) -> str:
    if guid:
        return f"guid:{guid}"
    if url:
        return f"url:{canonicalize(url)}"
    return "hash:" + hashlib.sha1(f"{title}|{published}".encode()).hexdigest()


def _text(html: str) -> str:
    if not html:
        return ""
    return LexborHTMLParser(html).text(separator=" ").strip()


def parse(body: bytes, url: str, *, content_type: str | None = None, now: datetime) -> ParsedFeed:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    d = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if d.bozo and not d.entries:
        raise FeedError(f"{url}: not a feed ({d.get('bozo_exception')})")
    entries, seen = [], set()
    for e in d.entries:
        link = e.get("link")
        if not link or not link.startswith(("http://", "https://")):
            continue
        t = e.get("published_parsed") or e.get("updated_parsed")
        pub = datetime.fromtimestamp(calendar.timegm(t), UTC) if t else now
        pub = min(pub, now)
        key = entry_key(e.get("id"), link, e.get("title", ""), pub)
        if key in seen:
            continue
        seen.add(key)
        entries.append(
            Entry(
                key=key,
                url=canonicalize(link),
                title=e.get("title", ""),
                summary=_text(e.get("summary", "")),
                published=pub,
                guid=e.get("id"),
            )
        )
    return ParsedFeed(
        d.feed.get("title", ""),
        d.feed.get("link"),
        entries,
        str(d.get("bozo_exception")) if d.bozo else None,
    )
