"""Numbered, forward-only schema steps. `PRAGMA user_version` records the last one applied.

Add a step by appending a function to STEPS; never edit a step that has shipped.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from storage import refetch, secrets, story_groups, story_index, templates
from storage.db import Database
from storage.errors import ArchiveError

log = logging.getLogger("monitor.storage")


def _v1(db: Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            url TEXT NOT NULL,             -- current feed address (updated on 301)
            configured_url TEXT,           -- as written in sources.toml
            enabled INTEGER NOT NULL DEFAULT 1,
            tags TEXT,                     -- JSON list
            etag TEXT,
            last_modified TEXT,
            last_poll_at TEXT,
            last_status TEXT,              -- ok | not-modified | error | disabled
            last_success_at TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            first_failure_at TEXT,
            last_error TEXT,
            next_poll_at TEXT,
            disabled_reason TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            canonical_article_id INTEGER,
            title TEXT,
            first_seen TEXT NOT NULL,      -- when the first copy was fetched
            updated_at TEXT NOT NULL,
            copies INTEGER NOT NULL DEFAULT 0,
            merged_into INTEGER REFERENCES stories(id)
        );
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,      -- entry identity (guid / canonical url / hash)
            url TEXT NOT NULL,             -- the link as the feed gave it
            canonical_url TEXT NOT NULL,
            source TEXT NOT NULL REFERENCES sources(name),
            title TEXT,
            text TEXT,
            published TEXT,
            fetched_at TEXT NOT NULL,
            authors TEXT,                  -- JSON list
            language TEXT,
            lead_image TEXT,
            doi TEXT,                      -- JSON list
            nct TEXT,                      -- JSON list
            pmid TEXT,                     -- JSON list
            journal TEXT,
            extract_note TEXT,
            story_id INTEGER REFERENCES stories(id),
            story_score REAL,
            story_reason TEXT,
            canonical_rank TEXT            -- JSON sort key: lower is a better canonical copy
        );
        CREATE INDEX articles_canonical_url ON articles(canonical_url);
        CREATE INDEX articles_story ON articles(story_id);
        CREATE INDEX articles_fetched ON articles(fetched_at);
        CREATE INDEX articles_published ON articles(published);
        CREATE INDEX articles_source ON articles(source);
        CREATE TABLE article_sources (     -- every feed that listed the article
            article_id INTEGER NOT NULL REFERENCES articles(id),
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (article_id, source)
        );
        CREATE TABLE matches (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            story_id INTEGER REFERENCES stories(id),
            topic TEXT NOT NULL,
            score REAL NOT NULL,
            snippet TEXT,
            explanation TEXT,
            matched_at TEXT NOT NULL,
            PRIMARY KEY (article_id, topic)
        );
        CREATE TABLE story_matches (
            story_id INTEGER NOT NULL REFERENCES stories(id),
            topic TEXT NOT NULL,
            score REAL NOT NULL,
            snippet TEXT,
            explanation TEXT,              -- the matched clauses of the best-scoring copy
            first_matched_at TEXT NOT NULL,
            PRIMARY KEY (story_id, topic)
        );
        CREATE INDEX story_matches_topic ON story_matches(topic, first_matched_at);
        CREATE TABLE channels (
            name TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_run_at TEXT,              -- last scheduled or manual run (for missed schedules)
            last_success_at TEXT
        );
        CREATE TABLE digests (
            id TEXT PRIMARY KEY,           -- also the email Message-ID's local part
            channel TEXT NOT NULL REFERENCES channels(name),
            created_at TEXT NOT NULL,
            state TEXT NOT NULL,           -- pending | sent | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at TEXT,
            next_attempt_at TEXT,
            stories INTEGER NOT NULL,
            payload TEXT NOT NULL          -- the digest as JSON, so a retry sends the same thing
        );
        CREATE TABLE deliveries (
            channel TEXT NOT NULL,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            digest_id TEXT NOT NULL REFERENCES digests(id),
            state TEXT NOT NULL,           -- pending | sent | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            PRIMARY KEY (channel, story_id)
        );
        CREATE INDEX deliveries_digest ON deliveries(digest_id);
        -- full-text search over articles, kept in sync by triggers
        CREATE VIRTUAL TABLE articles_fts USING fts5 (
            title, text, content=articles, content_rowid=id, tokenize='porter'
        );
        CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END;
        CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        """,
    )
    story_index.create_legacy_tables(db)


def _v2_browse_views(db: Database) -> None:
    """Views for browsing (Datasette facets): articles and live stories with month and topics.

    Views copy no data, so they are always current and cost the daemon nothing. The
    statements run one by one inside migrate()'s transaction (executescript would commit it).
    """
    for statement in _BROWSE_VIEWS_SQL.split(";\n"):
        if statement.strip():
            db.execute(statement)


_BROWSE_VIEWS_SQL = """
        DROP VIEW IF EXISTS article_index;
        CREATE VIEW article_index AS
        SELECT a.id,
               a.title,
               a.source,
               substr(coalesce(a.published, a.fetched_at), 1, 7) AS month,
               a.published,
               a.story_id,
               '#' || a.story_id || ' ' || substr(coalesce(s.title, ''), 1, 70) AS story,
               s.copies AS story_copies,
               (SELECT json_group_array(topic) FROM
                   (SELECT topic FROM story_matches WHERE story_id = a.story_id ORDER BY topic)
               ) AS topics,
               a.journal,
               a.doi,
               a.nct,
               a.language,
               a.canonical_url,
               a.fetched_at
        FROM articles a LEFT JOIN stories s ON s.id = a.story_id;

        DROP VIEW IF EXISTS story_index;
        CREATE VIEW story_index AS
        SELECT s.id,
               s.title,
               substr(coalesce(
                   (SELECT min(published) FROM articles WHERE story_id = s.id), s.first_seen
               ), 1, 7) AS month,
               (SELECT min(published) FROM articles WHERE story_id = s.id) AS first_published,
               s.first_seen,
               s.copies,
               (SELECT count(DISTINCT x.source) FROM articles a
                   JOIN article_sources x ON x.article_id = a.id WHERE a.story_id = s.id
               ) AS outlets,
               (SELECT json_group_array(source) FROM
                   (SELECT DISTINCT x.source FROM articles a
                       JOIN article_sources x ON x.article_id = a.id
                       WHERE a.story_id = s.id ORDER BY x.source)
               ) AS carried_by,
               (SELECT json_group_array(topic) FROM
                   (SELECT topic FROM story_matches WHERE story_id = s.id ORDER BY topic)
               ) AS topics,
               (SELECT max(score) FROM story_matches WHERE story_id = s.id) AS best_score,
               s.canonical_article_id,
               (SELECT canonical_url FROM articles WHERE id = s.canonical_article_id) AS url
        FROM stories s
        WHERE s.merged_into IS NULL;
"""


def _v3_delivery_parts(db: Database) -> None:
    """The ledger per recipient and message part (see storage/ledger.py).

    An existing archive keeps its history: each digest already sent or failed gets one part
    row for all its recipients ("*"), with its state, attempts and error. A digest still
    pending gets its parts planned by the next delivery run, from its stored payload.
    """
    run_script(
        db,
        """
        CREATE TABLE delivery_parts (
            digest_id TEXT NOT NULL REFERENCES digests(id),
            target TEXT NOT NULL,          -- recipient: an address, "slack", "url 2 (ntfy)"...
            part INTEGER NOT NULL,         -- 1-based message part (Slack splits long digests)
            parts INTEGER NOT NULL,
            story_ids TEXT,                -- JSON list of the stories this part carries; NULL: all
            payload TEXT,                  -- the message as first rendered, resent unchanged
            state TEXT NOT NULL,           -- pending | sent | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            PRIMARY KEY (digest_id, target, part)
        );
        INSERT INTO delivery_parts (digest_id, target, part, parts, state, attempts, last_error,
                                    created_at, sent_at)
        SELECT id, '*', 1, 1, state, attempts, last_error, created_at, sent_at
        FROM digests WHERE state IN ('sent', 'failed');
        """,
    )


def _topic_definitions(db: Database) -> None:
    """What each topic's stored matches were made with (storage/matches.py)."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS topic_definitions (
            topic TEXT PRIMARY KEY,
            definition TEXT NOT NULL,        -- hash of query, min_score, synonym sets, matcher
            through_article_id INTEGER NOT NULL DEFAULT 0,  -- articles matched with it
            applied_at TEXT NOT NULL
        )
        """
    )


def _mask_secrets(db: Database) -> None:
    """Credentials written by an older monitor (a feed's `user:password@` in `sources.url` and
    `configured_url`, in article links and error texts) are masked in place, old bytes
    overwritten (storage.secrets.mask_existing); migrate() then truncates the WAL."""
    changed = secrets.mask_existing(db.conn)
    if changed:
        log.warning("masked credentials the archive held: %s", changed)


def _site_templates(db: Database) -> None:
    """Per-site template memory of the extractor (storage/templates.py)."""
    templates.create_tables(db)


def _page_retries(db: Database) -> None:
    """Pages that failed are fetched again later (storage/refetch.py)."""
    refetch.create_tables(db)


def _story_index_terms(db: Database) -> None:
    """Story index II: compact binary fingerprints, an inverted index of distinctive terms and
    the archive's document frequencies replace the JSON fingerprints and shingle keys. The old
    tables are dropped; ``monitor stories regroup`` rebuilds the index from the stored texts."""
    story_index.drop_legacy_tables(db)
    story_index.create_tables(db)


def _settled_groupings(db: Database) -> None:
    """Digests send settled groupings only (``unsettled``), and a delivery follows the
    headline article the channel saw (``delivered_articles``): storage/story_groups.py.
    Stories merged into another no longer keep topic matches of their own (they were counted
    twice in browse and charts)."""
    story_groups.create_tables(db)
    db.execute(
        "DELETE FROM story_matches WHERE story_id IN"
        " (SELECT id FROM stories WHERE merged_into IS NOT NULL)"
    )


def _story_pending_counts(db: Database) -> None:
    """The story stage counts an article's terms in the document frequencies in batches: the
    articles not counted yet are listed in ``story_pending`` (storage/story_index.py)."""
    story_index.create_tables(db)


def _fts_on_text_only(db: Database) -> None:
    """The full-text entry of an article is rewritten only when its title or text changes.

    The first trigger fired on every update of an article row, so moving an article to another
    story (every regrouping and settled poll) or noting its decision deleted and tokenised its
    whole text again, twice."""
    run_script(
        db,
        """
        DROP TRIGGER articles_au;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        """,
    )


def _dated_postings(db: Database) -> None:
    """Postings carry the day their article is placed on, so a lookup reads a term's postings
    in the candidate window only (storage/story_index.py): the story step's cost no longer
    grows with the archive."""
    story_index.date_postings(db)


STEPS: list[Callable[[Database], None]] = [
    _v1,
    _v2_browse_views,
    _v3_delivery_parts,
    _topic_definitions,
    _mask_secrets,
    _site_templates,
    _page_retries,
    _story_index_terms,
    _settled_groupings,
    _story_pending_counts,
    _fts_on_text_only,
    _dated_postings,
]

#: steps after which the WAL is checkpointed and truncated, so no old frame keeps what they removed
CHECKPOINT_AFTER = {_mask_secrets}


def run_script(db: Database, script: str) -> None:
    """Execute statements one by one, inside the caller's transaction.

    (sqlite3's executescript would COMMIT first, so a step killed half-way could leave tables
    behind without its version number, and the next start would fail on them.)
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement[:80]!r}")


def migrate(db: Database) -> int:
    """Apply the steps not yet applied, each in one transaction with its version number.

    A process killed during a migration leaves the archive at the previous version.
    Returns the schema version.
    """
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")  # one process migrates; others wait (busy timeout)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(STEPS):
            raise ArchiveError(
                f"archive schema version {version} is newer than this monitor ({len(STEPS)}); "
                "upgrade monitor or use a copy of the archive"
            )
        applied = STEPS[version:]
        for number, step in enumerate(applied, start=version + 1):
            step(db)
            conn.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    if CHECKPOINT_AFTER.intersection(applied) and version > 0:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            log.warning(
                "another process is reading the archive: its WAL was not truncated after the "
                "migration; stop every monitor process and start one to finish"
            )
    return len(STEPS)
