"""Finding a site's feed, and OPML import/export of source lists.

``find_feeds`` reads an HTML page (already fetched) and lists the feed URLs it announces:
``<link rel="alternate">`` with a feed type first, then links in the page that look like
feeds. ``COMMON_FEED_PATHS`` are the addresses ``monitor add`` tries on the site when the
page announces none. ``read_opml`` reads a subscription list with listparser (OPML 1/2 and
RDF/FOAF; its own test suite runs here too) and says what it skipped and why;
``follow_lists`` reads included lists through a fetch function the caller gives (the
product's fetcher, with its address guard). ``write_opml`` writes OPML 2.0.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from selectolax.lexbor import LexborHTMLParser

from monitor.feeds import decode_document, strip_dtd
from monitor.urls import canonicalize

__all__ = [
    "COMMON_FEED_PATHS",
    "FEED_TYPES",
    "NotOpml",
    "OpmlResult",
    "find_feeds",
    "follow_lists",
    "read_opml",
    "write_opml",
]

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


# ------------------------------------------------------------------ OPML reading
MAX_OPML_BYTES = 5 * 1024 * 1024


class NotOpml(ValueError):
    """The file is not a subscription list; the message says what it is instead."""


@dataclass
class OpmlFeed:
    url: str  # canonical http(s) address
    name: str  # the outline's text/title, or the host when it has none
    title: str = ""  # the outline's text/title as written ("" when missing)
    tags: list[str] = field(default_factory=list)  # one-level categories (listparser's tags)
    categories: list[list[str]] = field(default_factory=list)  # folder and category paths
    via: str = ""  # the included list it came from, if any

    def config_tags(self) -> list[str]:
        """Tags for the config: one-level categories as they are, deeper paths "/"-joined."""
        return list(dict.fromkeys([*self.tags, *("/".join(c) for c in self.categories)]))


@dataclass
class OpmlList:
    """An outline that points at another subscription list (type include/link/source)."""

    url: str
    title: str = ""
    status: str = ""  # "followed: 4 feeds", "not followed: ...", "failed: ..."


@dataclass
class Skipped:
    outline: str  # the outline's title, or its address
    url: str
    reason: str
    kind: str = ""  # "not-http", "duplicate", "web-page", "empty-xmlurl"
    title: str = ""  # the outline's title as written


@dataclass
class OpmlResult:
    version: str = ""  # listparser's: "opml1", "opml2", "opml", "rdf"
    feeds: list[OpmlFeed] = field(default_factory=list)
    lists: list[OpmlList] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


_FIRST_ELEMENT = re.compile(r"<([A-Za-z][\w:.-]*)")


def _sniff_junk(text: str) -> str | None:
    """Why `text` is not a subscription list, judged by its first element; None if it may be."""
    head = text.lstrip("\ufeff \t\r\n")[:65536]
    if not head:
        return "the file is empty"
    body = re.sub(r"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>", "", head, flags=re.S)
    body = re.sub(r"<!DOCTYPE\s+html\b[^>]*>", "<html>", body, flags=re.I)
    body = re.sub(r"<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", "", body, flags=re.S | re.I)
    first = _FIRST_ELEMENT.search(body)
    if first is None:
        return "this is plain text, not an OPML subscription list (no <opml> element)"
    root = first.group(1).lower()
    if root in ("html", "head", "body", "div", "p", "!doctype"):
        return (
            "this is an HTML page, not an OPML subscription list; to subscribe to a site, "
            "run `monitor add URL` with the site's address"
        )
    if root in ("rss", "feed") or (root.endswith("rdf") and re.search(r"<(?:\w+:)?item\b", body)):
        return "this is a feed, not a list of feeds; add it with `monitor add URL`"
    return None


def read_opml(data: bytes) -> OpmlResult:
    """The feeds of an OPML (1.0, 1.1, 2.0) or RDF/FOAF subscription list, read by listparser.

    Feeds keep their folders and ``category`` attributes as tags. Outlines that are not
    usable feeds are listed in ``skipped`` with the reason (no http(s) address, only a web
    page, an empty ``xmlUrl``); outlines that point at other lists are in ``lists`` for the
    caller to follow (``follow_lists``) or report. Raises NotOpml for what is not a
    subscription list at all (empty, plain text, an HTML page, a feed), with a message that
    says so. Nothing here fetches: listparser is given bytes, never a string (a string that
    starts with http:// would make it fetch the address itself).
    """
    import listparser

    if len(data) > MAX_OPML_BYTES:
        raise NotOpml(f"the file is larger than {MAX_OPML_BYTES // (1024 * 1024)} MB")
    text, _enc, warning = decode_document(data)
    junk = _sniff_junk(text)
    if junk:
        raise NotOpml(junk)
    text, _removed = strip_dtd(text)  # no entity tricks; html.parser would not expand them
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # the bytes below are UTF-8 whatever it said
    parsed = listparser.parse("\ufeff".encode() + text.encode("utf-8"))
    version = parsed.get("version") or ""
    if not version:
        raise NotOpml(
            "no <opml> (or RDF/FOAF) subscription list found in the file"
            + (f" ({parsed.get('bozo_exception')})" if parsed.get("bozo_exception") else "")
        )
    result = OpmlResult(version=version)
    if warning:
        result.warnings.append(warning)
    if parsed.get("bozo") and parsed.get("bozo_exception"):
        result.warnings.append(f"the file is not well-formed: {parsed['bozo_exception']}")
    seen: dict[str, OpmlFeed] = {}
    for f in parsed.get("feeds", []):
        raw = (f.get("url") or "").strip()
        title = " ".join((f.get("title") or "").split())
        url = _http(raw, raw) if raw else None
        if url is None:
            result.skipped.append(
                Skipped(
                    title or raw,
                    raw,
                    f"not an http(s) feed address: {raw[:120]!r}",
                    "not-http",
                    title,
                )
            )
            continue
        categories = [list(c) for c in f.get("categories") or [] if c]
        tags = list(dict.fromkeys(f.get("tags") or []))
        if url in seen:  # two spellings of one address
            seen[url].tags = list(dict.fromkeys(seen[url].tags + tags))
            seen[url].categories += [c for c in categories if c not in seen[url].categories]
            result.skipped.append(
                Skipped(title or raw, raw, f"same feed as {seen[url].name!r}", "duplicate", title)
            )
            continue
        feed = OpmlFeed(
            url=url,
            name=title or urlsplit(url).hostname or url,
            title=title,
            tags=tags,
            categories=categories,
        )
        seen[url] = feed
        result.feeds.append(feed)
    for item in parsed.get("lists", []):
        result.lists.append(
            OpmlList(url=(item.get("url") or "").strip(), title=item.get("title") or "")
        )
    for item in parsed.get("opportunities", []):
        page = (item.get("url") or "").strip()
        result.skipped.append(
            Skipped(
                item.get("title") or page,
                page,
                "no feed address, only a web page (htmlUrl); "
                f"`monitor add {page}` finds the site's feed",
                "web-page",
                item.get("title") or "",
            )
        )
    pages = {sk.url for sk in result.skipped if sk.kind == "web-page"}
    for m in re.finditer(r"<outline\b([^>]*?)(/?)>", text, re.I):
        attrs = m.group(1)
        page = _HTMLURL.search(attrs)
        if m.group(2) and page and not _XMLURL.search(attrs) and not _LIST_TYPE.search(attrs):
            # a leaf with only a web page: listparser takes it for an empty folder
            named = _TEXT_ATTR.search(attrs)
            label = html.unescape(named.group(2)).strip() if named else ""
            url = html.unescape(page.group(2)).strip()
            if url not in pages:
                pages.add(url)
                result.skipped.append(
                    Skipped(
                        label or url,
                        url,
                        "no feed address, only a web page (htmlUrl); "
                        f"`monitor add {url}` finds the site's feed",
                        "web-page",
                        label,
                    )
                )
            continue
        if _EMPTY_XMLURL.search(attrs) and not page:
            named = _TEXT_ATTR.search(attrs)
            label = html.unescape(named.group(2)).strip() if named else ""
            result.skipped.append(
                Skipped(
                    label or "(untitled outline)", "", "its xmlUrl is empty", "empty-xmlurl", label
                )
            )
    return result


_EMPTY_XMLURL = re.compile(r"\bxmlurl\s*=\s*([\"'])\s*\1", re.I)
_HTMLURL = re.compile(r"\bhtmlurl\s*=\s*([\"'])\s*([^\s\"'][^\"']*)\1", re.I)
_XMLURL = re.compile(r"\bxmlurl\s*=", re.I)
_LIST_TYPE = re.compile(r"\btype\s*=\s*([\"'])\s*(?:include|link|source)\s*\1", re.I)
_TEXT_ATTR = re.compile(r"\b(?:text|title)\s*=\s*([\"'])(.*?)\1", re.I | re.S)

MAX_INCLUDE_DEPTH = 2
MAX_INCLUDED_LISTS = 10


async def follow_lists(
    result: OpmlResult, fetch, *, depth: int = 0, budget: list[int] | None = None
) -> None:
    """Read the lists that `result` includes, through `fetch(url) -> bytes` (the product's
    fetcher, with its address guard and size cap), and add their feeds to `result`.

    Bounded: lists included by included lists are followed to MAX_INCLUDE_DEPTH, and at most
    MAX_INCLUDED_LISTS lists are fetched in all. Each list's outcome is kept in its status.
    """
    budget = budget if budget is not None else [MAX_INCLUDED_LISTS]
    known = {f.url for f in result.feeds}
    for item in list(result.lists):
        if item.status:
            continue
        url = _http(item.url, item.url) if item.url else None
        if url is None:
            item.status = f"not followed: not an http(s) address ({item.url[:120]!r})"
            continue
        if depth >= MAX_INCLUDE_DEPTH:
            item.status = f"not followed: lists nested deeper than {MAX_INCLUDE_DEPTH} levels"
            continue
        if budget[0] <= 0:
            item.status = f"not followed: more than {MAX_INCLUDED_LISTS} included lists"
            continue
        budget[0] -= 1
        try:
            body = await fetch(url)
            sub = read_opml(body)
        except NotOpml as e:
            item.status = f"failed: {e}"
            continue
        except Exception as e:  # the fetcher's errors carry their own wording
            item.status = f"failed: {e}"
            continue
        await follow_lists(sub, fetch, depth=depth + 1, budget=budget)
        added = 0
        for f in sub.feeds:
            if f.url in known:
                continue
            known.add(f.url)
            f.via = f.via or url
            if item.title and [item.title] not in f.categories:
                f.categories.append([item.title])  # the include outline names a folder
            result.feeds.append(f)
            added += 1
        result.skipped += [
            Skipped(s.outline, s.url, f"{s.reason} (in {url})", s.kind, s.title)
            for s in sub.skipped
        ]
        result.lists += [lst for lst in sub.lists]
        item.status = f"followed: {added} feeds"


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
