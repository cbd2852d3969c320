"""`monitor health` against a real daemon process: ok while it runs, failing once it stops."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from monitor import heartbeat
from monitor.cli import cli

MONITOR = [sys.executable, "-c", "from monitor.cli import main; main()"]


def _health(cfg) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["--config", str(cfg), "health"])
    return res.exit_code, res.output


def _start_daemon(cfg):
    proc = subprocess.Popen(
        [*MONITOR, "--config", str(cfg), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    beat = cfg.parent / "archive.db.heartbeat"
    deadline = time.monotonic() + 30
    while not beat.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no heartbeat within 30 s"
        time.sleep(0.1)
    return proc, beat


def test_health_fails_once_the_daemon_stops_cleanly(config_file):
    proc, beat = _start_daemon(config_file)
    try:
        code, out = _health(config_file)
        assert code == 0 and out.startswith("ok: heartbeat") and f"pid {proc.pid}" in out
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert not beat.exists()
    code, out = _health(config_file)
    assert code == 1 and "not running" in out


def test_health_fails_at_once_when_the_daemon_was_killed(config_file):
    proc, beat = _start_daemon(config_file)
    proc.kill()
    proc.wait(timeout=10)
    assert beat.exists()  # no clean stop: the file stays, fresh
    code, out = _health(config_file)
    assert code == 1 and f"pid {proc.pid}" in out and "no longer running" in out


def test_stale_or_missing_heartbeat_fails(tmp_path):
    cfg = tmp_path / "sources.toml"
    cfg.write_text('[storage]\npath = "archive.db"\n')
    assert _health(cfg)[0] == 1
    beat = tmp_path / "archive.db.heartbeat"
    heartbeat.write(beat)  # this process: alive
    assert _health(cfg)[0] == 0
    old = time.time() - 600
    os.utime(beat, (old, old))
    code, out = _health(cfg)
    assert code == 1 and re.search(r"is (599|600|601)s old", out)
    # a heartbeat written by an older version (a bare timestamp) counts by its age alone
    beat.write_text("2026-11-20T10:00:00+00:00")
    assert _health(cfg)[0] == 0
