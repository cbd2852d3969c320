"""A full archive (disk full, or [storage] max_size reached) stops writes cleanly and resumes."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from monitor.cli import cli


def _set_max_size(cfg, size: str) -> None:
    text = cfg.read_text()
    if "max_size" in text:
        text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("max_size"))
    cfg.write_text(text.replace("[storage]\n", f'[storage]\nmax_size = "{size}"\n', 1))


def test_full_archive_stops_cleanly_and_resumes(config_file, tmp_path):
    runner = CliRunner()
    # enough for the schema and a few rows, not for seven articles with their index
    _set_max_size(config_file, "165KB")
    res = runner.invoke(cli, ["--config", str(config_file), "run", "--once"])
    # every source's poll failed on the full archive: cron must notice (exit 1)
    assert res.exit_code == 1, res.output
    assert "database or disk is full" in res.stderr and "max_size" in res.stderr
    db = sqlite3.connect(tmp_path / "archive.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert stored < 7
    # no half-stored article: each has its story and its search entry
    assert db.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == stored

    _set_max_size(config_file, "50MB")  # space is back
    res = runner.invoke(cli, ["--config", str(config_file), "run", "--once"])
    assert res.exit_code == 0, res.output
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 7
    assert db.execute("SELECT count(DISTINCT key) FROM articles").fetchone()[0] == 7
