"""The archive's boundary is typed: its callers get frozen rows and give a checked SourceUpdate.

A real archive file is written and read back through the methods the pipeline, alerts and CLI
use; each row is checked for its type, its decoded fields and that it cannot be changed.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from monitor.model import ArticleRecord, Match, StoryDecision
from storage.archive import Archive
from storage.ledger import DigestLog, Part
from storage.rows import (
    ArticleRow,
    ChannelRow,
    DigestRow,
    MatchedStory,
    SourceOverview,
    SourceState,
    SourceUpdate,
    StoryMatch,
    StoryRow,
)

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _source(name: str = "wire") -> SimpleNamespace:
    return SimpleNamespace(
        name=name, url=f"https://{name}.example/feed.xml", enabled=True, tags=["news"]
    )


def _article(archive: Archive, n: int, doi: list[str]) -> tuple[int, int]:
    url = f"https://wire.example/story-{n}"
    aid, sid, created = archive.add_article(
        ArticleRecord(
            key=url,
            url=url,
            canonical_url=url,
            source="wire",
            title=f"Liver metastases study {n}",
            text="Patients with liver metastases responded to immunotherapy.",
            published=NOW - timedelta(hours=n),
            fetched_at=NOW,
            authors=["A. Author"],
            doi=doi,
        ),
        StoryDecision(None, 0.0, "new story"),
        [Match("liver", 2.5, "liver metastases", "title: liver")],
        canonical_rank=[n],
    )
    assert created
    return aid, sid


# ------------------------------------------------------------------------- SourceUpdate
def test_a_misspelt_or_mistyped_source_update_fails_where_it_is_written():
    with pytest.raises(TypeError, match="last_eror"):
        SourceUpdate(last_eror="HTTP 500")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="consecutive_failures must be int"):
        SourceUpdate(consecutive_failures="3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="consecutive_failures must be int"):
        SourceUpdate(consecutive_failures=True)  # a bool is an int to Python, not here
    with pytest.raises(TypeError, match="last_poll_at must be datetime or None"):
        SourceUpdate(last_poll_at=NOW.isoformat())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="url must be str, not NoneType"):
        SourceUpdate(url=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        SourceUpdate(next_poll_at=datetime(2026, 11, 20, 8, 0))
    with pytest.raises(ValueError, match="0 or more"):
        SourceUpdate(consecutive_failures=-1)
    with pytest.raises(ValueError, match="none of"):
        SourceUpdate(last_status="fine")
    with pytest.raises(dataclasses.FrozenInstanceError):
        SourceUpdate().last_error = "x"  # type: ignore[misc]
    # what is given is what is written; None clears, a field left out is not a column
    change = SourceUpdate(last_error=None, next_poll_at=NOW, consecutive_failures=0)
    assert change.columns() == {
        "consecutive_failures": 0,
        "last_error": None,
        "next_poll_at": "2026-11-20T08:00:00+00:00",
    }


def test_update_source_writes_only_the_given_fields_and_reads_back_a_frozen_state(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        archive.sync_sources([_source()], NOW)
        with pytest.raises(TypeError, match="SourceUpdate"):
            archive.update_source("wire", {"last_error": "x"})  # type: ignore[arg-type]
        archive.update_source(
            "wire",
            SourceUpdate(
                last_poll_at=NOW,
                last_status="error",
                consecutive_failures=2,
                first_failure_at=NOW - timedelta(hours=1),
                last_error="HTTP 503",
                next_poll_at=NOW + timedelta(minutes=30),
                etag='"v1"',
            ),
        )
        archive.update_source("wire", SourceUpdate(last_error=None, last_status="ok"))
        state = archive.source_state("wire")
        assert archive.source_state("nobody") is None
        overview = archive.sources_overview()

    assert type(state) is SourceState
    assert state.last_error is None and state.last_status == "ok"  # changed
    # left alone: the fields the second update did not name
    assert state.consecutive_failures == 2 and state.etag == '"v1"'
    assert state.next_poll_at == NOW + timedelta(minutes=30)  # an aware datetime again
    assert state.first_failure_at == NOW - timedelta(hours=1)
    assert state.created_at == NOW and state.last_success_at is None
    assert state.enabled is True and state.tags == ("news",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.consecutive_failures = 0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        _ = state.last_eror  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        state["last_error"]  # type: ignore[index]  # no dict behind it
    (row,) = overview
    assert type(row) is SourceOverview and row.articles == 0 and row.name == "wire"


# ----------------------------------------------------------------- articles and stories
def test_articles_and_stories_come_back_as_frozen_rows(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        archive.sync_sources([_source()], NOW)
        aid, sid = _article(archive, 1, ["10.1000/xyz"])
        _article(archive, 2, [])
        article = archive.article(aid)
        found = archive.find_article(f"https://wire.example/story-{1}")
        listed = list(archive.iter_articles())
        recent = archive.recent_stories(10)
        matched = archive.stories_matching(["liver"])
        assert archive.stories_matching(["other"]) == []

    assert type(article) is ArticleRow and found == article
    assert (
        article.doi == ("10.1000/xyz",) and article.nct == () and article.authors == ("A. Author",)
    )
    assert article.published == NOW - timedelta(hours=1) and article.fetched_at == NOW
    assert article.story_id == sid
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.title = "changed"  # type: ignore[misc]
    assert [type(a) for a in listed] == [ArticleRow, ArticleRow]

    assert all(type(s) is StoryRow for s in recent) and len(recent) == 2
    assert all(type(s) is MatchedStory for s in matched) and len(matched) == 2
    story = next(s for s in matched if s.id == sid)
    assert story.first_seen == NOW and isinstance(story.articles, tuple)
    assert story.canonical == article and story.copies == 1
    (m,) = story.topic_matches
    assert type(m) is StoryMatch and (m.topic, m.score, m.snippet) == (
        "liver",
        2.5,
        "liver metastases",
    )
    assert story.best_score == 2.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        story.articles = ()  # type: ignore[misc]


# -------------------------------------------------------------------- channels, digests
def test_channels_and_digests_come_back_as_frozen_rows(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        archive.sync_sources([_source()], NOW)
        _, sid = _article(archive, 1, [])
        channel = archive.ensure_channel("team", "email", NOW)
        assert not archive.create_digest(
            "d1", "team", [sid], '{"items": []}', NOW, parts=[Part("a@example.org")]
        )
        (pending,) = archive.pending_digests("team")
        assert archive.pending_digests("team", NOW - timedelta(days=1)) == [pending]
        (logged,) = archive.deliveries("team")
        again = archive.ledger.digest("d1")

    assert type(channel) is ChannelRow and channel.created_at == NOW
    assert channel.last_run_at is None and channel.type == "email"
    assert type(pending) is DigestRow and pending == again
    assert (pending.id, pending.channel, pending.state, pending.stories) == (
        "d1",
        "team",
        "pending",
        1,
    )
    assert pending.created_at == NOW and pending.payload == '{"items": []}'
    assert type(logged) is DigestLog and isinstance(logged, DigestRow)
    assert [p.target for p in logged.parts] == ["a@example.org"]
    for row in (channel, pending, logged):
        with pytest.raises(dataclasses.FrozenInstanceError):
            row.created_at = NOW  # type: ignore[misc]
