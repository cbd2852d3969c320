"""The story candidate index: SQLite tables that find earlier articles sharing a story key.

Two tables, both written only here:

* ``story_keys(key_hash, published, article_id)``: one row per candidate key of an article
  (LSH band keys and identifier/fact keys from ``monitor.stories.candidate_keys``). Keys are stored
  as signed 64-bit hashes to keep the table small; the primary key ``(key_hash, published,
  article_id)`` makes "articles with this key in this time window" one index range scan.
* ``story_fingerprints(article_id, story_id, published, fingerprint)``: the JSON fingerprint of
  each article and the story it belongs to now.

Nothing is held in memory between calls: the index survives restarts and its lookup cost depends
on the number of matching keys in the time window, not on the size of the archive.

The caller (the archive) owns the connection and the transaction; these functions never commit.
Times are stored as integer UTC epoch seconds. Pass the fetch time when an article has no
publication date: rows with ``published=None`` are kept but never returned as candidates.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from monitor.stories import Candidate, Fingerprint

__all__ = [
    "PER_KEY_LIMIT",
    "RECOMMENDED_PRAGMAS",
    "add",
    "candidates",
    "create_tables",
    "fingerprint_of",
    "key_hash",
    "move_story",
    "story_of",
]

#: settings the archive's connection should use for a write-heavy index: a 64 MB page cache, and
#: WAL checkpoints every 10,000 pages instead of 1,000 (the same total work in fewer, larger
#: steps; with the default, every ~30 articles pay a checkpoint of scattered index pages)
RECOMMENDED_PRAGMAS = ("PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=10000")

#: most recent postings read per key: bounds the cost of keys that many articles share
PER_KEY_LIMIT = 40

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS story_keys (
        key_hash INTEGER NOT NULL,
        published INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (key_hash, published, article_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS story_fingerprints (
        article_id INTEGER PRIMARY KEY,
        story_id INTEGER NOT NULL,
        published INTEGER,
        fingerprint TEXT NOT NULL,
        key_hashes TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS story_fingerprints_story ON story_fingerprints(story_id)",
)


def _conn(db):
    """The sqlite3 connection of a ``sqlite_utils.Database`` (or a bare connection)."""
    return getattr(db, "conn", db)


@functools.lru_cache(maxsize=65536)
def key_hash(key: str) -> int:
    """Signed 64-bit hash of a key string (stable across processes and platforms)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _epoch(dt: datetime | None) -> int | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def create_tables(db) -> None:
    """Create the index tables if they do not exist (idempotent)."""
    conn = _conn(db)
    for statement in _SCHEMA:
        conn.execute(statement)


def add(
    db,
    article_id: int,
    story_id: int,
    published: datetime | None,
    keys: list[str],
    fingerprint_json: str,
) -> None:
    """File an article under its keys. Re-adding an article replaces its earlier rows."""
    conn = _conn(db)
    ts = _epoch(published)
    hashes = [key_hash(k) for k in dict.fromkeys(keys)]
    old = conn.execute(
        "SELECT published, key_hashes FROM story_fingerprints WHERE article_id = ?", (article_id,)
    ).fetchone()
    if old is not None and old[0] is not None and old[1]:
        conn.executemany(
            "DELETE FROM story_keys WHERE key_hash = ? AND published = ? AND article_id = ?",
            [(int(h), old[0], article_id) for h in old[1].split()],
        )
    conn.execute(
        "INSERT OR REPLACE INTO story_fingerprints"
        " (article_id, story_id, published, fingerprint, key_hashes) VALUES (?, ?, ?, ?, ?)",
        (article_id, story_id, ts, fingerprint_json, " ".join(map(str, hashes))),
    )
    if ts is None or not hashes:
        return
    conn.executemany(
        "INSERT OR IGNORE INTO story_keys (key_hash, published, article_id) VALUES (?, ?, ?)",
        [(h, ts, article_id) for h in hashes],
    )


_PER_KEY = (
    "SELECT * FROM (SELECT article_id, published FROM story_keys WHERE key_hash = ?"
    " AND published BETWEEN ? AND ? ORDER BY published DESC LIMIT ?)"
)


def candidates(
    db, keys: Iterable[str], since: datetime, until: datetime, limit: int = 200
) -> list[Candidate]:
    """Articles published in ``[since, until]`` that share at least one key, most shared first.

    Each key contributes at most :data:`PER_KEY_LIMIT` of its most recent postings, so a key that
    thousands of articles share costs no more than a rare one.
    """
    conn = _conn(db)
    lo, hi = _epoch(since), _epoch(until)
    hashes = [key_hash(k) for k in dict.fromkeys(keys)]
    hits: Counter[int] = Counter()
    newest: dict[int, int] = {}
    # one statement, one bounded index range per key
    for start in range(0, len(hashes), 60):
        chunk = hashes[start : start + 60]
        sql = " UNION ALL ".join([_PER_KEY] * len(chunk))
        params: list[int] = []
        for h in chunk:
            params += (h, lo, hi, PER_KEY_LIMIT)
        for article_id, ts in conn.execute(sql, params):
            hits[article_id] += 1
            newest[article_id] = ts
    if not hits:
        return []
    chosen = sorted(hits, key=lambda a: (-hits[a], -newest[a], a))[:limit]
    out: list[Candidate] = []
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT article_id, story_id, fingerprint FROM story_fingerprints"
            f" WHERE article_id IN ({marks})",
            chunk,
        ).fetchall()
        by_id = {r[0]: r for r in rows}
        for article_id in chunk:
            row = by_id.get(article_id)
            if row is not None:
                out.append(Candidate(row[0], row[1], Fingerprint.from_json(row[2])))
    return out


def move_story(db, from_story: int, to_story: int) -> None:
    """Record that every article of ``from_story`` now belongs to ``to_story`` (after a merge)."""
    _conn(db).execute(
        "UPDATE story_fingerprints SET story_id = ? WHERE story_id = ?", (to_story, from_story)
    )


def story_of(db, article_id: int) -> int | None:
    """The story an indexed article belongs to, or None if it is not indexed."""
    row = (
        _conn(db)
        .execute("SELECT story_id FROM story_fingerprints WHERE article_id = ?", (article_id,))
        .fetchone()
    )
    return row[0] if row else None


def fingerprint_of(db, article_id: int) -> Fingerprint | None:
    """The stored fingerprint of an article (for ``monitor stories explain``)."""
    row = (
        _conn(db)
        .execute("SELECT fingerprint FROM story_fingerprints WHERE article_id = ?", (article_id,))
        .fetchone()
    )
    return Fingerprint.from_json(row[0]) if row else None
