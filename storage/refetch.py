"""Pages fetched again later: the retry ledger, and the update of an article whose page came.

When an article's page cannot be fetched (timeout, 5xx, a 404 just after the feed announced
it...), the article is stored with its feed summary and a row here says when to try again.
When the page arrives, ``update_article`` replaces the article's text and metadata, files it
again in the story index and moves it to the story the new text belongs to, with its topic
matches, in one transaction.

What a channel already received is never sent again: an article that was alone in its
story and now joins another story merges the two (a merged story counts as delivered
wherever either part was, see ``Archive._merge``); an article leaving a story that keeps
other copies joins the other story as one more copy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.model import ArticleRecord, Match, StoryDecision
from storage import story_index

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
    decision: StoryDecision,
    matches: Sequence[Match],
    *,
    index_keys: list[str],
    fingerprint_json: str,
    canonical_rank: Sequence[Any],
    now: datetime,
) -> int:
    """Replace an article's text and place it again (see the module docstring). Returns
    the story it belongs to now. The retry row, if any, is removed in the same transaction."""
    from storage.archive import _iso

    db = archive.db
    now_s = _iso(now)
    with archive.transaction():
        old = db.execute("SELECT story_id FROM articles WHERE id = ?", [article_id]).fetchone()
        if old is None:
            return 0
        old_story = archive._live_story(old[0]) if old[0] is not None else None
        db.execute(
            "UPDATE articles SET canonical_url = ?, title = ?, text = ?, authors = ?,"
            " language = ?, lead_image = ?, doi = ?, nct = ?, pmid = ?, journal = ?,"
            " extract_note = ?, canonical_rank = ?, story_score = ?, story_reason = ?"
            " WHERE id = ?",
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
                decision.score,
                decision.reason,
                article_id,
            ],
        )
        siblings = (
            db.execute(
                "SELECT count(*) FROM articles WHERE story_id = ? AND id != ?",
                [old_story, article_id],
            ).fetchone()[0]
            if old_story is not None
            else 0
        )
        target = archive._live_story(decision.story_id) if decision.story_id else None
        story = old_story
        if target is not None and target != old_story:
            if old_story is not None and siblings == 0:
                story = archive._merge(old_story, target, now_s)  # one story now
            else:
                story = target
        elif target is None and siblings > 0:
            # the text shows it is not the story it was grouped into by its summary
            story = db.execute(
                "INSERT INTO stories (title, first_seen, updated_at, copies) VALUES (?, ?, ?, 0)",
                [record.title, now_s, now_s],
            ).lastrowid
        if story is None:  # an article without a story (cannot happen in a valid archive)
            story = db.execute(
                "INSERT INTO stories (title, first_seen, updated_at, copies) VALUES (?, ?, ?, 0)",
                [record.title, now_s, now_s],
            ).lastrowid
        db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story, article_id])
        story_index.add(
            db,
            article_id,
            story,
            record.published or record.fetched_at,
            index_keys,
            fingerprint_json,
        )
        for other in decision.merge_story_ids:
            other = archive._live_story(other)
            if other is not None and other != story:
                story = archive._merge(story, other, now_s)
        db.execute("DELETE FROM matches WHERE article_id = ?", [article_id])
        for m in matches:
            db.execute(
                "INSERT OR REPLACE INTO matches VALUES (?, ?, ?, ?, ?, ?, ?)",
                [article_id, story, m.topic, m.score, m.snippet, m.explanation, now_s],
            )
        db.execute("UPDATE matches SET story_id = ? WHERE article_id = ?", [story, article_id])
        archive._refresh_story(story, now_s, None)
        if (
            old_story is not None
            and old_story != story
            and archive._live_story(old_story) == (old_story)
        ):
            left = db.execute(
                "SELECT count(*) FROM articles WHERE story_id = ?", [old_story]
            ).fetchone()[0]
            if left:
                archive._refresh_story(old_story, now_s, None)
        db.execute("DELETE FROM page_retries WHERE article_id = ?", [article_id])
    return story
