"""Archive: the SQLite file (WAL) and every query the product runs against it.

Every write is a short transaction. An article is committed with its story, its story-index
entries and its topic matches in one transaction, so a crash leaves either all of them or none.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.model import ArticleRecord, Match, SiteTemplate, StoryDecision
from storage import ledger, migrations, refetch, story_groups, story_index, templates
from storage import matches as topic_matches
from storage import secrets as scrub
from storage import sources as sources_table
from storage.db import Database
from storage.errors import ArchiveError, Connection, translate
from storage.ledger import DigestLog
from storage.rows import (
    ArticleRow,
    ChannelRow,
    DigestRow,
    MatchedStory,
    SourceOverview,
    SourceState,
    SourceUpdate,
    StoryRow,
)
from storage.rows import iso as _iso
from storage.rows import parse_time as parse_time  # read by the pipeline, alerts and tests

BUSY_TIMEOUT_MS = 30_000

log = logging.getLogger("monitor.storage")


def _now() -> datetime:
    return datetime.now(UTC)


class Archive:
    """One open archive file. Not thread-safe: one Archive per thread or task runner."""

    def __init__(self, path: str | Path, *, read_only: bool = False, max_bytes: int | None = None):
        self.path = Path(path)
        try:
            if read_only:
                conn = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, isolation_level=None, factory=Connection
                )
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(self.path), isolation_level=None, factory=Connection)
        except sqlite3.Error as e:
            raise translate(e, self.path) from e
        except OSError as e:  # the folder cannot be created
            raise ArchiveError(
                f"archive {self.path}: {e}; point [storage] path at a writable place"
            ) from e
        conn.archive_path = str(self.path)
        try:
            self._open(conn, read_only, max_bytes)
        except BaseException:
            conn.close()
            raise

    def _open(self, conn: Connection, read_only: bool, max_bytes: int | None) -> None:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db = Database(conn)
        if not read_only:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            for pragma in story_index.RECOMMENDED_PRAGMAS:
                conn.execute(pragma)
            self.version = migrations.migrate(self.db)
            if max_bytes:
                # beyond this size writes fail with "database or disk is full", as on a full disk
                page = conn.execute("PRAGMA page_size").fetchone()[0]
                conn.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page)}")
        self.ledger = ledger.Ledger(self.db, self.transaction, self.path)

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT; rolled back on any exception. Nested, it is a
        savepoint of the outer transaction (so several articles can share one commit)."""
        conn = self.db.conn
        depth = getattr(self, "_depth", 0)
        if depth:
            name = f"nested_{depth}"
            conn.execute(f"SAVEPOINT {name}")
            self._depth = depth + 1
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                raise
            finally:
                self._depth = depth
            conn.execute(f"RELEASE {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            # SQLite may already have rolled back by itself (e.g. "database or disk is full")
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any] | dict = ()) -> list[dict]:
        cur = self.db.execute(sql, params)
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    # ------------------------------------------------------------------ sources
    def sync_sources(self, sources: Iterable[Any], now: datetime | None = None) -> None:
        """Make the sources table reflect the config (storage.sources: keyed by name, masked)."""
        with self.transaction():
            sources_table.sync(self.db.conn, sources, _iso(now or _now()))

    def source_state(self, name: str) -> SourceState | None:
        return sources_table.state(self.db.conn, name)

    def update_source(self, name: str, change: SourceUpdate) -> None:
        """Write the fields of ``change`` that were given (see storage.rows.SourceUpdate)."""
        self.update_sources([(name, change)])

    def update_sources(self, changes: Sequence[tuple[str, SourceUpdate]]) -> None:
        """Several sources' updates in one transaction (the pipeline's group commit of the
        polls that finished together: 1,000 feeds answering 304 make a few dozen commits)."""
        for _name, change in changes:
            if not isinstance(change, SourceUpdate):
                raise TypeError(f"a source update is a SourceUpdate, not {type(change).__name__}")
        with self.transaction():
            for name, change in changes:
                sources_table.update(self.db.conn, name, change)

    def sources_overview(self) -> list[SourceOverview]:
        return sources_table.overview(self.db.conn)

    def feed_url(self, name: str, configured: str) -> str:
        """The address to poll for a source: see storage.sources.feed_url."""
        return sources_table.feed_url(self.db.conn, name, configured)

    # ----------------------------------------------------------------- articles
    def known_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.db.execute(f"SELECT key FROM articles WHERE key IN ({marks})", chunk)
            )
        return found

    def article_id_for(self, key: str, canonical_url: str | None = None) -> int | None:
        key, canonical_url = scrub.url(key) or key, scrub.url(canonical_url)
        row = self.db.execute("SELECT id FROM articles WHERE key = ?", [key]).fetchone()
        if row is None and canonical_url:
            row = self.db.execute(
                "SELECT id FROM articles WHERE canonical_url = ? ORDER BY id LIMIT 1",
                [canonical_url],
            ).fetchone()
        return row[0] if row else None

    def note_listing(
        self, article_id: int, source: str, url: str, now: datetime | None = None
    ) -> None:
        """Record that another feed (or the same one again) lists a known article."""
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO article_sources VALUES (?, ?, ?, ?)",
                [article_id, source, scrub.url(url), _iso(now or _now())],
            )

    def site_template(self, site: str) -> SiteTemplate:
        """What the extractor has learnt of ``site``'s page template (storage/templates.py)."""
        return templates.get(self.db, site)

    def learn_site_template(self, site: str, page_url: str, keys: Sequence[int]) -> bool:
        """Count one page of ``site`` showing these block keys (once per page address)."""
        with self.transaction():
            return templates.learn(self.db, site, templates.page_id(page_url), keys)

    def add_article(
        self,
        record: ArticleRecord,
        decision: StoryDecision,
        matches: Sequence[Match],
        *,
        index: story_index.Entry | None = None,
        canonical_rank: Sequence[Any] = (),
        index_keys: Any = None,
        fingerprint_json: Any = None,
    ) -> tuple[int, int, bool]:
        """Store an article with its story and matches in one transaction.

        Returns (article_id, story_id, created). An article already stored under the same key or
        canonical URL is not stored twice: the existing id is returned with created=False.
        ``index`` is the story index entry (``monitor.grouping`` makes it); ``index_keys`` and
        ``fingerprint_json`` were the first story index's and are ignored.
        """
        record = scrub.record(record)  # no credential reaches the archive (storage.secrets)
        with self.transaction():
            existing = self.article_id_for(record.key, record.canonical_url)
            if existing is not None:
                self.db.execute(
                    "INSERT OR IGNORE INTO article_sources VALUES (?, ?, ?, ?)",
                    [existing, record.source, record.url, _iso(record.fetched_at)],
                )
                sid = self.db.execute(
                    "SELECT story_id FROM articles WHERE id = ?", [existing]
                ).fetchone()[0]
                return existing, sid, False
            now = _iso(record.fetched_at)
            story_id = self._live_story(decision.story_id) if decision.story_id else None
            fresh = story_id is None
            if fresh:
                story_id = self.db.execute(
                    "INSERT INTO stories (title, first_seen, updated_at, copies) VALUES (?, ?, ?, 0)",
                    [record.title, now, now],
                ).lastrowid
            cur = self.db.execute(
                "INSERT INTO articles (key, url, canonical_url, source, title, text, published,"
                " fetched_at, authors, language, lead_image, doi, nct, pmid, journal, extract_note,"
                " story_id, story_score, story_reason, canonical_rank)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    record.key,
                    record.url,
                    record.canonical_url,
                    record.source,
                    record.title,
                    record.text,
                    _iso(record.published),
                    now,
                    json.dumps(record.authors),
                    record.language,
                    record.lead_image,
                    json.dumps(record.doi),
                    json.dumps(record.nct),
                    json.dumps(record.pmid),
                    record.journal,
                    record.extract_note,
                    story_id,
                    decision.score,
                    decision.reason,
                    scrub.url(json.dumps(list(canonical_rank))),
                ],
            )
            article_id = cur.lastrowid
            self.db.execute(
                "INSERT OR IGNORE INTO article_sources VALUES (?, ?, ?, ?)",
                [article_id, record.source, record.url, now],
            )
            if index is not None:
                story_index.add(
                    self.db,
                    article_id,
                    story_id,
                    index.published,
                    index.placed,
                    index.fp,
                    index.postings,
                    pending=index.pending,
                )
            merged = False
            if decision.groups:
                groups = [[article_id if a == 0 else a for a in g] for g in decision.groups]
                mine = next(g for g in groups if article_id in g)
                first = story_id
                sids = story_groups.apply_groups(self.db, groups, now)
                story_id = sids[groups.index(mine)]
                merged = True
                if fresh and story_id != first:  # the story made for it was not needed
                    self.db.execute("DELETE FROM stories WHERE id = ?", [first])
            for m in matches:
                self.db.execute(
                    "INSERT OR REPLACE INTO matches VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [article_id, story_id, m.topic, m.score, m.snippet, m.explanation, now],
                )
            self._refresh_story(story_id, now, None if merged else article_id)
            return article_id, story_id, True

    # ------------------------------------------------------------ page retries
    # (storage/refetch.py: a page that failed is fetched again later and the article updated)
    def schedule_page_retry(
        self,
        article_id: int,
        url: str,
        source: str,
        attempts: int,
        next_attempt_at: datetime | None,
        error: str,
        now: datetime | None = None,
    ) -> None:
        refetch.schedule(
            self,
            article_id,
            url,
            source,
            attempts,
            _iso(next_attempt_at),
            error,
            _iso(now or _now()),
        )

    def due_page_retries(
        self, source: str, now: datetime, limit: int = 100
    ) -> list[refetch.PageRetry]:
        return refetch.due(self, source, _iso(now), limit)

    def pending_page_retries(self) -> int:
        return refetch.pending(self)

    def finish_page_retry(self, article_id: int) -> None:
        refetch.done(self, article_id)

    def update_article(
        self,
        article_id: int,
        record: ArticleRecord,
        matches: Sequence[Match],
        *,
        canonical_rank: Sequence[Any],
    ) -> int | None:
        """An article's page arrived later: new text, metadata and matches (storage/refetch.py);
        the story step places it again. Returns its story id, None if the article is gone."""
        return refetch.update_article(
            self, article_id, record, matches, canonical_rank=canonical_rank, now=record.fetched_at
        )

    def _live_story(self, story_id: int) -> int | None:
        """Follow merged_into links to the story that absorbed this one."""
        seen = set()
        while story_id is not None and story_id not in seen:
            seen.add(story_id)
            row = self.db.execute(
                "SELECT merged_into FROM stories WHERE id = ?", [story_id]
            ).fetchone()
            if row is None:
                return None
            if row[0] is None:
                return story_id
            story_id = row[0]
        return story_id

    def _refresh_story(self, story_id: int, now: str | None, added: int | None = None) -> None:
        story_groups.refresh_story(self.db, story_id, now, added)

    def article(self, article_id: int) -> ArticleRow | None:
        rows = self._rows("SELECT * FROM articles WHERE id = ?", [article_id])
        return ArticleRow.from_row(rows[0]) if rows else None

    def find_article(self, ref: str) -> ArticleRow | None:
        """An article by id, URL or canonical URL."""
        if ref.isdigit():
            return self.article(int(ref))
        rows = self._rows(
            "SELECT * FROM articles WHERE url = ? OR canonical_url = ? ORDER BY id LIMIT 1",
            [ref, ref],
        )
        return ArticleRow.from_row(rows[0]) if rows else None

    def iter_articles(self, since: datetime | None = None) -> Iterator[ArticleRow]:
        sql = "SELECT * FROM articles"
        params: list[Any] = []
        if since:
            sql += " WHERE fetched_at >= ?"
            params.append(_iso(since))
        for row in self._rows(sql + " ORDER BY id", params):
            yield ArticleRow.from_row(row)

    def counts(self) -> dict[str, int]:
        """Rows per table; stories counts the live ones (a story merged into another by a
        regrouping keeps its row, marked ``merged_into``, and is not counted)."""
        out = {
            t: self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("sources", "articles", "matches", "deliveries")
        }
        out["stories"] = self.db.execute(
            "SELECT count(*) FROM stories WHERE merged_into IS NULL"
        ).fetchone()[0]
        return out

    # ------------------------------------------------------------------ topics
    def sync_topics(
        self,
        matcher: topic_matches.TopicMatcher,
        now: datetime | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> list[topic_matches.Rematch]:
        """Bring the stored matches in line with the configured topics: re-match new and
        changed topics over the archive, and every topic over articles stored since the
        last sync (see storage/matches.py)."""
        with self.transaction():
            topic_matches.forget(self.db, matcher.topics)
        todo = topic_matches.plan(self.db, matcher.definitions())
        return topic_matches.rematch(
            self.db, self.transaction, matcher, todo, _iso(now or _now()), progress
        )

    def rematch_topics(
        self,
        matcher: topic_matches.TopicMatcher,
        topics: Sequence[str],
        now: datetime | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> list[topic_matches.Rematch]:
        """Re-match these topics over the whole archive, whatever was recorded."""
        todo = {t: (0, "requested") for t in topics}
        return topic_matches.rematch(
            self.db, self.transaction, matcher, todo, _iso(now or _now()), progress
        )

    def stale_topics(self, definitions: dict[str, str]) -> dict[str, str]:
        """topic -> why its stored matches are out of date (read-only)."""
        return {t: why for t, (_, why) in topic_matches.plan(self.db, definitions).items()}

    def matched_articles(self, topic: str, since: datetime | None = None) -> set[int]:
        """Ids of the articles stored as matching `topic` (fetched since `since`)."""
        return topic_matches.matched_articles(self.db, topic, _iso(since))

    def topic_definitions(self) -> dict[str, tuple[str, int]]:
        """topic -> (definition hash, last article id matched with it)."""
        return topic_matches.recorded(self.db)

    # ------------------------------------------------------------------ stories
    def recent_stories(self, limit: int = 20) -> list[StoryRow]:
        stories = self._rows(
            "SELECT * FROM stories WHERE merged_into IS NULL ORDER BY first_seen DESC, id DESC LIMIT ?",
            [limit],
        )
        return [StoryRow.from_row(s, tuple(self.story_articles(s["id"]))) for s in stories]

    def story_articles(self, story_id: int) -> list[ArticleRow]:
        rows = self._rows(
            "SELECT * FROM articles WHERE story_id = ? ORDER BY canonical_rank, id", [story_id]
        )
        return [ArticleRow.from_row(r) for r in rows]

    def stories_matching(
        self,
        topics: Sequence[str] | None,
        *,
        since: datetime | None = None,
        exclude_delivered_to: str | None = None,
        limit: int | None = None,
    ) -> list[MatchedStory]:
        """Live stories matched by any of `topics` (all topics if None), with their matches.

        `since` compares with the story's first_seen (when the first copy was fetched);
        `exclude_delivered_to` leaves out stories already pending or sent on that channel.
        A story holding an article its poll has not settled yet is left out: its grouping may
        still change (storage/story_groups.py).
        """
        where = [
            "s.merged_into IS NULL",
            "s.id NOT IN (SELECT a.story_id FROM unsettled u JOIN articles a"
            " ON a.id = u.article_id WHERE u.since > ? AND a.story_id IS NOT NULL)",
        ]
        params: list[Any] = [story_groups.unsettled_cutoff()]
        if topics is not None:
            if not topics:
                return []
            where.append(f"m.topic IN ({','.join('?' * len(topics))})")
            params.extend(topics)
        if since is not None:
            where.append("s.first_seen >= ?")
            params.append(_iso(since))
        if exclude_delivered_to is not None:
            where.append(
                "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.channel = ? AND d.story_id = s.id"
                " AND d.state IN ('pending', 'sent'))"
            )
            params.append(exclude_delivered_to)
        sql = (
            "SELECT s.*, json_group_array(json_object('topic', m.topic, 'score', m.score,"
            " 'snippet', m.snippet, 'explanation', m.explanation)) AS topic_matches, max(m.score) AS best_score"
            " FROM stories s JOIN story_matches m ON m.story_id = s.id"
            f" WHERE {' AND '.join(where)} GROUP BY s.id ORDER BY s.first_seen DESC"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        stories = self._rows(sql, params)
        return [
            MatchedStory.from_match_row(s, tuple(self.story_articles(s["id"]))) for s in stories
        ]

    # ------------------------------------------------------------ channels/deliveries
    # the delivery ledger lives in storage/ledger.py; these delegate to it
    def ensure_channel(self, name: str, kind: str, now: datetime | None = None) -> ChannelRow:
        return self.ledger.ensure_channel(name, kind, now)

    def channel_lock(self, name: str) -> AbstractContextManager[None]:
        return self.ledger.channel_lock(name)

    def mark_channel_run(self, name: str, now: datetime) -> None:
        self.ledger.mark_channel_run(name, now)

    def create_digest(
        self,
        digest_id: str,
        channel: str,
        story_ids: Sequence[int],
        payload: str,
        now: datetime | None = None,
        parts: Sequence[ledger.Part] = (),
        headlines: Mapping[int, int] | None = None,
    ) -> set[int]:
        return self.ledger.create_digest(
            digest_id, channel, story_ids, payload, now, parts, headlines
        )

    def pending_digests(
        self, channel: str | None = None, now: datetime | None = None
    ) -> list[DigestRow]:
        return self.ledger.pending_digests(channel, now)

    def deliveries(self, channel: str | None = None, limit: int = 50) -> list[DigestLog]:
        return self.ledger.deliveries(channel, limit)
