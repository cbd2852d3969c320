"""Plain data passed between the pipeline stages.

Nothing here imports the rest of the project, does I/O or reads the clock: every stage
can be read (and tested) knowing only these shapes.

One article's trip, and the type each stage hands on:

    fetch.get(url)               -> Response      bytes and headers of one HTTP answer
    feeds.parse(body, ...)       -> ParsedFeed    the feed's entries (Entry)
    extract.extract(html, url)   -> Article       the page's text and metadata (SiteTemplate in)
    stories.fingerprint(...)     -> Fingerprint   (defined in monitor.stories)
    topics.Matcher.match(...)    -> list[Match]
    storage.Archive.add_article(ArticleRecord, ...)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    """One item of a feed, as the feed described it (before its page is fetched)."""

    key: str  # stable identity: "guid:...", "url:..." or "hash:..." (see feeds.entry_key)
    url: str  # absolute http(s) link to the article page, tracking parameters removed
    title: str = ""
    summary: str = ""  # plain text
    published: datetime | None = None  # UTC, never in the future
    authors: tuple[str, ...] = ()
    guid: str | None = None


@dataclass
class ParsedFeed:
    title: str = ""
    link: str | None = None
    entries: list[Entry] = field(default_factory=list)
    warning: str | None = None  # a recoverable problem (feedparser's "bozo"), recorded not fatal


@dataclass
class Article:
    """What the extractor found on one article page. All text is plain text."""

    title: str = ""
    text: str = ""  # paragraphs separated by blank lines; headings and list items on own lines
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    language: str | None = None
    lead_image: str | None = None
    site_name: str | None = None
    description: str | None = None
    # study identifiers found anywhere in the page (body, metadata, reference blocks)
    doi: list[str] = field(default_factory=list)  # lower-cased, "10.xxxx/..."
    nct: list[str] = field(default_factory=list)  # "NCT01234567"
    pmid: list[str] = field(default_factory=list)
    journal: str | None = None
    # why text is empty, when it is ("not an article page", "page is empty", ...)
    reason: str | None = None
    # what this page shows of its site's template, for the archive to learn (see SiteTemplate);
    # filled only when extract() was given a template, empty otherwise
    template_keys: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class SiteTemplate:
    """What the archive has learnt about one site's page template, handed to the extractor.

    ``counts`` maps a block key (a 64-bit hash of a block's normalised text, or of its place in
    the page and first words; never the text itself) to the number of earlier pages of the site
    that showed it (every key the archive keeps for the site). A site the archive
    has not seen is ``SiteTemplate(site)``: the structural rules alone decide.
    """

    site: str
    pages: int = 0
    counts: dict[int, int] = field(default_factory=dict)


@dataclass
class ArticleRecord:
    """An article as the pipeline hands it to the archive."""

    key: str  # identity, see Entry.key
    url: str  # the link as the feed gave it (tracking parameters removed)
    canonical_url: str
    source: str  # source name
    title: str
    text: str
    published: datetime | None
    fetched_at: datetime
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    lead_image: str | None = None
    doi: list[str] = field(default_factory=list)
    nct: list[str] = field(default_factory=list)
    pmid: list[str] = field(default_factory=list)
    journal: str | None = None
    extract_note: str | None = None  # extraction's reason when text is empty or came from the feed


@dataclass(frozen=True)
class Match:
    """One topic matched one article."""

    topic: str
    score: float
    snippet: str = ""  # a short passage around the strongest evidence
    explanation: str = ""  # which clauses matched, where


@dataclass(frozen=True)
class StoryDecision:
    """Where the story stage puts a new article."""

    story_id: int | None  # an existing story, or None for a new one
    score: float
    reason: str
    matched_article_id: int | None = None
    merge_story_ids: tuple[int, ...] = ()  # other existing stories this article proves are the same
    # when the stage grouped the article with stories near it again: article ids per story
    # (0 is the new article); the archive keeps story ids stable and deliveries single
    groups: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class Evidence:
    """What kind of evidence a story reports, read from its text (see monitor.evidence).

    `kind` is one of monitor.evidence.KINDS, or "" when the text does not say. `label` is the
    line shown in digests ("Phase 2 trial · 64 patients"). Numbers are as the text gives them.
    """

    kind: str = ""
    label: str = ""
    phase: str | None = None  # "1", "1/2", "2", "3", "4"
    patients: int | None = None  # people studied (or enrolled), when the text gives a number
    population: str | None = None  # the word the number counts: "patients", "women", ...
    studies: int | None = None  # for reviews: how many studies or trials were pooled
    species: tuple[str, ...] = ()  # preclinical: "mice", "rats", "cells", "organoids", ...
    also: tuple[str, ...] = ()  # other kinds the story also reports ("preclinical", ...)
    caveats: tuple[str, ...] = ()  # "preliminary", "not peer reviewed"


@dataclass
class Copy:
    """One outlet's copy of a story, as shown under "also covered by"."""

    article_id: int
    source: str
    url: str
    title: str
    published: datetime | None = None


@dataclass
class DigestItem:
    story_id: int
    title: str
    url: str
    source: str
    published: datetime | None
    topics: list[str]
    summary: str
    snippet: str = ""
    score: float = 0.0
    doi: list[str] = field(default_factory=list)
    nct: list[str] = field(default_factory=list)
    journal: str | None = None
    also_covered_by: list[Copy] = field(default_factory=list)
    first_seen: datetime | None = None
    evidence: Evidence | None = None
    summary_source: str = ""  # the outlet whose copy the summary quotes
    summary_url: str = ""
    snippet_source: str = ""  # the outlet whose copy the matched passage comes from
    snippet_url: str = ""
    article_id: int | None = None  # the headline copy's article (what a channel saw of it)


@dataclass
class Digest:
    generated_at: datetime
    channel: str | None
    since: datetime | None
    items: list[DigestItem] = field(default_factory=list)
    digest_id: str | None = None
