"""The daemon: sources on intervals, channels on cron, a missed schedule runs once at start."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from monitor import config as config_mod
from monitor.cli import cli
from monitor.config import ChannelConfig
from monitor.demo import demo_config_text
from monitor.scheduler import Daemon, missed_schedule
from storage.rows import SourceUpdate
from tests.endpoints import WebhookEndpoint


def _channel(schedule: str, tz: str = "UTC") -> ChannelConfig:
    return ChannelConfig(name="c", type="webhook", schedule=schedule, topics=[], timezone=tz)


def test_missed_schedule_in_channel_timezone():
    c = _channel("0 7 * * *", "Europe/Berlin")  # 07:00 Berlin = 06:00 UTC in November
    now = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    assert missed_schedule(c, datetime(2026, 11, 23, 5, 0, tzinfo=UTC), now)
    assert not missed_schedule(c, datetime(2026, 11, 23, 6, 10, tzinfo=UTC), now)
    assert not missed_schedule(c, None, now)  # a new channel has missed nothing
    # several missed slots still count once (the caller schedules a single catch-up run)
    assert missed_schedule(c, now - timedelta(days=5), now)


def test_missed_schedule_weekdays_only():
    c = _channel("0 7 * * 1-5")
    sat = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert not missed_schedule(c, datetime(2026, 11, 20, 8, 0, tzinfo=UTC), sat)  # Fri after 07:00
    assert missed_schedule(c, datetime(2026, 11, 20, 6, 0, tzinfo=UTC), sat)


def test_daemon_polls_and_runs_a_missed_digest_once(tmp_path, site):
    with WebhookEndpoint() as hook:
        cfg_path = tmp_path / "sources.toml"
        cfg_path.write_text(
            demo_config_text(site.base, tmp_path / "archive.db").replace('"5m"', '"10s"')
            + f'\n[[channels]]\nname = "hook"\ntype = "webhook"\nschedule = "0 7 * * *"\n'
            f'topics = ["liver-metastases-immunotherapy"]\nurl = "{hook.url}"\n'
        )
        res = CliRunner().invoke(cli, ["--config", str(cfg_path), "run", "--once"])
        assert res.exit_code == 0, res.output
        db = sqlite3.connect(tmp_path / "archive.db")
        long_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat()
        db.execute("UPDATE channels SET created_at = ?, last_run_at = ?", [long_ago, long_ago])
        db.execute("UPDATE sources SET next_poll_at = NULL")
        db.commit()
        config = config_mod.load(cfg_path)
        asyncio.run(Daemon(config, stop_after=14).run())
        assert len(hook.received) == 1  # one catch-up run for three missed days
        assert hook.received[0]["stories"]
        polls = db.execute(
            "SELECT count(*) FROM sources WHERE last_poll_at > ?", [long_ago]
        ).fetchone()[0]
        assert polls == 4
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 7
        assert not (tmp_path / "archive.db.heartbeat").exists()  # a clean stop removes it


def test_crontab_day_numbers_mean_what_cron_means():
    from monitor.scheduler import cron_days

    assert cron_days("1-5") == "mon,tue,wed,thu,fri"
    assert cron_days("0") == cron_days("7") == "sun"
    assert cron_days("*/2") == "sun,tue,thu,sat"
    assert cron_days("5-0") == "sun,fri,sat"
    assert cron_days("mon-fri") == "mon-fri"
    assert cron_days("*") == "*"


def test_shortened_interval_takes_effect_at_the_next_start(tmp_path):
    from monitor.pipeline import due_at

    cfg_path = tmp_path / "sources.toml"
    cfg_path.write_text(
        '[storage]\npath = "archive.db"\n[fetch]\ninterval = "10m"\n'
        '[[sources]]\nname = "a"\nurl = "https://a.example.org/feed"\n'
        '[[sources]]\nname = "b"\nurl = "https://b.example.org/feed"\n'
    )
    config = config_mod.load(cfg_path, env={})
    now = datetime.now(UTC).replace(microsecond=0)
    daemon = Daemon(config)
    try:
        # both were polled 20 minutes ago under an interval of one day; b is failing
        daemon.archive.update_source(
            "a",
            SourceUpdate(
                last_poll_at=now - timedelta(minutes=20), next_poll_at=now + timedelta(days=1)
            ),
        )
        daemon.archive.update_source(
            "b",
            SourceUpdate(
                last_poll_at=now - timedelta(minutes=20),
                next_poll_at=now + timedelta(hours=5),
                consecutive_failures=4,
            ),
        )
        a, b = config.sources
        assert daemon._first_due(a, now) == now  # 10 minutes overdue by the new interval
        assert due_at(daemon.archive.source_state("a"), a) == now - timedelta(minutes=10)
        # a failing source keeps its backoff (and a Retry-After it may include)
        assert daemon._first_due(b, now) == now + timedelta(hours=5)
        # never polled: within min(interval, 5 min) of the start
        daemon.archive.update_source("a", SourceUpdate(last_poll_at=None, next_poll_at=None))
        assert now <= daemon._first_due(a, now) < now + timedelta(minutes=5)
    finally:
        daemon.archive.close()


def test_a_stop_waits_for_the_cancelled_polls_before_closing_the_archive(
    tmp_path, monkeypatch, caplog
):
    """A poll still waiting for its page when the daemon stops is cancelled; on its way out it
    settles what it stored, which must happen before the archive is closed (else each such
    poll logged "Cannot operate on a closed database")."""
    import logging

    from monitor import scheduler
    from storage.archive import Archive
    from tests.httpserver import TestServer

    monkeypatch.setattr(scheduler, "STOP_GRACE_SECONDS", 0.3)
    with TestServer() as srv:
        items = "".join(
            f"<item><title>Story {i}</title><link>{srv.url(f'/slow{i}.html')}</link></item>"
            for i in range(3)
        )
        srv.route(
            "/feed.xml",
            body=f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
            headers={"Content-Type": "application/rss+xml"},
        )
        for i in range(3):
            srv.route(f"/slow{i}.html", body=b"<html><p>late</p></html>", delay=4.0)
        cfg = tmp_path / "sources.toml"
        cfg.write_text(
            f'[storage]\npath = "{tmp_path / "archive.db"}"\n[fetch]\nallow_private = true\n'
            'respect_robots = false\nper_host_delay = 0.0\ninterval = "1h"\n'
            f'[[sources]]\nname = "slow"\nurl = "{srv.url("/feed.xml")}"\n'
        )
        config = config_mod.load(cfg)
        with Archive(config.storage_path) as archive:  # polled before: due at once
            archive.sync_sources(config.sources)
            archive.update_source(
                "slow", SourceUpdate(last_poll_at=datetime.now(UTC) - timedelta(days=1))
            )
        caplog.set_level(logging.ERROR)
        asyncio.run(Daemon(config, stop_after=1.5).run())
    assert not [r for r in caplog.records if "closed database" in r.getMessage()]
