"""Tests of storage.story_index (the story stage's tables) and of the migration that brings an
archive made by the first story index to it."""

from __future__ import annotations

import ast
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import grouping, stories
from monitor.model import ArticleRecord
from storage import migrations, story_index
from storage.archive import Archive
from storage.db import Database

T0 = datetime(2025, 5, 1, 8, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def db() -> Database:
    d = Database(sqlite3.connect(":memory:", isolation_level=None))
    story_index.create_tables(d)
    return d


def test_storage_does_not_import_the_stories_stage() -> None:
    tree = ast.parse((ROOT / "storage" / "story_index.py").read_text(encoding="utf-8"))
    imported = {
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in n.names
    }
    assert not any(m and m.startswith("monitor") for m in imported), imported


def test_create_tables_is_idempotent() -> None:
    d = db()
    story_index.create_tables(d)
    names = {r[0] for r in d.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"story_vocab", "story_meta", "story_docs", "story_postings"} <= names


def test_vocabulary_ids_are_stable_and_counts_follow_documents() -> None:
    d = db()
    keys = [(story_index.feature_hash(w), 0) for w in ("liver", "ablat", "nivolumab")]
    first = story_index.vocabulary(d, keys)
    assert story_index.vocabulary(d, list(reversed(keys))) == first
    assert story_index.vocabulary(d, [(story_index.feature_hash("new"), 1)], create=False) == {}
    ids = list(first.values())
    story_index.count_documents(d, ids, +1)
    story_index.count_documents(d, ids[:1], +1)
    n, df, _ = story_index.load_stats(d)
    assert n == 2 and df[ids[0]] == 2 and df[ids[1]] == 1
    story_index.count_documents(d, ids, -1)
    n, df, _ = story_index.load_stats(d)
    assert n == 1 and df == {ids[0]: 1}


def test_candidates_share_postings_inside_the_window_and_are_bounded() -> None:
    d = db()
    for a in range(1, 8):
        when = T0 + timedelta(days=a)
        terms = [1, 2] if a < 7 else [1]
        story_index.add(d, a, 100 + a, when, when, b"\x02", terms)
    found = story_index.candidates(d, [1, 2], T0, T0 + timedelta(days=4), min_shared=2)
    assert [r.article_id for r in found] == [4, 3, 2, 1]  # most recent first at equal sharing
    assert all(r.story_id == 100 + r.article_id for r in found)
    found = story_index.candidates(d, [1, 2], T0, T0 + timedelta(days=30), limit=3)
    assert len(found) == 3 and 7 not in {r.article_id for r in found}  # 7 shares one posting
    assert (
        story_index.candidates(d, [1, 2], T0, T0 + timedelta(days=30), exclude=6)[0].article_id == 5
    )


def test_members_are_the_most_recent_copies_of_each_story() -> None:
    d = db()
    for a in range(1, 11):
        when = T0 + timedelta(hours=a)
        story_index.add(d, a, 1 if a % 2 else 2, when, when, b"x", [])
    rows = story_index.members(d, [1, 2], limit=3)
    assert sorted((r.story_id, r.article_id) for r in rows) == [
        (1, 5),
        (1, 7),
        (1, 9),
        (2, 6),
        (2, 8),
        (2, 10),
    ]


def test_remove_and_readd_replace_rows() -> None:
    d = db()
    story_index.add(d, 1, 5, T0, T0, b"a", [3, 4])
    story_index.add(d, 1, 6, T0, T0, b"b", [3, 4])
    assert story_index.story_of(d, 1) == 6
    row = story_index.remove(d, 1, [3, 4])
    assert row is not None and row.fp == b"b"
    assert story_index.doc(d, 1) is None
    assert d.conn.execute("SELECT count(*) FROM story_postings").fetchone() == (0,)


def _rec(key: str, text: str, when: datetime) -> ArticleRecord:
    return ArticleRecord(
        key, f"https://e.org/{key}", f"https://e.org/{key}", "src", key, text, when, when
    )


def test_an_archive_from_the_first_story_index_is_migrated_and_regrouped(tmp_path) -> None:
    """An archive made by main before this step (schema 3, JSON fingerprints): the step drops
    the old tables, and `stories regroup` rebuilds the index from the stored texts."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    old = Database(conn)
    conn.execute("BEGIN")
    before = migrations.STEPS[: migrations.STEPS.index(migrations._story_index_terms)]
    for number, step in enumerate(before, start=1):
        step(old)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("COMMIT")
    assert {"story_keys", "story_fingerprints"} <= set(old.table_names())
    now = T0.isoformat()
    conn.execute(
        "INSERT INTO sources (name, url, created_at) VALUES ('src', 'https://e.org', ?)", [now]
    )
    text = (
        "Surgeons at the Halden Liver Centre gave 148 patients with liver metastases an "
        "immune drug before resection; Ingrid Solberg said 27.5% had no living cancer cells "
        "left and a larger randomised trial will compare it with chemotherapy next year. "
    )
    for i in (1, 2):
        conn.execute(
            "INSERT INTO stories (id, title, first_seen, updated_at, copies) VALUES"
            " (?, 't', ?, ?, 1)",
            [i, now, now],
        )
        conn.execute(
            "INSERT INTO articles (key, url, canonical_url, source, title, text, published,"
            " fetched_at, story_id) VALUES (?, ?, ?, 'src', 't', ?, ?, ?, ?)",
            [f"k{i}", f"u{i}", f"u{i}", text * (2 + i), now, now, i],
        )
    conn.close()
    with Archive(path) as archive:
        tables = set(archive.db.table_names())
        assert "story_fingerprints" not in tables and "story_docs" in tables
        report = grouping.regroup(archive)
        assert report.articles == 2 and report.stories_after == 1
        assert story_index.documents(archive.db) == 2
        # the index is live again: a new copy finds the story
        sid = grouping.ingest(archive, [_rec("k3", text * 2, T0 + timedelta(hours=2))])
        assert sid == [1]


_WORDS = (
    "surgeons hepatic resection nivolumab metastases cohort randomised halden solberg trial"
    " tumour biopsy remission chemotherapy infusion dosage relapse imaging oncology marker"
    " placebo survival fibrosis ablation transplant"
).split()


def _story_text(k: int) -> str:
    """A long text for each k < 26: the words of the list, and as many words of its own."""
    own = "abcdefghijklmnopqrstuvwxyz"[k]
    return " ".join(f"{w} {own}{w}" for w in _WORDS) + "."


def _counted_by_hand(d) -> tuple[int, Counter]:
    """(articles with terms, df) counted from every fingerprint the index holds."""
    df: Counter = Counter()
    n = 0
    for r in story_index.docs_since(d, None):
        terms = stories.decode(r.fp).terms
        if terms:
            n += 1
            df.update(terms.keys())
    return n, df


def test_frequencies_are_counted_in_batches_and_a_crash_loses_none(tmp_path, monkeypatch) -> None:
    """A new article's terms are counted in SQLite only when COUNT_BATCH articles are pending
    (at a settle); a process that ends before that (a crash) leaves them pending, and the next
    one counts them in from their fingerprints."""
    monkeypatch.setattr(grouping, "COUNT_BATCH", 3)
    recs = [_rec(f"k{k}", _story_text(k), T0 + timedelta(hours=k)) for k in range(5)]
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        grouping.ingest(archive, recs, batch=lambda r: r.key)  # each one poll, settled
        d = archive.db
        # three were counted together at the third settle, two are pending
        assert story_index.pending_count(d) == 2
        n, df, _ = story_index.load_stats(d)
        assert n == 3
        first3 = Counter()
        for r in story_index.docs_since(d, None)[:3]:
            first3.update(stories.decode(r.fp).terms.keys())
        assert {t: c for t, c in df.items()} == dict(first3)
        assert story_index.documents(d) == 5
    # "crash": the process is gone with two articles pending; a new one sees all five
    with Archive(path) as archive:
        step = grouping.StoryStep(archive)
        stats = step._sync_stats()
        n, df = _counted_by_hand(archive.db)
        assert stats.documents == n == 5 and stats.df == dict(df)
        # and counts them when the batch is full again
        more = [_rec(f"m{k}", _story_text(k + 7), T0 + timedelta(days=1, hours=k)) for k in (1, 2)]
        grouping.ingest(archive, more, batch=lambda r: r.key)
        assert story_index.pending_count(archive.db) == 1
        n, df, _ = story_index.load_stats(archive.db)
        assert n == 6
        hand_n, hand_df = _counted_by_hand(archive.db)
        stats = grouping.StoryStep(archive)._sync_stats()
        assert stats.documents == hand_n == 7 and stats.df == dict(hand_df)


def test_a_rolled_back_store_leaves_vocabulary_and_counts_consistent(tmp_path) -> None:
    """A store that fails after the vocabulary was extended: the archive drops the new ids,
    and the step notices (largest id, article count) and reloads, so the next article's new
    words get ids the archive holds, under the right hashes."""
    with Archive(tmp_path / "a.db") as archive:
        grouping.ingest(archive, [_rec("k0", _story_text(0), T0)])
        step = grouping.StoryStep(archive)
        failing = _rec("k1", _story_text(1), T0 + timedelta(hours=1))
        real = archive.add_article

        def boom(*args, **kwargs):
            raise RuntimeError("disk full")

        archive.add_article = boom  # type: ignore[method-assign]
        try:
            step.store(failing, grouping.prepare(failing))
        except RuntimeError:
            pass
        archive.add_article = real  # type: ignore[method-assign]
        later = _rec("k2", _story_text(2), T0 + timedelta(hours=2))
        step.store(later, grouping.prepare(later))
        d = archive.db
        assert step._vocab == story_index.load_vocabulary(d)
        n, df = _counted_by_hand(d)
        assert step.stats is not None and step.stats.documents == n == 2
        assert step.stats.df == dict(df)
        # every id the new article's fingerprint holds is the id of one of its features
        p = grouping.prepare(later)
        vocab = story_index.load_vocabulary(d)
        row = story_index.doc(d, archive.article_id_for("k2", later.canonical_url))
        assert row is not None
        assert set(stories.decode(row.fp).terms) == {vocab[h] for h, _ in p.hashes}


def test_a_step_reloads_its_vocabulary_after_another_rebuilt_the_index(tmp_path) -> None:
    """`monitor stories regroup` in another process empties the index and files the articles
    again in publication order: other ids for the same words, though as many articles and ids
    as before. A running step notices (the rebuilt counter) and does not file a new article
    under its old ids."""
    with Archive(tmp_path / "a.db") as archive:
        # stored newest first, so that the rebuild (oldest first) hands out other ids
        recs = [_rec(f"k{k}", _story_text(k), T0 + timedelta(hours=10 - k)) for k in range(4)]
        grouping.ingest(archive, recs, batch=lambda r: r.key)
        step = grouping.StoryStep(archive)
        step._sync_stats()
        before = story_index.load_vocabulary(archive.db)
        grouping.regroup(archive)
        after = story_index.load_vocabulary(archive.db)
        assert before.keys() == after.keys() and before != after
        assert max(before.values()) == max(after.values())
        new = _rec("k9", _story_text(9), T0 + timedelta(hours=12))
        step.store(new, grouping.prepare(new))
        assert step._vocab == story_index.load_vocabulary(archive.db)
        row = story_index.doc(archive.db, archive.article_id_for("k9", new.canonical_url))
        assert row is not None
        vocab = story_index.load_vocabulary(archive.db)
        wanted = {vocab[h] for h, _ in grouping.prepare(new).hashes}
        assert set(stories.decode(row.fp).terms) == wanted


def test_postings_made_before_they_had_a_day_are_dated_by_the_migration(tmp_path) -> None:
    """An archive whose postings are ``(term, article_id)`` (schema 11): opening it files each
    posting under its article's UTC day, before 1970 too, and the index finds the same copies."""
    path = tmp_path / "a.db"
    recs = [_rec(f"k{k}", _story_text(k % 3), T0 + timedelta(hours=30 * k)) for k in range(6)]
    with Archive(path) as archive:
        grouping.ingest(archive, recs, batch=lambda r: r.key)
        d = archive.db
        # two articles placed around the epoch (negative and zero days)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        for aid, placed in ((9001, epoch - timedelta(hours=1)), (9002, epoch)):
            with archive.transaction():
                story_index.add(d, aid, 1, None, placed, b"x", [5, 7])
        dated = set(d.conn.execute("SELECT term, day, article_id FROM story_postings"))
        assert (5, -1, 9001) in dated and (5, 0, 9002) in dated
        # the layout before this step, and its schema version
        version = migrations.STEPS.index(migrations._dated_postings)
        with archive.transaction():
            d.execute("DROP TABLE story_postings")
            d.execute(
                "CREATE TABLE story_postings (term INTEGER NOT NULL, article_id INTEGER NOT NULL,"
                " PRIMARY KEY (term, article_id)) WITHOUT ROWID"
            )
            d.conn.executemany(
                "INSERT INTO story_postings VALUES (?, ?)", [(t, a) for t, _, a in dated]
            )
            d.execute(f"PRAGMA user_version = {version}")
    with Archive(path) as archive:
        assert archive.version == len(migrations.STEPS)
        d = archive.db
        assert set(d.conn.execute("SELECT term, day, article_id FROM story_postings")) == dated
        assert "story_postings_undated" not in d.table_names()
        with archive.transaction():  # a posting is taken out under its day, before 1970 too
            for aid in (9001, 9002):
                story_index.remove(d, aid, [5, 7])
        assert not any(a > 9000 for _, _, a in d.conn.execute("SELECT * FROM story_postings"))
        # the index is live: a new copy of the first story joins it
        sid = grouping.ingest(archive, [_rec("n", _story_text(0), T0 + timedelta(hours=200))])
        assert sid == [story_index.story_of(d, 1)]
        with archive.transaction():
            assert not story_index.date_postings(d)  # dated already: nothing to do
