"""A full archive (disk full, or [storage] max_size reached) stops writes cleanly and resumes."""

from __future__ import annotations

import re
import sqlite3

from click.testing import CliRunner

from monitor.cli import cli
from storage.archive import Archive


def _set_max_size(cfg, size: str) -> None:
    text = cfg.read_text()
    if "max_size" in text:
        text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("max_size"))
    cfg.write_text(text.replace("[storage]\n", f'[storage]\nmax_size = "{size}"\n', 1))


def test_full_archive_stops_cleanly_and_resumes(config_file, tmp_path):
    runner = CliRunner()
    # enough for the schema and a few rows, not for seven articles with their index: measured
    # on an empty archive, so the test does not depend on how large the schema has grown
    Archive(tmp_path / "archive.db").close()
    empty = (tmp_path / "archive.db").stat().st_size
    _set_max_size(config_file, f"{(empty + 16 * 1024) // 1024}KB")
    res = runner.invoke(cli, ["--config", str(config_file), "run", "--once"])
    # sources whose articles did not fit failed, and say why; if none fitted, cron must notice
    # (exit 1), otherwise the run exits 0 (which sources fit depends on their sizes)
    counts = re.search(r"polled (\d+) sources: .*?(\d+) failed", res.output)
    assert counts, res.output
    polled, failed = map(int, counts.groups())
    assert failed >= 1, res.output
    assert res.exit_code == (1 if failed == polled else 0), res.output
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
