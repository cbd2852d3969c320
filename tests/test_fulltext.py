"""The archive's full-text index (articles_fts) follows the articles' titles and texts, and
only them: a story move or a noted decision does not tokenise an article again."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from monitor.model import ArticleRecord, StoryDecision
from storage import migrations
from storage.archive import Archive

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _article(archive: Archive, key: str, text: str) -> tuple[int, int]:
    """(article id, story id) of a new article."""
    source = SimpleNamespace(
        name="Example", url="https://example.org/feed.xml", enabled=True, tags=[]
    )
    archive.sync_sources([source], NOW)
    rec = ArticleRecord(
        key=key,
        url=f"https://example.org/{key}",
        canonical_url=f"https://example.org/{key}",
        source="Example",
        title=f"Title {key}",
        text=text,
        published=NOW,
        fetched_at=NOW,
    )
    aid, sid, _ = archive.add_article(rec, StoryDecision(None, 0.0, "new story"), ())
    return aid, sid


def _fts_writes(archive: Archive, sql: str, params: tuple) -> list[str]:
    seen: list[str] = []
    conn = archive.db.conn
    conn.set_trace_callback(seen.append)
    try:
        conn.execute(sql, params)
    finally:
        conn.set_trace_callback(None)
    return [s for s in seen if "articles_fts_" in s]


def _search(archive: Archive, words: str) -> list[int]:
    rows = archive.db.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid", (words,)
    )
    return [r[0] for r in rows]


def test_only_a_change_of_title_or_text_rewrites_the_full_text_entry(tmp_path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        a, _ = _article(archive, "a", "Pembrolizumab in liver metastases")
        b, story_b = _article(archive, "b", "Nivolumab and colorectal cancer")
        move = "UPDATE articles SET story_id = ? WHERE id = ?"
        assert _fts_writes(archive, move, (story_b, a)) == []
        assert (
            _fts_writes(
                archive,
                "UPDATE articles SET story_score = ?, story_reason = ? WHERE id = ?",
                (0.5, "joins", a),
            )
            == []
        )
        assert _fts_writes(
            archive, "UPDATE articles SET text = ? WHERE id = ?", ("Atezolizumab trial", a)
        )
        assert _search(archive, "atezolizumab") == [a]
        assert _search(archive, "pembrolizumab") == []  # the old text left the index
        assert _search(archive, "nivolumab") == [b]


def test_an_archive_of_the_earlier_schema_gets_the_narrower_trigger(tmp_path) -> None:
    path = tmp_path / "old.db"
    with Archive(path) as archive:
        a, story_a = _article(archive, "a", "Pembrolizumab in liver metastases")
        move = "UPDATE articles SET story_id = ? WHERE id = ?"
        # as archives written before this step have it
        archive.db.conn.executescript(
            """
            DROP TRIGGER articles_au;
            CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
                INSERT INTO articles_fts (articles_fts, rowid, title, text)
                VALUES ('delete', old.id, old.title, old.text);
                INSERT INTO articles_fts (rowid, title, text)
                VALUES (new.id, new.title, new.text);
            END;
            """
        )
        step = migrations.STEPS.index(migrations._fts_on_text_only)
        archive.db.execute(f"PRAGMA user_version = {step}")
        assert _fts_writes(archive, move, (story_a, a))
    with Archive(path) as archive:
        assert archive.version == len(migrations.STEPS)
        assert _fts_writes(archive, move, (story_a, a)) == []
        assert _search(archive, "pembrolizumab") == [a]
