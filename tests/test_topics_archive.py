"""Changing a topic re-matches the archive: feed, browse and digests agree with `topics
backtest`, and no story already sent to a channel is sent again (storage/matches.py)."""

from __future__ import annotations

import asyncio
import sqlite3

from click.testing import CliRunner

from monitor import config as config_mod
from monitor.cli import cli
from monitor.demo import demo_config_text
from monitor.pipeline import Pipeline
from storage import migrations
from storage.archive import Archive
from tests.endpoints import WebhookEndpoint

TOPIC = "liver-metastases-immunotherapy"
MELANOMA_TITLE = "Five-year data confirm durable survival with dual checkpoint blockade"


def _write(path, site, tmp_path, watch_query: str, hook_url: str = "http://127.0.0.1:9/hook"):
    path.write_text(
        demo_config_text(site.base, tmp_path / "archive.db")
        + f"""
[[topics]]
name = "watch"
query = '{watch_query}'

[[channels]]
name = "tools"
type = "webhook"
topics = ["{TOPIC}", "watch"]
url = "{hook_url}"
""",
        encoding="utf-8",
    )


def _run(path, *args):
    res = CliRunner().invoke(cli, ["--config", str(path), *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


def _feed_titles(path, topic):
    out = _run(path, "feed", topic).stdout
    return out.count("<entry>"), out


def _stored(tmp_path, topic):
    db = sqlite3.connect(tmp_path / "archive.db")
    try:
        return {
            r[0]
            for r in db.execute(
                "SELECT s.title FROM story_matches m JOIN stories s ON s.id = m.story_id"
                " WHERE m.topic = ?",
                [topic],
            )
        }
    finally:
        db.close()


def test_changed_topic_rematches_archive_and_sends_only_what_was_not_sent(tmp_path, site):
    cfg = tmp_path / "sources.toml"
    with WebhookEndpoint() as hook:
        _write(cfg, site, tmp_path, '"nothing matches xyzzy"', hook.url)
        _run(cfg, "run", "--once")
        _run(cfg, "digest", "--channel", "tools")
        first = {s["story_id"] for s in hook.received[0]["stories"]}
        assert first and _stored(tmp_path, "watch") == set()

        # the topic changes: no new article arrives, yet the feed shows the new matches
        _write(cfg, site, tmp_path, "checkpoint* OR immunotherap* OR melanoma", hook.url)
        n, feed = _feed_titles(cfg, "watch")
        assert MELANOMA_TITLE in feed
        stored = _stored(tmp_path, "watch")
        assert len(stored) == n > len(first)
        # ... and backtest finds the same articles, without a warning that they differ
        bt = _run(cfg, "topics", "backtest", "watch")
        assert "stores other matches" not in bt.stderr
        assert f"watch: {n} of" in bt.stderr or "articles matched" in bt.stderr

        # the digest now owes only the stories newly matched and never sent
        _run(cfg, "digest", "--channel", "tools")
        assert len(hook.received) == 2
        second = {s["story_id"] for s in hook.received[1]["stories"]}
        assert second and not (second & first)
        assert MELANOMA_TITLE in " ".join(s["title"] for s in hook.received[1]["stories"])

        # un-matching and matching again sends nothing twice
        _write(cfg, site, tmp_path, '"nothing matches xyzzy"', hook.url)
        assert _run(cfg, "topics", "apply").stderr.count("watch: re-matched") == 1
        assert _stored(tmp_path, "watch") == set()
        _write(cfg, site, tmp_path, "checkpoint* OR immunotherap* OR melanoma", hook.url)
        res = _run(cfg, "digest", "--channel", "tools")
        assert "nothing new to send" in res.stderr
        assert len(hook.received) == 2


def test_topics_apply_reports_and_is_idempotent(tmp_path, site):
    cfg = tmp_path / "sources.toml"
    _write(cfg, site, tmp_path, "melanoma")
    _run(cfg, "run", "--once")
    out = _run(cfg, "topics", "apply", "watch").stdout
    assert "watch: re-matched" in out and "(requested)" in out and "+0 -0 ~0" in out
    res = _run(cfg, "topics", "apply")
    assert "all topics up to date" in res.stderr
    bad = CliRunner().invoke(cli, ["--config", str(cfg), "topics", "apply", "nope"])
    assert bad.exit_code != 0 and "no topic 'nope'" in bad.output


def test_articles_matched_by_a_daemon_with_the_old_definition_are_rematched(tmp_path, site):
    """A daemon started before the edit keeps matching with the old query; the next command
    with the new configuration re-matches what it stored since the last sync."""
    cfg = tmp_path / "sources.toml"
    _write(cfg, site, tmp_path, "melanoma")
    new = config_mod.load(cfg)
    _run(cfg, "feed", "watch")  # records the new definition, on an empty archive
    old_path = tmp_path / "old.toml"
    _write(old_path, site, tmp_path, '"nothing matches xyzzy"')
    old = config_mod.load(old_path)
    with Archive(old.storage_path) as archive:  # the old daemon's pipeline, no sync
        asyncio.run(Pipeline(old, archive).poll_all())
    assert _stored(tmp_path, "watch") == set()
    assert new.topics  # the new configuration is what the CLI reads
    _, feed = _feed_titles(cfg, "watch")
    assert MELANOMA_TITLE in feed
    assert any(MELANOMA_TITLE in t for t in _stored(tmp_path, "watch"))


def test_archive_from_before_topic_definitions_is_upgraded_and_rematched(tmp_path, site):
    cfg = tmp_path / "sources.toml"
    _write(cfg, site, tmp_path, "melanoma")
    _run(cfg, "run", "--once")
    before = _stored(tmp_path, TOPIC)
    assert before
    # make it an archive as the schema before this step left it, matches from another matcher
    before_step = migrations.STEPS.index(migrations._topic_definitions)
    db = sqlite3.connect(tmp_path / "archive.db")
    db.execute("DROP TABLE topic_definitions")
    db.execute("DELETE FROM matches")
    db.execute("DELETE FROM story_matches")
    db.execute(f"PRAGMA user_version = {before_step}")
    db.commit()
    db.close()
    res = _run(cfg, "feed", TOPIC)
    assert "re-matched" in res.stderr and "(new topic)" in res.stderr
    assert _stored(tmp_path, TOPIC) == before
    db = sqlite3.connect(tmp_path / "archive.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)
    recorded = dict(db.execute("SELECT topic, definition FROM topic_definitions").fetchall())
    db.close()
    assert set(recorded) == {TOPIC, "watch"}


def test_removed_topic_is_forgotten_and_rematched_in_full_when_it_returns(tmp_path, site):
    cfg = tmp_path / "sources.toml"
    _write(cfg, site, tmp_path, "melanoma")
    _run(cfg, "run", "--once")
    text = cfg.read_text()
    cfg.write_text(
        text.replace(
            'topics = ["liver-metastases-immunotherapy", "watch"]',
            'topics = ["liver-metastases-immunotherapy"]',
        ).replace("name = \"watch\"\nquery = 'melanoma'", "name = \"other\"\nquery = 'x'")
    )
    _run(cfg, "sources")
    db = sqlite3.connect(tmp_path / "archive.db")
    assert "watch" not in {r[0] for r in db.execute("SELECT topic FROM topic_definitions")}
    db.close()
    cfg.write_text(text)
    res = _run(cfg, "sources")
    assert "watch: re-matched" in res.stderr and "(new topic)" in res.stderr
    assert any(MELANOMA_TITLE in t for t in _stored(tmp_path, "watch"))


def test_browse_warns_about_changed_topics_without_writing(tmp_path, site, capsys):
    from monitor.cli import Ctx, _warn_stale_topics

    cfg = tmp_path / "sources.toml"
    _write(cfg, site, tmp_path, "melanoma")
    _run(cfg, "run", "--once")
    db_file = tmp_path / "archive.db"
    _warn_stale_topics(Ctx(str(cfg)))
    assert "topics changed" not in capsys.readouterr().err
    _write(cfg, site, tmp_path, "checkpoint*")
    before = db_file.read_bytes()
    _warn_stale_topics(Ctx(str(cfg)))
    err = capsys.readouterr().err
    assert "topics changed since the archive was matched: watch" in err
    assert "monitor topics apply" in err
    assert db_file.read_bytes() == before  # browse is read-only
