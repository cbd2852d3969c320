"""Page metadata: meta tags, JSON-LD, the title, dates, authors, language and journal.

Everything here reads an already parsed Lexbor tree and returns plain values; nothing raises
on malformed input.
"""

from __future__ import annotations

import email.utils
import html as html_lib
import json
import re
import warnings
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import dateutil.parser
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from monitor.extract.decode import bound, parse
from monitor.extract.text import norm
from monitor.model import Article

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "scholarlyarticle",
    "medicalscholarlyarticle",
    "techarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "socialmediaposting",
    "liveblogposting",
    "webpage",
    "medicalwebpage",
    "report",
    "backgroundnewsarticle",
    "creativework",
}


class Meta:
    """Metadata collected from ``<head>``-style sources of one page."""

    def __init__(self) -> None:
        self.props: dict[str, list[str]] = {}  # lower-cased meta name/property -> contents
        self.jsonld: list[dict[str, Any]] = []  # article-like JSON-LD objects, best first
        self.canonical: str | None = None
        self.lang: str | None = None
        self.title_tag: str = ""

    def first(self, *names: str) -> str | None:
        for name in names:
            for value in self.props.get(name, ()):
                value = value.strip()
                if value:
                    return value
        return None

    def all(self, *names: str) -> list[str]:
        out: list[str] = []
        for name in names:
            out.extend(v.strip() for v in self.props.get(name, ()) if v.strip())
        return out

    def ld(self, key: str) -> Any:
        for obj in self.jsonld:
            value = obj.get(key)
            if value:
                return value
        return None


def _walk_ld(data: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data[:50]:
            _walk_ld(item, out, depth + 1)
    elif isinstance(data, dict):
        kind = data.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and k.lower() in ARTICLE_TYPES for k in kinds):
            out.append(data)
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in data and isinstance(data[key], list | dict):
                _walk_ld(data[key], out, depth + 1)


def _ld_rank(obj: dict[str, Any]) -> int:
    kind = obj.get("@type")
    kind = (kind[0] if isinstance(kind, list) and kind else kind) or ""
    kind = kind.lower() if isinstance(kind, str) else ""
    rank = 0 if kind.endswith("article") or kind.endswith("posting") else 2
    if obj.get("articleBody"):
        rank -= 1
    return rank


_CONTROL_CHARS = re.compile(r"[\x00-\x1f]+")  # raw control characters in a JSON-LD string


def read_meta(tree: LexborHTMLParser, body_ld: list[str]) -> Meta:
    """Collect meta tags, canonical link, language and article-like JSON-LD objects.

    The children of ``<head>`` are read directly (a CSS query per kind costs more than the
    whole head); ``body_ld`` holds the JSON-LD scripts the walk met in the body.
    """
    meta = Meta()
    props = meta.props
    ld_texts: list[str] = []
    head = tree.head
    node = head.first_child if head is not None else None
    while node is not None:
        tag = node.tag
        if tag == "meta":
            _read_meta_tag(node.attributes, props)
        elif tag == "link":
            attrs = node.attributes
            if meta.canonical is None and attrs.get("href"):
                if "canonical" in (attrs.get("rel") or "").lower().split():
                    meta.canonical = attrs["href"].strip()
        elif tag == "title":
            if not meta.title_tag:
                meta.title_tag = " ".join(node.text().split())
        elif tag == "script":
            if (node.attributes.get("type") or "").strip().lower() == LD_JSON:
                ld_texts.append(node.text())
        node = node.next
    if not props:  # a page whose meta tags ended up in the body
        for meta_node in tree.css("meta"):
            _read_meta_tag(meta_node.attributes, props)
    html_node = tree.root
    if html_node is not None:
        html_attrs = html_node.attributes  # a dict built on each read: read once
        meta.lang = html_attrs.get("lang") or html_attrs.get("xml:lang")
    found: list[dict[str, Any]] = []
    for raw in (*ld_texts, *body_ld):
        if not raw or len(raw) > 2_000_000:
            continue
        try:
            data = json.loads(raw)
        except RecursionError:
            continue  # nested deeper than the JSON decoder goes: no metadata of ours
        except ValueError:
            try:
                data = json.loads(_CONTROL_CHARS.sub(" ", raw))
            except (ValueError, RecursionError):
                continue
        _walk_ld(data, found)
    found.sort(key=_ld_rank)
    meta.jsonld = found
    return meta


LD_JSON = "application/ld+json"


def _read_meta_tag(attrs: dict, props: dict[str, list[str]]) -> None:
    name = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
    content = attrs.get("content")
    if name and content:
        if "&" in content:
            content = html_lib.unescape(content)
        props.setdefault(name.strip().lower(), []).append(content)
    elif content and (attrs.get("http-equiv") or "").lower() == "content-language":
        props.setdefault("content-language", []).append(content)


def ld_text(value: Any) -> str | None:
    """A JSON-LD value reduced to one string (name of an object, first of a list)."""
    if isinstance(value, str):
        return html_lib.unescape(value).strip() or None
    if isinstance(value, list):
        for item in value:
            text = ld_text(item)
            if text:
                return text
        return None
    if isinstance(value, dict):
        return ld_text(value.get("name") or value.get("url") or value.get("@id"))
    return None


def ld_names(value: Any) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(ld_names(item))
        return out
    if isinstance(value, dict):
        name = value.get("name")
        return [name.strip()] if isinstance(name, str) and name.strip() else []
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    return []


_DATE_LOOSE = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_MONTH_NAME = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?=[\s,\d]|$)", re.I
)


def _written_date(value: str) -> datetime | None:
    """A date written out in English, as some templates put it in meta tags: RFC 2822
    ("Tue, 03 Mar 2026 10:00:00 GMT") by the standard library, "March 3, 2026" and
    "3 Mar 2026 14:05" by dateutil. Only values with a four-digit year and a month name are
    tried, so a bare number or a word is never read as a date."""
    if len(value) > 64 or not _YEAR.search(value) or not _MONTH_NAME.search(value):
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dateutil.parser.UnknownTimezoneWarning)
            return dateutil.parser.parse(
                value, default=datetime(2000, 1, 1), fuzzy=True, tzinfos=_ZONES
            )
    except (ValueError, OverflowError):
        return None


# zone abbreviations written after times on English-language sites (others are read as UTC)
_ZONES = {
    name: hours * 3600
    for name, hours in {
        "GMT": 0, "UTC": 0, "BST": 1, "IST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
        "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
        "AEST": 10, "AEDT": 11,
    }.items()
}  # fmt: skip


def parse_date(value: str | None) -> datetime | None:
    """Parse an ISO-like date string into an aware UTC datetime (naive values are taken as UTC)."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        m = _DATE_LOOSE.search(value)
        if m:
            try:
                parsed = datetime(
                    int(m.group(1)),
                    int(m.group(2)),
                    int(m.group(3)),
                    int(m.group(4) or 0),
                    int(m.group(5) or 0),
                    int(m.group(6) or 0),
                )
            except ValueError:
                return None
        else:
            found = _written_date(value)
            if found is None:
                return None
            parsed = found
    if parsed.year < 1990:
        return None  # a placeholder such as 0001-01-01, not a publication date
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def absolute(url: str | None, base: str | None) -> str | None:
    """``url`` made absolute against ``base``; None when it cannot be an absolute http(s) URL."""
    if not url:
        return None
    url = html_lib.unescape(url.strip())
    if url.startswith("//"):
        scheme = base.split(":", 1)[0] if base and ":" in base else "https"
        url = f"{scheme}:{url}"
    elif base:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    return url if url.startswith(("http://", "https://")) and " " not in url else None


def clean_title(title: str) -> str:
    return " ".join(title.split())


def title_of(meta: Meta, h1: list[str]) -> str:
    candidates = [
        meta.first("og:title", "twitter:title", "citation_title", "dc.title"),
        ld_text(meta.ld("headline")),
    ]
    h1_texts = [clean_title(t) for t in h1 if t and t.strip()]
    tag = meta.title_tag
    for text in h1_texts:
        key = norm(text)
        if key and any(c and key in norm(c) for c in (*candidates, tag)):
            return text
    for cand in candidates:
        if cand:
            return clean_title(cand)
    if h1_texts:
        return h1_texts[0]
    return title_from_tag(tag)


_TITLE_SEPARATOR = re.compile(r"\s+[|–—·•:-]\s+|:\s+")  # "Story | Site", "Site: Story"


def title_from_tag(tag: str) -> str:
    """The longest piece of a ``<title>`` split at its separators ("Story | Site")."""
    if not tag:
        return ""
    pieces = _TITLE_SEPARATOR.split(tag)
    return max(pieces, key=len).strip()


_LANGUAGE_END = re.compile(r"[-_,;\s]")  # "en-GB", "de_DE", "fr, en"
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def language(meta: Meta) -> str | None:
    for value in (
        meta.lang,
        meta.first("og:locale", "content-language", "dc.language", "language"),
        ld_text(meta.ld("inLanguage")),
    ):
        if value:
            code = _LANGUAGE_END.split(value.strip())[0].lower()
            if _LANGUAGE_CODE.fullmatch(code):
                return code
    return None


_DATE_NAMES = (
    "article:published_time",
    "og:published_time",
    "citation_publication_date",
    "citation_online_date",
    "citation_date",
    "dc.date.issued",
    "dc.date",
    "date",
    "pubdate",
    "publishdate",
    "sailthru.date",
    "parsely-pub-date",
    "datepublished",
)


def published(meta: Meta, tree: LexborHTMLParser) -> datetime | None:
    """The first publication date that parses, from JSON-LD, meta tags, then ``<time>``."""
    values = [ld_text(meta.ld("datePublished")), *meta.all(*_DATE_NAMES)]
    values.append(ld_text(meta.ld("dateCreated")))
    for value in values:
        parsed = parse_date(value)
        if parsed:
            return parsed
    node = tree.css_first("time[datetime]")  # only now: most pages have a date in meta
    if node is not None:
        return parse_date(node.attributes.get("datetime"))
    return None


def authors(meta: Meta) -> list[str]:
    names = ld_names(meta.ld("author"))
    if not names:
        names = meta.all(
            "citation_author", "dc.creator", "author", "article:author", "parsely-author"
        )
        names = [n for n in names if not n.startswith("http")]
    out: list[str] = []
    for name in names:
        name = " ".join(name.split())
        if name and len(name) < 120 and name not in out:
            out.append(name)
    return out


def ld_body(meta: Meta) -> str:
    body = meta.ld("articleBody")
    if isinstance(body, list):
        body = " ".join(x for x in body if isinstance(x, str))
    if not isinstance(body, str):
        return ""
    if "<" in body and ">" in body:
        try:
            body = parse(bound(body)).text(separator="\n")
        except SelectolaxError:
            return ""
    return body.strip()


def page_metadata(meta: Meta, tree: LexborHTMLParser, url: str | None) -> Article:
    """An Article holding the page's metadata (everything but title, text and identifiers)."""
    article = Article()
    canonical = meta.canonical or meta.first("og:url")
    article.canonical_url = absolute(canonical, url) or absolute(url, None)
    article.language = language(meta)
    image = meta.first("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
    article.lead_image = absolute(image or ld_text(meta.ld("image")), url or meta.canonical)
    article.site_name = meta.first(
        "og:site_name", "application-name", "citation_publisher"
    ) or ld_text(meta.ld("publisher"))
    article.description = meta.first(
        "description", "og:description", "twitter:description"
    ) or ld_text(meta.ld("description"))
    article.published = published(meta, tree)
    article.authors = authors(meta)
    return article


_PERIODICAL_KINDS = ("periodical", "publicationissue", "publicationvolume")


def journal(meta: Meta, article: Article) -> str | None:
    """The journal named by the page's metadata (scholarly meta tags, JSON-LD isPartOf)."""
    name = meta.first("citation_journal_title", "citation_conference_title")
    if name:
        return name
    # prism.publicationName names the site itself on magazines; trust it beside a DOI only
    prism = meta.first("prism.publicationname")
    if prism and meta.first("citation_doi", "prism.doi") and prism != article.site_name:
        return prism
    part = meta.ld("isPartOf")
    for item in part if isinstance(part, list) else [part]:
        if isinstance(item, dict):
            kind = item.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k.lower() in _PERIODICAL_KINDS for k in kinds):
                return ld_text(item.get("name"))
    return None


_ARTICLE_KINDS = ("article", "posting")


def declares_article(meta: Meta) -> bool:
    """The page's metadata calls it an article (og:type, JSON-LD *Article / *Posting)."""
    if (meta.first("og:type") or "").lower() == "article":
        return True
    for obj in meta.jsonld:
        kind = obj.get("@type")
        for k in kind if isinstance(kind, list) else [kind]:
            if isinstance(k, str) and k.lower().endswith(_ARTICLE_KINDS):
                return True
    return False
