"""Partial failures against real local servers: one recipient of two refused, every recipient
refused for now, a connection dropped after DATA, one Slack part of two failing on every retry,
a webhook answering after the client's timeout, malformed Retry-After values, a new channel.

Each test counts at the receiving server and asserts that every story reached every recipient
exactly once after the retries, or is shown as failed for that recipient in `deliveries`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerts import deliver, http
from monitor import config as config_mod
from monitor.cli import cli
from monitor.model import ArticleRecord, Match, StoryDecision
from storage.archive import Archive
from tests.delivery_servers import Reply, ScriptedHTTP, ScriptedSMTP, story_numbers

TOPIC = "liver-io"
T0 = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_BASE", 0.01)


def write_config(tmp_path: Path, channels: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[storage]\npath = "{(tmp_path / "archive.db").as_posix()}"\n\n'
        '[[sources]]\nname = "Wire"\nurl = "http://127.0.0.1:9/feed.xml"\n\n'
        f'[[topics]]\nname = "{TOPIC}"\nquery = "liver"\n' + channels,
        encoding="utf-8",
    )
    return path


def seed(cfg: Path, numbers: range, fetched_at: datetime) -> None:
    """Stories on the topic, one article each, at https://news.example/story-NNNN.html."""
    config = config_mod.load(cfg)
    with Archive(config.storage_path) as archive:
        archive.sync_sources(config.sources, fetched_at)
        for n in numbers:
            url = f"https://news.example/story-{n:04d}.html"
            archive.add_article(
                ArticleRecord(
                    key=url,
                    url=url,
                    canonical_url=url,
                    source="Wire",
                    title=f"Study {n}: liver metastases respond to immunotherapy",
                    text="Patients with liver metastases responded to immunotherapy.",
                    published=fetched_at,
                    fetched_at=fetched_at,
                ),
                StoryDecision(None, 0.0, "new story"),
                [Match(TOPIC, 1.0, "liver metastases", "title: liver")],
                index_keys=[],
                fingerprint_json="{}",
                canonical_rank=[0],
            )


def run(cfg: Path, channel: str, now: datetime, **kw) -> deliver.ChannelRun:
    config = config_mod.load(cfg)
    with Archive(config.storage_path) as archive:
        return deliver.run_channel(config, archive, config.channel(channel), now=now, **kw)


def parts(cfg: Path) -> dict[tuple[str, int], dict]:
    db = sqlite3.connect(cfg.parent / "archive.db")
    db.row_factory = sqlite3.Row
    rows = db.execute("SELECT * FROM delivery_parts ORDER BY digest_id, part").fetchall()
    return {(r["target"], r["part"]): dict(r) for r in rows}


def story_states(cfg: Path) -> Counter:
    db = sqlite3.connect(cfg.parent / "archive.db")
    return Counter(s for (s,) in db.execute("SELECT state FROM deliveries"))


def deliveries_text(cfg: Path) -> str:
    res = CliRunner().invoke(cli, ["--config", str(cfg), "deliveries"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def email_channel(port: int, to: list[str]) -> str:
    quoted = ", ".join(f'"{a}"' for a in to)
    return (
        f'\n[[channels]]\nname = "team"\ntype = "email"\ntopics = ["{TOPIC}"]\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\n'
        f'from = "Monitor <monitor@example.org>"\nto = [{quoted}]\n'
    )


A, B = "onc@example.org", "trials@example.org"
STORIES = range(1, 6)


def exactly_once(received: Counter, numbers=STORIES) -> bool:
    return received == Counter(numbers)


# ---------------------------------------------------------------------------- email
def test_one_recipient_greylisted_gets_it_later_the_other_once(tmp_path):
    with ScriptedSMTP({B: ["450 4.7.1 greylisted, try again later"]}) as smtp:
        cfg = write_config(tmp_path, email_channel(smtp.port, [A, B]))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        first = run(cfg, "team", T0)
        assert first.failed and not first.sent  # not marked sent: B is still owed it
        p = parts(cfg)
        assert p[(A, 1)]["state"] == "sent" and p[(B, 1)]["state"] == "pending"
        assert "450 4.7.1 greylisted" in p[(B, 1)]["last_error"]
        assert p[(B, 1)]["attempts"] == 1 and p[(B, 1)]["next_attempt_at"]
        shown = deliveries_text(cfg)
        assert B in shown and "pending" in shown and "450 4.7.1 greylisted" in shown
        assert story_states(cfg) == Counter({"pending": 5})  # not in a new digest meanwhile

        assert not run(cfg, "team", T0 + timedelta(seconds=10)).failed  # not due yet
        assert len(smtp.inbox[B]) == 0
        second = run(cfg, "team", T0 + timedelta(minutes=2))
        assert second.sent and not second.failed
        run(cfg, "team", T0 + timedelta(hours=1))  # nothing more to send
    assert exactly_once(smtp.stories(A)) and exactly_once(smtp.stories(B))
    assert [rcpt for rcpt, _ in smtp.rcpt_log] == [A, B, B]  # the retry went to B only
    assert smtp.inbox[A][0]["Message-ID"] == smtp.inbox[B][0]["Message-ID"]  # the same message
    assert story_states(cfg) == Counter({"sent": 5})


def test_one_recipient_refused_for_good_is_shown_failed_for_that_recipient(tmp_path):
    with ScriptedSMTP({B: ["550 5.1.1 no such user"] * 3}) as smtp:
        cfg = write_config(tmp_path, email_channel(smtp.port, [A, B]))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        run(cfg, "team", T0)
        run(cfg, "team", T0 + timedelta(days=1))
        seed(cfg, range(6, 8), T0 + timedelta(days=1))  # news after the refusal
        run(cfg, "team", T0 + timedelta(days=2))
    p = parts(cfg)
    assert p[(B, 1)]["state"] == "failed" and "550 5.1.1 no such user" in p[(B, 1)]["last_error"]
    assert exactly_once(smtp.stories(A), range(1, 8))  # A: every story once, none again
    assert smtp.stories(B) == Counter()
    shown = deliveries_text(cfg)
    assert "partial" in shown and "failed" in shown and "550 5.1.1 no such user" in shown
    # stories that reached A are not sent again because B refused them
    assert story_states(cfg)["sent"] == 7


def test_every_recipient_greylisted_is_temporary_not_permanent(tmp_path):
    greylisted = "450 4.7.1 greylisted"
    with ScriptedSMTP({A: [greylisted], B: [greylisted]}) as smtp:
        cfg = write_config(tmp_path, email_channel(smtp.port, [A, B]))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        run(cfg, "team", T0)
        p = parts(cfg)
        assert {p[(A, 1)]["state"], p[(B, 1)]["state"]} == {"pending"}
        assert "failed" not in deliveries_text(cfg)
        run(cfg, "team", T0 + timedelta(minutes=5))
    assert exactly_once(smtp.stories(A)) and exactly_once(smtp.stories(B))
    assert smtp.transactions == 1


def test_connection_dropped_after_data_is_retried_once(tmp_path):
    with ScriptedSMTP(drop_after_data=1) as smtp:
        cfg = write_config(tmp_path, email_channel(smtp.port, [A, B]))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        first = run(cfg, "team", T0)
        assert first.failed and not smtp.inbox
        p = parts(cfg)
        assert p[(A, 1)]["state"] == p[(B, 1)]["state"] == "pending"
        assert "SMTP" in p[(A, 1)]["last_error"]
        run(cfg, "team", T0 + timedelta(minutes=5))
        run(cfg, "team", T0 + timedelta(hours=1))
    assert exactly_once(smtp.stories(A)) and exactly_once(smtp.stories(B))


def test_a_part_refused_for_now_for_days_is_given_up_and_shown(tmp_path):
    with ScriptedSMTP({B: ["452 4.2.2 mailbox full"] * 50}) as smtp:
        cfg = write_config(tmp_path, email_channel(smtp.port, [A, B]))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        run(cfg, "team", T0)
        run(cfg, "team", T0 + timedelta(days=6))
    p = parts(cfg)
    assert p[(B, 1)]["state"] == "failed" and p[(B, 1)]["attempts"] == 2
    assert "gave up" in p[(B, 1)]["last_error"] and "452 4.2.2" in p[(B, 1)]["last_error"]
    assert exactly_once(smtp.stories(A))


# ---------------------------------------------------------------------------- Slack
def slack_channel(url: str) -> str:
    return (
        f'\n[[channels]]\nname = "slack"\ntype = "slack"\ntopics = ["{TOPIC}"]\n'
        f'webhook_url = "{url}"\n'
    )


def _context(message: dict) -> str:
    blocks = [b for b in message["blocks"] if b["type"] == "context"]
    return blocks[0]["elements"][0]["text"] if blocks else ""


def test_slack_part_two_failing_is_retried_alone_with_the_same_digest_id(tmp_path):
    state = {"down": True}

    def answer(req, n):
        if "part 2 of 2" in _context(req.json()) and state["down"]:
            return Reply(500, body="ok")  # what made the old log read "HTTP 500 ok"
        return Reply(200)

    with ScriptedHTTP(answer) as hook:
        cfg = write_config(tmp_path, slack_channel(hook.url))
        seed(cfg, range(1, 37), T0 - timedelta(hours=1))  # 36 stories: two messages
        run(cfg, "slack", T0)
        p = parts(cfg)
        assert p[("slack", 1)]["state"] == "sent" and p[("slack", 2)]["state"] == "pending"
        error = p[("slack", 2)]["last_error"]
        assert "500 Internal Server Error" in error and "tried 4 times" in error
        shown = deliveries_text(cfg)
        assert "slack part 2 of 2" in shown and "Internal Server Error" in shown
        run(cfg, "slack", T0 + timedelta(minutes=2))  # every retry fails again
        assert parts(cfg)[("slack", 2)]["attempts"] == 2
        seed(cfg, range(37, 39), T0 + timedelta(minutes=3))  # news meanwhile
        state["down"] = False
        run(cfg, "slack", T0 + timedelta(minutes=10))
        run(cfg, "slack", T0 + timedelta(hours=2))
    received = Counter(
        n
        for req in hook.accepted
        for b in req.json()["blocks"]
        if b["type"] == "section"
        for n in story_numbers(b["text"]["text"])
    )
    assert received == Counter(range(1, 39))  # every story once, none twice
    part2 = [r.body for r in hook.requests if "part 2 of 2" in _context(r.json())]
    assert len(part2) == 9 and len(set(part2)) == 1  # 4 + 4 failures, then the same message
    digest_id = parts(cfg)[("slack", 2)]["digest_id"]
    assert digest_id in _context(hook.accepted[0].json())
    assert digest_id in _context(hook.requests[-2].json())  # the resent part 2
    assert story_states(cfg) == Counter({"sent": 38})


# -------------------------------------------------------------------------- webhook
def webhook_channel(url: str, extra: str = "") -> str:
    return (
        f'\n[[channels]]\nname = "tools"\ntype = "webhook"\ntopics = ["{TOPIC}"]\n'
        f'url = "{url}"\n{extra}'
    )


def test_webhook_answering_after_the_timeout_gets_the_same_idempotency_key(tmp_path, monkeypatch):
    monkeypatch.setattr(http, "TIMEOUT", 0.3)
    with ScriptedHTTP(lambda req, n: Reply(200, delay=1.0 if n == 1 else 0)) as hook:
        cfg = write_config(tmp_path, webhook_channel(hook.url))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        result = run(cfg, "tools", T0)
        seed(cfg, range(6, 8), T0 + timedelta(hours=1))
        run(cfg, "tools", T0 + timedelta(hours=2))
    assert result.sent
    first, again, later = hook.requests
    key = first.headers["idempotency-key"]
    assert again.headers["idempotency-key"] == key and again.body == first.body
    assert first.json()["digest_id"] and key.startswith(first.json()["digest_id"])
    assert later.headers["idempotency-key"] != key  # a new digest has a new key
    # the receiver keeps one request per key: every story once
    unique = {r.headers["idempotency-key"]: r.json() for r in hook.accepted}
    received = Counter(s["story_id"] for body in unique.values() for s in body["stories"])
    assert sorted(received.values()) == [1] * 7


def test_webhook_timing_out_on_every_try_keeps_its_key_across_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(http, "TIMEOUT", 0.2)
    with ScriptedHTTP(lambda req, n: Reply(200, delay=0.5 if n <= 4 else 0)) as hook:
        cfg = write_config(tmp_path, webhook_channel(hook.url))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        assert run(cfg, "tools", T0).failed
        p = parts(cfg)[("webhook", 1)]
        assert p["state"] == "pending" and "no answer" in p["last_error"]
        assert run(cfg, "tools", T0 + timedelta(minutes=5)).sent
    assert len({r.headers["idempotency-key"] for r in hook.requests}) == 1
    assert len(hook.requests) == 5


# ---------------------------------------------------------------------- Retry-After
@pytest.mark.parametrize(
    "value", ["-5", "inf", "nan", "1e12", "soon", "", "3.5", "0x10", "Mon, 99 Foo 2026"]
)
def test_malformed_retry_after_is_ignored_logged_and_recorded(tmp_path, value, caplog):
    caplog.set_level(logging.WARNING)

    def answer(req, n):  # rate limited with a bad Retry-After for a whole run, then fine
        return Reply(429, {"Retry-After": value}, "rate_limited") if n <= 4 else Reply(200)

    with ScriptedHTTP(answer) as hook:
        cfg = write_config(tmp_path, webhook_channel(hook.url))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        result = run(cfg, "tools", T0)  # must not raise
        assert result.failed and len(hook.requests) == 4
        p = parts(cfg)[("webhook", 1)]
        assert p["state"] == "pending" and p["attempts"] == 1
        assert "429 Too Many Requests" in p["last_error"] and "ignored" in p["last_error"]
        # the next try follows our own backoff, not the bad value
        assert datetime.fromisoformat(p["next_attempt_at"]) == T0 + timedelta(seconds=60)
        assert "Retry-After" in caplog.text and "Traceback" not in caplog.text
        shown = deliveries_text(cfg)
        assert "1 attempt" in shown and "429" in shown
        assert run(cfg, "tools", T0 + timedelta(seconds=60)).sent
    (body,) = [r.json() for r in hook.accepted]
    assert exactly_once(Counter(int(s["url"][-9:-5]) for s in body["stories"]))


def test_retry_after_too_long_is_clamped_and_then_honoured(tmp_path):
    def answer(req, n):
        return Reply(429, {"Retry-After": "99999999999999999999"}) if n == 1 else Reply(200)

    with ScriptedHTTP(answer) as hook:
        cfg = write_config(tmp_path, webhook_channel(hook.url, 'retry_after_max = "10m"\n'))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        run(cfg, "tools", T0)
        p = parts(cfg)[("webhook", 1)]
        assert len(hook.requests) == 1  # a long wait ends the run instead of sleeping
        assert datetime.fromisoformat(p["next_attempt_at"]) == T0 + timedelta(minutes=10)
        run(cfg, "tools", T0 + timedelta(minutes=9))
        assert len(hook.requests) == 1
        run(cfg, "tools", T0 + timedelta(minutes=10))
    assert len(hook.accepted) == 1
    assert Counter(s["story_id"] for s in hook.accepted[0].json()["stories"]).total() == 5


def test_parse_retry_after_accepts_only_seconds_and_http_dates():
    from alerts.channels import parse_retry_after

    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    ok = {
        "120": 120.0,
        " 7 ": 7.0,
        "0": 0.0,
        "99999999999999999999999": 3600.0,
        "Mon, 02 Nov 2026 07:01:30 GMT": 90.0,
        "Monday, 02-Nov-26 07:00:10 GMT": 10.0,
        "Mon Nov  2 07:00:05 2026": 5.0,
        "Sun, 01 Nov 2026 07:00:00 GMT": 0.0,  # in the past: now
        "Fri, 01 Nov 2030 07:00:00 GMT": 3600.0,
    }
    for value, seconds in ok.items():
        assert parse_retry_after(value, maximum=3600, now=now) == seconds, value
    for bad in ["-5", "inf", "nan", "1e12", "1.5", "+5", "5s", "", "Mon, 02 Nov 2026", "٣"]:
        assert parse_retry_after(bad, maximum=3600, now=now) is None, bad


# -------------------------------------------------------------------------- backfill
def test_a_new_channel_starts_with_the_stories_of_its_backfill_window(tmp_path):
    with ScriptedHTTP() as hook:
        cfg = write_config(
            tmp_path,
            webhook_channel(hook.url)
            + slack_channel(hook.base + "/slack").replace('"slack"\ntype', '"quiet"\ntype')
            + 'backfill = "0"\n',
        )
        seed(cfg, range(1, 3), T0 - timedelta(days=3))  # before the window
        seed(cfg, range(3, 6), T0 - timedelta(hours=20))  # within the default 1d
        run(cfg, "tools", T0)
        run(cfg, "quiet", T0)
        run(cfg, "tools", T0 + timedelta(days=1))
    (first,) = [r for r in hook.accepted if r.path == "/hook"]
    assert sorted(s["story_id"] for s in first.json()["stories"]) == [3, 4, 5]
    assert [r for r in hook.requests if r.path == "/slack"] == []  # backfill = "0": none


# ------------------------------------------------------------------------- migration
def test_an_archive_from_before_parts_is_upgraded_and_its_pending_digest_sent(tmp_path):
    """Schema 2 (main before this change): one sent and one pending digest, no parts."""
    import json

    from alerts import render
    from monitor.model import Digest, DigestItem
    from storage import migrations

    with ScriptedSMTP() as smtp:
        cfg = write_config(tmp_path, email_channel(smtp.port, [A, B]))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        db = sqlite3.connect(tmp_path / "archive.db", isolation_level=None)
        db.execute("DROP TABLE delivery_parts")
        db.execute("PRAGMA user_version = 2")
        assert len(migrations.STEPS) >= 3
        items = [
            DigestItem(
                n,
                f"Study {n}",
                f"https://news.example/story-{n:04d}.html",
                "Wire",
                None,
                [TOPIC],
                "s",
            )
            for n in (4, 5)
        ]
        payload = render.to_dict(
            Digest(T0, "team", None, items=items, digest_id="team-old-pending")
        )
        db.execute("INSERT INTO channels VALUES ('team', 'email', ?, NULL, NULL)", [T0.isoformat()])
        for did, state, stories in (
            ("team-old-sent", "sent", (1, 2, 3)),
            ("team-old-pending", "pending", (4, 5)),
        ):
            db.execute(
                "INSERT INTO digests (id, channel, created_at, state, attempts, stories, payload,"
                " sent_at) VALUES (?, 'team', ?, ?, 1, ?, ?, ?)",
                [
                    did,
                    T0.isoformat(),
                    state,
                    len(stories),
                    json.dumps(payload),
                    T0.isoformat() if state == "sent" else None,
                ],
            )
            for s in stories:
                db.execute(
                    "INSERT INTO deliveries (channel, story_id, digest_id, state, attempts, created_at)"
                    " VALUES ('team', ?, ?, ?, 1, ?)",
                    [s, did, state, T0.isoformat()],
                )
        db.close()
        run(cfg, "team", T0 + timedelta(minutes=1))
    p = parts(cfg)
    assert p[("*", 1)]["state"] == "sent" and p[("*", 1)]["digest_id"] == "team-old-sent"
    assert p[(A, 1)]["state"] == p[(B, 1)]["state"] == "sent"
    assert exactly_once(smtp.stories(A), (4, 5)) and exactly_once(smtp.stories(B), (4, 5))
    assert story_states(cfg) == Counter({"sent": 5})
    assert "all recipients" in deliveries_text(cfg)
