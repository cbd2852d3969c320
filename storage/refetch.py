"""Pages fetched again later: the retry ledger, and the update of an article whose page came.

When an article's page cannot be fetched (timeout, 5xx, a 404 just after the feed announced
it...), the article is stored with its feed summary and a row here says when to try again.
When the page arrives, ``update_article`` replaces the article's text, metadata and topic
matches, and the story step (``monitor.grouping.StoryStep.reassign``) files it again in the
story index and moves it to the story the new text belongs to, in the same transaction (the
pipeline nests both).

What a channel already received is never sent again: story ids and deliveries carry over as
for any regrouping (``storage.story_groups.apply_groups``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.model import ArticleRecord, Match

if TYPE_CHECKING:
    from storage.archive import Archive

__all__ = ["PageRetry", "create_tables"]


@dataclass
class PageRetry:
    article_id: int
    url: str
    source: str
    attempts: int  # failed fetches so far (the first fetch included)
    next_attempt_at: str
    last_error: str | None


def create_tables(db: Any) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS page_retries (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id),
            url TEXT NOT NULL,
            source TEXT NOT NULL,
            attempts INTEGER NOT NULL,       -- failed fetches so far, the first included
            next_attempt_at TEXT,            -- NULL: given up
            last_error TEXT,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS page_retries_due ON page_retries(source, next_attempt_at)"
    )


def schedule(
    archive: Archive,
    article_id: int,
    url: str,
    source: str,
    attempts: int,
    next_attempt_at: str | None,
    error: str,
    now: str,
) -> None:
    with archive.transaction():
        archive.db.execute(
            "INSERT INTO page_retries (article_id, url, source, attempts, next_attempt_at,"
            " last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (article_id) DO UPDATE SET attempts = excluded.attempts,"
            " next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error",
            [article_id, url, source, attempts, next_attempt_at, error, now],
        )


def due(archive: Archive, source: str, now: str, limit: int) -> list[PageRetry]:
    rows = archive.db.execute(
        "SELECT article_id, url, source, attempts, next_attempt_at, last_error FROM page_retries"
        " WHERE source = ? AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at LIMIT ?",
        [source, now, limit],
    ).fetchall()
    return [PageRetry(*row) for row in rows]


def pending(archive: Archive) -> int:
    return archive.db.execute(
        "SELECT count(*) FROM page_retries WHERE next_attempt_at IS NOT NULL"
    ).fetchone()[0]


def done(archive: Archive, article_id: int) -> None:
    with archive.transaction():
        archive.db.execute("DELETE FROM page_retries WHERE article_id = ?", [article_id])


def update_article(
    archive: Archive,
    article_id: int,
    record: ArticleRecord,
    matches: Sequence[Match],
    *,
    canonical_rank: Sequence[Any],
    now: datetime,
) -> int | None:
    """Replace an article's text, metadata and topic matches (see the module docstring);
    the story step then places it again (``monitor.grouping.StoryStep.reassign``). Returns its
    story id (None when the article is gone). The retry row, if any, is removed."""
    from storage.archive import _iso

    db = archive.db
    now_s = _iso(now)
    with archive.transaction():
        old = db.execute("SELECT story_id FROM articles WHERE id = ?", [article_id]).fetchone()
        if old is None:
            return None
        db.execute(
            "UPDATE articles SET canonical_url = ?, title = ?, text = ?, authors = ?,"
            " language = ?, lead_image = ?, doi = ?, nct = ?, pmid = ?, journal = ?,"
            " extract_note = ?, canonical_rank = ? WHERE id = ?",
            [
                record.canonical_url,
                record.title,
                record.text,
                json.dumps(record.authors),
                record.language,
                record.lead_image,
                json.dumps(record.doi),
                json.dumps(record.nct),
                json.dumps(record.pmid),
                record.journal,
                record.extract_note,
                json.dumps(list(canonical_rank)),
                article_id,
            ],
        )
        db.execute("DELETE FROM matches WHERE article_id = ?", [article_id])
        for m in matches:
            db.execute(
                "INSERT OR REPLACE INTO matches VALUES (?, ?, ?, ?, ?, ?, ?)",
                [article_id, old[0], m.topic, m.score, m.snippet, m.explanation, now_s],
            )
        db.execute("DELETE FROM page_retries WHERE article_id = ?", [article_id])
    return old[0]
