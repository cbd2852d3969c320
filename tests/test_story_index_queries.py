"""The story index's reading queries (storage.story_index.candidates and members) give exactly
the rows a plain reading of what was filed gives: the same articles, in the same order, with
the same times, on a random index with ties in time and terms past the per-term limit."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta

from storage import story_index
from storage.db import Database
from storage.story_index import PER_KEY_LIMIT, DocRow

T0 = datetime(2025, 5, 1, 8, tzinfo=UTC)


class Filed:
    """A random story index, and what was filed in it."""

    def __init__(self, seed: int) -> None:
        rng = self.rng = random.Random(seed)
        self.db = Database(sqlite3.connect(":memory:", isolation_level=None))
        story_index.create_tables(self.db)
        self.rows: dict[int, DocRow] = {}
        self.postings: dict[int, list[int]] = {}
        for a in rng.sample(range(1, 5000), 400):
            # many articles share a time; a few are placed before 1970
            placed = T0 + timedelta(hours=rng.randrange(300))
            if rng.random() < 0.05:
                placed = datetime(1969, 12, 30, tzinfo=UTC) + timedelta(hours=rng.randrange(60))
            published = None if rng.random() < 0.2 else placed - timedelta(seconds=a)
            terms = rng.sample(range(90), rng.randrange(12))
            terms += [0] * (rng.random() < 0.5)  # one term filed by more than PER_KEY_LIMIT
            fp = bytes([a % 256]) * rng.randrange(1, 5)
            story_index.add(self.db, a, rng.randrange(60), published, placed, fp, terms)
            self.rows[a] = DocRow(a, self.story_of(a), published, placed, fp)
            for t in set(terms):
                self.postings.setdefault(t, []).append(a)

    def story_of(self, a: int) -> int:
        return story_index.story_of(self.db, a) or 0

    def row(self, a: int, with_fp: bool) -> DocRow:
        r = self.rows[a]
        return r if with_fp else DocRow(r.article_id, r.story_id, r.published, r.placed, b"")

    def candidates(self, terms, since, until, exclude, limit, min_shared, with_fp) -> list[DocRow]:
        hits: Counter[int] = Counter()
        days = range(day(since), day(until) + 1)
        for t in dict.fromkeys(terms):
            filed = [a for a in self.postings.get(t, ()) if day(self.rows[a].placed) in days]
            filed.sort(key=lambda a: (day(self.rows[a].placed), a), reverse=True)
            hits.update(filed[:PER_KEY_LIMIT])
        found = [
            a
            for a, n in hits.items()
            if n >= min_shared and a != exclude and since <= self.rows[a].placed <= until
        ]
        found.sort(key=lambda a: (-hits[a], -a))
        return [self.row(a, with_fp) for a in found[: max(limit, 0)]]

    def members(self, story_ids, limit, with_fp) -> list[DocRow]:
        out = []
        for s in sorted(set(story_ids)):
            copies = [r for r in self.rows.values() if r.story_id == s]
            copies.sort(key=lambda r: (r.placed, r.article_id), reverse=True)
            out += sorted(r.article_id for r in copies[: max(limit, 0)])
        return [self.row(a, with_fp) for a in out]


def day(t: datetime) -> int:
    """The UTC day of a time, counted from 1970-01-01 as the postings file it."""
    return (t.date() - datetime(1970, 1, 1, tzinfo=UTC).date()).days


def same(got: list[DocRow], want: list[DocRow]) -> bool:
    return got == want and all(
        r.placed.tzinfo == UTC and (r.published is None or r.published.tzinfo == UTC) for r in got
    )


def test_candidates_are_the_plain_reading_of_the_postings() -> None:
    f = Filed(1)
    rng = f.rng
    for _ in range(300):
        terms = [rng.randrange(95) for _ in range(rng.choice((0, 1, 3, 24, 24, 130)))]
        since = T0 + timedelta(hours=rng.randrange(-20, 300))
        if rng.random() < 0.1:
            since = datetime(1969, 12, 29, tzinfo=UTC) + timedelta(hours=rng.randrange(80))
        until = since + timedelta(hours=rng.choice((0, 5, 48, 400)))
        exclude = rng.choice((None, *f.rows))
        limit = rng.choice((0, 1, 3, 20, 200))
        min_shared = rng.choice((1, 2, 3))
        with_fp = rng.random() < 0.5
        got = story_index.candidates(
            f.db, terms, since, until, exclude, limit, min_shared, with_fp=with_fp
        )
        want = f.candidates(terms, since, until, exclude, limit, min_shared, with_fp)
        assert same(got, want), (terms, since, until, exclude, limit, min_shared)


def test_members_are_the_most_recent_copies_in_story_and_article_order() -> None:
    f = Filed(2)
    rng = f.rng
    for _ in range(200):
        stories = [rng.randrange(65) for _ in range(rng.choice((0, 1, 2, 5, 70)))]
        limit = rng.choice((0, 1, 2, 3, 25, 120))
        with_fp = rng.random() < 0.5
        got = story_index.members(f.db, stories, limit, with_fp=with_fp)
        assert same(got, f.members(stories, limit, with_fp)), (stories, limit)


def test_rows_keep_their_times_when_few_times_are_kept(monkeypatch) -> None:
    """The times read lately are kept (by epoch second) and dropped when too many: the rows
    read while that happens are the same."""
    monkeypatch.setattr(story_index, "TIMES_KEPT", 7)
    f = Filed(3)
    for s in range(60):
        assert same(story_index.members(f.db, [s, s + 1], 4), f.members([s, s + 1], 4, True))
        assert len(story_index._times) <= 7  # bounded
