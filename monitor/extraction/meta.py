"""Page metadata for the extractor: meta tags, JSON-LD, dates and study identifiers.

Everything here reads an already parsed Lexbor tree (or the raw HTML for identifiers) and
returns plain values; nothing raises on malformed input.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urljoin

from selectolax.lexbor import LexborHTMLParser

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


def read_meta(tree: LexborHTMLParser) -> Meta:
    """Collect meta tags, canonical link, language and article-like JSON-LD objects."""
    meta = Meta()
    head = tree.head
    # <head> is small; the whole tree is searched only when the head has no meta tags at all
    scope = head if head is not None and head.css_first("meta") is not None else tree
    for node in scope.css("meta"):
        attrs = node.attributes
        name = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = attrs.get("content")
        if name and content:
            meta.props.setdefault(name.strip().lower(), []).append(html_lib.unescape(content))
        elif attrs.get("http-equiv", "").lower() == "content-language" and content:
            meta.props.setdefault("content-language", []).append(content)
    for node in (head if head is not None else tree).css("link[rel]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        if "canonical" in rel and node.attributes.get("href"):
            meta.canonical = node.attributes["href"].strip()
            break
    html_node = tree.root
    if html_node is not None:
        meta.lang = html_node.attributes.get("lang") or html_node.attributes.get("xml:lang")
    title = (head if head is not None else tree).css_first("title")
    if title is not None:
        meta.title_tag = " ".join(title.text().split())
    found: list[dict[str, Any]] = []
    for node in tree.css('script[type="application/ld+json"]'):
        raw = node.text()
        if not raw or len(raw) > 2_000_000:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:
                data = json.loads(re.sub(r"[\x00-\x1f]+", " ", raw))
            except ValueError:
                continue
        _walk_ld(data, found)
    found.sort(key=_ld_rank)
    meta.jsonld = found
    return meta


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


def parse_date(value: str | None) -> datetime | None:
    """Parse an ISO-like date string into an aware UTC datetime (naive values are taken as UTC)."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        m = _DATE_LOOSE.search(value)
        if not m:
            return None
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
    return url


# Study identifiers -----------------------------------------------------------------------

# All patterns run on the lower-cased page and start with a literal, so the scan stays fast.
_DOI = re.compile(r"10\.\d{4,9}/[^\s\"'<>&\\]+")
_DOI_ESCAPED = re.compile(r"10\.\d{4,9}%2f[^\s\"'<>&\\]+")
_NCT = re.compile(r"nct ?(\d{8})(?!\d)")
_PMIDS = (
    re.compile(r"pmid:?\s*(\d{5,9})(?!\d)"),
    re.compile(r"pubmed\.ncbi\.nlm\.nih\.gov/(\d{5,9})(?!\d)"),
    re.compile(r"/pubmed/(\d{5,9})(?!\d)"),
)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _clean_doi(doi: str) -> str | None:
    doi = doi.lower()
    query = doi.find("?")
    if query > 0 and "=" in doi[query:]:
        doi = doi[:query]  # a link's query string (?utm_source=...), not part of the DOI
    doi = doi.rstrip(".,;:)]}>'\"")
    if doi.count("(") < doi.count(")"):
        doi = doi.rstrip(")")
    for suffix in ("/full", "/abstract", "/pdf", "/epdf", "/fulltext"):
        if doi.endswith(suffix):
            doi = doi[: -len(suffix)]
    return doi if re.fullmatch(r"10\.\d{4,9}/\S{2,}", doi) else None


def find_identifiers(raw_html: str, extra: list[str]) -> tuple[list[str], list[str], list[str]]:
    """DOIs, NCT numbers and PMIDs found in the page source and the given metadata strings."""
    dois: list[str] = []
    ncts: list[str] = []
    pmids: list[str] = []
    for hay in (raw_html[:4_000_000], *extra):
        low = hay.lower()
        if "10." in low:
            for match in _DOI.finditer(low):
                if match.start() and (
                    low[match.start() - 1].isalnum() or low[match.start() - 1] == "."
                ):
                    continue
                doi = _clean_doi(match.group(0))
                if doi:
                    dois.append(doi)
            if "%2f" in low:
                for match in _DOI_ESCAPED.finditer(low):
                    doi = _clean_doi(unquote(match.group(0)))
                    if doi:
                        dois.append(doi)
        if "nct" in low:
            for match in _NCT.finditer(low):
                if match.start() and low[match.start() - 1].isalnum():
                    continue
                ncts.append("NCT" + match.group(1))
        if "pmid" in low or "pubmed" in low:
            for pattern in _PMIDS:
                pmids.extend(match.group(1) for match in pattern.finditer(low))
    return _unique(dois), _unique(ncts), _unique(pmids)


_NAME = r"[*_\"“]?((?:[A-Z][\w’'&.-]*)(?: (?:of|and|for|in|the|&|[A-Z][\w’'&.-]*))*)"
# "published (online) in (the) (medical) journal X" and "... the journal X": the name follows.
_JOURNAL_NAMED = re.compile(r"\b[Jj]ournals?,? +" + _NAME)
_PUBLISHED_IN = re.compile(
    r"\bpublished(?: online| today| this week| recently| earlier this \w+)?(?: in| by)(?: the)?\s+"
    + _NAME
)
# Words that journal titles are made of; a name after "published in" without the word
# "journal" must contain one (or be one), so that "published in China" is not a journal.
_JOURNAL_WORDS = frozenset(
    """journal journals medicine medical reports research letters review reviews science sciences
    nature cell lancet bmj jama nejm proceedings annals archives clinical oncology cancer
    cardiology neurology pediatrics radiology hepatology gastroenterology immunology gut blood
    circulation brain plos elife bulletin transactions communications advances frontiers
    physiology psychiatry surgery epidemiology diabetes diabetologia endocrinology""".split()
)
_NOT_JOURNAL = re.compile(
    r"^(?:The|This|A|An|In|On|It|January|February|March|April|May|June|July|"
    r"August|September|October|November|December|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday)$"
)


def _journal_name(raw: str) -> str | None:
    words = raw.strip(' .,;:*_"”').split()
    while words and words[-1] in ("of", "and", "for", "in", "the", "&"):
        words.pop()
    if not words or (_NOT_JOURNAL.match(words[0]) and (len(words) == 1 or words[0] != "The")):
        return None
    name = " ".join(words)
    return name if len(name) >= 3 else None


def journal_from_text(text: str) -> str | None:
    """The journal named by "the journal <Name>" or "published in <Journal Name>" phrasing."""
    if "ournal" in text:
        for match in _JOURNAL_NAMED.finditer(text):
            name = _journal_name(match.group(1))
            if name:
                return name
    if "published" in text:
        for match in _PUBLISHED_IN.finditer(text):
            name = _journal_name(match.group(1))
            if name and not {w.lower().strip(".") for w in name.split()}.isdisjoint(_JOURNAL_WORDS):
                return name
    return None
