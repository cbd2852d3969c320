"""Stories and deliveries meet: a digest sends settled groupings only, and when a story sent to a
channel is regrouped later, the channel gets what it never saw and nothing twice.

Real archives (SQLite files), the real story step and a real webhook receiver on 127.0.0.1.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts import deliver
from monitor import config as config_mod
from monitor import grouping
from monitor.model import Match
from storage import story_groups
from storage.archive import Archive
from tests.endpoints import WebhookEndpoint
from tests.test_stories import STUDY_A, STUDY_B, _rewrite, rec

TOPIC = "liver-io"
NOW = datetime.now(UTC).isoformat()


def _config(tmp_path: Path, url: str) -> config_mod.Config:
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[storage]\npath = "{(tmp_path / "archive.db").as_posix()}"\n\n'
        '[[sources]]\nname = "Example"\nurl = "http://127.0.0.1:9/feed.xml"\n\n'
        f'[[topics]]\nname = "{TOPIC}"\nquery = "liver"\n\n'
        '[[channels]]\nname = "hook"\ntype = "webhook"\nschedule = "0 7 * * *"\n'
        f'topics = ["{TOPIC}"]\nurl = "{url}"\nbackfill = "3650d"\n',
        encoding="utf-8",
    )
    return config_mod.load(path)


def _store(step: grouping.StoryStep, records) -> list[int]:
    ids = []
    for r in records:
        aid, created = step.store(r, grouping.prepare(r), [Match(TOPIC, 1.0, "liver", "")])
        assert created
        ids.append(aid)
    return ids


def _digest(config, archive) -> deliver.ChannelRun:
    return deliver.run_channel(config, archive, config.channel("hook"), now=datetime.now(UTC))


def _sent(hook: WebhookEndpoint) -> Counter:
    return Counter((s["story_id"], s["article_id"]) for p in hook.received for s in p["stories"])


def test_a_digest_leaves_out_a_story_its_poll_has_not_settled(tmp_path) -> None:
    with WebhookEndpoint() as hook:
        config = _config(tmp_path, hook.url)
        with Archive(config.storage_path) as archive:
            archive.sync_sources(config.sources)
            step = grouping.StoryStep(archive)
            ids = _store(step, [rec(_rewrite(STUDY_A, s), key=f"a{s}") for s in range(2)])
            # stored, not settled: the grouping may still change, so nothing is sent
            assert archive.stories_matching([TOPIC]) == []
            run = _digest(config, archive)
            assert hook.received == [] and run.sent == []
            step.settle(ids)
            run = _digest(config, archive)
            assert len(hook.received) == 1 and len(run.sent) == 1
            (story,) = hook.received[0]["stories"]
            assert story["article_id"] in ids
            assert _digest(config, archive).sent == []  # nothing twice


def test_marks_a_dead_poll_left_stop_holding_back_and_are_settled_later(tmp_path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        step = grouping.StoryStep(archive)
        archive.sync_sources([grouping._Source("Example", "https://example.org/feed")])
        ids = _store(step, [rec(_rewrite(STUDY_A, s), key=f"a{s}") for s in range(2)])
        assert archive.stories_matching([TOPIC]) == []
        later = datetime.now(UTC) + story_groups.UNSETTLED_GRACE + timedelta(minutes=1)
        assert story_groups.stale_unsettled(archive.db) == []  # not yet stale
        assert step.settle_stale(later) == 2
        assert story_groups.stale_unsettled(archive.db, later) == []
        assert [s.id for s in archive.stories_matching([TOPIC])] == [
            story_groups.story_of_article(archive.db, ids[0])
        ]


def _grouped(tmp_path: Path, url: str):
    """Three copies of study A and two of study B, grouped and settled, story A sent."""
    config = _config(tmp_path, url)
    archive = Archive(config.storage_path)
    archive.sync_sources(config.sources)
    step = grouping.StoryStep(archive)
    ids = _store(step, [rec(_rewrite(STUDY_A, s), key=f"a{s}") for s in range(3)])
    step.settle(ids)
    return config, archive, ids


def test_a_split_sends_the_part_the_channel_never_saw_once(tmp_path) -> None:
    with WebhookEndpoint() as hook:
        config, archive, ids = _grouped(tmp_path, hook.url)
        with archive:
            _digest(config, archive)
            ((story_a, headline),) = _sent(hook)
            assert {story_groups.story_of_article(archive.db, a) for a in ids} == {story_a}
            # a later grouping finds that the two other copies are another study: the larger
            # part keeps no headline the channel saw
            others = [a for a in ids if a != headline]
            story_groups.apply_groups(archive.db, [[headline], others], NOW)
            assert story_groups.story_of_article(archive.db, headline) == story_a  # id follows
            split = story_groups.story_of_article(archive.db, others[0])
            assert split != story_a
            _digest(config, archive)
            _digest(config, archive)
            sent = _sent(hook)
            assert set(sent.values()) == {1}  # nothing twice
            assert [s for s, _ in sent] == [story_a, split]  # the other study once, as itself


def test_stories_sent_apart_and_merged_are_not_sent_again(tmp_path) -> None:
    with WebhookEndpoint() as hook:
        config, archive, ids = _grouped(tmp_path, hook.url)
        with archive:
            story_a = story_groups.story_of_article(archive.db, ids[0])
            step = grouping.StoryStep(archive)
            b = _store(step, [rec(_rewrite(STUDY_B, s), key=f"b{s}") for s in range(2)])
            step.settle(b)
            _digest(config, archive)
            assert len(_sent(hook)) == 2
            story_b = story_groups.story_of_article(archive.db, b[0])
            story_groups.apply_groups(archive.db, [ids + b], NOW)
            assert {story_groups.story_of_article(archive.db, a) for a in ids + b} == {story_a}
            # the merged-away story's matches are the merged story's: counted once
            matched = archive.db.execute("SELECT story_id FROM story_matches").fetchall()
            assert matched == [(story_a,)] and story_b != story_a
            assert _digest(config, archive).sent == []
            assert len(hook.received) == 1
            # and split again as they were: each part holds a headline the channel saw
            story_groups.apply_groups(archive.db, [ids, b], NOW)
            assert _digest(config, archive).sent == []


def test_deliveries_written_before_headlines_were_recorded_carry_over_as_before(tmp_path) -> None:
    config, archive, ids = _grouped(tmp_path, "http://127.0.0.1:9/hook")
    with archive:
        story_a = story_groups.story_of_article(archive.db, ids[0])
        archive.ensure_channel("hook", "webhook")
        archive.create_digest("old", "hook", [story_a], "{}")  # no headlines: an older archive
        story_groups.apply_groups(archive.db, [ids[:1], ids[1:]], NOW)
        parts = {story_groups.story_of_article(archive.db, a) for a in ids}
        assert len(parts) == 2
        owed = archive.stories_matching([TOPIC], exclude_delivered_to="hook")
        assert owed == []  # both parts count as sent, as before
