"""`run --once` exit status, and archive errors as one line for every command."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo import demo_config_text

ROOT = Path(__file__).resolve().parents[1]


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/feed.xml"


def test_run_once_exits_1_only_when_every_enabled_source_failed(tmp_path, site):
    cfg = tmp_path / "sources.toml"
    bad = (
        '[storage]\npath = "archive.db"\n[fetch]\nallow_private = true\n'
        f'[[sources]]\nname = "down-1"\nurl = "{_refused_url()}"\n'
        f'[[sources]]\nname = "down-2"\nurl = "{_refused_url().replace("feed", "other")}"\n'
    )
    cfg.write_text(bad)
    res = CliRunner().invoke(cli, ["--config", str(cfg), "run", "--once"])
    assert res.exit_code == 1, res.output
    assert "polled 2 sources: 0 new articles, 2 failed" in res.stderr
    assert "connection refused" in res.stderr.lower()
    assert "Traceback" not in res.output

    # one source of the demo site works: the run is not a failure, the failed one is counted
    text = demo_config_text(site.base, tmp_path / "archive2.db")
    text += f'\n[[sources]]\nname = "down"\nurl = "{_refused_url()}"\n'
    cfg.write_text(text)
    res = CliRunner().invoke(cli, ["--config", str(cfg), "run", "--once"])
    assert res.exit_code == 0, res.output
    assert "new articles, 1 failed" in res.stderr


COMMANDS = [
    ["run", "--once"],
    ["run", "--stop-after", "1"],
    ["digest"],
    ["digest", "--channel", "hook", "--dry-run"],
    ["deliveries"],
    ["feed", "liver-metastases-immunotherapy"],
    ["sources"],
    ["stories"],
    ["stories", "explain", "1", "2"],
    ["topics", "backtest", "liver-metastases-immunotherapy"],
]


def _config(folder: Path, archive: Path) -> Path:
    cfg = folder / "sources.toml"
    cfg.write_text(
        demo_config_text("http://127.0.0.1:9", archive)
        + '\n[[channels]]\nname = "hook"\ntype = "webhook"\nschedule = "0 7 * * *"\n'
        'topics = ["liver-metastases-immunotherapy"]\nurl = "http://127.0.0.1:9/hook"\n'
    )
    return cfg


def _one_line_error(out: str) -> None:
    lines = [ln for ln in out.strip().splitlines() if ln.strip()]
    assert "Traceback" not in out, out
    assert len(lines) == 1 and lines[0].startswith("Error: "), out
    assert "archive" in lines[0]


@pytest.mark.parametrize("kind", ["not-a-database", "a-directory"])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_unreadable_archive_is_one_line_for_every_command(tmp_path, kind, args):
    archive = tmp_path / "archive.db"
    if kind == "a-directory":
        archive.mkdir()
    else:
        archive.write_bytes(b"this is not an SQLite file\n" * 100)
    cfg = _config(tmp_path, archive)
    res = CliRunner().invoke(cli, ["--config", str(cfg), *args])
    assert res.exit_code == 1, res.output
    _one_line_error(res.output)


def test_read_only_archive_is_one_line_for_every_command():
    """The archive's folder is read-only: as root (CI), where file permissions do not bind,
    each command runs in its own mount namespace with the folder bind-mounted read-only;
    otherwise the folder and files lose their write bits."""
    folder = Path(tempfile.mkdtemp(prefix="monitor-ro-"))
    try:
        archive = folder / "archive.db"
        cfg = _config(folder, archive)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        cli_cmd = [sys.executable, "-m", "monitor.cli", "--config", str(cfg)]
        made = subprocess.run(
            [*cli_cmd, "sources"], capture_output=True, text=True, env=env, cwd=ROOT
        )
        assert made.returncode == 0, made.stderr  # a valid archive now exists
        root = os.geteuid() == 0
        if not root:
            for p in folder.iterdir():
                p.chmod(0o444)
            folder.chmod(0o555)
        for args in COMMANDS:
            cmd = [*cli_cmd, *args]
            if root:
                d = shlex.quote(str(folder))
                cmd = [
                    "unshare",
                    "-m",
                    "sh",
                    "-c",
                    f"mount --bind {d} {d} && mount -o remount,bind,ro {d} {d} && exec "
                    + " ".join(shlex.quote(c) for c in cmd),
                ]
            res = subprocess.run(
                cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
            )
            assert res.returncode == 1, (args, res.stdout, res.stderr)
            _one_line_error(res.stderr)
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)
