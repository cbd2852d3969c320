"""A poll killed (SIGKILL) at any moment loses no article and duplicates none after restart."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from monitor.demo import demo_config_text
from monitor.demo.server import SiteServer
from monitor.demo.site import build_site

ROOT = Path(__file__).resolve().parents[1]


def _poll(cfg: Path, kill_after: float | None) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "run", "--once"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if kill_after is not None:
        time.sleep(kill_after)
        proc.kill()
    return proc.wait(timeout=120)


def test_kill_during_poll_then_restart(tmp_path):
    with SiteServer(build_site, delay=0.15) as site:  # a slow site, so kills land mid-poll
        killed = 0
        for i, kill_after in enumerate([0.3, 0.5, 0.7, 0.9, 1.2, 1.5, 1.8, 2.2]):
            folder = tmp_path / f"run{i}"
            folder.mkdir()
            cfg = folder / "sources.toml"
            cfg.write_text(demo_config_text(site.base, folder / "archive.db"))
            if _poll(cfg, kill_after) == -9:
                killed += 1
            db_path = folder / "archive.db"
            partial = 0
            if db_path.exists():
                with sqlite3.connect(db_path) as db:
                    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                    if db.execute("PRAGMA user_version").fetchone()[0] == 0:
                        # killed while creating the schema: nothing of it may be left
                        assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
                    else:
                        partial = db.execute("SELECT count(*) FROM articles").fetchone()[0]
                        # an article is never stored without its story
                        assert (
                            db.execute(
                                "SELECT count(*) FROM articles WHERE story_id IS NULL"
                                " OR story_id NOT IN (SELECT id FROM stories)"
                            ).fetchone()[0]
                            == 0
                        )
            assert _poll(cfg, None) == 0  # restart: a full poll
            with sqlite3.connect(db_path) as db:
                assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 7
                assert db.execute("SELECT count(DISTINCT key) FROM articles").fetchone()[0] == 7
                assert (
                    db.execute("SELECT count(DISTINCT canonical_url) FROM articles").fetchone()[0]
                    == 7
                )
                orphans = db.execute(
                    "SELECT count(*) FROM matches WHERE article_id NOT IN (SELECT id FROM articles)"
                ).fetchone()[0]
                assert orphans == 0
                assert db.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == 7
            assert partial <= 7
        assert killed >= 4  # most runs really were killed mid-way
