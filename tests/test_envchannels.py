"""Digest channels from MONITOR_* environment variables (the container's configuration)."""

from __future__ import annotations

import pytest

from monitor import config as config_mod

BASE = """
[storage]
path = "a.db"
[[topics]]
name = "t1"
query = "liver"
[[topics]]
name = "t2"
query = "lung"
"""


def _load(tmp_path, env, extra=""):
    p = tmp_path / "sources.toml"
    p.write_text(BASE + extra)
    return config_mod.load(p, env=env)


def test_each_variable_makes_its_channel(tmp_path):
    cfg = _load(
        tmp_path,
        {
            "MONITOR_SLACK_WEBHOOK_URL": "https://hooks.slack.example/T/B/x",
            "MONITOR_WEBHOOK_URL": "https://hook.example/in",
            "MONITOR_WEBHOOK_TOKEN": "tok",
            "MONITOR_SMTP_HOST": "smtp.example.org",
            "MONITOR_SMTP_PORT": "465",
            "MONITOR_SMTP_SECURITY": "tls",
            "MONITOR_SMTP_PASSWORD": "pw",
            "MONITOR_EMAIL_FROM": "Monitor <m@example.org>",
            "MONITOR_EMAIL_TO": "a@example.org, b@example.org",
            "MONITOR_DIGEST_SCHEDULE": "30 6 * * 1-5",
            "MONITOR_DIGEST_TIMEZONE": "Europe/Berlin",
            "MONITOR_DIGEST_TOPICS": "t2",
        },
    )
    by = {c.name: c for c in cfg.channels}
    assert set(by) == {"slack", "webhook", "email"}
    assert by["slack"].webhook_url == "https://hooks.slack.example/T/B/x"
    assert by["webhook"].headers == {"Authorization": "Bearer tok"}
    assert by["email"].to == ["a@example.org", "b@example.org"]
    assert (by["email"].smtp_port, by["email"].security) == (465, "tls")
    assert all(c.schedule == "30 6 * * 1-5" and c.topics == ["t2"] for c in cfg.channels)
    assert all(c.timezone == "Europe/Berlin" for c in cfg.channels)
    assert {"pw", "Bearer tok", "https://hooks.slack.example/T/B/x"} <= set(cfg.secrets())


def test_empty_variables_make_no_channel_and_topics_default_to_all(tmp_path):
    assert (
        _load(tmp_path, {"MONITOR_SLACK_WEBHOOK_URL": "", "MONITOR_SMTP_HOST": " "}).channels == []
    )
    cfg = _load(tmp_path, {"MONITOR_WEBHOOK_URL": "https://hook.example/in"})
    assert cfg.channels[0].topics == ["t1", "t2"] and cfg.channels[0].schedule == "0 7 * * *"


@pytest.mark.parametrize(
    "env,words",
    [
        ({"MONITOR_SMTP_HOST": "smtp.example.org"}, "MONITOR_EMAIL_FROM, MONITOR_EMAIL_TO"),
        ({"MONITOR_WEBHOOK_URL": "https://h.example", "MONITOR_DIGEST_SCHEDULE": "daily"}, "cron"),
        ({"MONITOR_WEBHOOK_URL": "https://h.example", "MONITOR_DIGEST_TOPICS": "nope"}, "nope"),
        ({"MONITOR_WEBHOOK_URL": "https://h.example", "MONITOR_DIGEST_TIMEZONE": "Mars"}, "Mars"),
    ],
)
def test_bad_values_are_config_errors(tmp_path, env, words):
    with pytest.raises(config_mod.ConfigError, match=words):
        _load(tmp_path, env)


def test_a_file_channel_of_the_same_name_is_a_conflict(tmp_path):
    extra = '[[channels]]\nname = "webhook"\ntype = "webhook"\nurl = "https://x.example"\ntopics = ["t1"]\n'
    with pytest.raises(config_mod.ConfigError, match="already has a channel"):
        _load(tmp_path, {"MONITOR_WEBHOOK_URL": "https://h.example"}, extra)
    assert len(_load(tmp_path, {}, extra).channels) == 1
