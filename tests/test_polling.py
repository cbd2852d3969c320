"""The pipeline's concurrency (per-host queues, fairness) and page retries, on real local
servers: each host its own loopback address (127.0.0.x)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import config as config_mod
from monitor.fetch import Fetcher
from monitor.pipeline import PAGE_RETRY_DELAYS, Pipeline
from storage.archive import Archive
from tests.httpserver import Route, TestServer

WORDS = (
    "hepatic metastases responded to checkpoint inhibition in a phase two cohort of patients "
    "treated at twelve centres where investigators measured survival and toxicity over years"
).split()


def page(i: int, host: str) -> bytes:
    paras = "".join(
        f"<p>{' '.join(WORDS[(i * 7 + k * 3 + j) % len(WORDS)] for j in range(40))} "
        f"({host} {i} {k}).</p>"
        for k in range(8)
    )
    return (
        f"<!doctype html><html><head><title>Story {i} at {host}</title></head><body>"
        f"<nav>Home News</nav><article><h1>Story {i} at {host}</h1>{paras}</article>"
        "<footer>Copyright</footer></body></html>"
    ).encode()


def rss(links: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid>"
        f"<description>Summary of {t}, a short text from the feed.</description></item>"
        for t, u in links
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}'
        "</channel></rss>"
    ).encode()


def config(tmp_path: Path, feeds: list[str], **fetch: object) -> config_mod.Config:
    lines = ["[storage]", 'path = "archive.db"', "[fetch]", "allow_private = true"]
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in fetch.items()]
    for i, url in enumerate(feeds):
        lines += ["[[sources]]", f'name = "s{i}"', f'url = "{url}"']
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines) + "\n")
    return config_mod.load(path, env={})


def test_slow_pages_of_one_source_do_not_slow_another(tmp_path):
    """24 pages that drip forever on four hosts (cut at total_timeout) next to a source
    with three quick pages: the quick source's poll is not held up."""
    drip_hosts = [TestServer(host=f"127.0.0.{10 + i}") for i in range(4)]
    quick = TestServer(host="127.0.0.20")
    feed_host = TestServer(host="127.0.0.21")
    servers = [*drip_hosts, quick, feed_host]
    for s in servers:
        s.__enter__()
    try:
        drip_links = []
        for h in drip_hosts:
            h.route("/robots.txt", body=b"")
            for i in range(6):
                h.route(f"/d{i}", drip=(b"<p>", 0.2), headers={"Content-Type": "text/html"})
                drip_links.append((f"drip {h.host} {i}", h.url(f"/d{i}")))
        quick.route("/robots.txt", body=b"")
        quick_links = []
        for i in range(3):
            quick.route(f"/q{i}", body=page(i, quick.host), headers={"Content-Type": "text/html"})
            quick_links.append((f"quick {i}", quick.url(f"/q{i}")))
        feed_host.route("/drip.xml", body=rss(drip_links), headers={"Content-Type": "text/xml"})
        feed_host.route("/quick.xml", body=rss(quick_links), headers={"Content-Type": "text/xml"})
        cfg = config(
            tmp_path,
            [feed_host.url("/drip.xml"), feed_host.url("/quick.xml")],
            per_host_delay=0.05,
            total_timeout=4,
            concurrent_sources=1,
            concurrent_pages=2,
        )
        with Archive(cfg.storage_path) as archive:
            results = asyncio.run(Pipeline(cfg, archive).poll_all())
        drip, fast = results
        assert fast.status == "ok" and fast.new_articles == 3 and fast.page_errors == 0
        assert drip.page_errors == 24 and drip.new_articles == 24  # summaries kept
        assert drip.duration >= 4
        assert fast.duration < 2.0, fast.duration
    finally:
        for s in servers:
            s.__exit__(None, None, None)


def test_cold_start_runs_at_the_politeness_floor_of_each_host(tmp_path):
    """Six hosts with five pages each, 0.4 s between requests per host, one CPU slot of each
    kind: hosts proceed in parallel (about feed + robots + 5 pages = 7 x 0.4 s), and no two
    requests to one host are closer than the delay."""
    hosts = [TestServer(host=f"127.0.0.{30 + i}") for i in range(6)]
    for h in hosts:
        h.__enter__()
    try:
        feeds = []
        for h in hosts:
            h.route("/robots.txt", body=b"User-agent: *\nDisallow: /private\n")
            links = []
            for i in range(5):
                h.route(f"/a/{i}", body=page(i, h.host), headers={"Content-Type": "text/html"})
                links.append((f"{h.host} story {i}", h.url(f"/a/{i}")))
            h.route("/feed.xml", body=rss(links), headers={"Content-Type": "text/xml"})
            feeds.append(h.url("/feed.xml"))
        cfg = config(
            tmp_path, feeds, per_host_delay=0.4, concurrent_sources=1, concurrent_pages=1
        )
        started = time.monotonic()
        with Archive(cfg.storage_path) as archive:
            results = asyncio.run(Pipeline(cfg, archive).poll_all())
            stored = archive.counts()["articles"]
        took = time.monotonic() - started
        assert [r.page_errors for r in results] == [0] * 6
        assert stored == 30
        assert took < 5.0, took  # serialised by a held slot it was 6 hosts x 2.8 s
        for h in hosts:
            starts = sorted(r.at for r in h.requests)
            assert len(starts) == 7  # feed, robots.txt, five pages
            gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
            assert min(gaps) >= 0.4 - 0.05, (h.host, gaps)
    finally:
        for h in hosts:
            h.__exit__(None, None, None)
