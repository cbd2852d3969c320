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

pytest.importorskip("apprise")

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
    caplog.set_level(logging.DEBUG)
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

    outputs = [caplog.text, res.output, shown, str(parts(cfg))]
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
