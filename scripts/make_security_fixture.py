"""Build tests/testdata/security/archive-before-masking.db with an older monitor's code.

The archive the masking migration must clean is one written by the code before it (commit
147633f on main): a feed whose URL carries a password (`http://reader:${FEED_PW}@host/feed`)
with relative entry links, one page that answers 404, and a webhook channel whose URL holds a
token and that answers 500. Run it from a checkout of that commit:

    git archive 147633f | tar -x -C /tmp/old
    cd /tmp/old && python /path/to/scripts/make_security_fixture.py OUT.db

The secrets it writes are the constants below; tests/test_attacker.py searches for them.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

FEED_PW = "fixture-Feed-Pa55"
HOOK_TOKEN = "fixture-hook-t0ken"


def main(out: Path) -> None:
    sys.path.insert(0, os.getcwd())
    from tests.endpoints import WebhookEndpoint
    from tests.httpserver import TestServer

    topics = Path("monitor/demo/topics.toml").read_text(encoding="utf-8")
    text = "Liver metastases respond to immunotherapy with checkpoint inhibitors. " * 30
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>/</link>'
        b"<item><title>Immunotherapy for liver metastases</title><link>/a/1.html</link>"
        b"<guid>g1</guid><description>liver metastases immunotherapy</description></item>"
        b"<item><title>Gone</title><link>b/2.html</link><guid>g2</guid>"
        b"<description>liver metastases and immunotherapy</description></item>"
        b"</channel></rss>"
    )
    page = f"<html><body><article><h1>Liver metastases</h1><p>{text}</p></article></body></html>"
    with tempfile.TemporaryDirectory() as tmp, TestServer() as site:
        with WebhookEndpoint([(500, {}, "error")] * 10) as hook:
            site.route("/feed.xml", body=feed, headers={"Content-Type": "application/rss+xml"})
            site.route("/a/1.html", body=page.encode(), headers={"Content-Type": "text/html"})
            db = Path(tmp) / "archive.db"
            feed_url = site.url("/feed.xml").replace("http://", "http://reader:${FEED_PW}@")
            cfg = Path(tmp) / "sources.toml"
            cfg.write_text(
                f'[storage]\npath = "{db}"\n\n[fetch]\nallow_private = true\n'
                "per_host_delay = 0\nrespect_robots = false\n\n"
                f'[[sources]]\nname = "members-only"\nurl = "{feed_url}"\n\n'
                '[[channels]]\nname = "hook"\ntype = "webhook"\n'
                'topics = ["liver-metastases-immunotherapy"]\nurl = "${HOOK_URL}"\n\n' + topics,
                encoding="utf-8",
            )
            env = {**os.environ, "FEED_PW": FEED_PW, "HOOK_URL": f"{hook.url}/{HOOK_TOKEN}"}
            for args in (["run", "--once"], ["digest", "--channel", "hook"]):
                subprocess.run(
                    [sys.executable, "-m", "monitor.cli", "--config", str(cfg), *args],
                    env=env,
                    check=False,
                )
            conn = sqlite3.connect(db)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            conn.close()
            out.write_bytes(db.read_bytes())
    data = out.read_bytes()
    print(out, len(data), "bytes; password present:", FEED_PW.encode() in data)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
