"""Config loading: valid files load; every mistake names the file, line, table and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import config
from monitor.cli import cli

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
[storage]
path = "data/archive.db"

[fetch]
interval = "45m"

[[sources]]
name = "A"
url = "https://a.example.org/feed"
interval = "10m"
tags = ["x"]

[[sources]]
name = "B"
url = "https://b.example.org/feed"
enabled = false

[[topics]]
name = "t"
query = "liver AND immunotherapy"

[[channels]]
name = "team"
type = "email"
schedule = "0 7 * * 1-5"
timezone = "Europe/Berlin"
topics = ["t"]
smtp_host = "smtp.example.org"
password = "${SMTP_PASSWORD}"
from = "Monitor <m@example.org>"
to = ["a@example.org"]
"""


def test_good_config_loads(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD)
    cfg = config.load(path, env={"SMTP_PASSWORD": "s3cret"})
    assert cfg.storage_path == tmp_path / "data/archive.db"
    assert [s.interval for s in cfg.sources] == [600.0, 2700.0]
    assert cfg.sources[1].enabled is False
    ch = cfg.channels[0]
    assert ch.password == "s3cret" and ch.smtp_port == 587 and ch.timezone == "Europe/Berlin"
    assert cfg.secrets() == ["s3cret"]


@pytest.mark.parametrize(
    ("mutate", "where", "words", "line"),
    [
        (
            lambda s: s.replace('tags = ["x"]', 'tags = ["x"]\ncolour = "red"'),
            '[[sources]] "A".colour',
            "unknown key",
            13,
        ),
        (
            lambda s: s.replace('interval = "10m"', 'interval = "soon"'),
            '[[sources]] "A".interval',
            "duration",
            11,
        ),
        (
            lambda s: s.replace("enabled = false", 'enabled = "no"'),
            '[[sources]] "B".enabled',
            "true or false",
            17,
        ),
        (
            lambda s: s.replace('name = "B"', 'name = "A"'),
            "[[sources]] #2",
            'duplicate name "A"',
            14,
        ),
        (
            lambda s: s.replace('topics = ["t"]', 'topics = ["nope"]'),
            'channels]] "team".topics',
            'topic "nope"',
            28,
        ),
        (
            lambda s: s.replace('type = "email"', 'type = "pigeon"'),
            '"team".type',
            "email, slack",
            25,
        ),
        (lambda s: s + "\n[extras]\nx = 1\n", "extras", "unknown table", 34),
        (lambda s: s.replace("[storage]", "[storage\n"), "TOML syntax", "", 2),
        (
            lambda s: s.replace('timezone = "Europe/Berlin"', 'timezone = "Mars/Olympus"'),
            '"team".timezone',
            "time zone",
            27,
        ),
        (
            lambda s: s.replace('schedule = "0 7 * * 1-5"', 'schedule = "daily"'),
            '"team".schedule',
            "cron",
            26,
        ),
    ],
)
def test_config_errors_say_where_and_what(tmp_path, mutate, where, words, line):
    path = tmp_path / "sources.toml"
    path.write_text(mutate(GOOD))
    with pytest.raises(config.ConfigError) as err:
        config.load(path, env={"SMTP_PASSWORD": "x"})
    msg = str(err.value)
    assert str(path) in msg
    assert where in msg
    assert words in msg
    assert err.value.line == line


def test_unset_environment_variable_is_named(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD)
    with pytest.raises(config.ConfigError) as err:
        config.load(path, env={})
    assert "SMTP_PASSWORD is not set" in str(err.value)
    assert err.value.line == 30


def test_check_config_command(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD)
    runner = CliRunner()
    ok = runner.invoke(cli, ["--config", str(path), "check-config"], env={"SMTP_PASSWORD": "pw"})
    assert ok.exit_code == 0, ok.output
    assert "2 sources (1 enabled), 1 topics, 1 channels" in ok.output
    assert "pw" not in ok.output  # secrets are never shown
    bad = runner.invoke(cli, ["--config", str(path), "check-config"], env={})
    assert bad.exit_code == 1
    assert "SMTP_PASSWORD" in bad.output and str(path) in bad.output


def test_check_config_reports_query_errors(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD.replace('query = "liver AND immunotherapy"', 'query = "(liver AND"'))
    res = CliRunner().invoke(
        cli, ["--config", str(path), "check-config"], env={"SMTP_PASSWORD": "x"}
    )
    assert res.exit_code == 1
    assert f"{path}:21" in res.output  # the query's line
    assert '[[topics]] "t".query' in res.output and "column 11" in res.output


def test_shipped_config_is_valid():
    cfg = config.load(ROOT / "sources.toml", env={})
    assert len(cfg.sources) >= 5
    assert all(s.url.startswith("https://") for s in cfg.sources)
    assert "liver-metastases-immunotherapy" in [t.name for t in cfg.topics]


def test_demo_topic_is_the_shipped_topic():
    import tomllib

    shipped = tomllib.loads((ROOT / "sources.toml").read_text())
    demo = tomllib.loads((ROOT / "monitor/demo/topics.toml").read_text())
    assert demo["synonyms"] == shipped["synonyms"]
    assert demo["topics"] == shipped["topics"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("6h", 21600), ("1d", 86400), (15, 15), ("2.5m", 150)],
)
def test_durations(text, seconds):
    assert config.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5m", 0, True, "5 weeks"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        config.parse_duration(text)


def test_invalid_cron_field_is_caught(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD.replace('schedule = "0 7 * * 1-5"', 'schedule = "0 25 * * *"'))
    with pytest.raises(config.ConfigError) as err:
        config.load(path, env={"SMTP_PASSWORD": "x"})
    assert "not a valid cron expression" in str(err.value) and err.value.line == 26


def test_archive_path_from_environment(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD)
    cfg = config.load(path, env={"SMTP_PASSWORD": "x", "MONITOR_ARCHIVE": "/data/a.db"})
    assert str(cfg.storage_path) == "/data/a.db"


# ------------------------------------------------ values that would break a run (issue 16)

BREAKERS = [
    # (mutation, where, words in the message (the fix), line)
    (
        lambda s: s.replace('interval = "10m"', "interval = 30"),
        '[[sources]] "A".interval',
        'has no unit; write "30m" for minutes or "30s"',
        11,
    ),
    (
        lambda s: s.replace('interval = "45m"', 'interval = "30s"'),
        "[fetch].interval",
        'under one minute; write at least "1m"',
        6,
    ),
    (
        lambda s: s.replace('interval = "10m"', 'interval = "59s"'),
        '[[sources]] "A".interval',
        "under one minute",
        11,
    ),
    (
        lambda s: s.replace('interval = "10m"', 'interval = "99999999999d"'),
        '[[sources]] "A".interval',
        'too long to schedule; write at most "365d"',
        11,
    ),
    (
        lambda s: s.replace('interval = "45m"', 'interval = "45m"\nconcurrent_sources = 0'),
        "[fetch].concurrent_sources",
        "write at least 1 (0 would poll nothing",
        7,
    ),
    (
        lambda s: s.replace('interval = "45m"', 'interval = "45m"\nconcurrent_sources = -3'),
        "[fetch].concurrent_sources",
        "write at least 1",
        7,
    ),
    (
        lambda s: s.replace('interval = "45m"', 'interval = "45m"\nmax_entries_per_feed = 0'),
        "[fetch].max_entries_per_feed",
        "write at least 1 (below 1 nothing would be archived)",
        7,
    ),
    (
        lambda s: s.replace('interval = "45m"', 'interval = "45m"\nca_file = "certs/corp.pem"'),
        "[fetch].ca_file",
        "does not exist or is not a file; give the path of a PEM CA bundle",
        7,
    ),
    (
        lambda s: s.replace('interval = "45m"', 'interval = "45m"\nper_host_concurrency = 0'),
        "[fetch].per_host_concurrency",
        "write at least 1",
        7,
    ),
    (
        lambda s: s.replace('interval = "45m"', 'interval = "45m"\nper_host_delay = -1'),
        "[fetch].per_host_delay",
        "write at least 0",
        7,
    ),
]


@pytest.mark.parametrize(("mutate", "where", "words", "line"), BREAKERS)
def test_check_config_rejects_values_that_break_a_run(tmp_path, mutate, where, words, line):
    path = tmp_path / "sources.toml"
    path.write_text(mutate(GOOD))
    # no MONITOR_MIN_INTERVAL here: the shipped rule
    res = CliRunner().invoke(
        cli,
        ["--config", str(path), "check-config"],
        env={"SMTP_PASSWORD": "x", "MONITOR_MIN_INTERVAL": None},
    )
    assert res.exit_code == 1, res.output
    assert f"{path}:{line}: {where}" in res.output, res.output
    assert words in res.output
    assert "Traceback" not in res.output


def test_ca_file_that_exists_is_accepted(tmp_path):
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    path = tmp_path / "sources.toml"
    path.write_text(GOOD.replace('interval = "45m"', 'interval = "45m"\nca_file = "ca.pem"'))
    cfg = config.load(path, env={"SMTP_PASSWORD": "x"})
    assert cfg.fetch.ca_file == str(tmp_path / "ca.pem")


def test_loading_is_linear_in_sources(tmp_path):
    """8,000 sources took 13.7 s (a scan of the file per source); the benchmark
    (benchmarks/polling.py) times 10,000; this bound only catches a quadratic return."""
    import time

    n = 10_000
    blocks = [
        f'[[sources]]\nname = "s{i}"\nurl = "https://h{i}.example.org/feed"\n' for i in range(n)
    ]
    path = tmp_path / "sources.toml"
    path.write_text('[fetch]\ninterval = "30m"\n\n' + "\n".join(blocks))
    started = time.process_time()
    cfg = config.load(path, env={})
    took = time.process_time() - started
    assert len(cfg.sources) == n
    assert took < 5, took
    # a mistake in the last source still names its line
    path.write_text(path.read_text() + 'colour = "red"\n')
    with pytest.raises(config.ConfigError) as err:
        config.load(path, env={})
    assert err.value.line == 4 * n + 3 and f'[[sources]] "s{n - 1}".colour' in str(err.value)


def test_loading_the_config_loads_neither_scheduler_nor_http_client():
    import subprocess
    import sys

    code = (
        "import sys, monitor.config as c; c.load(sys.argv[1], env={}); "
        "bad = [m for m in ('monitor.scheduler', 'monitor.pipeline', 'monitor.fetch', 'httpx',"
        " 'apscheduler.schedulers', 'storage.archive', 'alerts') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "sources.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stdout + res.stderr
