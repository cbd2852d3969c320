"""Candidate index for the story stage (minimal version; the Stories issue deepens it)."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from monitor.stories import Candidate, Fingerprint


def create_tables(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS story_keys (key TEXT NOT NULL, article_id INTEGER NOT NULL,"
        " published TEXT, PRIMARY KEY (key, article_id))"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS story_fingerprints (article_id INTEGER PRIMARY KEY,"
        " story_id INTEGER NOT NULL, published TEXT, fingerprint TEXT NOT NULL)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS story_fingerprints_story ON story_fingerprints(story_id)"
    )


def add(
    db: sqlite_utils.Database,
    article_id: int,
    story_id: int,
    published: datetime | None,
    keys: list[str],
    fingerprint_json: str,
) -> None:
    pub = published.isoformat() if published else None
    db.execute(
        "INSERT OR REPLACE INTO story_fingerprints VALUES (?, ?, ?, ?)",
        (article_id, story_id, pub, fingerprint_json),
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO story_keys VALUES (?, ?, ?)", [(k, article_id, pub) for k in keys]
    )


def candidates(
    db: sqlite_utils.Database, keys: list[str], since: datetime, until: datetime, limit: int = 200
) -> list[Candidate]:
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    rows = db.execute(
        f"SELECT DISTINCT f.article_id, f.story_id, f.fingerprint FROM story_keys k"
        f" JOIN story_fingerprints f ON f.article_id = k.article_id"
        f" WHERE k.key IN ({marks}) AND (k.published IS NULL OR k.published BETWEEN ? AND ?)"
        f" LIMIT ?",
        [*keys, since.isoformat(), until.isoformat(), limit],
    ).fetchall()
    return [Candidate(a, s, Fingerprint.from_json(f)) for a, s, f in rows]


def move_story(db: sqlite_utils.Database, from_story: int, to_story: int) -> None:
    db.execute(
        "UPDATE story_fingerprints SET story_id = ? WHERE story_id = ?", (to_story, from_story)
    )
