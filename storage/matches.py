"""Topic matches on the archive: re-matching stored articles when a topic changes.

Every topic's definition (a hash of its query, min_score, the synonym sets it names and the
matcher's version; `monitor.topics.Matcher.definition`) is recorded in `topic_definitions`
with the highest article id matched under it. `sync` compares the configured definitions with
the recorded ones: a new or changed topic is re-matched over the whole archive, an unchanged
one only over the articles stored since (which a daemon still running an older configuration
may have matched with the old definition). Re-matching rewrites `matches` and `story_matches`
for that topic only; the delivery ledger is not touched, so a story already sent to a channel
is never sent again, and a story newly matched is owed once, like any new story.

This module takes the matcher as an argument and imports no stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from monitor.model import Match
from storage.db import Database

BATCH = 200  # articles per write transaction: short locks for a daemon writing alongside


class TopicMatcher(Protocol):
    """What re-matching needs of a compiled set of topics (monitor.topics.Matcher)."""

    topics: list[str]

    def definitions(self) -> dict[str, str]: ...

    def match(self, title: str, text: str) -> list[Match]: ...


@dataclass
class Rematch:
    """What re-matching one topic changed."""

    topic: str
    reason: str  # "new topic", "definition changed", "articles since ...", "requested"
    articles: int = 0  # articles read
    added: int = 0  # article matches that are new
    removed: int = 0  # article matches that went away
    changed: int = 0  # still matched, with another score or snippet
    stories: set[int] = field(default_factory=set)  # stories whose match for it changed

    def line(self) -> str:
        return (
            f"{self.topic}: re-matched {self.articles} articles ({self.reason}): "
            f"+{self.added} -{self.removed} ~{self.changed} matches, "
            f"{len(self.stories)} stories updated"
        )


def recorded(db: Database) -> dict[str, tuple[str, int]]:
    """topic -> (definition, through_article_id) as last applied."""
    rows = db.execute("SELECT topic, definition, through_article_id FROM topic_definitions")
    return {r[0]: (r[1], r[2]) for r in rows.fetchall()}


def plan(db: Database, definitions: dict[str, str]) -> dict[str, tuple[int, str]]:
    """topic -> (re-match articles with id above this, reason), for the topics that need it."""
    last = db.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
    known = recorded(db)
    out: dict[str, tuple[int, str]] = {}
    for topic, definition in definitions.items():
        if topic not in known:
            out[topic] = (0, "new topic")
        elif known[topic][0] != definition:
            out[topic] = (0, "definition changed")
        elif known[topic][1] < last:
            out[topic] = (known[topic][1], f"articles since id {known[topic][1]}")
    return out


def rematch(
    db: Database,
    transaction: Callable,
    matcher: TopicMatcher,
    todo: dict[str, tuple[int, str]],
    now: str,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Rematch]:
    """Re-match `todo` (topic -> (after article id, reason)) and record the definitions.

    Reads a batch of articles, matches it outside any transaction, then writes the batch's
    changes in one short transaction; the definition is recorded after the last batch, so a
    crash part-way leaves the topic to be re-matched from the start next time.
    """
    if not todo:
        return []
    definitions = matcher.definitions()
    results = {t: Rematch(t, reason) for t, (_, reason) in todo.items()}
    start = min(after for after, _ in todo.values())
    last = db.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
    total = db.execute(
        "SELECT count(*) FROM articles WHERE id > ? AND id <= ?", [start, last]
    ).fetchone()[0]
    done = 0
    cursor = start
    while cursor < last:
        rows = db.execute(
            "SELECT id, title, text FROM articles WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
            [cursor, last, BATCH],
        ).fetchall()
        if not rows:
            break
        found: list[tuple[int, dict[str, Match]]] = []
        for article_id, title, text in rows:
            ms = {m.topic: m for m in matcher.match(title or "", text or "") if m.topic in todo}
            found.append((article_id, ms))
        with transaction():
            _write(db, found, todo, results, now)
        cursor = rows[-1][0]
        done += len(rows)
        if progress:
            progress(", ".join(todo), done, total)
    with transaction():
        for topic in todo:
            db.execute(
                "INSERT OR REPLACE INTO topic_definitions (topic, definition, through_article_id,"
                " applied_at) VALUES (?, ?, ?, ?)",
                [topic, definitions[topic], last, now],
            )
    return [results[t] for t in todo]


def _write(
    db: Database,
    found: Sequence[tuple[int, dict[str, Match]]],
    todo: dict[str, tuple[int, str]],
    results: dict[str, Rematch],
    now: str,
) -> None:
    touched: set[tuple[int, str]] = set()
    for article_id, ms in found:
        story = db.execute("SELECT story_id FROM articles WHERE id = ?", [article_id]).fetchone()
        if story is None:
            continue
        story_id = story[0]
        stored = {
            r[0]: r[1:]
            for r in db.execute(
                "SELECT topic, score, snippet, explanation FROM matches WHERE article_id = ?",
                [article_id],
            ).fetchall()
        }
        for topic, (after, _) in todo.items():
            if article_id <= after:
                continue
            res = results[topic]
            res.articles += 1
            m, old = ms.get(topic), stored.get(topic)
            if m is None and old is None:
                continue
            if m is None:
                db.execute(
                    "DELETE FROM matches WHERE article_id = ? AND topic = ?", [article_id, topic]
                )
                res.removed += 1
            elif old is None:
                db.execute(
                    "INSERT INTO matches (article_id, story_id, topic, score, snippet,"
                    " explanation, matched_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [article_id, story_id, topic, m.score, m.snippet, m.explanation, now],
                )
                res.added += 1
            elif tuple(old) != (m.score, m.snippet, m.explanation):
                db.execute(
                    "UPDATE matches SET score = ?, snippet = ?, explanation = ?"
                    " WHERE article_id = ? AND topic = ?",
                    [m.score, m.snippet, m.explanation, article_id, topic],
                )
                res.changed += 1
            else:
                continue
            res.stories.add(story_id)
            touched.add((story_id, topic))
    refresh_story_topics(db, touched)


def refresh_story_topics(db: Database, pairs: Iterable[tuple[int, str]]) -> None:
    """Recompute `story_matches` for (story, topic) pairs from the article matches."""
    for story_id, topic in pairs:
        db.execute("DELETE FROM story_matches WHERE story_id = ? AND topic = ?", [story_id, topic])
        db.execute(
            "INSERT INTO story_matches (story_id, topic, score, snippet, explanation,"
            " first_matched_at) SELECT story_id, topic, max(score), snippet, explanation,"
            " min(matched_at) FROM matches WHERE story_id = ? AND topic = ? GROUP BY topic",
            [story_id, topic],
        )


def matched_articles(db: Database, topic: str, since: str | None) -> set[int]:
    rows = db.execute(
        "SELECT m.article_id FROM matches m JOIN articles a ON a.id = m.article_id"
        " WHERE m.topic = ? AND (? IS NULL OR a.fetched_at >= ?)",
        [topic, since, since],
    )
    return {r[0] for r in rows.fetchall()}


def forget(db: Database, keep: Iterable[str]) -> list[str]:
    """Drop the recorded definitions of topics no longer configured (their matches stay as
    history; a topic configured again later is re-matched in full). Returns the names."""
    keep = set(keep)
    gone = [t for t in recorded(db) if t not in keep]
    for t in gone:
        db.execute("DELETE FROM topic_definitions WHERE topic = ?", [t])
    return gone
