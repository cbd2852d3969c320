"""A feed entry travels through every stage into the digest: run --once -> digest --dry-run."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli

TOPIC = "liver-metastases-immunotherapy"


def _invoke(config_file: Path, *args: str):
    res = CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


def test_feed_entry_reaches_the_digest(config_file, site, tmp_path):
    _invoke(config_file, "run", "--once")
    out = _invoke(config_file, "digest", "--dry-run", "--format", "json").stdout
    digest = json.loads(out)
    assert set(digest) >= {"generated_at", "stories"}
    by_title = {s["title"]: s for s in digest["stories"]}

    t_cells = by_title[
        "Liver metastases siphon off T cells and blunt immunotherapy throughout the body"
    ]
    assert set(t_cells) >= {
        "story_id",
        "title",
        "url",
        "source",
        "published",
        "topics",
        "summary",
        "also_covered_by",
    }
    assert (
        t_cells["url"] == f"{site.base}/wire/news/liver-metastases-drain-t-cells-immunotherapy.html"
    )
    assert t_cells["source"] == "Health Sciences Wire"
    assert t_cells["published"].startswith("2026-11-16T10:00:00")
    assert t_cells["topics"] == [TOPIC]
    assert t_cells["summary"]

    # off-topic items never reach the digest
    titles = " ".join(by_title)
    assert "melanoma" not in titles.lower()
    assert "Fatty liver" not in titles

    # the page itself was fetched and extracted (the feed only carries the first paragraph)
    db = sqlite3.connect(tmp_path / "archive.db")
    text = db.execute(
        "SELECT text FROM articles WHERE canonical_url = ?", [t_cells["url"]]
    ).fetchone()[0]
    assert "The liver is acting like a sink" in text
    assert any(p.startswith("/wire/news/") for p in site.requests)

    # every story matched, each stored once; the press release listed by two feeds is one article
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 7
    relisted = db.execute(
        "SELECT count(*) FROM article_sources s JOIN articles a ON a.id = s.article_id"
        " WHERE a.url LIKE '%pembrolizumab-radiation%'"
    ).fetchone()[0]
    assert relisted == 2
    assert db.execute("SELECT count(DISTINCT story_id) FROM matches").fetchone()[0] == len(
        digest["stories"]
    )
    # full-text search is kept in sync by the storage layer
    hits = db.execute(
        "SELECT title FROM articles_fts WHERE articles_fts MATCH 'abscopal'"
    ).fetchall()
    assert hits and all("colorectal" in h[0].lower() or "radiation" in h[0].lower() for h in hits)


def test_second_poll_adds_nothing(config_file, tmp_path):
    _invoke(config_file, "run", "--once")
    db = sqlite3.connect(tmp_path / "archive.db")
    before = db.execute("SELECT count(*), max(id) FROM articles").fetchone()
    res = _invoke(config_file, "run", "--once")
    assert "0 new articles" in res.stderr
    assert db.execute("SELECT count(*), max(id) FROM articles").fetchone() == before


def test_digest_since_filters(config_file):
    _invoke(config_file, "run", "--once")
    later = json.loads(
        _invoke(
            config_file, "digest", "--dry-run", "--format", "json", "--since", "2999-01-01"
        ).stdout
    )
    assert later["stories"] == []


def test_sources_command_shows_health(config_file):
    _invoke(config_file, "run", "--once")
    out = _invoke(config_file, "sources").stdout
    assert "Health Sciences Wire" in out and "ok" in out


def test_failing_source_is_reported_and_others_flow(tmp_path, site):
    from monitor.demo import demo_config_text

    text = demo_config_text(site.base, tmp_path / "archive.db")
    text += f'\n[[sources]]\nname = "Broken"\nurl = "{site.base}/missing/feed.xml"\n'
    cfg = tmp_path / "sources.toml"
    cfg.write_text(text)
    res = CliRunner().invoke(cli, ["--config", str(cfg), "run", "--once"])
    assert res.exit_code == 0
    assert "1 failed" in res.stderr and "Broken" in res.stderr and "/missing/feed.xml" in res.stderr
    db = sqlite3.connect(tmp_path / "archive.db")
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 7
    row = db.execute(
        "SELECT last_status, consecutive_failures, last_error FROM sources WHERE name = 'Broken'"
    ).fetchone()
    assert row[0] == "error" and row[1] == 1 and "404" in row[2]


def test_demo_command_runs_offline():
    """The README's first command: the installed console entry point, in a child process."""
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert (
        "polled 4 feeds (0 failed): 7 articles archived as 5 stories; 3 matched the topic." in out
    )
    assert f"[monitor] {TOPIC}: 3 stories from 4 outlets" in out
    # the three on-topic stories, each with its evidence label
    expected = [
        ("Checkpoint inhibitor plus targeted radiation", "Evidence: Phase 2 trial, 64 patients"),
        (
            "Liver metastases siphon off T cells",
            "Evidence: Preclinical study (mice) + observational study, 512 patients",
        ),
        ("Can immunotherapy still help if my cancer", "Evidence: Explainer / Q&A"),
    ]
    blocks = re.split(r"\n(?=\d\. )", out.split("\n--\n")[0])[1:]
    assert len(blocks) == 3
    for title, label in expected:
        (block,) = [b for b in blocks if title in b.splitlines()[0]]
        assert label in block
    assert out.count("Summary (") == 3
    # keyword alerts would send these; the topic does not
    assert "Five-year data confirm durable survival" not in out
    assert "Fatty liver disease climbing" not in out
    assert proc.stderr == ""


def test_kept_demo_still_works_after_the_demo_exited(tmp_path):
    kept = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo", "--keep", str(kept)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    cfg = kept / "demo-sources.toml"
    assert f"monitor --config {cfg} run --once" in proc.stdout
    assert (kept / "demo-archive.db").exists() and (kept / "site" / "site.json").exists()
    # the demo has exited: its server is gone. The kept config serves the site itself.
    (kept / "demo-archive.db").unlink()
    again = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "run", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "polled 4 sources: 7 new articles, 0 failed" in again.stdout + again.stderr
    digest = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "--config",
            str(cfg),
            "digest",
            "--channel",
            "demo-hook",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert digest.returncode == 0, digest.stderr
    # the receiver of the kept config prints what it got (on stderr when monitor serves it)
    assert "[webhook receiver] digest demo-hook-" in digest.stderr
    assert "3 stories" in digest.stderr and "[Phase 2 trial, 64 patients]" in digest.stderr


def test_demo_serve_keeps_site_and_receiver_up_until_ctrl_c(tmp_path):
    import signal
    import threading

    kept = tmp_path / "served"
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "monitor.cli", "demo", "--serve", "--keep", str(kept)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()
    got_digest = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if "Press Ctrl-C to stop it" in line:
                ready.set()
            if "[webhook receiver] digest" in line:
                got_digest.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(120), "".join(lines) + proc.stderr.read()
        out = "".join(lines)
        cfg = kept / "demo-sources.toml"
        assert f"monitor --config {cfg} digest --channel demo-hook" in out
        assert "Webhook receiver: http://127.0.0.1:" in out
        # another monitor process uses the running site and receiver
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor.cli",
                "--config",
                str(cfg),
                "digest",
                "--channel",
                "demo-hook",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 0, res.stderr
        assert got_digest.wait(30), "".join(lines)
        res = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "run", "--once"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 0 and "0 failed" in res.stdout + res.stderr, res.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert "demo stopped" in "".join(lines)


def test_demo_json_format():
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data["stories"]) >= 3
    assert all(TOPIC in s["topics"] for s in data["stories"])


def test_syndicated_copies_become_one_story_without_boilerplate(config_file, site, tmp_path):
    """The wire's press releases and their rewrites (a trade magazine with shared quotes, a
    translated aggregator sharing almost no sentence) are one story each; the patient Q&A on
    the same field stays alone; no site chrome reaches the archived text."""
    _invoke(config_file, "run", "--once")
    digest = json.loads(_invoke(config_file, "digest", "--dry-run", "--format", "json").stdout)
    by_title = {s["title"]: s for s in digest["stories"]}
    assert len(digest["stories"]) == 3
    pembro = by_title[
        "Checkpoint inhibitor plus targeted radiation shrinks colorectal liver metastases in"
        " phase 2 trial"
    ]
    assert [c["source"] for c in pembro["also_covered_by"]] == ["Oncology Practice Today"]
    assert pembro["doi"] == ["10.5555/jcdo.2026.0142"] and pembro["nct"] == ["NCT09512345"]
    t_cells = by_title[
        "Liver metastases siphon off T cells and blunt immunotherapy throughout the body"
    ]
    assert [c["source"] for c in t_cells["also_covered_by"]] == ["EuroMed Digest"]
    qa = by_title["Can immunotherapy still help if my cancer has spread to the liver?"]
    assert qa["also_covered_by"] == []

    db = sqlite3.connect(tmp_path / "archive.db")
    texts = [t for (t,) in db.execute("SELECT text FROM articles")]
    chrome = [
        "Provided by",
        "Citation:",
        "retrieved",
        "subject to copyright",
        "All rights reserved",
        "Leave a Comment",
        "Around the web",
        "Explore further",
        "Credit:",
        "Accept all",
        "Senior Editor",
        "Sign up",
        "More information:",
        "individualized medical advice",
        "Home »",
        "♥",
    ]
    for text in texts:
        for phrase in chrome:
            assert phrase not in text, (phrase, text[:80])
    # what belongs to the article stays: the Q&A's questions for the doctor
    qa_text = db.execute(
        "SELECT text FROM articles WHERE title LIKE 'Can immunotherapy%'"
    ).fetchone()[0]
    assert "Is there a clinical trial combining immunotherapy" in qa_text

    out = _invoke(config_file, "stories").stdout
    assert "2 copies" in out
    a = db.execute(
        "SELECT id FROM articles WHERE title LIKE 'Liver metastases siphon%'"
    ).fetchone()[0]
    b = db.execute("SELECT id FROM articles WHERE title LIKE 'Why immune therapy%'").fetchone()[0]
    explained = _invoke(config_file, "stories", "explain", str(a), str(b)).stdout
    assert "SAME STORY" in explained


def test_one_pipeline_serves_several_event_loops(config_file):
    """A library user may call asyncio.run(pipeline.poll_all()) more than once."""
    import asyncio

    from monitor import config as config_mod
    from monitor.pipeline import Pipeline
    from storage.archive import Archive

    config = config_mod.load(config_file)
    config.fetch.concurrent_sources = 1  # every poll but one waits on the semaphore
    with Archive(config.storage_path) as archive:
        pipeline = Pipeline(config, archive)
        first = asyncio.run(pipeline.poll_all())
        second = asyncio.run(pipeline.poll_all())
    assert [r.status for r in first] == ["ok"] * 4
    assert all(r.status in ("ok", "not-modified") for r in second)
    assert sum(r.new_articles for r in second) == 0
