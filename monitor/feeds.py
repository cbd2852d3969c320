"""Feed parsing: the bytes of an RSS, Atom, RDF or JSON Feed document -> ``ParsedFeed``.

The body is prepared before feedparser sees it, because feedparser trusts its input:

- the character set is settled here (BOM, HTTP header, XML declaration, then detection
  with charset-normalizer), bytes invalid in it are replaced and reported as a warning,
  and feedparser is handed clean UTF-8 (never a ``str``/``bytes`` it could take for a
  path or URL: always a ``BytesIO``);
- a DOCTYPE internal subset and every ``<!ENTITY`` declaration are removed, so entity
  expansion ("billion laughs") cannot allocate gigabytes in feedparser's lenient parser.

Then every entry is normalised: links absolute http(s) only (resolved against the feed
URL and ``xml:base``, tracking parameters removed), title and summary as plain text,
dates in aware UTC with the feed date and the fetch time as fallbacks and never in the
future, a stable identity key (``entry_key``), duplicates within the feed dropped, and
at most ``max_entries`` kept. Problems that still leave a usable feed are recorded in
``ParsedFeed.warning``; a document that is no feed raises ``FeedError``, and so do the
two failures any input may cause (nesting too deep, memory). Anything else that escapes
``parse`` is a bug and is not disguised as a bad feed. One malformed JSON Feed item (a
field of the wrong type) is skipped with a logged reason; the other items are kept.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
from selectolax.lexbor import LexborHTMLParser

from monitor import charset, feedxml
from monitor.errors import MonitorError
from monitor.model import Entry, ParsedFeed
from monitor.urls import canonicalize, hide_credentials

log = logging.getLogger("monitor.feeds")

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "FeedError",
    "decode_document",
    "entry_key",
    "parse",
    "plain_text",
    "strip_dtd",
    "trim_entries",
]

DEFAULT_MAX_ENTRIES = 500
MAX_SUMMARY_CHARS = 20_000


class FeedError(MonitorError):
    """The document is not a feed we can read; the message says why and names the URL."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.message = message
        super().__init__(hide_credentials(f"{url}: {message}"))

    def __reduce__(self) -> tuple:
        # rebuilt from its fields when it comes back from a CPU worker process (pickled)
        return (type(self), (self.url, self.message))


# --------------------------------------------------------------------------- charset


def decode_document(body: bytes, content_type: str | None = None) -> tuple[str, str, str | None]:
    """Decode a feed body: (text, encoding used, warning or None), by the product's one
    decoder (``monitor.charset``: BOM, HTTP charset, XML declaration, UTF-8, detection)."""
    return charset.decode(body, content_type)


# --------------------------------------------------------------------------- DTD

_DOCTYPE = re.compile(r"<!DOCTYPE", re.I)
_ENTITY_DECL = re.compile(r"""<!ENTITY(?:[^>"']|"[^"]*"|'[^']*')*>""", re.I)


def strip_dtd(text: str) -> tuple[str, bool]:
    """Remove a DOCTYPE (with its internal subset) from the prolog and every ``<!ENTITY``
    declaration anywhere. Returns (text, whether entity declarations were removed)."""
    removed_entities = False
    match = None
    pos, n = 0, len(text)
    # walk the prolog: XML declaration, processing instructions, comments, then DOCTYPE
    while pos < n:
        while pos < n and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            pos = n if end < 0 else end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            pos = n if end < 0 else end + 3
        else:
            match = _DOCTYPE.match(text, pos)
            break
    if match:
        i, depth, quote = match.end(), 0, ""
        n = len(text)
        while i < n:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "[":
                depth += 1
            elif ch == "]":
                depth = max(0, depth - 1)
            elif ch == ">" and depth == 0:
                break
            i += 1
        subset = text[match.start() : i + 1]
        removed_entities = "<!ENTITY" in subset.upper()
        text = text[: match.start()] + text[i + 1 :]
    if "<!ENTITY" in text or "<!entity" in text.lower():
        text, count = _ENTITY_DECL.subn("", text)
        removed_entities = removed_entities or count > 0
        # an unterminated declaration: cut it off, it can still feed the lenient parser
        text = re.sub(r"<!ENTITY", "", text, flags=re.I)
    return text, removed_entities


_ITEM_END = re.compile(r"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")


def trim_entries(text: str, keep: int) -> tuple[str, int]:
    """Bound the parser's work on feeds with thousands of entries.

    When the document has more than ``2 * keep`` entries, the middle ones are cut out and
    only the first and the last ``keep`` are left (feeds are newest-first or, more
    rarely, oldest-first; either way the newest survive). The cut runs from the end of
    one entry to the end of another, so the document stays well-formed. Returns the text
    and how many entries were dropped.
    """
    if keep <= 0:
        return text, 0
    ends = [m.end() for m in _ITEM_END.finditer(text)]
    n = len(ends)
    if n <= 2 * keep:
        return text, 0
    return text[: ends[keep - 1]] + text[ends[n - keep - 1] :], n - 2 * keep


_XML_DECL_TEXT = re.compile(r"""^(\s*<\?xml[^>]{0,200}?encoding\s*=\s*)(["'])[^"']*\2""")


# --------------------------------------------------------------------------- text

_BLOCK_TAG = re.compile(
    r"<(?:br|hr|/?(?:p|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|"
    r"header|footer|figure|figcaption|dd|dt|dl|pre))\b",
    re.I,
)
_SPACES = re.compile(r"\s+")


def plain_text(value: str | None, html: bool = True) -> str:
    """Plain text of an HTML fragment (or of text, when ``html`` is False): tags, scripts
    and styles removed, entities decoded, block boundaries kept as spaces, whitespace
    collapsed."""
    if not value:
        return ""
    if not html or ("<" not in value and "&" not in value):
        return _SPACES.sub(" ", value).strip()
    try:
        tree = LexborHTMLParser(_BLOCK_TAG.sub(lambda m: " " + m.group(0), value))
        for node in tree.css("script, style, noscript, template"):
            node.decompose()
        root = tree.body or tree.root
        text = root.text(separator="") if root is not None else ""
    except Exception:  # selectolax is robust, but the summary is never worth a crash
        text = re.sub(r"<[^>]*>", " ", value)
    return _SPACES.sub(" ", text).strip()


def _is_html(detail: Any) -> bool:
    kind = (detail or {}).get("type", "text/html") if isinstance(detail, dict) else "text/html"
    return "html" in (kind or "")


# --------------------------------------------------------------------------- identity

_URLISH = re.compile(r"^https?://", re.I)


def _stable_guid(guid: str | None) -> str | None:
    """A guid good enough to identify an entry everywhere: non-empty, not absurdly long,
    and globally unique-looking (a URI, a tag:/urn:, an e-mail-like id or a long token).
    Short local ids like "123" collide between feeds and are not used."""
    if not guid:
        return None
    guid = guid.strip()
    if not guid or len(guid) > 2000:
        return None
    if any(c in guid for c in ":/@") or len(guid) >= 16:
        return guid
    return None


def _http_url(url: str | None, base: str | None = None) -> str | None:
    if not url:
        return None
    canon = canonicalize(url, base)
    try:
        parts = urlsplit(canon)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return canon


def entry_key(
    guid: str | None, url: str | None, title: str, published: datetime | None = None
) -> str:
    """Identity of an entry across polls and feeds.

    ``guid:<guid>`` when the guid is stable (see ``_stable_guid``), except that a guid
    which is itself the entry's link gives ``url:<canonical>`` so that feeds with and
    without guids agree; else ``url:<canonical link>``; else ``hash:`` of the title and
    date.
    """
    return _entry_key(guid, _http_url(url) if url else None, title, published)


def _entry_key(
    guid: str | None, canon_url: str | None, title: str, published: datetime | None
) -> str:
    # entry_key with the link already canonical (parse() has it at hand)
    stable = _stable_guid(guid)
    if stable:
        if _URLISH.match(stable):
            canon_guid = canonicalize(stable)
            if canon_url and canon_guid == canon_url:
                return "url:" + canon_url
            return "guid:" + canon_guid
        return "guid:" + stable
    if canon_url:
        return "url:" + canon_url
    stamp = published.astimezone(UTC).isoformat() if published else ""
    norm = _SPACES.sub(" ", title or "").strip().lower()
    digest = hashlib.sha256(f"{norm}\x1f{stamp}".encode()).hexdigest()[:32]
    return "hash:" + digest


# --------------------------------------------------------------------------- dates


def _to_utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(tuple(value)[:9]), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


# --------------------------------------------------------------------------- parse


def parse(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    now: datetime,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> ParsedFeed:
    """Parse a feed body fetched from ``url`` (see the module docstring)."""
    try:
        return _parse(body, url, content_type, _aware(now), max_entries)
    except RecursionError:
        raise FeedError(url, "the document is nested too deeply to parse") from None
    except MemoryError:
        raise FeedError(url, "the document is too large to parse") from None


def _parse(
    body: bytes, url: str, content_type: str | None, now: datetime, max_entries: int
) -> ParsedFeed:
    if not body or not body.strip():
        raise FeedError(url, "the response is empty")
    warnings: list[str] = []
    text, _encoding, warn = decode_document(body, content_type)
    if warn:
        warnings.append(warn)
    stripped = text.lstrip("\ufeff \t\r\n")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if stripped.startswith(("{", "[")) or ("json" in media and not stripped.startswith("<")):
        return _parse_json(stripped, url, now, max_entries, warnings)
    if not stripped.startswith("<"):
        raise FeedError(url, "the document is neither XML nor JSON")
    text, removed = strip_dtd(text)
    if removed:
        warnings.append("DTD entity declarations removed")
    text, dropped = trim_entries(text, max_entries)
    if dropped:
        warnings.append(
            f"{dropped} entries in the middle of a very long feed not read "
            f"(the first and last {max_entries} were)"
        )
    text = _XML_DECL_TEXT.sub(lambda m: m.group(1) + m.group(2) + "utf-8" + m.group(2), text, 1)
    data = text.encode("utf-8", errors="replace")
    # No "content-location": given a base URL feedparser resolves every element's URIs
    # (a quarter of its time); entry and feed links are resolved against the feed URL
    # below instead, with the same result (tests/test_feeds.py compares both on the corpus).
    # well-formed plain RSS 2.0 and Atom 1.0 are read by expat (monitor/feedxml.py: the same
    # fields, a twentieth of the time); feedparser reads everything else
    result = feedxml.read(data)
    try:
        result = result or feedparser.parse(
            io.BytesIO(data),
            response_headers={"content-type": "application/xml; charset=utf-8"},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
        # feedparser's own handlers fail on some malformed elements (a media element whose
        # width is not a number: int(None) inside feedparser); the feed is unreadable, not us
        raise FeedError(url, f"the feed parser failed ({type(exc).__name__}: {exc})") from exc
    if not result.get("version") and not result.get("entries"):
        reason = result.get("bozo_exception")
        detail = f" ({type(reason).__name__}: {reason})" if reason else ""
        if re.search(r"<(?:html|body|head)[\s>]", text[:4096], re.I):
            detail += (
                "; this is a web page: run `monitor add URL` to find its feed by autodiscovery"
            )
        raise FeedError(url, f"not an RSS, Atom or JSON feed{detail}")
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        warnings.append(f"not well-formed, read leniently ({type(exc).__name__}: {exc})")
    feed = result.get("feed", {})
    feed_date = _to_utc(feed.get("published_parsed") or feed.get("updated_parsed"))
    raw_entries = []
    for e in result.get("entries", []):
        link = e.get("link")
        if not link:
            for candidate in e.get("links", []) or []:
                if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                    link = candidate["href"]
                    break
        summary = e.get("summary")
        detail = e.get("summary_detail")
        if not summary and e.get("content"):
            summary = e["content"][0].get("value")
            detail = e["content"][0]
        authors = [a.get("name") or "" for a in e.get("authors", []) or [] if isinstance(a, dict)]
        if not any(authors) and e.get("author"):
            authors = [e.get("author")]
        raw_entries.append(
            {
                "guid": e.get("id") or e.get("guid"),
                "link": link,
                "title": plain_text(e.get("title"), _is_html(e.get("title_detail"))),
                "summary_raw": summary or "",
                "summary_html": _is_html(detail),
                "published": _to_utc(
                    e.get("published_parsed") or e.get("updated_parsed") or e.get("created_parsed")
                ),
                "authors": authors,
            }
        )
    entries = _finish_entries(raw_entries, url, feed_date, now, max_entries, warnings)
    return ParsedFeed(
        title=plain_text(feed.get("title"), _is_html(feed.get("title_detail"))),
        link=_http_url(feed.get("link"), url),
        entries=entries,
        warning="; ".join(warnings) or None,
    )


def _parse_json(
    text: str, url: str, now: datetime, max_entries: int, warnings: list[str]
) -> ParsedFeed:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FeedError(url, f"invalid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedError(url, "JSON document is not a JSON Feed (no 'items' list)")
    base = doc.get("feed_url") if isinstance(doc.get("feed_url"), str) else url
    raw_entries = []
    skipped: list[str] = []
    for index, item in enumerate(doc["items"], 1):
        try:
            raw_entries.append(_json_item(item))
        except _BadItem as bad:
            skipped.append(f"item {index}: {bad}")
    if skipped:
        log.warning(
            "%s: %d JSON Feed items skipped: %s",
            hide_credentials(url),
            len(skipped),
            "; ".join(skipped[:5]),
        )
        warnings.append(f"{len(skipped)} malformed items skipped ({'; '.join(skipped[:3])})")
    entries = _finish_entries(raw_entries, base or url, None, now, max_entries, warnings)
    return ParsedFeed(
        title=plain_text(str(doc.get("title") or "")),
        link=_http_url(
            doc.get("home_page_url") if isinstance(doc.get("home_page_url"), str) else None, url
        ),
        entries=entries,
        warning="; ".join(warnings) or None,
    )


class _BadItem(Exception):
    """A JSON Feed item with a field of the wrong type: the item is skipped."""


def _opt_str(item: dict, key: str, where: str = "") -> str | None:
    value = item.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _BadItem(f"{where}{key} is {_json_type(value)}, not a string")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _json_item(item: Any) -> dict[str, Any]:
    """One JSON Feed item as a raw entry; raises _BadItem for a field of the wrong type
    (JSON Feed 1.1: strings, authors a list of objects with a string name)."""
    if not isinstance(item, dict):
        raise _BadItem(f"is {_json_type(item)}, not an object")
    raw_id = item.get("id")
    if raw_id is not None and not isinstance(raw_id, str | int) or isinstance(raw_id, bool):
        raise _BadItem(f"id is {_json_type(raw_id)}, not a string")
    link = _opt_str(item, "url") or _opt_str(item, "external_url")
    title = _opt_str(item, "title") or ""
    summary = _opt_str(item, "summary")
    text = _opt_str(item, "content_text")
    html = _opt_str(item, "content_html")
    date = _opt_str(item, "date_published") or _opt_str(item, "date_modified")
    authors_raw = item.get("authors")
    if authors_raw is None:
        authors_raw = [item["author"]] if item.get("author") is not None else []
    if not isinstance(authors_raw, list):
        raise _BadItem(f"authors is {_json_type(authors_raw)}, not a list")
    authors = []
    for i, a in enumerate(authors_raw):
        if not isinstance(a, dict):
            raise _BadItem(f"authors[{i}] is {_json_type(a)}, not an object")
        name = _opt_str(a, "name", f"authors[{i}].")
        if name:
            authors.append(name)
    body = summary or text or html
    return {
        "guid": str(raw_id) if raw_id is not None else None,
        "link": link,
        "title": plain_text(title),
        "summary_raw": body or "",
        "summary_html": body is not None and body == html and body not in (summary, text),
        "published": _parse_iso(date),
        "authors": authors,
    }


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return _aware(parsed)


def _finish_entries(
    raw_entries: list[dict[str, Any]],
    base: str,
    feed_date: datetime | None,
    now: datetime,
    max_entries: int,
    warnings: list[str],
) -> list[Entry]:
    # a guid shared by entries with different links is not an identity in this feed
    links_by_guid: dict[str, set[str | None]] = {}
    for raw in raw_entries:
        raw["url"] = _http_url(raw["link"], base)
        if raw["guid"]:
            links_by_guid.setdefault(raw["guid"], set()).add(raw["url"])
    shared = {g for g, links in links_by_guid.items() if len(links) > 1}
    kept: list[tuple[dict[str, Any], str, str | None, datetime]] = []
    seen_keys: set[str] = set()
    seen_urls: set[str] = set()
    no_link = duplicates = 0
    for raw in raw_entries:
        url = raw["url"]
        if url is None:
            no_link += 1
            continue
        guid = raw["guid"] if raw["guid"] not in shared else None
        published = raw["published"] or feed_date or now
        if published > now:
            published = now
        key = _entry_key(guid, url, raw["title"], published)
        if key in seen_keys or url in seen_urls:
            duplicates += 1
            continue
        seen_keys.add(key)
        seen_urls.add(url)
        kept.append((raw, key, guid, published))
    if len(kept) > max_entries:
        # bounded work: keep the newest before the per-entry text work
        total = len(kept)
        order = sorted(range(total), key=lambda i: kept[i][3], reverse=True)
        keep = set(order[:max_entries])
        kept = [k for i, k in enumerate(kept) if i in keep]
        warnings.append(f"feed lists {total} entries; kept the {max_entries} newest")
    entries: list[Entry] = []
    for raw, key, guid, published in kept:
        summary = plain_text(raw["summary_raw"], raw["summary_html"])
        authors = tuple(
            dict.fromkeys(a for a in (plain_text(x, False) for x in raw["authors"]) if a)
        )
        entries.append(
            Entry(
                key=key,
                url=raw["url"],
                title=raw["title"],
                summary=summary[:MAX_SUMMARY_CHARS],
                published=published,
                authors=authors,
                guid=guid.strip() if guid else None,
            )
        )
    if no_link:
        warnings.append(f"{no_link} entries without an http(s) link skipped")
    if duplicates:
        warnings.append(f"{duplicates} duplicate entries dropped")
    return entries
