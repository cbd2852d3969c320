"""Hostile input: random and mutated documents, and generated attacks sent through the pipeline.

1. Property tests (hypothesis): random bytes and random mutations of the real feedparser test
   corpus (../shared/feeds/feedparser-tests) through `feeds.parse` (a ParsedFeed or a
   FeedError, nothing else) and random bytes and mutated real pages (../shared/extraction)
   through `extract.extract` (never raises), each within a deadline.
2. Generated attacks served by a local server and polled by `Pipeline.poll` with the default
   limits: script in titles (escaped in the email HTML, the text and Slack digests), control
   characters, huge attribute values, 50 MB pages, endless pages, gzip bombs and
   100,000-deep nesting on the page path; entity expansion, 100,000-deep nesting, a gzip
   bomb and invalid bytes on the feed path. Each gives a clear error recorded against the
   source (or logged for the page) or a safe stored result, in bounded time and bounded
   memory (tracemalloc peak of the whole process), and a slow parse does not stall the event
   loop that runs every other poll.

The fetch-level limits (caps, timeouts, drips) are covered call by call in test_fetch.py and
the feed-level ones (entity expansion, invalid encodings, 10,000 entries) in test_feeds.py.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import logging
import os
import random
import sqlite3
import time
import tracemalloc
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import digest as digest_mod
from alerts import render
from monitor import config as config_mod
from monitor import extract, feeds
from monitor.model import Article, ParsedFeed
from monitor.pipeline import Pipeline
from storage.archive import Archive
from tests.conftest import SHARED
from tests.httpserver import TestServer

ROOT = Path(__file__).resolve().parents[1]
TOPICS = (ROOT / "monitor" / "demo" / "topics.toml").read_text(encoding="utf-8")
TOPIC = "liver-metastases-immunotherapy"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FEED_CORPUS = SHARED / "feeds" / "feedparser-tests"
PAGES = SHARED / "extraction" / "pages"


def _shared_files(folder: Path, limit: int | None = None) -> list[Path]:
    if not folder.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{folder} is missing: CI must have ../shared beside the repository")
        pytest.skip(f"{folder} not present (it sits beside the repository in CI)")
    files = _listing(folder)
    return files[:limit] if limit else files


@functools.cache
def _listing(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.stat().st_size < 400_000)


def mutate(data: bytes, rng: random.Random, n: int) -> bytes:
    """n random edits: flip, delete, duplicate or insert bytes, or splice a markup fragment."""
    buf = bytearray(data)
    fragments = [b"<", b">", b"</", b"&", b"&#x0;", b"]]>", b"<![CDATA[", b"\x00", b"\xff\xfe",
                 b"<entry>", b"<item>", b'"', b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>", b"&a;",
                 b"\xe2\x80\xae", b"<?xml version='1.0' encoding='utf-16'?>"]  # fmt: skip
    for _ in range(n):
        if not buf:
            buf += rng.choice(fragments)
            continue
        i = rng.randrange(len(buf))
        op = rng.randrange(5)
        if op == 0:
            buf[i] = rng.randrange(256)
        elif op == 1:
            del buf[i : i + rng.randint(1, 64)]
        elif op == 2:
            j = rng.randrange(len(buf))
            buf[i:i] = buf[j : j + rng.randint(1, 256)]
        elif op == 3:
            buf[i:i] = rng.choice(fragments)
        else:
            del buf[i:]
    return bytes(buf)


def check_parse(body: bytes, content_type: str | None = None) -> None:
    url = "http://corpus.example.org/feed.xml"
    started = time.monotonic()
    try:
        result = feeds.parse(body, url, content_type=content_type, now=NOW)
    except feeds.FeedError as exc:
        assert str(exc).startswith(url)
        return
    finally:
        assert time.monotonic() - started < 5
    assert isinstance(result, ParsedFeed)
    for entry in result.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert entry.published is not None and entry.published.tzinfo is not None


def check_extract(body: bytes) -> Article:
    """extract() on hostile bytes: an Article within the deadline, text or a reason, never a
    crash (extract() catches only the failures a page can cause: a bug raises here)."""
    started = time.monotonic()
    article = extract.extract(body, "http://pages.example.org/a.html")
    assert time.monotonic() - started < 5
    assert isinstance(article, Article)
    assert isinstance(article.text, str) and isinstance(article.title, str)
    assert bool(article.text) != bool(article.reason)  # text, or the reason there is none
    assert "\x00" not in article.text
    return article


# ------------------------------------------------------------------ property tests

PROPERTY = settings(
    max_examples=200,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(body=st.binary(max_size=4096), ctype=st.sampled_from([None, "text/xml", "text/html"]))
def test_random_bytes_parse_to_a_feed_or_a_feed_error(body: bytes, ctype: str | None) -> None:
    check_parse(body, ctype)


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 40), pick=st.integers(0, 10**6))
def test_mutated_real_feeds_parse_to_a_feed_or_a_feed_error(seed: int, edits: int, pick: int):
    files = _shared_files(FEED_CORPUS)
    data = files[pick % len(files)].read_bytes()
    check_parse(mutate(data, random.Random(seed), edits))


@PROPERTY
@given(body=st.binary(max_size=4096))
def test_random_bytes_never_make_extraction_raise(body: bytes) -> None:
    check_extract(body)


@PROPERTY
@given(
    parts=st.lists(
        st.sampled_from(
            list("<>/=\"' abcdiv p&#;x0\x00")
            + ["<p>", "</div>", "<script>", "<table>", "<!--", "<?x", "?>"]
        ),
        max_size=800,
    )
)
def test_random_markup_never_makes_extraction_raise(parts: list[str]) -> None:
    check_extract("".join(parts).encode())


def test_processing_instructions_in_the_body_are_skipped() -> None:
    """Lexbor keeps ``<?x y?>`` as a node whose tag name is None (a mutated real page had one):
    the walk passes over it instead of raising."""
    text = "A sentence of the article that is long enough to count as prose here. " * 4
    page = f"<html><body><article><p>{text}</p><?x y?><p>{text}</p></article></body></html>"
    article = check_extract(page.encode())
    assert article.text == f"{text.strip()}\n\n{text.strip()}"


def _page(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())  # the shared pages are gzip files


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 60), pick=st.integers(0, 10**6))
def test_mutated_real_pages_never_make_extraction_raise(seed: int, edits: int, pick: int):
    files = _shared_files(PAGES, limit=60)
    original = _page(files[pick % len(files)])
    article = check_extract(mutate(original, random.Random(seed), edits))
    if not article.text:
        assert article.reason and not article.reason.startswith("extraction failed")


def test_the_unmutated_real_pages_are_articles() -> None:
    """The pages the mutation test starts from are real articles: every one of them gives text
    (the test above would otherwise mutate pages that are already "no main text found")."""
    for path in _shared_files(PAGES, limit=60):
        article = check_extract(_page(path))
        assert len(article.text) > 200, (path.name, article.reason)


def test_the_shared_corpora_are_used() -> None:
    """The mutation tests above really read real documents (fails in CI if ../shared is gone)."""
    assert len(_shared_files(FEED_CORPUS)) > 1000
    assert len(_shared_files(PAGES, limit=60)) == 60
    assert _page(_shared_files(PAGES, limit=60)[0]).lstrip().startswith(b"<")


# ------------------------------------------------------------------ through the pipeline

ON_TOPIC = (
    "Patients with liver metastases from colorectal cancer who received the checkpoint "
    "inhibitor pembrolizumab lived longer, investigators report. "
)


def page(title: str, body_html: str, head: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body><article><h1>{title}</h1>{body_html}</article></body></html>"
    ).encode()


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """items: (raw title markup, link, raw description markup), inserted as given."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        "<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>h</title>'
        f"<link>http://example.org/</link>{body}</channel></rss>"
    ).encode()


def load_config(tmp_path: Path, feed_url: str) -> config_mod.Config:
    """One source at feed_url, the default limits, the shipped topic, archive in tmp_path."""
    cfg = tmp_path / "sources.toml"
    cfg.write_text(
        "[storage]\n"
        f'path = "{(tmp_path / "archive.db").as_posix()}"\n\n'
        "[fetch]\nallow_private = true\nper_host_delay = 0\nrespect_robots = false\n"
        'read_timeout = "5s"\ntotal_timeout = "8s"\n\n'
        f'[[sources]]\nname = "hostile"\nurl = "{feed_url}"\n\n' + TOPICS,
        encoding="utf-8",
    )
    return config_mod.load(cfg)


def run_pipeline(tmp_path: Path, feed_url: str) -> tuple:
    config = load_config(tmp_path, feed_url)
    with Archive(config.storage_path) as archive:
        result = asyncio.run(Pipeline(config, archive).poll_all())[0]
    return config, result


def run_pipeline_watching_the_loop(tmp_path: Path, feed_url: str) -> tuple:
    """run_pipeline, with a ticker on the same event loop: also returns the longest gap between
    its ticks (how long the poll blocked the loop that runs every other poll)."""
    config = load_config(tmp_path, feed_url)
    gaps = [0.0]

    async def go():  # type: ignore[no-untyped-def]
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.monotonic()
            while not done.is_set():
                await asyncio.sleep(0.02)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        with Archive(config.storage_path) as archive:
            task = asyncio.create_task(ticker())
            try:
                return (await Pipeline(config, archive).poll_all())[0]
            finally:
                done.set()
                await task

    result = asyncio.run(go())
    return config, result, max(gaps)


def measured(fn):  # type: ignore[no-untyped-def]
    """Run fn() and return (its value, seconds, tracemalloc peak in MiB)."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        value = fn()
        return value, time.monotonic() - started, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def articles(tmp_path: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(tmp_path / "archive.db")
    db.row_factory = sqlite3.Row
    return db.execute("SELECT * FROM articles ORDER BY id").fetchall()


def test_script_in_titles_is_escaped_in_every_digest_format(tmp_path):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> & <b>bold</b> <@channel>'
    escaped = evil.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    with TestServer() as srv:
        srv.route(
            "/a.html",
            body=page(
                escaped + " liver metastases immunotherapy",
                f"<p>{ON_TOPIC}</p><p>{ON_TOPIC} <script>alert('body')</script></p>",
            ),
            headers={"Content-Type": "text/html"},
        )
        # the feed title is HTML with a live script in a CDATA section
        srv.route(
            "/feed.xml",
            body=rss([(f"<![CDATA[{evil}]]>", srv.url("/a.html"), f"<![CDATA[{evil}]]>")]),
            headers={"Content-Type": "application/rss+xml"},
        )
        config, result = run_pipeline(tmp_path, srv.url("/feed.xml"))
    assert result.status == "ok" and result.new_articles == 1
    with Archive(config.storage_path) as archive:
        d = digest_mod.build(archive, topics=[TOPIC], now=datetime.now(UTC), channel="c")
    assert len(d.items) == 1 and "<script>" in d.items[0].title  # kept as text, not dropped
    html = render.render(d, "html")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;" in html
    slack = str(render.slack_messages(d))
    assert "<script" not in slack and "<img" not in slack and "<@channel>" not in slack
    assert "&lt;script&gt;" in slack
    text = render.render(d, "text")
    assert "alert" in text  # plain text shows the words; it is not interpreted anywhere


def test_control_characters_and_huge_attributes_give_a_safe_stored_article(tmp_path, caplog):
    controls = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\x7f\u202e\u2028"
    huge = "x" * 500_000  # four 500 kB attribute values (extraction keeps 3M chars of a page)
    with TestServer() as srv:
        srv.route(
            "/a.html",
            body=page(
                f"Liver metastases{controls} and immunotherapy",
                f'<p data-x="{huge}">{ON_TOPIC}{controls}</p><div class="{huge}"><p>{ON_TOPIC}'
                f'</p></div><a href="{huge}">x</a>',
                head=f'<meta name="description" content="{huge}">',
            ),
            headers={"Content-Type": "text/html"},
        )
        srv.route(
            "/feed.xml",
            body=rss([(f"T&#x1;{'&#x7f;'}", srv.url("/a.html"), f"<![CDATA[{controls}]]>")]),
            headers={"Content-Type": "application/rss+xml"},
        )
        (_, result), seconds, peak = measured(lambda: run_pipeline(tmp_path, srv.url("/feed.xml")))
    assert result.status == "ok" and result.new_articles == 1 and result.page_errors == 0
    assert seconds < 10 and peak < 64, (seconds, peak)  # measured: 0.3 s, 20 MiB
    (row,) = articles(tmp_path)
    assert row["extract_note"] is None  # the page was extracted
    for field in ("title", "text"):
        value = row[field] or ""
        assert not any(ch in value for ch in controls if ch != "\u2028"), (field, value[:200])
    assert " ".join(row["title"].split()) == "Liver metastases and immunotherapy"
    assert "pembrolizumab" in row["text"]
    assert huge[:1000] not in (row["text"] or "") + (row["title"] or "")


def _gzip_bomb(size: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"<p>" + b"A" * (1 << 20)
    out = [comp.compress(b"<!doctype html><html><body>")]
    for _ in range(size >> 20):
        out.append(comp.compress(chunk))
    out.append(comp.flush())
    return b"".join(out)


@pytest.mark.parametrize("attack", ["50MB", "endless", "gzip-bomb", "deep-nesting"])
def test_oversized_pages_through_the_pipeline(tmp_path, caplog, attack):
    """The page of a good feed entry is hostile: the article is kept from the feed summary
    (or extracted safely), the poll succeeds, and time and memory stay bounded."""
    caplog.set_level(logging.WARNING, logger="monitor.pipeline")
    with TestServer() as srv:
        route = {"headers": {"Content-Type": "text/html"}}
        if attack == "50MB":  # declared: refused from the Content-Length, before reading
            body = b"<html><body><p>" + b"B" * (50 << 20)
            srv.route("/page", body=body, **route)
        elif attack == "endless":
            srv.route("/page", drip=(b"<div>" + b"C" * 65536, 0.0), **route)
        elif attack == "gzip-bomb":
            srv.route("/page", raw_gzip=_gzip_bomb(256 << 20), **route)  # 256 MiB inflated
        else:
            nested = b"<div>" * 100_000 + ON_TOPIC.encode() * 3 + b"</div>" * 100_000
            srv.route("/page", body=b"<html><body>" + nested + b"</body></html>", **route)
        srv.route(
            "/feed.xml",
            body=rss([("Liver metastases and immunotherapy", srv.url("/page"), ON_TOPIC)]),
            headers={"Content-Type": "application/rss+xml"},
        )
        (_, result), seconds, peak = measured(lambda: run_pipeline(tmp_path, srv.url("/feed.xml")))
    assert result.status == "ok" and result.new_articles == 1
    assert seconds < 10, seconds  # measured: 0.2-1.6 s
    (row,) = articles(tmp_path)
    if attack == "deep-nesting":
        assert peak < 64, peak  # measured: 4 MiB
        assert "pembrolizumab" in row["text"]  # extracted, or the summary was kept
    else:
        # the 5 MiB page cap, not the size of what was sent (measured: 0.6-11 MiB)
        assert peak < 32, peak
        assert result.page_errors == 1
        assert "page not fetched" in row["extract_note"] and "cap" in row["extract_note"]
        assert row["text"].startswith("Patients with liver metastases")  # the feed summary
        logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert any("cap" in m and "/page" in m for m in logged), logged


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">'
    + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
    )
    + b']><rss version="2.0"><channel><title>&j;</title><item><title>&j;</title>'
    b"<link>LINK</link><description>&j;</description></item></channel></rss>"
)


@pytest.mark.parametrize("attack", ["entity-expansion", "deep-nesting", "gzip-bomb", "bad-bytes"])
def test_hostile_feeds_through_the_pipeline(tmp_path, attack):
    """The feed itself is hostile: the poll ends with a clear error recorded against the source
    or with a safe, bounded result."""
    with TestServer() as srv:
        srv.route(
            "/a", body=page("A page", f"<p>{ON_TOPIC}</p>"), headers={"Content-Type": "text/html"}
        )
        headers = {"Content-Type": "application/rss+xml"}
        if attack == "entity-expansion":  # a billion laughs
            srv.route("/feed.xml", body=LAUGHS, headers=headers)
        elif attack == "deep-nesting":
            deep = b"<x>" * 100_000 + b"</x>" * 100_000
            body = rss([("t", "LINK", "d")]).replace(b"</channel>", deep + b"</channel>")
            srv.route("/feed.xml", body=body, headers=headers)
        elif attack == "gzip-bomb":
            srv.route("/feed.xml", raw_gzip=_gzip_bomb(256 << 20), headers=headers)
        else:  # invalid UTF-8 and NUL bytes inside a feed declared as UTF-8
            body = rss([("caf\xe9 \x00 ok", "LINK", "\xff\xfe bytes")])
            srv.route("/feed.xml", body=body.replace(b"caf", b"caf\xc3\x28\xff"), headers=headers)
        for route in srv.routes.values():
            route.body = route.body.replace(b"LINK", srv.url("/a").encode())
        if attack == "deep-nesting":  # tracemalloc slows feedparser ten-fold: timed alone
            started = time.monotonic()
            config, result, stall = run_pipeline_watching_the_loop(tmp_path, srv.url("/feed.xml"))
            seconds, peak = time.monotonic() - started, 0.0
            assert stall < 1.0, stall  # parsing ran off the event loop: other polls go on
        else:
            cfg_dir = tmp_path
            (config, result), seconds, peak = measured(
                lambda: run_pipeline(cfg_dir, srv.url("/feed.xml"))
            )
    assert seconds < 10 and peak < 64, (seconds, peak)
    with Archive(config.storage_path) as archive:
        state = archive.source_state("hostile")
    if result.status == "error":
        assert state is not None and result.error and state.last_error == result.error
        assert state.consecutive_failures == 1
    else:
        assert result.status == "ok" and state is not None and state.last_status == "ok"
        for row in articles(tmp_path):
            assert len(row["title"] or "") < 1000 and len(row["text"] or "") < 100_000
            assert "\x00" not in (row["title"] or "") + (row["text"] or "")
    if attack == "gzip-bomb":
        assert result.status == "error" and "cap" in result.error
