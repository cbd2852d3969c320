"""The story index: compact fingerprints, an inverted index of distinctive terms, and the
archive's document frequencies. Written only here; the caller owns the transaction.

Tables:

* ``story_vocab(id, hash, kind, df)``: one row per feature the story stage has seen (a content
  word's stem, a name, a number with its unit, a title word), keyed by a 64-bit hash of its text;
  ``df`` is the number of indexed articles holding it. Ids are small integers handed out in order,
  so fingerprints and postings that use them stay small.
* ``story_meta(key, value)``: ``documents``, the number of indexed articles counted in the
  document frequencies; ``rebuilt``, how many times the index was emptied to be rebuilt.
* ``story_docs(article_id, story_id, published, placed, fp)``: each article's story and its
  fingerprint as bytes (the stage's own format; this module never reads inside it). ``placed``
  is the publication time, or the fetch time of an undated article: it places the article in the
  candidate window. Times are UTC epoch seconds.
* ``story_postings(term, day, article_id)``: the article's most distinctive terms (chosen by the
  stage), so that two articles sharing rare terms find each other though they share no sentence.
  ``day`` is the UTC day of ``placed`` (:func:`day_of`): a lookup reads a term's postings in the
  candidate window only, so its cost does not grow with the archive.
* ``story_pending(article_id)``: indexed articles whose terms are not yet counted in
  ``story_vocab.df`` and ``documents``. Counting one article means updating about 150 vocabulary
  rows spread over as many pages; the stage files an article as pending in the article's own
  transaction and counts the pending ones together now and then (:func:`count_pending`, one
  transaction). Nothing is lost in a crash: the pending articles' fingerprints are in
  ``story_docs``, and a reader adds their terms to the stored counts (:func:`pending_docs`).

Storage returns stored rows (:class:`DocRow`); it never imports the stories stage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import NamedTuple

__all__ = [
    "DAY",
    "PER_KEY_LIMIT",
    "RECOMMENDED_PRAGMAS",
    "DocRow",
    "add",
    "candidates",
    "count_documents",
    "count_pending",
    "create_tables",
    "date_postings",
    "day_of",
    "doc",
    "docs_since",
    "drop_legacy_tables",
    "feature_hash",
    "fingerprint",
    "load_stats",
    "load_vocabulary",
    "members",
    "pending_count",
    "pending_docs",
    "remove",
    "repost",
    "set_story",
    "state",
    "story_of",
    "vocabulary",
]

#: settings the archive's connection should use for a write-heavy index: a 16 MB page cache (64 MB
#: held 13 MB more at peak in a 3,000-feed daemon and 51 MB more in the 10,000-article stories
#: scale run, for no measured gain in the story step), and WAL checkpoints every 10,000 pages
#: instead of 1,000 (the same total work in fewer steps)
RECOMMENDED_PRAGMAS = ("PRAGMA cache_size=-16384", "PRAGMA wal_autocheckpoint=10000")

#: most recent postings read per term: bounds the cost of terms many articles share
PER_KEY_LIMIT = 50
#: most recent copies of one story read for a decision: bounds the cost of very large stories
MEMBERS_LIMIT = 120

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS story_vocab (
        id INTEGER PRIMARY KEY,
        hash INTEGER NOT NULL UNIQUE,
        kind INTEGER NOT NULL DEFAULT 0,
        df INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS story_meta (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS story_docs (
        article_id INTEGER PRIMARY KEY,
        story_id INTEGER NOT NULL,
        published INTEGER,
        placed INTEGER NOT NULL,
        fp BLOB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS story_docs_story ON story_docs(story_id, placed)",
    """CREATE TABLE IF NOT EXISTS story_postings (
        term INTEGER NOT NULL,
        day INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (term, day, article_id)
    ) WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS story_pending (article_id INTEGER PRIMARY KEY)",
)


class DocRow(NamedTuple):
    """One indexed article as stored (a named tuple: a placement reads about 30, and a tuple
    is made in a quarter of the time of a frozen dataclass)."""

    article_id: int
    story_id: int
    published: datetime | None
    placed: datetime
    fp: bytes


def _conn(db):
    """The sqlite3 connection of a ``storage.db.Database`` (or a bare connection)."""
    return getattr(db, "conn", db)


def feature_hash(key: str) -> int:
    """Signed 64-bit hash of a feature's text (stable across processes and platforms)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _epoch(dt: datetime | None) -> int | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


DAY = 86_400


def day_of(dt: datetime) -> int:
    """The UTC day of a time (days since 1970-01-01, floored): the postings' ``day``."""
    return _epoch(dt) // DAY  # type: ignore[operator]


def _day_sql(column: str) -> str:
    """:func:`day_of` of an epoch-seconds column in SQL (SQLite's integer division truncates
    toward zero; days before 1970 are floored as in Python)."""
    c = column
    return f"(CASE WHEN {c} >= 0 THEN {c} / {DAY} ELSE -((-{c} + {DAY - 1}) / {DAY}) END)"


#: UTC times kept by epoch second: candidates and members read the same recent articles again
#: and again (91 % of the times read for the last 2,000 articles of the 6,000-article synthetic
#: stream were read before among the last 4,096); emptied when full (about 0.5 MB)
TIMES_KEPT = 4096
_times: dict[int, datetime] = {}


def _time(ts: int | None) -> datetime | None:
    if ts is None:
        return None
    t = _times.get(ts)
    if t is None:
        if len(_times) >= TIMES_KEPT:
            _times.clear()
        t = _times[ts] = datetime.fromtimestamp(ts, UTC)
    return t


def create_tables(db) -> None:
    """Create the index tables if they do not exist (idempotent)."""
    conn = _conn(db)
    for statement in _SCHEMA:
        conn.execute(statement)


def create_legacy_tables(db) -> None:
    """The first version's tables, as migration step 1 made them (dropped again by step 4)."""
    conn = _conn(db)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS story_keys (key_hash INTEGER NOT NULL, published INTEGER NOT"
        " NULL, article_id INTEGER NOT NULL, PRIMARY KEY (key_hash, published, article_id))"
        " WITHOUT ROWID"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS story_fingerprints (article_id INTEGER PRIMARY KEY, story_id"
        " INTEGER NOT NULL, published INTEGER, fingerprint TEXT NOT NULL, key_hashes TEXT)"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS story_fingerprints_story ON story_fingerprints(story_id)"
    )


def drop_legacy_tables(db) -> None:
    """Drop the first version's tables (JSON fingerprints and shingle keys)."""
    conn = _conn(db)
    conn.execute("DROP TABLE IF EXISTS story_keys")
    conn.execute("DROP TABLE IF EXISTS story_fingerprints")


def _chunks(seq: Sequence, n: int = 500) -> Iterator[Sequence]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def vocabulary(db, keys: Sequence[tuple[int, int]], create: bool = True) -> dict[int, int]:
    """Vocabulary ids of features given as (hash, kind); unknown ones are added when ``create``.

    Returns hash -> id (features that are unknown and not created are left out).
    """
    conn = _conn(db)
    out: dict[int, int] = {}
    hashes = list(dict.fromkeys(h for h, _ in keys))
    for chunk in _chunks(hashes):
        marks = ",".join("?" * len(chunk))
        for i, h in conn.execute(
            f"SELECT id, hash FROM story_vocab WHERE hash IN ({marks})", chunk
        ):
            out[h] = i
    if create:
        kinds = dict(keys)
        for h in hashes:
            if h not in out:
                out[h] = conn.execute(
                    "INSERT INTO story_vocab (hash, kind, df) VALUES (?, ?, 0)", (h, kinds[h])
                ).lastrowid
    return out


def count_documents(db, terms: Iterable[int], delta: int) -> None:
    """Add ``delta`` (+1 or -1) to the document frequency of ``terms`` and to the total."""
    _add_counts(_conn(db), dict.fromkeys(terms, delta), delta)


def _add_counts(conn, df: Mapping[int, int], documents: int) -> None:
    """Add ``df`` (vocabulary id -> change) to the document frequencies and ``documents`` to
    the total, neither below 0."""
    conn.executemany(
        "UPDATE story_vocab SET df = max(0, df + ?) WHERE id = ?",
        [(n, i) for i, n in sorted(df.items()) if n],
    )
    conn.execute(
        "INSERT INTO story_meta (key, value) VALUES ('documents', max(0, ?))"
        " ON CONFLICT (key) DO UPDATE SET value = max(0, value + ?)",
        (documents, documents),
    )


def count_pending(db, df: Mapping[int, int], article_ids: Sequence[int]) -> None:
    """Count pending articles (see :func:`pending_docs`): add ``df`` (vocabulary id -> number
    of these articles holding it) to the document frequencies, their number to ``documents``,
    and take them off the pending list. Call it in one transaction with the reading of
    :func:`pending_docs` it counts."""
    conn = _conn(db)
    _add_counts(conn, df, len(article_ids))
    for chunk in _chunks(sorted(article_ids)):
        conn.execute(
            f"DELETE FROM story_pending WHERE article_id IN ({','.join('?' * len(chunk))})", chunk
        )


def pending_docs(db) -> list[tuple[int, bytes]]:
    """(article id, fingerprint) of the indexed articles not yet counted in the document
    frequencies (filed with ``add(..., pending=True)``), in id order."""
    return [
        (a, bytes(fp))
        for a, fp in _conn(db).execute(
            "SELECT d.article_id, d.fp FROM story_pending p JOIN story_docs d"
            " ON d.article_id = p.article_id ORDER BY d.article_id"
        )
    ]


def pending_count(db) -> int:
    """The number of indexed articles whose terms are still to be counted."""
    return _conn(db).execute("SELECT count(*) FROM story_pending").fetchone()[0]


def is_pending(db, article_id: int) -> bool:
    """Whether an indexed article's terms are still to be counted (see :func:`pending_docs`)."""
    row = (
        _conn(db)
        .execute("SELECT 1 FROM story_pending WHERE article_id = ?", (article_id,))
        .fetchone()
    )
    return row is not None


def state(db) -> tuple[int, int, int]:
    """(indexed articles, counted or pending; the largest vocabulary id; how many times the
    index was rebuilt): a reader that keeps the vocabulary and the frequencies in memory
    compares these with its own to know that another writer, or a rolled-back transaction,
    changed the index."""
    row = (
        _conn(db)
        .execute(
            "SELECT (SELECT value FROM story_meta WHERE key = 'documents'),"
            " (SELECT count(*) FROM story_pending), (SELECT max(id) FROM story_vocab),"
            " (SELECT value FROM story_meta WHERE key = 'rebuilt')"
        )
        .fetchone()
    )
    return (row[0] or 0) + row[1], row[2] or 0, row[3] or 0


def load_vocabulary(db) -> dict[int, int]:
    """The whole vocabulary: feature hash -> id."""
    return dict(_conn(db).execute("SELECT hash, id FROM story_vocab"))


def load_stats(db) -> tuple[int, dict[int, int], dict[int, int]]:
    """(documents, df by id, kind by id for ids whose kind is not 0): the whole vocabulary, as
    counted (without the pending articles, see :func:`pending_docs`)."""
    conn = _conn(db)
    row = conn.execute("SELECT value FROM story_meta WHERE key = 'documents'").fetchone()
    df: dict[int, int] = {}
    kind: dict[int, int] = {}
    for i, k, n in conn.execute("SELECT id, kind, df FROM story_vocab WHERE df > 0 OR kind != 0"):
        if n:
            df[i] = n
        if k:
            kind[i] = k
    return (row[0] if row else 0), df, kind


def add(
    db,
    article_id: int,
    story_id: int,
    published: datetime | None,
    placed: datetime,
    fp: bytes,
    postings: Iterable[int],
    pending: bool = False,
) -> None:
    """Index an article (replacing an earlier entry of the same article). ``pending``: its terms
    are not counted in the document frequencies yet (see :func:`pending_docs`)."""
    conn = _conn(db)
    if pending:
        conn.execute("INSERT OR IGNORE INTO story_pending (article_id) VALUES (?)", (article_id,))
    conn.execute(
        "INSERT OR REPLACE INTO story_docs (article_id, story_id, published, placed, fp)"
        " VALUES (?, ?, ?, ?, ?)",
        (article_id, story_id, _epoch(published), _epoch(placed), fp),
    )
    _post(conn, article_id, day_of(placed), postings)


def remove(db, article_id: int, postings: Iterable[int]) -> DocRow | None:
    """Take an article out of the index (its postings are the terms given, and it is no longer
    pending); returns its row."""
    conn = _conn(db)
    row = doc(db, article_id)
    conn.execute("DELETE FROM story_pending WHERE article_id = ?", (article_id,))
    if row is not None:
        _unpost(conn, article_id, day_of(row.placed), postings)
    conn.execute("DELETE FROM story_docs WHERE article_id = ?", (article_id,))
    return row


def _post(conn, article_id: int, day: int, terms: Iterable[int]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO story_postings (term, day, article_id) VALUES (?, ?, ?)",
        [(t, day, article_id) for t in dict.fromkeys(terms)],
    )


def _unpost(conn, article_id: int, day: int, terms: Iterable[int]) -> None:
    conn.executemany(
        "DELETE FROM story_postings WHERE term = ? AND day = ? AND article_id = ?",
        [(t, day, article_id) for t in set(terms)],
    )


def repost(db, article_id: int, old: Iterable[int], new: Sequence[int], fp: bytes) -> None:
    """File an indexed article under other postings, with its fingerprint rewritten."""
    conn = _conn(db)
    row = conn.execute(
        f"SELECT {_day_sql('placed')} FROM story_docs WHERE article_id = ?", (article_id,)
    ).fetchone()
    if row is None:
        return
    day = row[0]
    _unpost(conn, article_id, day, old)
    _post(conn, article_id, day, new)
    conn.execute("UPDATE story_docs SET fp = ? WHERE article_id = ?", (fp, article_id))


def _rows(cur) -> list[DocRow]:
    kept = _times.get  # a time read before (a datetime is never false), else _time
    return [
        DocRow(a, s, kept(p) or _time(p), kept(pl) or _time(pl), bytes(fp))
        for a, s, p, pl, fp in cur
    ]


_COLUMNS = "article_id, story_id, published, placed, fp"
_BRIEF = "article_id, story_id, published, placed, x''"
_PER_KEY = (
    "SELECT * FROM (SELECT article_id FROM story_postings WHERE term = ? AND day BETWEEN ? AND ?"
    " ORDER BY day DESC, article_id DESC LIMIT ?)"
)
#: per-term selects in one compound select (SQLite allows 500)
_ARMS = 60
_CANDIDATES = (
    "SELECT d.article_id, d.story_id, d.published, d.placed, {fp} FROM (SELECT article_id,"
    " count(*) AS n FROM ({postings}) GROUP BY article_id) AS h JOIN story_docs AS d"
    " ON d.article_id = h.article_id WHERE h.n >= ? AND d.article_id IS NOT ?"
    " AND d.placed BETWEEN ? AND ? ORDER BY h.n DESC, d.article_id DESC LIMIT ?"
)


def _recent_postings(n: int) -> str:
    """A select of the article ids of the :data:`PER_KEY_LIMIT` most recent postings of each
    of ``n`` terms within a range of days (parameters: each term, first day, last day and the
    limit)."""
    return " UNION ALL ".join(
        "SELECT article_id FROM (" + " UNION ALL ".join([_PER_KEY] * len(chunk)) + ")"
        for chunk in _chunks(range(n), _ARMS)
    )


def candidates(
    db,
    terms: Sequence[int],
    since: datetime,
    until: datetime,
    exclude: int | None = None,
    limit: int = 200,
    min_shared: int = 1,
    with_fp: bool = True,
) -> list[DocRow]:
    """Articles placed in ``[since, until]`` sharing at least one posting term, most shared
    first (at least ``min_shared``, at most ``limit`` articles), then the most recent (highest
    id) first. Each term contributes at most :data:`PER_KEY_LIMIT` of its postings placed on the
    days from ``since`` to ``until``, the latest days first, then the highest ids: only postings
    of the window are read, so the cost stays the same as the archive grows (reading each
    term's most recent postings by id read 24 x 50 rows at 50,000 articles, most of them
    outside the window, four times the rows read at 10,000), and an article placed in the past
    finds the articles of its own time.
    Without ``with_fp`` the rows carry an empty fingerprint (a caller that keeps decoded
    fingerprints reads the few it lacks with :func:`fingerprint`).

    One statement counts, filters and ranks (its text depends only on the number of terms, so
    it is compiled once): a placement reads about 170 postings for 20 candidates."""
    unique = list(dict.fromkeys(terms))
    if not unique:
        return []
    params: list[int | None] = []
    first, last = day_of(since), day_of(until)
    for t in unique:
        params += (t, first, last, PER_KEY_LIMIT)
    params += (min_shared, exclude, _epoch(since), _epoch(until), max(limit, 0))
    sql = _CANDIDATES.format(
        fp="d.fp" if with_fp else "x''", postings=_recent_postings(len(unique))
    )
    return _rows(_conn(db).execute(sql, params))


_MEMBERS = (
    "SELECT * FROM (SELECT {cols} FROM story_docs WHERE story_id = ?"
    " ORDER BY placed DESC, article_id DESC LIMIT ?)"
)


def members(
    db, story_ids: Iterable[int], limit: int = MEMBERS_LIMIT, with_fp: bool = True
) -> list[DocRow]:
    """The indexed copies of each story (its ``limit`` most recently placed), by story then
    article (without ``with_fp``: empty fingerprints, as for :func:`candidates`).

    A select per story walks the story's index entries from the most recent and stops at
    ``limit`` (a large story costs no more than a small one); one statement reads up to
    :data:`_ARMS` stories."""
    conn = _conn(db)
    sql = _MEMBERS.format(cols=_COLUMNS if with_fp else _BRIEF)
    rows: list[tuple] = []
    for chunk in _chunks(sorted(set(story_ids)), _ARMS):
        params: list[int] = []
        for s in chunk:
            params += (s, max(limit, 0))
        rows += conn.execute(" UNION ALL ".join([sql] * len(chunk)), params)
    rows.sort(key=itemgetter(1, 0))  # story, then article
    return _rows(rows)


def fingerprint(db, article_id: int) -> bytes:
    """The stored fingerprint of an indexed article (empty when it is not indexed)."""
    row = (
        _conn(db)
        .execute("SELECT fp FROM story_docs WHERE article_id = ?", (article_id,))
        .fetchone()
    )
    return bytes(row[0]) if row else b""


def set_story(db, article_ids: Iterable[int], story_id: int) -> None:
    """Record the story of indexed articles."""
    _conn(db).executemany(
        "UPDATE story_docs SET story_id = ? WHERE article_id = ?",
        [(story_id, a) for a in article_ids],
    )


def move_story(db, from_story: int, to_story: int) -> None:
    """Every article of ``from_story`` now belongs to ``to_story``."""
    _conn(db).execute(
        "UPDATE story_docs SET story_id = ? WHERE story_id = ?", (to_story, from_story)
    )


def story_of(db, article_id: int) -> int | None:
    """The story an indexed article belongs to, or None if it is not indexed."""
    row = (
        _conn(db)
        .execute("SELECT story_id FROM story_docs WHERE article_id = ?", (article_id,))
        .fetchone()
    )
    return row[0] if row else None


def doc(db, article_id: int) -> DocRow | None:
    """One indexed article, or None."""
    rows = _rows(
        _conn(db).execute(f"SELECT {_COLUMNS} FROM story_docs WHERE article_id = ?", (article_id,))
    )
    return rows[0] if rows else None


def docs_since(db, since: datetime | None) -> list[DocRow]:
    """Indexed articles placed at or after ``since`` (all when None), in (placed, id) order."""
    sql = f"SELECT {_COLUMNS} FROM story_docs"
    params: list[int] = []
    if since is not None:
        sql += " WHERE placed >= ?"
        params.append(_epoch(since))
    return _rows(_conn(db).execute(sql + " ORDER BY placed, article_id", params))


def date_postings(db) -> bool:
    """File the postings of an index made before postings had a ``day`` under the day their
    article is placed on (in the caller's transaction); False when they already have one."""
    conn = _conn(db)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(story_postings)")]
    if "day" in columns:
        return False
    conn.execute("ALTER TABLE story_postings RENAME TO story_postings_undated")
    create_tables(db)
    conn.execute(
        "INSERT INTO story_postings (term, day, article_id)"
        f" SELECT p.term, {_day_sql('d.placed')}, p.article_id"
        " FROM story_postings_undated AS p JOIN story_docs AS d ON d.article_id = p.article_id"
    )
    conn.execute("DROP TABLE story_postings_undated")
    return True


def clear(db) -> None:
    """Empty the index (``monitor stories regroup`` over the whole archive rebuilds it); the
    ``rebuilt`` counter goes up, so a reader holding the old vocabulary in memory reloads it
    even when the new index has as many articles and ids as the old."""
    conn = _conn(db)
    rebuilt = state(db)[2] + 1
    for table in ("story_postings", "story_pending", "story_docs", "story_vocab", "story_meta"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("INSERT INTO story_meta (key, value) VALUES ('rebuilt', ?)", (rebuilt,))


@dataclass(frozen=True)
class Entry:
    """What the archive files for a new article (see :func:`add`)."""

    fp: bytes
    postings: tuple[int, ...]
    published: datetime | None
    placed: datetime
    pending: bool = False  # its terms are counted later (see :func:`pending_docs`)


def documents(db) -> int:
    """The number of indexed articles counted in the document frequencies or pending."""
    return state(db)[0]


def labels(db, article_ids: Iterable[int]) -> dict[int, int]:
    """article id -> story id recorded in the index, for the given articles."""
    ids = sorted(set(article_ids))
    out: dict[int, int] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        out.update(
            _conn(db).execute(
                f"SELECT article_id, story_id FROM story_docs WHERE article_id IN ({marks})", chunk
            )
        )
    return out


def articles_of(db, story_id: int) -> list[int]:
    """Ids of the indexed articles recorded under a story."""
    return [
        a
        for (a,) in _conn(db).execute(
            "SELECT article_id FROM story_docs WHERE story_id = ? ORDER BY article_id", (story_id,)
        )
    ]
