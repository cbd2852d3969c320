"""The archive's rows as its callers see them: frozen dataclasses, one per kind of row.

Nothing outside ``storage`` gets a dict of columns from the archive. Each row type names its
fields and their types, decodes what the table stores as text (ISO times become aware
``datetime``, JSON lists become tuples, ``enabled`` a bool) and cannot be changed after it
was read (``dataclasses.FrozenInstanceError``). A misspelt field is an error where it is
written: ``row.last_eror`` raises ``AttributeError``, ``SourceUpdate(last_eror=...)`` raises
``TypeError``.

``from_row`` takes the columns of one SQL row by name and ignores columns it does not know,
so a later migration that adds a column breaks no reader; a column it needs and does not find
raises ``TypeError``.

``SourceUpdate`` is the other direction: the fields of a source that a poll (or
``monitor sources --enable``) changes, only those given, checked when it is made.

The browse side (Datasette, ``storage/queries.py``) reads the tables directly and is not
concerned.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Self


def parse_time(value: str | None) -> datetime | None:
    """An ISO time as the archive stores it, as an aware datetime (UTC when it names no zone)."""
    if not value:
        return None
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def iso(dt: datetime | None) -> str | None:
    """A datetime as the archive stores it: UTC, ISO 8601, to the second."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def _required_time(value: str | None, column: str) -> datetime:
    dt = parse_time(value)
    if dt is None:
        raise TypeError(f"column {column} is empty")
    return dt


def _strings(value: str | None) -> tuple[str, ...]:
    """A JSON list column (NULL or '' is an empty list)."""
    return tuple(json.loads(value)) if value else ()


def _columns(cls: type, row: Mapping[str, Any], **decoded: Any) -> dict[str, Any]:
    """The keyword arguments for ``cls``: its fields taken from ``row`` by name, ``decoded``
    values over them."""
    names = {f.name for f in fields(cls)}
    out = {k: v for k, v in row.items() if k in names}
    out.update(decoded)
    return out


# ----------------------------------------------------------------------------- sources
@dataclass(frozen=True, slots=True, kw_only=True)
class SourceState:
    """One row of ``sources``: a configured source and its polling health (masked addresses)."""

    name: str
    url: str
    configured_url: str | None
    enabled: bool
    tags: tuple[str, ...]
    etag: str | None
    last_modified: str | None
    last_poll_at: datetime | None
    last_status: str | None
    last_success_at: datetime | None
    consecutive_failures: int
    first_failure_at: datetime | None
    last_error: str | None
    next_poll_at: datetime | None
    disabled_reason: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        return cls(
            **_columns(
                cls,
                row,
                enabled=bool(row["enabled"]),
                tags=_strings(row["tags"]),
                last_poll_at=parse_time(row["last_poll_at"]),
                last_success_at=parse_time(row["last_success_at"]),
                consecutive_failures=row["consecutive_failures"] or 0,
                first_failure_at=parse_time(row["first_failure_at"]),
                next_poll_at=parse_time(row["next_poll_at"]),
                created_at=_required_time(row["created_at"], "sources.created_at"),
            )
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceOverview(SourceState):
    """A source with the number of articles its feed listed (``monitor sources``)."""

    articles: int


class _Unset(enum.Enum):
    UNSET = "unset"


#: the default of every ``SourceUpdate`` field: "leave this column as it is"
UNSET = _Unset.UNSET

#: what a poll may record as a source's last status
SOURCE_STATUSES = frozenset({"ok", "not-modified", "error", "disabled", "enabled"})


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceUpdate:
    """The columns of one source to change; a field left ``UNSET`` is not written.

    ``None`` clears a column that may be empty. Checked when made: a field of the wrong type,
    a naive datetime, a negative failure count or an unknown status raises ``TypeError`` or
    ``ValueError``, and so does a field that does not exist (as for any dataclass).
    """

    url: str | _Unset = UNSET
    etag: str | None | _Unset = UNSET
    last_modified: str | None | _Unset = UNSET
    last_poll_at: datetime | None | _Unset = UNSET
    last_status: str | None | _Unset = UNSET
    last_success_at: datetime | None | _Unset = UNSET
    consecutive_failures: int | _Unset = UNSET
    first_failure_at: datetime | None | _Unset = UNSET
    last_error: str | None | _Unset = UNSET
    next_poll_at: datetime | None | _Unset = UNSET
    disabled_reason: str | None | _Unset = UNSET

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is UNSET:
                continue
            kind = _UPDATE_TYPES[f.name]
            if value is None and f.name not in _NOT_NULL:
                continue
            # bool is an int, but True failures is a bug
            if not isinstance(value, kind) or isinstance(value, bool):
                raise TypeError(
                    f"SourceUpdate.{f.name} must be {kind.__name__}"
                    f"{'' if f.name in _NOT_NULL else ' or None'}, not {type(value).__name__}"
                )
            if isinstance(value, datetime) and value.tzinfo is None:
                raise ValueError(f"SourceUpdate.{f.name} must be an aware datetime (UTC)")
        if isinstance(self.consecutive_failures, int) and self.consecutive_failures < 0:
            raise ValueError("SourceUpdate.consecutive_failures must be 0 or more")
        if isinstance(self.last_status, str) and self.last_status not in SOURCE_STATUSES:
            raise ValueError(
                f"SourceUpdate.last_status {self.last_status!r} is none of "
                f"{', '.join(sorted(SOURCE_STATUSES))}"
            )
        if isinstance(self.url, str) and not self.url:
            raise ValueError("SourceUpdate.url must not be empty")

    def columns(self) -> dict[str, str | int | None]:
        """Column -> value as stored (times in ISO 8601 UTC), for the fields that were given."""
        out: dict[str, str | int | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is UNSET:
                continue
            out[f.name] = iso(value) if isinstance(value, datetime) else value
        return out


_UPDATE_TYPES: dict[str, type] = {
    "url": str,
    "etag": str,
    "last_modified": str,
    "last_poll_at": datetime,
    "last_status": str,
    "last_success_at": datetime,
    "consecutive_failures": int,
    "first_failure_at": datetime,
    "last_error": str,
    "next_poll_at": datetime,
    "disabled_reason": str,
}
_NOT_NULL = frozenset({"url", "consecutive_failures"})


# ---------------------------------------------------------------------------- articles
@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleRow:
    """One stored article (one copy of a story), its lists and times decoded."""

    id: int
    key: str
    url: str
    canonical_url: str
    source: str
    title: str | None
    text: str | None
    published: datetime | None
    fetched_at: datetime
    authors: tuple[str, ...]
    language: str | None
    lead_image: str | None
    doi: tuple[str, ...]
    nct: tuple[str, ...]
    pmid: tuple[str, ...]
    journal: str | None
    extract_note: str | None
    story_id: int | None
    story_score: float | None
    story_reason: str | None
    canonical_rank: str | None  # JSON sort key: lower is a better canonical copy

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        return cls(
            **_columns(
                cls,
                row,
                published=parse_time(row["published"]),
                fetched_at=_required_time(row["fetched_at"], "articles.fetched_at"),
                authors=_strings(row["authors"]),
                doi=_strings(row["doi"]),
                nct=_strings(row["nct"]),
                pmid=_strings(row["pmid"]),
            )
        )


# ----------------------------------------------------------------------------- stories
@dataclass(frozen=True, slots=True, kw_only=True)
class StoryRow:
    """A live story with its copies, the canonical one's id in ``canonical_article_id``."""

    id: int
    canonical_article_id: int | None
    title: str | None
    first_seen: datetime  # when its first copy was fetched
    updated_at: datetime
    copies: int
    merged_into: int | None
    articles: tuple[ArticleRow, ...]

    @classmethod
    def from_row(cls, row: Mapping[str, Any], articles: tuple[ArticleRow, ...]) -> Self:
        return cls(**_story_columns(cls, row, articles))

    @property
    def canonical(self) -> ArticleRow | None:
        """The canonical copy (the first copy if the story names none that it holds)."""
        for a in self.articles:
            if a.id == self.canonical_article_id:
                return a
        return self.articles[0] if self.articles else None


def _story_columns(
    cls: type, row: Mapping[str, Any], articles: tuple[ArticleRow, ...], **more: Any
) -> dict[str, Any]:
    return _columns(
        cls,
        row,
        first_seen=_required_time(row["first_seen"], "stories.first_seen"),
        updated_at=_required_time(row["updated_at"], "stories.updated_at"),
        articles=articles,
        **more,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryMatch:
    """One topic that matched a story: its best score and the passage that matched."""

    topic: str
    score: float
    snippet: str | None
    explanation: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchedStory(StoryRow):
    """A story as a digest selects it: with the topics that matched it."""

    topic_matches: tuple[StoryMatch, ...]
    best_score: float

    @classmethod
    def from_match_row(cls, row: Mapping[str, Any], articles: tuple[ArticleRow, ...]) -> Self:
        """``row['topic_matches']`` is a JSON array of {topic, score, snippet, explanation}."""
        matches = tuple(StoryMatch(**m) for m in json.loads(row["topic_matches"]))
        return cls(**_story_columns(cls, row, articles, topic_matches=matches))


# ---------------------------------------------------------------------- channels, digests
@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelRow:
    """A delivery channel as the ledger knows it (its settings are in the config)."""

    name: str
    type: str
    created_at: datetime
    last_run_at: datetime | None
    last_success_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        return cls(
            **_columns(
                cls,
                row,
                created_at=_required_time(row["created_at"], "channels.created_at"),
                last_run_at=parse_time(row["last_run_at"]),
                last_success_at=parse_time(row["last_success_at"]),
            )
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestRow:
    """One digest of one channel: its state follows its parts (storage/ledger.py)."""

    id: str
    channel: str
    created_at: datetime
    state: str  # pending | sent | partial | failed
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    next_attempt_at: datetime | None
    stories: int
    payload: str  # the digest as JSON, so a retry sends the same thing

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        return cls(**digest_columns(cls, row))


def digest_columns(cls: type, row: Mapping[str, Any], **more: Any) -> dict[str, Any]:
    """A ``digests`` row's fields for ``cls`` (DigestRow or a row type built on it)."""
    return _columns(
        cls,
        row,
        created_at=_required_time(row["created_at"], "digests.created_at"),
        sent_at=parse_time(row["sent_at"]),
        next_attempt_at=parse_time(row["next_attempt_at"]),
        **more,
    )
