"""Digests delivered for real: aiosmtpd receives the email, a local endpoint plays Slack."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from alerts import http, render
from alerts.digest import summarize
from monitor.cli import cli
from monitor.demo import demo_config_text
from monitor.demo.server import free_port
from monitor.model import Copy, Digest, DigestItem
from tests.endpoints import SMTPSink, WebhookEndpoint

TOPIC = "liver-metastases-immunotherapy"


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_BASE", 0.01)


def _config(tmp_path, site, channels: str):
    path = tmp_path / "sources.toml"
    path.write_text(demo_config_text(site.base, tmp_path / "archive.db") + "\n" + channels)
    return path


def _email_channel(port: int) -> str:
    return f"""
[[channels]]
name = "team"
type = "email"
topics = ["{TOPIC}"]
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "none"
from = "Monitor <monitor@example.org>"
to = ["onc@example.org", "trials@example.org"]
"""


def _slack_channel(url: str) -> str:
    return f"""
[[channels]]
name = "slack"
type = "slack"
topics = ["{TOPIC}"]
webhook_url = "{url}"
"""


def _run(cfg, *args, code=0):
    res = CliRunner().invoke(cli, ["--config", str(cfg), *args], catch_exceptions=False)
    assert res.exit_code == code, res.output
    return res


def test_email_digest_is_sent_once(tmp_path, site):
    with SMTPSink() as smtp:
        cfg = _config(tmp_path, site, _email_channel(smtp.port))
        _run(cfg, "run", "--once")
        res = _run(cfg, "digest", "--channel", "team")
        assert "sent digest" in res.stderr
        assert len(smtp.messages) == 1
        msg = smtp.messages[0]
        assert smtp.envelopes[0][1] == ["onc@example.org", "trials@example.org"]
        assert msg["Message-ID"].endswith("@monitor.invalid>")
        assert "team" in msg["List-Id"] and msg["Date"]
        assert TOPIC in msg["Subject"] and "stories" in msg["Subject"]
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "Liver metastases siphon off T cells" in text
        assert 'href="http://127.0.0.1' in html and "<h1" in html
        # run again at once: nothing new, nothing sent
        res = _run(cfg, "digest", "--channel", "team")
        assert "nothing new" in res.stderr
        assert len(smtp.messages) == 1
    db = sqlite3.connect(tmp_path / "archive.db")
    states = db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()
    n_stories = db.execute("SELECT count(DISTINCT story_id) FROM story_matches").fetchone()[0]
    assert states == [("sent", n_stories)]


def test_dead_smtp_server_keeps_the_digest_pending_then_delivers_it(tmp_path, site):
    port = free_port()
    cfg = _config(tmp_path, site, _email_channel(port))
    _run(cfg, "run", "--once")
    res = _run(cfg, "digest", "--channel", "team", code=1)
    assert "failed" in res.stderr and f"127.0.0.1:{port}" in res.stderr
    db = sqlite3.connect(tmp_path / "archive.db")
    ((digest_id, state),) = db.execute("SELECT id, state FROM digests").fetchall()
    assert state == "pending"
    with SMTPSink(port) as smtp:
        _run(cfg, "digest", "--channel", "team")
        assert len(smtp.messages) == 1  # the pending digest, not a second new one
        assert smtp.messages[0]["Message-ID"] == f"<{digest_id}@monitor.invalid>"
        _run(cfg, "digest", "--channel", "team")
        assert len(smtp.messages) == 1
    assert db.execute("SELECT state FROM digests").fetchall() == [("sent",)]


def test_slack_rate_limit_then_success(tmp_path, site):
    with WebhookEndpoint([(429, {"Retry-After": "0"}, "rate_limited"), (200, {}, "ok")]) as hook:
        cfg = _config(tmp_path, site, _slack_channel(hook.url))
        _run(cfg, "run", "--once")
        _run(cfg, "digest", "--channel", "slack")
        assert len(hook.received) == 2 and hook.received[0] == hook.received[1]
        blocks = hook.received[-1]["blocks"]
        assert blocks[0]["type"] == "header"
        sections = [b for b in blocks if b["type"] == "section"]
        assert any("Liver metastases siphon off T cells" in s["text"]["text"] for s in sections)


def test_slack_permanent_error_is_recorded(tmp_path, site):
    with WebhookEndpoint([(400, {}, "invalid_blocks")]) as hook:
        cfg = _config(tmp_path, site, _slack_channel(hook.url))
        _run(cfg, "run", "--once")
        res = _run(cfg, "digest", "--channel", "slack", code=1)
        assert "invalid_blocks" in res.stderr
        assert len(hook.received) == 1  # a 4xx is not retried
        out = _run(cfg, "deliveries").stdout
        assert "failed" in out and "invalid_blocks" in out


def test_slack_server_errors_retry_then_stay_pending(tmp_path, site):
    with WebhookEndpoint([(500, {}, "oops")] * 4) as hook:
        cfg = _config(tmp_path, site, _slack_channel(hook.url))
        _run(cfg, "run", "--once")
        _run(cfg, "digest", "--channel", "slack", code=1)
        assert len(hook.received) == 4
        db = sqlite3.connect(tmp_path / "archive.db")
        assert db.execute("SELECT state FROM digests").fetchone()[0] == "pending"
        _run(cfg, "digest", "--channel", "slack")  # the endpoint recovered
        assert len(hook.received) == 5
        assert db.execute("SELECT state FROM digests").fetchone()[0] == "sent"


def _item(i: int, title: str = "A study", summary: str = "Summary.") -> DigestItem:
    return DigestItem(
        story_id=i,
        title=title,
        url=f"https://example.org/{i}",
        source="Outlet",
        published=datetime(2026, 11, 1, tzinfo=UTC),
        topics=[TOPIC],
        summary=summary,
        also_covered_by=[Copy(0, "Other <b>", "https://other.example/x?a=1&b=2", "t")],
    )


def test_slack_escapes_and_splits():
    items = [
        _item(i, title="<script>alert(1)</script> & more" if i == 0 else f"Story {i}")
        for i in range(60)
    ]
    d = Digest(generated_at=datetime(2026, 11, 2, tzinfo=UTC), channel="s", since=None, items=items)
    messages = render.slack_messages(d)
    assert len(messages) == 3
    assert all(len(m["blocks"]) <= 50 for m in messages)
    assert all(len(m["blocks"][0]["text"]["text"]) <= 150 for m in messages)
    first = messages[0]["blocks"][1]["text"]["text"]
    assert "<script>" not in first and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in first
    assert "Other &lt;b&gt;" in first
    n_sections = sum(1 for m in messages for b in m["blocks"] if b["type"] == "section")
    assert n_sections == 60
    huge = Digest(
        generated_at=d.generated_at,
        channel="s",
        since=None,
        items=[_item(1, summary="word " * 2000)],
    )
    section = render.slack_messages(huge)[0]["blocks"][1]["text"]["text"]
    assert len(section) <= 3000


def test_html_email_escapes_untrusted_text():
    d = Digest(
        generated_at=datetime(2026, 11, 2, tzinfo=UTC),
        channel="s",
        since=None,
        items=[_item(1, title='<img src=x onerror="alert(1)">')],
    )
    html = render.render(d, "html")
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_summary_prefers_sentences_with_topic_evidence():
    text = (
        "The weather was fine at the congress this year and many people attended the sessions.\n\n"
        "Organisers said the venue had been booked for the next three years already.\n\n"
        "In patients with liver metastases, pembrolizumab produced responses in a third of cases."
    )
    s = summarize(text, "liver metastases, pembrolizumab")
    assert s.startswith("In patients with liver metastases")
    assert "weather" not in s


def test_webhook_channel_posts_digest_json(tmp_path, site):
    with WebhookEndpoint() as hook:
        channel = f"""
[[channels]]
name = "tools"
type = "webhook"
topics = ["{TOPIC}"]
url = "{hook.url}"
headers = {{ "X-Token" = "abc" }}
"""
        cfg = _config(tmp_path, site, channel)
        _run(cfg, "run", "--once")
        _run(cfg, "digest", "--channel", "tools")
        assert len(hook.received) == 1
        payload = hook.received[0]
        assert payload["channel"] == "tools" and payload["stories"]
        assert hook.headers[0].get("X-Token") == "abc"
        dry = json.loads(
            _run(cfg, "digest", "--channel", "tools", "--dry-run", "--format", "json").stdout
        )
        assert dry["stories"] == []  # everything was delivered already


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_email_over_tls_with_login(tmp_path, site, monkeypatch, security):
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the client trusts our test CA only
    monkeypatch.setenv("SMTP_USER", "monitor")
    monkeypatch.setenv("SMTP_PASSWORD", "pa55-word")
    with SMTPSink(tls=security, cert=cert, credentials=("monitor", "pa55-word")) as smtp:
        channel = _email_channel(smtp.port).replace('security = "none"', f'security = "{security}"')
        channel += 'username = "${SMTP_USER}"\npassword = "${SMTP_PASSWORD}"\n'
        cfg = _config(tmp_path, site, channel)
        _run(cfg, "run", "--once")
        _run(cfg, "digest", "--channel", "team")
        assert smtp.logins == ["monitor"]
        assert len(smtp.messages) == 1


def test_wrong_smtp_password_fails_permanently_without_leaking_it(tmp_path, site, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "not-the-password")
    with SMTPSink(credentials=("monitor", "right")) as smtp:
        channel = (
            _email_channel(smtp.port) + 'username = "monitor"\npassword = "${SMTP_PASSWORD}"\n'
        )
        cfg = _config(tmp_path, site, channel)
        _run(cfg, "run", "--once")
        res = _run(cfg, "digest", "--channel", "team", code=1)
        assert "login" in res.stderr and "not-the-password" not in res.stderr
        assert smtp.messages == []
        log = _run(cfg, "deliveries").stdout
        assert "failed" in log and "not-the-password" not in log


def test_a_failing_channel_does_not_block_others(tmp_path, site):
    from alerts import deliver
    from monitor import config as config_mod
    from storage.archive import Archive

    with SMTPSink() as smtp, WebhookEndpoint([(500, {}, "down")] * 10) as hook:
        cfg = _config(tmp_path, site, _slack_channel(hook.url) + _email_channel(smtp.port))
        _run(cfg, "run", "--once")
        config = config_mod.load(cfg)
        now = datetime.now(UTC)
        with Archive(config.storage_path) as archive:
            runs = [deliver.run_channel(config, archive, c, now=now) for c in config.channels]
        assert runs[0].failed and not runs[0].sent
        assert runs[1].sent and len(smtp.messages) == 1


def test_templates_can_be_overridden(tmp_path, site):
    tdir = tmp_path / "templates"
    tdir.mkdir()
    (tdir / "digest.txt").write_text(
        "CUSTOM {{ count }} stories\n{% for it in d.items %}* {{ it.title }}\n{% endfor %}"
    )
    cfg = _config(tmp_path, site, "")
    cfg.write_text(
        cfg.read_text().replace("[fetch]", '[alerts]\ntemplates_dir = "templates"\n\n[fetch]')
    )
    _run(cfg, "run", "--once")
    out = _run(cfg, "digest", "--dry-run").stdout
    assert out.startswith("CUSTOM ") and "* Liver metastases siphon off T cells" in out
    html = _run(cfg, "digest", "--dry-run", "--format", "html").stdout
    assert "<html" in html  # templates not overridden fall back to the shipped ones


def test_atom_feed_of_a_topic(tmp_path, site):
    import xml.etree.ElementTree as ET

    cfg = _config(tmp_path, site, "")
    _run(cfg, "run", "--once")
    out = tmp_path / "topic.xml"
    _run(cfg, "feed", TOPIC, "-o", str(out))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.parse(out).getroot()
    entries = root.findall("a:entry", ns)
    dry = json.loads(_run(cfg, "digest", "--dry-run", "--format", "json").stdout)
    assert len(entries) == len(dry["stories"]) >= 3
    links = {e.find("a:link[@rel='alternate']", ns).get("href") for e in entries}
    assert links == {s["url"] for s in dry["stories"]}
    ids = [e.find("a:id", ns).text for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:monitor:story:") for i in ids)
    bad = CliRunner().invoke(cli, ["--config", str(cfg), "feed", "nope"])
    assert bad.exit_code == 1 and "no topic" in bad.output
