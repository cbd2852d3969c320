"""Security through the whole pipeline: SSRF bypasses and secrets that never reach any output.

tests/test_fetch.py checks the fetcher's guard call by call; here every bypass goes through
`Pipeline.poll` with `allow_private` unset (the default), so the refusal must also be
recorded against the source (its health) or the article (its note), and no request may land
on the protected address. The secret tests run the real CLI commands with SMTP and Slack
secrets set in the environment and grep everything they print and log.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import monitor.fetch.guard as fetch_mod  # the address guard (monitor/fetch/guard.py)
from monitor import config as config_mod
from monitor.cli import cli
from monitor.fetch import DNS_CACHE_S, Fetcher
from monitor.pipeline import Pipeline, fetch_settings
from monitor.urls import is_public_ip
from storage.archive import Archive
from storage.rows import SourceState, SourceUpdate
from tests.endpoints import SMTPSink, WebhookEndpoint
from tests.httpserver import TestServer

ROOT = Path(__file__).resolve().parents[1]
TOPICS = (ROOT / "monitor" / "demo" / "topics.toml").read_text(encoding="utf-8")
RSS_TYPE = {"Content-Type": "application/rss+xml"}


def rss(*links: str) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>{link}</link><guid>g{i}-{abs(hash(link))}</guid>"
        f"<description>Feed summary of item {i} about a study.</description></item>"
        for i, link in enumerate(links)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<link>http://example.org/</link>{items}</channel></rss>"
    ).encode()


def write_config(tmp_path: Path, sources: list[tuple[str, str]], extra: str = "") -> Path:
    """A config without allow_private (the default: the guard is on)."""
    lines = [
        "[storage]",
        f'path = "{(tmp_path / "archive.db").as_posix()}"',
        "",
        "[fetch]",
        "per_host_delay = 0",
        'connect_timeout = "2s"',
        'read_timeout = "2s"',
        'total_timeout = "4s"',
        "respect_robots = false",
        "",
    ]
    for name, url in sources:
        lines += ["[[sources]]", f'name = "{name}"', f'url = "{url}"', ""]
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines) + "\n" + extra + "\n" + TOPICS, encoding="utf-8")
    return path


def poll(cfg: Path, resolver=None, clock=None) -> list:  # type: ignore[no-untyped-def]
    config = config_mod.load(cfg)

    async def go():  # type: ignore[no-untyped-def]
        kwargs = {"resolver": resolver} if resolver else {}
        if clock:
            kwargs["clock"] = clock
        async with Fetcher(fetch_settings(config), **kwargs) as fetcher:
            with Archive(config.storage_path) as archive:
                return await Pipeline(config, archive).poll_all(fetcher=fetcher)

    return asyncio.run(go())


def source_rows(tmp_path: Path) -> dict[str, dict]:
    db = sqlite3.connect(tmp_path / "archive.db")
    db.row_factory = sqlite3.Row
    return {r["name"]: dict(r) for r in db.execute("SELECT * FROM sources")}


@pytest.fixture
def srv():  # type: ignore[no-untyped-def]
    with TestServer() as server:
        yield server


# ------------------------------------------------------------------ SSRF


def test_private_address_forms_are_refused_and_recorded_against_the_source(tmp_path, srv):
    srv.route("/feed.xml", body=rss("http://example.org/a"), headers=RSS_TYPE)
    p = srv.port
    forms = {
        "loopback": f"http://127.0.0.1:{p}/feed.xml",
        "decimal": f"http://2130706433:{p}/feed.xml",
        "hex": f"http://0x7f000001:{p}/feed.xml",
        "octal": f"http://017700000001:{p}/feed.xml",
        "dotted-octal": f"http://0177.0.0.1:{p}/feed.xml",
        "short": f"http://127.1:{p}/feed.xml",
        "v6-loopback": f"http://[::1]:{p}/feed.xml",
        "v4-mapped": f"http://[::ffff:127.0.0.1]:{p}/feed.xml",
        "v4-mapped-hex": f"http://[::ffff:7f00:1]:{p}/feed.xml",
        "nat64-loopback": f"http://[64:ff9b::7f00:1]:{p}/feed.xml",
        "v6-link-local": f"http://[fe80::1]:{p}/feed.xml",
        "unspecified": f"http://0.0.0.0:{p}/feed.xml",
        "zero": f"http://0:{p}/feed.xml",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "metadata-decimal": "http://2852039166/latest/meta-data/",
        "private-10": "http://10.0.0.1/feed.xml",
        "private-192": "http://192.168.1.1/feed.xml",
        "cgnat": "http://100.64.0.1/feed.xml",
    }
    cfg = write_config(tmp_path, list(forms.items()))
    results = {r.source: r for r in poll(cfg)}
    rows = source_rows(tmp_path)
    for name in forms:
        r = results[name]
        assert r.status == "error", (name, r)
        assert "not public" in r.error or "non-public" in r.error, (name, r.error)
        assert "allow_private" in r.error, name  # the error says what would allow it
        assert rows[name]["last_status"] == "error" and rows[name]["consecutive_failures"] == 1
        assert rows[name]["last_error"] == r.error
    assert srv.requests == []  # nothing reached the loopback server
    assert sqlite3.connect(tmp_path / "archive.db").execute(
        "SELECT count(*) FROM articles"
    ).fetchone() == (0,)


@pytest.fixture
def loopback_is_public(monkeypatch):  # type: ignore[no-untyped-def]
    """Treat 127.0.0.1 (where the test servers are) as public; every other address keeps the
    real rule. So a first hop reaches a real server and the bypass attempt is what is tested."""
    monkeypatch.setattr(fetch_mod, "is_public_ip", lambda ip: ip == "127.0.0.1" or is_public_ip(ip))


def test_redirects_to_private_addresses_are_refused(tmp_path, srv, loopback_is_public):
    with TestServer(host="127.0.0.2") as inner:  # the "internal" service an attacker wants
        inner.route("/admin", body=b"secret", headers=RSS_TYPE)
        ip = inner.port
        targets = {
            "literal": f"http://127.0.0.2:{ip}/admin",
            "decimal": f"http://2130706434:{ip}/admin",
            "hex": f"http://0x7f000002:{ip}/admin",
            "v4-mapped": f"http://[::ffff:127.0.0.2]:{ip}/admin",
            "name": f"http://internal.example:{ip}/admin",
            "metadata": "http://169.254.169.254/latest/meta-data/",
            "file": "file:///etc/passwd",
        }
        sources = []
        for i, (name, target) in enumerate(targets.items()):
            code = (301, 302, 303, 307, 308)[i % 5]
            srv.route(f"/feed-{name}", status=code, headers={"Location": target})
            sources.append((f"redirect-{name}", f"http://news.example:{srv.port}/feed-{name}"))
        # a public feed whose article page redirects inward
        srv.route(
            "/ok.xml",
            body=rss(f"http://news.example:{srv.port}/story", f"http://127.0.0.2:{ip}/admin"),
            headers=RSS_TYPE,
        )
        srv.route("/story", status=302, headers={"Location": f"http://2130706434:{ip}/admin"})
        sources.append(("public-feed", f"http://news.example:{srv.port}/ok.xml"))
        cfg = write_config(tmp_path, sources)
        dns = {"news.example": ["127.0.0.1"], "internal.example": ["127.0.0.2"]}
        results = {r.source: r for r in poll(cfg, resolver=lambda h, p: dns[h])}
        rows = source_rows(tmp_path)
        for name in targets:
            r = results[f"redirect-{name}"]
            assert r.status == "error", (name, r)
            assert rows[f"redirect-{name}"]["last_status"] == "error"
            assert any(w in r.error for w in ("not public", "non-public", "not fetched")), r.error
        ok = results["public-feed"]
        assert ok.status == "ok" and ok.new_articles == 2 and ok.page_errors == 2
        notes = [
            n
            for (n,) in sqlite3.connect(tmp_path / "archive.db").execute(
                "SELECT extract_note FROM articles"
            )
        ]
        assert len(notes) == 2 and all(n and "page not fetched" in n for n in notes)
        assert inner.requests == []  # the internal service was never reached


def test_dns_rebinding_to_a_private_address_is_refused(tmp_path, srv, loopback_is_public):
    """The name answers a public address for the feed, then a private one: the page and the
    next poll are refused, because the checked address is the one connected to."""
    url = f"http://rebind.example:{srv.port}"
    srv.route(
        "/feed.xml",
        body=rss(f"{url}/story"),
        headers={**RSS_TYPE, "Connection": "close"},  # no reused connection: a new lookup
    )
    srv.route("/story", body=b"<html><body><p>page</p></body></html>")
    answers: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        answers.append("127.0.0.1" if not answers else "10.0.0.7")
        return [answers[-1]]

    ticks = iter(range(0, 10**9, int(DNS_CACHE_S) + 1))  # every lookup sees an expired cache
    cfg = write_config(tmp_path, [("rebind", f"{url}/feed.xml")])
    first = poll(cfg, resolver, clock=lambda: float(next(ticks)))[0]
    assert first.status == "ok" and first.new_articles == 1 and first.page_errors == 1
    note = (
        sqlite3.connect(tmp_path / "archive.db")
        .execute("SELECT extract_note FROM articles")
        .fetchone()[0]
    )
    assert "10.0.0.7" in note and "page not fetched" in note
    assert [r.path for r in srv.requests] == ["/feed.xml"]

    second = poll(cfg, resolver, clock=lambda: float(next(ticks)))[0]
    assert second.status == "error" and "10.0.0.7" in second.error
    assert source_rows(tmp_path)["rebind"]["last_status"] == "error"
    assert [r.path for r in srv.requests] == ["/feed.xml"]


def test_feed_links_to_private_and_file_addresses_are_not_fetched(
    tmp_path, srv, loopback_is_public
):
    with TestServer(host="127.0.0.2") as inner:
        inner.route("/x", body=b"<html><body>secret</body></html>")
        links = [
            f"http://127.0.0.2:{inner.port}/x",
            f"http://[::ffff:127.0.0.2]:{inner.port}/x",
            "http://169.254.169.254/latest/meta-data/",
            "file:///etc/passwd",
        ]
        srv.route("/feed.xml", body=rss(*links), headers=RSS_TYPE)
        cfg = write_config(tmp_path, [("feed", f"http://news.example:{srv.port}/feed.xml")])
        result = poll(cfg, resolver=lambda h, p: ["127.0.0.1"])[0]
        assert result.status == "ok"
        db = sqlite3.connect(tmp_path / "archive.db")
        rows = db.execute("SELECT url, extract_note FROM articles").fetchall()
        assert not any(u.startswith("file:") for u, _ in rows)  # not an http link: not an entry
        assert rows and all("page not fetched" in (n or "") for _, n in rows)
        assert inner.requests == []


# ------------------------------------------------------------------ secrets

SMTP_PASSWORD = "s3cret-smtp-Pa55"
SLACK_TOKEN = "T0SECRET/B0SECRET/xoxSecretToken42"
HOOK_TOKEN = "Bearer hook-secret-77"
URL_PASSWORD = "url-pa55word"


def _secret_config(tmp_path: Path, feed_url: str, smtp_port: int, slack_url: str, hook_url: str):
    channels = f"""
[[channels]]
name = "mail"
type = "email"
topics = ["liver-metastases-immunotherapy"]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
security = "none"
username = "monitor"
password = "${{SMTP_PASSWORD}}"
from = "monitor@example.org"
to = ["team@example.org"]

[[channels]]
name = "slack"
type = "slack"
topics = ["liver-metastases-immunotherapy"]
webhook_url = "${{SLACK_WEBHOOK_URL}}"

[[channels]]
name = "hook"
type = "webhook"
topics = ["liver-metastases-immunotherapy"]
url = "{hook_url}"
headers = {{ Authorization = "${{HOOK_TOKEN}}" }}
"""
    cfg = write_config(
        tmp_path,
        [
            ("site", feed_url),
            ("with-credentials", f"http://reader:{URL_PASSWORD}@127.0.0.1:1/feed.xml"),
        ],
        channels,
    )
    text = cfg.read_text().replace("per_host_delay = 0", "per_host_delay = 0\nallow_private = true")
    cfg.write_text(text)
    return cfg


def test_secrets_never_appear_in_output_or_logs(tmp_path, site, caplog):
    """Wrong SMTP password, Slack answering 500 then 404, a source URL with a password:
    every command's output, every error and every log line is searched for the secrets."""
    with SMTPSink(credentials=("monitor", "another-password")) as smtp:
        slack_script = [(500, {}, "error")] * 4 + [(404, {}, "no_service")]
        with WebhookEndpoint(slack_script) as slack, WebhookEndpoint([(401, {}, "no")]) as hook:
            slack_url = slack.url + "/" + SLACK_TOKEN
            cfg = _secret_config(
                tmp_path, f"{site.base}/wire/feed.xml", smtp.port, slack_url, hook.url
            )
            env = {
                "SMTP_PASSWORD": SMTP_PASSWORD,
                "SLACK_WEBHOOK_URL": slack_url,
                "HOOK_TOKEN": HOOK_TOKEN,
            }
            outputs: list[str] = []
            runner = CliRunner()
            caplog.set_level(logging.DEBUG)
            import alerts.slack

            alerts.slack.BACKOFF_BASE = 0.0  # the retries without their waits
            for args in (
                ["check-config"],
                ["-vv", "run", "--once"],
                ["sources"],
                ["digest", "--channel", "mail"],
                ["digest", "--channel", "slack"],
                ["digest", "--channel", "hook"],
                ["deliveries"],
                ["digest", "--channel", "mail", "--dry-run"],
            ):
                res = runner.invoke(cli, ["--config", str(cfg), *args], env=env)
                outputs.append(res.output + (res.stderr if res.stderr_bytes else ""))
                if res.exception and not isinstance(res.exception, SystemExit):
                    raise res.exception
            # the daemon's own log lines, from a real process
            proc = subprocess.run(
                [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "-vv", "run",
                 "--stop-after", "4"],
                cwd=ROOT,
                env={**__import__("os").environ, **env},
                capture_output=True,
                text=True,
                timeout=60,
            )  # fmt: skip
            outputs += [proc.stdout, proc.stderr]
            db = sqlite3.connect(tmp_path / "archive.db")
            # the errors kept in the archive (shown by `sources` and `deliveries`) and the
            # source addresses (stored masked: the configuration alone holds the password)
            stored = [
                str(v)
                for sql in (
                    "SELECT url, configured_url, last_error, disabled_reason FROM sources",
                    "SELECT last_error, payload FROM digests",
                    "SELECT last_error FROM deliveries",
                )
                for row in db.execute(sql)
                for v in row
            ]
    everything = "\n".join(outputs + [r.getMessage() for r in caplog.records] + stored)
    # the failures did happen and were reported ...
    assert "mail: digest" in everything and "failed" in everything
    assert "SMTP login" in everything
    assert "with-credentials" in everything
    assert smtp.messages == [] and len(slack.received) >= 1
    # ... without any secret
    for secret in (SMTP_PASSWORD, SLACK_TOKEN, "xoxSecretToken42", HOOK_TOKEN, "hook-secret-77",
                   URL_PASSWORD):  # fmt: skip
        assert secret not in everything, secret
    assert "daemon started" in proc.stderr + proc.stdout


def test_hide_credentials_masks_userinfo_only() -> None:
    from monitor.urls import hide_credentials

    assert (
        hide_credentials("http://u:p%40ss@ex.org/feed: refused (see https://a:b@c.org/x)")
        == "http://***@ex.org/feed: refused (see https://***@c.org/x)"
    )
    unchanged = "mailto:someone@example.org, http://ex.org/a@b, user@example.org"
    assert hide_credentials(unchanged) == unchanged


# ------------------------------------------------------------- the archive holds no secret
FIXTURE = ROOT / "tests" / "testdata" / "security" / "archive-before-masking.db"
FIXTURE_SECRETS = (b"fixture-Feed-Pa55", b"fixture-hook-t0ken")  # scripts/make_security_fixture.py


def _files_with_secrets(folder: Path) -> dict[str, list[bytes]]:
    out = {}
    for p in sorted(folder.glob("archive.db*")):
        data = p.read_bytes()
        hits = [s for s in FIXTURE_SECRETS if s in data]
        if hits:
            out[p.name] = hits
    return out


def test_migration_masks_an_archive_written_by_the_older_code(tmp_path):
    """The archive made by main's code before masking (a feed password in sources.url,
    configured_url, article keys and links, article_sources, the digest payload, the story
    fingerprints), plus a WAL left by a killed writer: after the migration no byte of the
    db, -wal or -shm file holds the password, and nothing was lost."""
    import shutil

    from monitor import logsafe

    db = tmp_path / "archive.db"
    shutil.copy(FIXTURE, db)
    assert _files_with_secrets(tmp_path) == {"archive.db": [FIXTURE_SECRETS[0]]}
    before = sqlite3.connect(db)
    counts = {t: before.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("articles", "article_sources", "stories", "digests", "sources")}  # fmt: skip
    assert before.execute("PRAGMA user_version").fetchone()[0] == 2
    before.close()
    # an older daemon killed mid-write: its last frames (with the password) stay in the WAL
    subprocess.run(
        [sys.executable, "-c",
         "import os, sqlite3, sys\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')\n"
         "c.execute(\"UPDATE sources SET last_error = 'http://reader:fixture-Feed-Pa55@h/x: 500'\")\n"
         "os._exit(0)\n", str(db)],
        check=True,
    )  # fmt: skip
    assert "archive.db-wal" in _files_with_secrets(tmp_path)
    logsafe.forget()  # the migration must not depend on the config having been read
    reader = sqlite3.connect(db)  # another process's connection keeps the -wal and -shm files
    try:
        with Archive(db) as archive:
            assert archive.version >= 3
            assert _files_with_secrets(tmp_path) == {}, "the password is still in the archive"
            after = {t: archive.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in counts}  # fmt: skip
            assert after == counts
            row = archive.source_state("members-only")
            assert (
                row is not None
                and row.url.startswith("http://***@127.0.0.1")
                and row.configured_url == row.url
            )
            assert row.last_error == "http://***@h/x: 500"
            links = [r[0] for r in archive.db.execute("SELECT url FROM articles")]
            assert links and all("@" not in u for u in links)  # links lose the userinfo
            assert (
                archive.db.execute(
                    "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'immunotherapy'"
                ).fetchone()[0]
                >= 1
            )
        assert sorted(p.name for p in tmp_path.glob("archive.db*"))[0] == "archive.db"
        assert _files_with_secrets(tmp_path) == {}
    finally:
        reader.close()
    assert _files_with_secrets(tmp_path) == {}


def test_sources_are_stored_masked_and_polled_with_the_configured_url(tmp_path):
    from types import SimpleNamespace

    configured = "http://reader:pa55-Word9@feeds.example.org/members.xml?token=tok-123456"
    src = SimpleNamespace(name="members", url=configured, enabled=True, tags=[])
    with Archive(tmp_path / "a.db") as archive:
        archive.sync_sources([src])
        row = archive.source_state("members")
        assert row is not None
        assert row.url == row.configured_url == "http://***@feeds.example.org/members.xml?token=***"
        assert archive.feed_url("members", configured) == configured  # the real one, from config
        # a permanent redirect to a plain address is followed from then on
        archive.update_source("members", SourceUpdate(url="https://cdn.example.org/members.xml"))
        assert archive.feed_url("members", configured) == "https://cdn.example.org/members.xml"
        # one that carried a credential is stored masked, and the configured URL is polled
        archive.update_source(
            "members", SourceUpdate(url="https://u:pw-999999@cdn.example.org/m.xml")
        )
        assert _state(archive, "members").url == "https://***@cdn.example.org/m.xml"
        assert archive.feed_url("members", configured) == configured
        # a new password alone is no new address: the stored state stays, the new one is used
        new = configured.replace("pa55-Word9", "other-Pa55")
        archive.sync_sources([SimpleNamespace(**{**vars(src), "url": new})])
        assert archive.feed_url("members", new) == new
        archive.update_source("members", SourceUpdate(last_error=f"GET {configured}: refused"))
        assert "pa55-Word9" not in (_state(archive, "members").last_error or "")
    assert b"pa55-Word9" not in (tmp_path / "a.db").read_bytes()


def test_article_links_are_stored_without_credentials(tmp_path):
    from datetime import UTC, datetime

    from monitor.model import ArticleRecord, StoryDecision

    link = "http://reader:pa55-Word9@feeds.example.org/a/1.html"
    record = ArticleRecord(
        key=f"url:{link}",
        url=link,
        canonical_url=link,
        source="members",
        title="t",
        text="x",
        published=None,
        fetched_at=datetime.now(UTC),
        extract_note=f"page not fetched ({link}: 404)",
    )
    with Archive(tmp_path / "a.db") as archive:
        archive.sync_sources([type("S", (), {"name": "members", "url": link, "enabled": True,
                                              "tags": []})()])  # fmt: skip
        aid, _, created = archive.add_article(
            record, StoryDecision(None, 1.0, "new"), [], index_keys=[], fingerprint_json="{}",
            canonical_rank=[1, link],
        )  # fmt: skip
        assert created
        stored = archive.db.execute("SELECT key, url, canonical_url, extract_note FROM articles")
        assert stored.fetchone() == (
            "url:http://feeds.example.org/a/1.html",
            "http://feeds.example.org/a/1.html",
            "http://feeds.example.org/a/1.html",
            "page not fetched (http://***@feeds.example.org/a/1.html: 404)",
        )
        # the same link, seen again with or without the credentials, is the same article
        assert archive.article_id_for(f"url:{link}", link) == aid
        assert archive.article_id_for("url:http://feeds.example.org/a/1.html") == aid
    assert b"pa55-Word9" not in (tmp_path / "a.db").read_bytes()


def test_migration_overwrites_the_old_bytes_of_every_masked_value(tmp_path):
    """Many rows with a password in their links, written at schema version 2: after the
    migration the password is in no byte of the file (the freed space was overwritten)."""
    from storage import migrations
    from storage.db import Database

    db_path = tmp_path / "archive.db"
    conn = sqlite3.connect(db_path, isolation_level=None)
    db = Database(conn)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for step in migrations.STEPS[:2]:  # the schema the older code wrote
        step(db)
    conn.execute("PRAGMA user_version = 2")
    conn.execute(
        "INSERT INTO sources (name, url, configured_url, created_at) VALUES ('s', ?, ?, 'now')",
        ["http://reader:Old-Pa55word@h/feed.xml"] * 2,
    )
    for i in range(200):
        link = f"http://reader:Old-Pa55word@h/a/{i}.html"
        conn.execute(
            "INSERT INTO articles (key, url, canonical_url, source, title, text, fetched_at)"
            " VALUES (?, ?, ?, 's', 'title', ?, 'now')",
            [f"url:{link}", link, link, "text " * 50],
        )
    conn.execute("COMMIT")
    conn.close()
    assert b"Old-Pa55word" in db_path.read_bytes()
    with Archive(db_path) as archive:
        assert archive.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 200
    leftovers = {p.name: p.read_bytes().count(b"Old-Pa55word") for p in tmp_path.iterdir()}
    assert set(leftovers.values()) == {0}, leftovers


def _state(archive: Archive, name: str) -> SourceState:
    state = archive.source_state(name)
    assert state is not None, name
    return state
