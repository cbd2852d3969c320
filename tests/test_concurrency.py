"""One archive, many users at once: the daemon, manual `digest --channel` runs and readers.

The daemon (`Daemon` with stop_after) polls the demo site (slowed down, so its writes are
spread over the run) and runs its channel's catch-up delivery, while two loops of
`monitor digest --channel hook` (separate processes) and reader threads doing FTS queries on
read-only connections (what `monitor browse`/Datasette does) work on the same file. Nothing
may see "database is locked", every article is stored once, and every story reaches the
webhook once, whoever sent it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import config as config_mod
from monitor.demo import demo_config_text
from monitor.demo.server import SiteServer
from monitor.demo.site import build_site
from monitor.scheduler import Daemon
from storage.archive import Archive
from tests.endpoints import WebhookEndpoint

ROOT = Path(__file__).resolve().parents[1]
TOPIC = "liver-metastases-immunotherapy"
RUN_SECONDS = 12


def reader(db_path: Path, stop: threading.Event, errors: list, counts: Counter) -> None:
    """FTS and join queries in a loop on a read-only connection, as a browser would run."""
    while not db_path.exists() and not stop.is_set():
        time.sleep(0.05)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        while not stop.is_set():
            try:
                conn.execute(
                    "SELECT a.id, a.title FROM articles_fts f JOIN articles a ON a.id = f.rowid"
                    " WHERE articles_fts MATCH 'liver OR immunotherapy' ORDER BY rank LIMIT 20"
                ).fetchall()
                conn.execute(
                    "SELECT s.id, count(m.topic) FROM stories s LEFT JOIN story_matches m"
                    " ON m.story_id = s.id GROUP BY s.id"
                ).fetchall()
                conn.execute("SELECT * FROM deliveries").fetchall()
                counts["queries"] += 1
            except sqlite3.OperationalError as e:
                if "no such table" in str(e):  # the daemon has not created the schema yet
                    time.sleep(0.05)
                    continue
                errors.append(str(e))
            time.sleep(0.01)
    finally:
        conn.close()


def manual_digests(cfg: Path, stop: threading.Event, results: list) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    while not stop.is_set():
        proc = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "digest", "--channel",
             "hook"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        results.append(proc)


def test_daemon_manual_digest_and_readers_share_one_archive(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    db_path = tmp_path / "archive.db"
    with SiteServer(build_site, delay=0.3) as site, WebhookEndpoint() as hook:
        cfg = tmp_path / "sources.toml"
        cfg.write_text(
            demo_config_text(site.base, db_path).replace('"5m"', '"4s"')
            + f'\n[[channels]]\nname = "hook"\ntype = "webhook"\nschedule = "0 7 * * *"\n'
            f'topics = ["{TOPIC}"]\nurl = "{hook.url}"\n'
        )
        config = config_mod.load(cfg)
        # the channel exists since yesterday and missed its slot: the daemon catches up at +5 s
        long_ago = datetime.now(UTC) - timedelta(days=1)
        with Archive(db_path) as archive:
            archive.ensure_channel("hook", "webhook", long_ago)
            archive.mark_channel_run("hook", long_ago)

        stop = threading.Event()
        errors: list[str] = []
        counts: Counter = Counter()
        digests: list[subprocess.CompletedProcess] = []
        threads = [
            threading.Thread(target=reader, args=(db_path, stop, errors, counts)) for _ in range(3)
        ] + [threading.Thread(target=manual_digests, args=(cfg, stop, digests)) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            asyncio.run(Daemon(config, stop_after=RUN_SECONDS).run())
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=120)
        # a story matched by the daemon's last poll may come after the last digest run; one more
        # run after everything stopped must send exactly what is still owed, nothing twice
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        last = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "digest", "--channel",
             "hook"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        digests.append(last)

    log = "\n".join(r.getMessage() for r in caplog.records)
    outputs = "\n".join(p.stderr + p.stdout for p in digests)
    assert "locked" not in log and "locked" not in outputs and errors == []
    assert counts["queries"] > 50  # the readers really ran throughout
    assert len(digests) >= 4 and all(p.returncode == 0 for p in digests), outputs
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], log

    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    n, keys, urls = db.execute(
        "SELECT count(*), count(DISTINCT key), count(DISTINCT canonical_url) FROM articles"
    ).fetchone()
    assert n == keys == urls == 7

    # every matched story reached the webhook exactly once, across all senders
    sent = Counter(s["story_id"] for payload in hook.received for s in payload["stories"])
    matched = {
        r[0]
        for r in db.execute(
            "SELECT s.id FROM stories s JOIN story_matches m ON m.story_id = s.id"
            " WHERE s.merged_into IS NULL AND m.topic = ?",
            [TOPIC],
        )
    }
    assert matched and set(sent) == matched, (sent, matched)
    assert all(n == 1 for n in sent.values()), (sent, [p["digest_id"] for p in hook.received])
    digest_ids = [p["digest_id"] for p in hook.received]
    assert len(digest_ids) == len(set(digest_ids))  # no digest sent twice either
    states = dict(db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
    assert states == {"sent": len(matched)}
