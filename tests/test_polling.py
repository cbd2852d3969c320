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
from storage.rows import SourceUpdate
from tests.httpserver import Route, TestServer, serving

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
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'
    ).encode()


def serve_pages(h: TestServer, n: int, robots: bytes = b"") -> str:
    """robots.txt, ``n`` article pages and a feed listing them on one host: the feed's URL."""
    h.route("/robots.txt", body=robots)
    links = []
    for i in range(n):
        h.route(f"/a/{i}", body=page(i, h.host), headers={"Content-Type": "text/html"})
        links.append((f"{h.host} story {i}", h.url(f"/a/{i}")))
    h.route("/feed.xml", body=rss(links), headers={"Content-Type": "text/xml"})
    return h.url("/feed.xml")


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
    with serving(*servers):
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


def test_cold_start_runs_at_the_politeness_floor_of_each_host(tmp_path):
    """Six hosts with five pages each, 0.4 s between requests per host, one CPU slot of each
    kind: hosts proceed in parallel (about feed + robots + 5 pages = 7 x 0.4 s), and no two
    requests to one host are closer than the delay."""
    hosts = [TestServer(host=f"127.0.0.{30 + i}") for i in range(6)]
    with serving(*hosts):
        feeds = [serve_pages(h, 5, robots=b"User-agent: *\nDisallow: /private\n") for h in hosts]
        cfg = config(tmp_path, feeds, per_host_delay=0.4, concurrent_sources=1, concurrent_pages=1)
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


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_failed_page_is_retried_and_the_article_rejoins_its_story_without_a_second_alert(
    tmp_path,
):
    """Outlet B's copy fails (503) and is stored with its feed summary, which matches the
    topic: its story is delivered. Later outlet A publishes the same study (a new story, not
    yet delivered). Then B's page arrives on a retry: its text replaces the summary, B joins
    A's story, and that story counts as delivered: nobody gets the study twice."""
    a, b = TestServer(host="127.0.0.40"), TestServer(host="127.0.0.41")
    with serving(a, b):
        text = page(3, "wire")
        a.route("/x", body=text, headers={"Content-Type": "text/html"})
        b_state = {"fail": True}
        a_state = {"listed": False}

        def b_page(_req):  # type: ignore[no-untyped-def]
            if b_state["fail"]:
                return Route(status=503, body=b"busy")
            return Route(body=text, headers={"Content-Type": "text/html"})

        def a_feed(_req):  # type: ignore[no-untyped-def]
            links = [("Copy at A", a.url("/x"))] if a_state["listed"] else []
            return Route(body=rss(links), headers={"Content-Type": "text/xml"})

        b.route("/y", handler=b_page)
        a.route("/feed.xml", handler=a_feed)
        b.route(
            "/feed.xml",
            body=rss([("Hepatic metastases respond to checkpoint inhibition", b.url("/y"))]),
            headers={"Content-Type": "text/xml"},
        )
        for s in (a, b):
            s.route("/robots.txt", body=b"")
        cfg_text = (
            '[storage]\npath = "archive.db"\n[fetch]\nallow_private = true\nper_host_delay = 0\n'
            f'[[sources]]\nname = "A"\nurl = "{a.url("/feed.xml")}"\n'
            f'[[sources]]\nname = "B"\nurl = "{b.url("/feed.xml")}"\n'
            '[[topics]]\nname = "liver"\nquery = "hepatic AND metastases"\n'
        )
        (tmp_path / "sources.toml").write_text(cfg_text)
        cfg = config_mod.load(tmp_path / "sources.toml", env={})
        clock = Clock()
        with Archive(cfg.storage_path) as archive:
            pipeline = Pipeline(cfg, archive, clock=clock)
            first = asyncio.run(pipeline.poll_all())
            assert [r.page_errors for r in first] == [0, 1]
            (story_b,) = archive.recent_stories(10)
            b_article = story_b.articles[0]
            assert "retried later" in b_article.extract_note
            # B's story (from its summary) is delivered to a channel
            archive.ensure_channel("team", "email")
            due = archive.stories_matching(["liver"], exclude_delivered_to="team")
            assert [s.id for s in due] == [story_b.id]
            assert not archive.create_digest("d1", "team", [story_b.id], "{}", clock.now)
            archive.db.execute(  # sent (the delivery ledger's own API is tested in alerts)
                "UPDATE deliveries SET state = 'sent' WHERE digest_id = 'd1'"
            )

            # five minutes later A publishes the same study: a new story, due for delivery
            a_state["listed"] = True
            clock.now += timedelta(minutes=5)
            b.requests.clear()
            asyncio.run(pipeline.poll_all())
            assert b.hits("/y") == []  # B's retry is not due yet
            due = archive.stories_matching(["liver"], exclude_delivered_to="team")
            assert len(due) == 1 and due[0].id != story_b.id

            b_state["fail"] = False
            clock.now += timedelta(seconds=PAGE_RETRY_DELAYS[0])
            second = asyncio.run(pipeline.poll_all())
            assert sum(r.pages_recovered for r in second) == 1
            updated = archive.article(b_article.id)
            assert (
                updated is not None
                and "hepatic" in (updated.text or "")
                and "page fetched on try 2" in (updated.extract_note or "")
            )
            live = archive.recent_stories(10)
            assert len(live) == 1 and live[0].copies == 2  # one story, two copies
            # the study was delivered (through B's summary): it is not due again
            assert archive.stories_matching(["liver"], exclude_delivered_to="team") == []
            assert archive.pending_page_retries() == 0
            # the archive is consistent: search finds the new text, matches follow the story
            db = archive.db
            hits = db.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'investigators'"
            ).fetchall()
            assert {h[0] for h in hits} == {x.id for x in live[0].articles}
            assert {r[0] for r in db.execute("SELECT story_id FROM matches")} == {live[0].id}


def test_page_retries_back_off_and_give_up(tmp_path):
    srv = TestServer(host="127.0.0.42")
    with srv:
        srv.route("/robots.txt", body=b"")
        srv.route("/gone", status=503)
        srv.route(
            "/feed.xml", body=rss([("t", srv.url("/gone"))]), headers={"Content-Type": "text/xml"}
        )
        cfg = config(tmp_path, [srv.url("/feed.xml")], per_host_delay=0)
        clock = Clock()
        with Archive(cfg.storage_path) as archive:
            pipeline = Pipeline(cfg, archive, clock=clock)
            asyncio.run(pipeline.poll_all())
            tries = [len(srv.hits("/gone"))]
            for delay in (*PAGE_RETRY_DELAYS, 24 * 3600):
                clock.now += timedelta(seconds=delay + 1)
                asyncio.run(pipeline.poll_all())
                tries.append(len(srv.hits("/gone")))
            assert tries == [1, 2, 3, 4, 4]  # the first fetch and three retries, then no more
            assert sum(PAGE_RETRY_DELAYS) < 24 * 3600  # all within a day
            row = (
                sqlite3.connect(cfg.storage_path)
                .execute("SELECT attempts, next_attempt_at, last_error FROM page_retries")
                .fetchone()
            )
            assert row[0] == 4 and row[1] is None and "503" in row[2]


def test_a_page_refused_for_good_is_not_retried(tmp_path):
    srv = TestServer(host="127.0.0.43")
    with srv:
        srv.route("/robots.txt", body=b"User-agent: *\nDisallow: /private\n")
        srv.route("/private/a", body=page(1, "x"), headers={"Content-Type": "text/html"})
        srv.route("/pdf", body=b"%PDF-1.4", headers={"Content-Type": "application/pdf"})
        links = [("a", srv.url("/private/a")), ("b", srv.url("/pdf"))]
        srv.route("/feed.xml", body=rss(links), headers={"Content-Type": "text/xml"})
        cfg = config(tmp_path, [srv.url("/feed.xml")], per_host_delay=0)
        with Archive(cfg.storage_path) as archive:
            result = asyncio.run(Pipeline(cfg, archive).poll_all())[0]
            assert result.page_errors == 2 and archive.pending_page_retries() == 0


def test_page_retries_step_upgrades_an_archive_made_before_it(tmp_path, config_file):
    """An archive at the schema main shipped (steps before _page_retries) with articles
    in it: opening it adds the page_retries table and keeps everything."""
    from storage import migrations
    from storage.db import Database

    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    step = migrations.STEPS.index(migrations._page_retries)
    for number, fn in enumerate(migrations.STEPS[:step], start=1):
        fn(db)
        db.conn.execute(f"PRAGMA user_version = {number}")
    db.conn.execute(
        "INSERT INTO sources (name, url, created_at) VALUES ('s', 'https://s.example.org/f', 'x')"
    )
    db.conn.execute(
        "INSERT INTO articles (key, url, canonical_url, source, fetched_at) VALUES"
        " ('k', 'https://s.example.org/a', 'https://s.example.org/a', 's', 'x')"
    )
    db.conn.commit()
    db.conn.close()
    with Archive(path) as archive:
        assert archive.version == len(migrations.STEPS)
        assert archive.counts()["articles"] == 1
        assert archive.pending_page_retries() == 0


def test_sync_sources_writes_only_what_changed(tmp_path):
    from monitor.config import SourceConfig

    srcs = [SourceConfig(f"s{i}", f"https://h{i}.example.org/f", 1800.0) for i in range(3)]
    with Archive(tmp_path / "a.db") as archive:
        archive.sync_sources(srcs)
        archive.update_source("s1", SourceUpdate(url="https://moved.example.org/f"))  # after a 301
        conn = archive.db.conn
        before = conn.total_changes
        archive.sync_sources(srcs)
        assert conn.total_changes == before  # nothing changed, nothing written
        srcs[0].enabled = False
        srcs[2].url = "https://new.example.org/f"
        archive.sync_sources(srcs)
        rows = {r.name: r for r in archive.sources_overview()}
        assert rows["s0"].enabled is False
        assert rows["s1"].url == "https://moved.example.org/f"  # the 301 is kept
        assert rows["s2"].url == rows["s2"].configured_url == "https://new.example.org/f"


def test_a_secret_registered_later_is_masked_at_the_next_sync(tmp_path):
    """A source row written before its secret was known (an error text quoting a token the
    masking rules could not recognise) is masked at the next sync that knows the secret
    (sync skips rows holding no registered secret: it must not skip this one)."""
    from monitor import logsafe
    from monitor.config import SourceConfig

    secret = "Zq8-opaque-value-77"
    srcs = [SourceConfig(f"s{i}", f"https://h{i}.example.org/f", 1800.0) for i in range(3)]
    logsafe.forget()
    try:
        with Archive(tmp_path / "a.db") as archive:
            archive.sync_sources(srcs)
            archive.update_source("s1", SourceUpdate(last_error=f"refused: {secret}"))
            assert archive.source_state("s1").last_error == f"refused: {secret}"
            logsafe.register([secret])
            conn = archive.db.conn
            before = conn.total_changes
            archive.sync_sources(srcs)
            assert archive.source_state("s1").last_error == "refused: ***"
            assert conn.total_changes == before + 1  # that row only
    finally:
        logsafe.forget()


def test_archive_work_of_different_polls_runs_in_different_turns_of_the_loop(tmp_path):
    """Eight feeds polled at once (fetch_pages = false): each piece of archive work (a feed's
    batch of articles, its settle) runs in a turn of the event loop of its own, so that the
    fetches in flight are served between them (back to back, a few hundred polls made turns of
    seconds and servers closed connections whose request came after such a turn)."""
    hosts = [TestServer(host=f"127.0.0.{60 + i}") for i in range(8)]
    with serving(*hosts):
        feeds = []
        for h in hosts:
            links = [(f"{h.host} story {i}", h.url(f"/a/{i}")) for i in range(5)]
            h.route("/feed.xml", body=rss(links), headers={"Content-Type": "text/xml"})
            feeds.append(h.url("/feed.xml"))
        cfg = config(tmp_path, feeds)
        path = tmp_path / "sources.toml"
        path.write_text(path.read_text().replace("[fetch]", "[fetch]\nfetch_pages = false"))
        cfg = config_mod.load(path, env={})
        assert not cfg.fetch.fetch_pages
        with Archive(cfg.storage_path) as archive:
            pipeline = Pipeline(cfg, archive)
            turn = 0
            pieces: dict[int, set[tuple[str, str]]] = {}
            commit, settle = pipeline.commit, pipeline.story_step.settle

            def on_commit(record, a):  # type: ignore[no-untyped-def]
                pieces.setdefault(turn, set()).add(("articles", record.source))
                return commit(record, a)

            def on_settle(ids, *args, **kw):  # type: ignore[no-untyped-def]
                sources = {archive.article(i).source for i in ids}
                pieces.setdefault(turn, set()).update(("settle", s) for s in sources)
                return settle(ids, *args, **kw)

            pipeline.commit = on_commit  # type: ignore[method-assign]
            pipeline.story_step.settle = on_settle  # type: ignore[method-assign]

            async def main() -> None:
                async def ticker() -> None:
                    nonlocal turn
                    while True:
                        turn += 1
                        await asyncio.sleep(0)

                tick = asyncio.get_running_loop().create_task(ticker())
                try:
                    results = await pipeline.poll_all()
                finally:
                    tick.cancel()
                assert [r.status for r in results] == ["ok"] * 8
                assert archive.counts()["articles"] == 40

            asyncio.run(main())
        work = [p for p in pieces.values()]
        assert sum(len(p) for p in work) == 16  # 8 batches, 8 settles
        assert all(len(p) == 1 for p in work), pieces


def test_extracted_pages_waiting_for_the_store_are_bounded(tmp_path):
    """The store (one writer, on the loop) is the slowest step; pages are fetched and extracted
    faster. An extracted page waiting for it holds its record and fingerprint (~60 kB), so at
    most 4 x concurrent_pages (here 16) may wait: a cold start of thousands of feeds piled them up
    (peak RSS 484 MB on 10,000 feeds). Every article is still stored once."""
    hosts = [TestServer(host=f"127.0.0.{80 + i}") for i in range(4)]
    with serving(*hosts):
        feeds = [serve_pages(h, 20) for h in hosts]
        cfg = config(tmp_path, feeds, per_host_delay=0, concurrent_pages=4, cpu_workers=0)
        with Archive(cfg.storage_path) as archive:
            pipeline = Pipeline(cfg, archive)
            extracted = stored = most = 0
            extract, commit = pipeline._extract, pipeline.commit

            async def on_extract(*args, **kw):  # type: ignore[no-untyped-def]
                nonlocal extracted, most
                done = await extract(*args, **kw)
                extracted += 1
                most = max(most, extracted - stored)
                return done

            def on_commit(record, a):  # type: ignore[no-untyped-def]
                nonlocal stored
                time.sleep(0.03)  # a slow store
                stored += 1
                return commit(record, a)

            pipeline._extract = on_extract  # type: ignore[method-assign]
            pipeline.commit = on_commit  # type: ignore[method-assign]
            with pipeline:
                results = asyncio.run(pipeline.poll_all())
            assert archive.counts()["articles"] == 80
        assert [r.new_articles for r in results] == [20] * 4
        assert stored == extracted == 80
        assert 4 < most <= 16, most  # the slots were used; the bound held


def test_site_turns_hold_only_the_sites_in_flight_and_one_page_per_site(tmp_path):
    """Pages of one site are extracted one at a time. With more than 1,000 sites in flight
    the table of turns was cleared under pages still in their turn (a KeyError failed their
    polls on the 10,000-feed farm); now an entry lives exactly while a page holds or waits
    for it, and two pages of one site never overlap."""
    cfg = config(tmp_path, ["http://127.0.0.1:9/feed.xml"], cpu_workers=0)
    with Archive(cfg.storage_path) as archive:
        pipeline = Pipeline(cfg, archive)
        inside: dict[str, int] = {}
        overlap = []

        async def page_of(site: str, pause: float) -> None:
            async with pipeline._site_turn(site):
                inside[site] = inside.get(site, 0) + 1
                if inside[site] > 1:
                    overlap.append(site)
                await asyncio.sleep(pause)
                inside[site] -= 1

        async def main() -> int:
            sites = [f"site{i}.example" for i in range(1500)]
            # two pages per site, finishing at different times across 1,500 sites
            await asyncio.gather(
                *(page_of(s, (i % 7) / 1000) for i, s in enumerate(sites)),
                *(page_of(s, (i % 5) / 1000) for i, s in enumerate(sites)),
            )
            return len(pipeline._limits_here().sites)

        assert asyncio.run(main()) == 0
        assert overlap == []


def test_pages_in_hand_are_bounded_and_a_page_waiting_for_its_host_holds_none(
    tmp_path, monkeypatch
):
    """Pages were fetched as fast as the polls came and waited for extraction and the store
    holding their bodies (~25 kB each): on a 10,000-feed cold start thousands of them made most
    of the peak RSS. Now at most ``pages_in_hand`` pages (here 6) are requested or fetched and
    not yet stored; the room is taken when the request's turn has come, so pages waiting for
    their host (a 0.3 s delay) hold none of it, and every article is still stored once."""
    from monitor import pipeline as pipeline_mod

    monkeypatch.setattr(pipeline_mod, "pages_in_hand", lambda pages, sources: 6)
    hosts = [TestServer(host=f"127.0.0.{90 + i}") for i in range(4)]
    with serving(*hosts):
        feeds = [serve_pages(h, 5) for h in hosts[:3]]
        feeds.append(serve_pages(hosts[3], 3))
        cfg = config(tmp_path, feeds, per_host_delay=0, concurrent_pages=2, cpu_workers=0)
        hosts[0].route("/a/0", status=404)  # a failed page gives its room back too
        with Archive(cfg.storage_path) as archive:
            pipeline = Pipeline(cfg, archive)
            fetched = stored = most = 0
            seen: list[int] = []
            commit = pipeline.commit
            get_page = Fetcher.get_page

            async def on_get_page(self, url, **kw):  # type: ignore[no-untyped-def]
                nonlocal fetched, most
                if "127.0.0.93" in url:  # a strict host: its turn comes late
                    self.hosts.set_site_delay("127.0.0.93", 0.3, cap=1.0)
                resp = await get_page(self, url, **kw)
                fetched += 1
                most = max(most, fetched - stored)
                return resp

            def on_commit(record, a):  # type: ignore[no-untyped-def]
                nonlocal stored
                time.sleep(0.02)  # a slow store
                seen.append(pipeline.pages_in_hand)
                stored += 1
                return commit(record, a)

            monkeypatch.setattr(Fetcher, "get_page", on_get_page)
            pipeline.commit = on_commit  # type: ignore[method-assign]
            with pipeline:
                results = asyncio.run(pipeline.poll_all())
            assert archive.counts()["articles"] == 18
        assert [r.new_articles for r in results] == [5, 5, 5, 3]
        assert results[0].page_errors == 1
        assert 2 < most <= 6, most  # the room was used; the bound held
        assert max(seen) <= 6
        assert pipeline.pages_in_hand == 0  # every page gave its room back
