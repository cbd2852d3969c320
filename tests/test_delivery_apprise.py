"""The Apprise channel against a local endpoint Apprise supports (json:// to 127.0.0.1):
the same ledger semantics per URL, and the URLs' secrets never printed, logged or stored."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import timedelta

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.delivery_servers import Reply, ScriptedHTTP, story_numbers
from tests.test_delivery_partial import STORIES, T0, TOPIC, parts, run, seed, write_config

TOKEN, PASSWORD, QUERY_TOKEN = "tok3nBBBBsecret", "pa55wordZ", "q7secretvalue"


def apprise_channel(base: str) -> str:
    host = base.removeprefix("http://")
    urls = [
        f"json://{host}/a/one",
        f"json://monitor:{PASSWORD}@{host}/b/{TOKEN}?token={QUERY_TOKEN}",
    ]
    return (
        f'\n[[channels]]\nname = "phones"\ntype = "apprise"\ntopics = ["{TOPIC}"]\n'
        f"urls = {json.dumps(urls)}\n"
    )


def test_apprise_retries_only_the_url_that_failed_and_never_shows_its_secrets(tmp_path, caplog):
    root = RootLines()
    state = {"b_down": True}

    def answer(req, n):
        if req.path.startswith("/b/") and state["b_down"]:
            return Reply(500, body=f"upstream said no to {TOKEN}")
        return Reply(200)

    with ScriptedHTTP(answer) as hook:
        cfg = write_config(tmp_path, apprise_channel(hook.base))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        first = run(cfg, "phones", T0)
        assert first.failed and not first.sent
        p = parts(cfg)
        assert p[("url 1 (json)", 1)]["state"] == "sent"
        assert p[("url 2 (json)", 1)]["state"] == "pending"
        assert "500" in p[("url 2 (json)", 1)]["last_error"]
        state["b_down"] = False
        res = CliRunner().invoke(
            cli, ["--config", str(cfg), "-vv", "digest", "--channel", "phones"]
        )
        assert res.exit_code == 0, res.output
        shown = CliRunner().invoke(cli, ["--config", str(cfg), "deliveries"]).output
        assert "url 2 (json)" in shown and "sent" in shown
    by_path = {"/a/one": Counter(), f"/b/{TOKEN}": Counter()}
    for req in hook.accepted:
        by_path[req.path.split("?")[0]].update(story_numbers(req.json()["message"]))
    assert all(c == Counter(STORIES) for c in by_path.values()), by_path
    assert len(hook.requests) == 3  # url 1 once, url 2 failed once then once more
    assert parts(cfg)[("url 2 (json)", 1)]["attempts"] == 2

    root.close()
    outputs = [root.text, res.output, shown, str(parts(cfg))]
    outputs += [f.read_bytes().decode("latin-1") for f in tmp_path.glob("archive.db*")]
    for secret in (TOKEN, PASSWORD, QUERY_TOKEN):
        assert not any(secret in text for text in outputs), secret


def test_an_unknown_apprise_scheme_fails_for_that_url_only(tmp_path):
    with ScriptedHTTP() as hook:
        host = hook.base.removeprefix("http://")
        channel = (
            f'\n[[channels]]\nname = "phones"\ntype = "apprise"\ntopics = ["{TOPIC}"]\n'
            f'urls = ["nosuchservice://{TOKEN}", "json://{host}/ok"]\n'
        )
        cfg = write_config(tmp_path, channel)
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        run(cfg, "phones", T0)
    p = parts(cfg)
    assert p[("url 1 (nosuchservice)", 1)]["state"] == "failed"
    assert TOKEN not in p[("url 1 (nosuchservice)", 1)]["last_error"]
    assert p[("url 2 (json)", 1)]["state"] == "sent" and len(hook.accepted) == 1


def test_what_an_apprise_plugin_logs_is_stripped_of_the_url_secrets(tmp_path, caplog, monkeypatch):
    """A plugin that logs its whole URL (with password and token) on failure: the line reaches
    neither the log nor the ledger with the secrets in it."""
    from apprise.plugins.custom_json import NotifyJSON

    original = NotifyJSON.send

    def chatty_send(self, *args, **kwargs):
        self.logger.warning("could not deliver to %s", self.url(privacy=False))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(NotifyJSON, "send", chatty_send)
    caplog.set_level(logging.DEBUG)
    root = RootLines()
    with ScriptedHTTP(lambda req, n: Reply(500 if req.path.startswith("/b/") else 200)) as hook:
        cfg = write_config(tmp_path, apprise_channel(hook.base))
        seed(cfg, STORIES, T0 - timedelta(hours=1))
        run(cfg, "phones", T0)
        root.close()
    error = parts(cfg)[("url 2 (json)", 1)]["last_error"]
    assert "could not deliver to json://" in error  # the line is kept, in words
    assert "could not deliver" in root.text
    for secret in (TOKEN, PASSWORD, QUERY_TOKEN):
        assert secret not in error and secret not in root.text, secret


class RootLines(logging.Handler):
    """Everything that reaches the root logger (what a deployment's handlers see), at DEBUG.

    (pytest's caplog also hooks loggers that do not propagate, such as Apprise's, so it is not
    what a deployment sees.)"""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.root = logging.getLogger()
        self.level_before = self.root.level
        self.root.addHandler(self)
        self.root.setLevel(logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def close(self) -> None:
        self.root.removeHandler(self)
        self.root.setLevel(self.level_before)
        super().close()


def test_channel_config_backfill_retry_after_max_and_apprise_urls(tmp_path):
    from monitor import config as config_mod

    def load(extra: str, kind: str = "webhook", target: str = 'url = "http://127.0.0.1:9/"'):
        channel = (
            f'\n[[channels]]\nname = "c"\ntype = "{kind}"\ntopics = ["{TOPIC}"]\n{target}\n' + extra
        )
        return config_mod.load(write_config(tmp_path, channel)).channel("c")

    c = load("")
    assert c.backfill == 86400.0 and c.retry_after_max == 3600.0
    assert load('backfill = "0"\n').backfill == 0.0
    assert load('backfill = "7d"\nretry_after_max = "5m"\n').retry_after_max == 300.0
    for bad in ('backfill = "soon"\n', 'retry_after_max = "-5"\n', "backfill = -1\n"):
        with pytest.raises(config_mod.ConfigError):
            load(bad)
    urls = f'urls = ["ntfys://{TOKEN}", "json://monitor:{PASSWORD}@127.0.0.1/x"]'
    c = load("", "apprise", urls)
    assert TOKEN in c.secrets() and PASSWORD in c.secrets()
    with pytest.raises(config_mod.ConfigError) as e:
        load("", "apprise", f'urls = ["{TOKEN}"]')
    assert "url 1" in str(e.value) and TOKEN not in str(e.value)
