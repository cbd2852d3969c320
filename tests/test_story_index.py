"""Tests of storage.story_index: the SQLite candidate index of the story stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlite_utils

from monitor.model import ArticleRecord
from monitor.stories import candidate_keys, decide, fingerprint
from storage import story_index

T0 = datetime(2025, 5, 1, 8, tzinfo=UTC)
TEXT = (
    "Surgeons at the Halden Liver Centre gave 148 patients with colorectal liver metastases an "
    "immune checkpoint inhibitor before liver resection. Dr. Ingrid Solberg said 27.5% of the "
    "removed tumours had no living cancer cells left, and the hazard ratio for recurrence was "
    "0.58 after a median of 22.6 months. Dr. Paul Ferrante, a co-author, said a randomised trial "
    "will compare the approach with chemotherapy. The study appears in JAMA Surgery and the "
    "team will follow the patients for five more years."
)


def fp_json(text: str = TEXT, **kw) -> tuple[list[str], str]:
    fp = fingerprint(
        ArticleRecord(
            key="k",
            url="u",
            canonical_url="u",
            source="s",
            title="",
            text=text,
            published=T0,
            fetched_at=T0,
            **kw,
        )
    )
    return candidate_keys(fp), fp.to_json()


def test_create_tables_is_idempotent() -> None:
    db = sqlite_utils.Database(memory=True)
    story_index.create_tables(db)
    story_index.create_tables(db)
    assert {"story_keys", "story_fingerprints"} <= set(db.table_names())


def test_candidates_share_a_key_inside_the_window_only() -> None:
    db = sqlite_utils.Database(memory=True)
    story_index.create_tables(db)
    keys, js = fp_json()
    story_index.add(db, 1, 10, T0, keys, js)
    story_index.add(db, 2, 11, T0 - timedelta(days=40), keys, js)  # too old
    story_index.add(db, 3, 12, T0, ["doi:10.9/other"], js)  # nothing shared
    found = story_index.candidates(db, keys, T0 - timedelta(days=21), T0 + timedelta(days=1))
    assert [(c.article_id, c.story_id) for c in found] == [(1, 10)]
    assert (
        found[0].fingerprint.persons
        == fingerprint(ArticleRecord("k", "u", "u", "s", "", TEXT, T0, T0)).persons
    )
    wide = story_index.candidates(db, keys, T0 - timedelta(days=60), T0 + timedelta(days=1))
    assert {c.article_id for c in wide} == {1, 2}


def test_candidates_are_ranked_by_shared_keys_and_limited() -> None:
    db = sqlite_utils.Database(memory=True)
    story_index.create_tables(db)
    _keys, js = fp_json()
    story_index.add(db, 1, 1, T0, ["a", "b", "c"], js)
    story_index.add(db, 2, 2, T0, ["a"], js)
    story_index.add(db, 3, 3, T0, ["a", "b"], js)
    found = story_index.candidates(db, ["a", "b", "c"], T0 - timedelta(days=1), T0)
    assert [c.article_id for c in found] == [1, 3, 2]
    assert len(story_index.candidates(db, ["a"], T0 - timedelta(days=1), T0, limit=2)) == 2


def test_a_key_shared_by_thousands_costs_a_bounded_number_of_rows() -> None:
    db = sqlite_utils.Database(memory=True)
    story_index.create_tables(db)
    _keys, js = fp_json()
    for i in range(1, 501):
        story_index.add(db, i, i, T0 + timedelta(minutes=i), ["common"], js)
    found = story_index.candidates(db, ["common"], T0, T0 + timedelta(days=1), limit=1000)
    assert len(found) == story_index.PER_KEY_LIMIT
    assert min(c.article_id for c in found) == 500 - story_index.PER_KEY_LIMIT + 1  # most recent


def test_move_story_and_readd_replace_rows() -> None:
    db = sqlite_utils.Database(memory=True)
    story_index.create_tables(db)
    keys, js = fp_json()
    story_index.add(db, 1, 5, T0, keys, js)
    story_index.add(db, 2, 6, T0, keys, js)
    story_index.move_story(db, 6, 5)
    assert story_index.story_of(db, 2) == 5
    assert story_index.story_of(db, 99) is None
    story_index.add(db, 2, 5, T0, ["only-this"], js)  # re-added with other keys
    found = story_index.candidates(db, keys, T0 - timedelta(days=1), T0)
    assert [c.article_id for c in found] == [1]
    rows = db.execute("SELECT count(*) FROM story_keys WHERE article_id = 2").fetchone()[0]
    assert rows == 1


def test_undated_rows_are_kept_but_never_candidates() -> None:
    db = sqlite_utils.Database(memory=True)
    story_index.create_tables(db)
    keys, js = fp_json()
    story_index.add(db, 1, 1, None, keys, js)
    assert story_index.fingerprint_of(db, 1) is not None
    assert story_index.candidates(db, keys, T0 - timedelta(days=30), T0 + timedelta(days=30)) == []


def test_index_survives_restart_and_leaves_transactions_to_the_caller(tmp_path) -> None:
    path = tmp_path / "archive.db"
    db = sqlite_utils.Database(path)
    story_index.create_tables(db)
    keys, js = fp_json()
    with db.conn:  # the caller's transaction
        story_index.add(db, 1, 1, T0, keys, js)
    db.execute("BEGIN")
    story_index.add(db, 2, 2, T0, keys, js)
    db.conn.rollback()  # the archive aborted: nothing of article 2 remains
    db.close()
    db = sqlite_utils.Database(path)
    found = story_index.candidates(db, keys, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert [c.article_id for c in found] == [1]
    d = decide(fingerprint(ArticleRecord("k", "u", "u", "s", "", TEXT, T0, T0)), found)
    assert d.story_id == 1


def test_naive_datetimes_are_taken_as_utc() -> None:
    db = sqlite_utils.Database(memory=True)
    story_index.create_tables(db)
    keys, js = fp_json()
    story_index.add(db, 1, 1, T0.replace(tzinfo=None), keys, js)
    found = story_index.candidates(db, keys, T0, T0)
    assert [c.article_id for c in found] == [1]
