"""Finding a site's feed, and OPML import/export of source lists.

``find_feeds`` reads an HTML page (already fetched) and lists the feed URLs it announces:
``<link rel="alternate">`` with a feed type first, then links in the page that look like
feeds. ``COMMON_FEED_PATHS`` are the addresses ``monitor add`` tries on the site when the
page announces none. ``read_opml``/``write_opml`` convert between OPML outlines and
``{"name", "url"}`` records. All pure: no fetching here.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from selectolax.lexbor import LexborHTMLParser

from monitor.feeds import decode_document, strip_dtd
from monitor.urls import canonicalize

__all__ = ["COMMON_FEED_PATHS", "FEED_TYPES", "find_feeds", "read_opml", "write_opml"]

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "application/xml",
    "text/xml",
    "application/x.atom+xml",
    "application/x-atom+xml",
    "application/x-rss+xml",
)

# Tried in this order, relative to the site root, when a page announces no feed.
COMMON_FEED_PATHS = (
    "/feed",
    "/feed/",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/rss/",
    "/rss-feed/",
    "/feeds/posts/default",
    "/?feed=rss2",
    "/feed.json",
)

_FEEDISH_HREF = re.compile(
    r"(?:/feed/?$|/rss/?$|/atom/?$|\.rss$|\.atom$|/rss\.xml$|/atom\.xml$|/feed\.xml$|"
    r"/index\.xml$|/feed\.json$|[?&]feed=(?:rss2?|atom)$|/rss-feed/?$)",
    re.I,
)


def _http(url: str | None, base: str) -> str | None:
    if not url or not url.strip():
        return None
    canon = canonicalize(html.unescape(url.strip()), base)
    parts = urlsplit(canon)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return canon


def find_feeds(html_text: str, page_url: str) -> list[str]:
    """Feed URLs a page announces, best first, absolute and canonical, without repeats.

    ``<link rel="alternate" type="application/rss+xml|atom+xml|feed+json|...">`` come
    first (comment feeds after the others), then ``<a href>`` links whose path looks like
    a feed. The page's ``<base href>`` is honoured.
    """
    try:
        tree = LexborHTMLParser(html_text or "")
    except Exception:
        return []
    base = page_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = _http(base_node.attributes.get("href"), page_url) or page_url
    announced: list[tuple[int, int, str]] = []
    for index, node in enumerate(tree.css("link[href]")):
        attrs = node.attributes
        rels = (attrs.get("rel") or "").lower().split()
        kind = (attrs.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels and "feed" not in rels:
            continue
        if kind and kind not in FEED_TYPES:
            continue
        if not kind and "feed" not in rels:
            continue
        if kind == "application/json" and "feed" not in (attrs.get("title") or "").lower():
            continue  # oEmbed / API documents, not feeds
        url = _http(attrs.get("href"), base)
        if url is None:
            continue
        title = (attrs.get("title") or "").lower()
        demote = 1 if ("comment" in title or "/comments/" in url) else 0
        announced.append((demote, index, url))
    found = [url for _d, _i, url in sorted(announced)]
    for node in tree.css("a[href]"):
        url = _http(node.attributes.get("href"), base)
        if url is None:
            continue
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if _FEEDISH_HREF.search(target) and "comments" not in parts.path.lower():
            found.append(url)
    return list(dict.fromkeys(found))


def read_opml(data: bytes) -> list[dict[str, str]]:
    """Feeds of an OPML file as ``{"name", "url"}`` (plus ``"category"`` when outlines
    are nested in a folder), in document order, without repeated URLs.

    Only http(s) ``xmlUrl`` values are kept. A DTD is stripped first (no entity
    expansion); a file that is not well-formed is read leniently, outline by outline.
    """
    text, _enc, _warn = decode_document(data)
    text, _removed = strip_dtd(text)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    records: list[dict[str, str]] = []
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        root = None
    if root is not None:
        body = root.find("body")
        _walk(body if body is not None else root, "", records)
    else:
        for match in re.finditer(r"<outline\b([^>]*)>", text, re.I):
            attrs = {
                k.lower(): html.unescape(v1 or v2)
                for k, v1, v2 in re.findall(
                    r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""", match.group(1)
                )
            }
            _add(attrs, "", records)
    seen: set[str] = set()
    unique = []
    for rec in records:
        if rec["url"] not in seen:
            seen.add(rec["url"])
            unique.append(rec)
    return unique


def _walk(node: ET.Element, category: str, records: list[dict[str, str]]) -> None:
    for child in node:
        if not isinstance(child.tag, str) or child.tag.split("}")[-1].lower() != "outline":
            continue
        attrs = {k.lower(): v for k, v in child.attrib.items()}
        if not _add(attrs, category, records):
            label = (attrs.get("title") or attrs.get("text") or "").strip()
            _walk(child, label or category, records)


def _add(attrs: dict[str, str], category: str, records: list[dict[str, str]]) -> bool:
    raw = attrs.get("xmlurl") or attrs.get("url") if attrs.get("type", "rss") != "link" else None
    url = _http(raw, raw or "") if raw else None
    if url is None:
        return bool(attrs.get("xmlurl"))
    name = (attrs.get("title") or attrs.get("text") or "").strip() or urlsplit(url).hostname or url
    record = {"name": re.sub(r"\s+", " ", name), "url": url}
    if category:
        record["category"] = category
    records.append(record)
    return True


def _field(source: Any, key: str) -> str:
    value = source.get(key) if isinstance(source, dict) else getattr(source, key, None)
    return "" if value is None else str(value)


def write_opml(
    sources: Iterable[Any], title: str = "monitor sources", created: datetime | None = None
) -> str:
    """OPML 2.0 text for ``sources`` (dicts or objects with ``name`` and ``url``; an
    optional ``category`` groups them in folders). ``created`` fills ``dateCreated``."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for source in sources:
        url = _field(source, "url")
        if not url:
            continue
        name = _field(source, "name") or url
        groups.setdefault(_field(source, "category"), []).append((name, url))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{escape(title)}</title>",
        *(
            [
                f"    <dateCreated>{format_datetime(created.astimezone(UTC), usegmt=True)}</dateCreated>"
            ]
            if created is not None
            else []
        ),
        "  </head>",
        "  <body>",
    ]

    def outline(name: str, url: str, indent: str) -> str:
        return (
            f'{indent}<outline type="rss" text={quoteattr(name)} title={quoteattr(name)} '
            f"xmlUrl={quoteattr(url)}/>"
        )

    for category, items in groups.items():
        if category:
            lines.append(f"    <outline text={quoteattr(category)} title={quoteattr(category)}>")
            lines.extend(outline(n, u, "      ") for n, u in items)
            lines.append("    </outline>")
        else:
            lines.extend(outline(n, u, "    ") for n, u in items)
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
