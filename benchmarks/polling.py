"""Polling benchmark: the product's whole path on a loopback farm, against `reader`.

A separate process serves the farm: N feeds, each on its own loopback address
(127.0.1.1, 127.0.1.2, ...; all of 127.0.0.0/8 reaches loopback on Linux), with robots.txt,
ETags (a conditional request gets a 304) and article pages of ~12 kB with boilerplate.

Texts are drawn per host and entry (deterministically, from a hash of host, entry and part) as
real prose is distributed: Zipf's law (the word of rank r has weight 1 / r^1.1) over a generated
vocabulary of 60,000 word types, with a few domain words (every 9th word) as in medical news.
Two unrelated entries then share mostly frequent words, which the story stage's document
frequencies weigh little, and few of the rare words that carry an article's weight: they are
unrelated, as two different articles are. The first farm drew every word uniformly from 3,000
types: any two pages shared 15-20 % of their content words, all of about the same document
frequency, so unrelated pages looked alike to any bag-of-words measure (2,000 random entries
ended in 567 stories on the cold run, and the story stage compared every article with large
false stories). That text is kept for the story stage's worst case: ``POLLING_FARM_TEXT=uniform``
in the environment of the run (the farm and the product processes inherit it).

Parts (each contender in its own fresh process, so its peak RSS is its own):

  config     load a configuration of 10,000 sources (CPU time), and `check-config` on it
  cold       the SHIPPED defaults (1 s between requests to one host, 2 per host, robots.txt
             obeyed, pages fetched and extracted): 200 hosts x 10 entries, the whole path
             (fetch, parse, pages, extraction, stories, topics, archive); then a re-poll
             where every feed answers 304. Targets: <= 30 s, every article archived once;
             re-poll <= 2 s
  reader     like for like with lemon24/reader (SQLite-backed, feedparser + requests):
             the product's whole path with fetch_pages = false (entries into the archive
             with stories and topics) against reader's update_feeds(workers=16), cold and
             all-304, same farm, same run. Targets: <= 1/2 of reader's time, RSS < 150 MB
  capacity   the daemon (monitor.scheduler.Daemon) on a 10,000-feed farm, intervals
             scaled down, about 5 % of the feeds with a new entry (and page) per round:
             feeds and articles per hour, scheduler lag p95 (< 10 % of the interval),
             peak RSS (< 300 MB)

The story stage measured here is main's at the time of the run (another branch rebuilds
it); rerun after merging.

Usage:  PYTHONPATH=. python benchmarks/polling.py [--parts config,cold,reader,capacity]
            [--feeds 1000 --entries 20]            (the reader farm)
            [--capacity-feeds 10000 --capacity-interval 120 --capacity-seconds 360]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.utils import format_datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
os.environ.setdefault("MONITOR_MIN_INTERVAL", "1")  # the capacity farm scales intervals down


def farm_hosts(n: int) -> list[str]:
    return [f"127.{1 + i // 62500}.{1 + (i // 250) % 250}.{1 + i % 250}" for i in range(n)]


# --------------------------------------------------------------------------- the farm

_SYLLABLES = "ka lo mi ne ru sa te vo pi da ge hu ji ko la ma no pe ri su ta vi we xo ya ze".split()


def _word(i: int) -> str:
    rng = random.Random(i)  # one generator per word (a fresh one per syllable repeats it)
    return "".join(rng.choice(_SYLLABLES) for _ in range(2 + i % 3))


@functools.cache
def _uniform_vocab() -> list[str]:
    return sorted({_word(i) for i in range(6000)})[:3000]


_MEDICAL = (
    "liver metastases immunotherapy checkpoint inhibitor response trial patients cohort "
    "survival hepatic tumour pembrolizumab nivolumab oncology biomarker progression"
).split()


#: "zipf" (default): realistic text; "uniform": the first farm's text (see the docstring)
FARM_TEXT = os.environ.get("POLLING_FARM_TEXT", "zipf")
#: word types of the Zipf vocabulary and the exponent of its rank-frequency law
ZIPF_TYPES = 60_000
ZIPF_EXPONENT = 1.1


@functools.cache
def _zipf_vocab(n: int) -> tuple[list[str], list[float]]:
    """``n`` distinct generated words in rank order, with cumulative Zipf weights."""
    rng = random.Random(20261101)
    seen: dict[str, None] = {}
    while len(seen) < n:
        k = 2 + min(3, int(rng.expovariate(0.9)))  # short words are the common ones
        seen.setdefault("".join(rng.choice(_SYLLABLES) for _ in range(k)))
    words = list(seen)
    cum, acc = [], 0.0
    for r in range(1, n + 1):
        acc += r**-ZIPF_EXPONENT
        cum.append(acc)
    return words, cum


# the vocabularies are made on first use (in the farm process only): the product's CPU
# workers import this module as their __main__ (multiprocessing's spawn), and 0.8 s of CPU
# and 10 MB each would be counted as theirs


def _text(seed: str, n: int) -> str:
    rng = random.Random(hashlib.blake2b(seed.encode(), digest_size=8).digest())
    if FARM_TEXT == "uniform":
        words = [rng.choice(_uniform_vocab()) for _ in range(n)]
    else:
        vocab, cum = _zipf_vocab(ZIPF_TYPES)
        words = rng.choices(vocab, cum_weights=cum, k=n)
    for k in range(0, n, 9):  # a few domain words, as in medical news
        words[k] = rng.choice(_MEDICAL)
    return " ".join(words)


def _changed(host_index: int, round_no: int, share: float) -> bool:
    digest = hashlib.blake2b(f"{host_index}:{round_no}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 2**32 < share


def make_feed(host: str, port: int, entries: int, extra: int) -> bytes:
    base = f"http://{host}:{port}"
    stamp = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    items = []
    for i in range(entries + extra):
        when = format_datetime(datetime.fromtimestamp(stamp + i * 3600, UTC), usegmt=True)
        items.append(
            f"<item><title>{_text(f'{host}/{i}/t', 8).title()}</title>"
            f"<link>{base}/articles/{i}.html?utm_source=rss&amp;utm_medium=feed</link>"
            f'<guid isPermaLink="false">tag:{host},2026:{i}</guid>'
            f"<pubDate>{when}</pubDate><dc:creator>Reporter {i % 5}</dc:creator>"
            f"<description>&lt;p&gt;{_text(f'{host}/{i}/p', 70)}&lt;/p&gt;</description>"
            "</item>"
        )
    items.reverse()  # newest first
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Farm feed {host}</title><link>{base}/</link><description>bench</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def make_page(host: str, i: int) -> bytes:
    nav = "".join(f'<li><a href="/section/{k}">Section {k}</a></li>' for k in range(40))
    paras = "".join(f"<p>{_text(f'{host}/{i}/p{k}', 45)}.</p>" for k in range(12))
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Article {i}</title><link rel='canonical' href='/articles/{i}.html'></head>"
        f"<body><header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<h1>{_text(f'{host}/{i}/t', 8).title()}</h1><p class='byline'>By Reporter {i % 5}</p>"
        f"{paras}</article></main><aside>Related: {_text(f'{host}/{i}/a', 40)}</aside>"
        "<footer>Copyright 2026. Cookies. Privacy. Terms. Newsletter sign-up.</footer></body></html>"
    ).encode()


async def serve(
    port: int, n: int, entries: int, ready_fd: int, round_s: float, share: float
) -> None:
    """The farm. With ``round_s``, each feed gains one entry in a round with probability
    ``share`` (rounds counted from the start)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    hosts = farm_hosts(n)
    index = {h: i for i, h in enumerate(hosts)}
    state: dict[str, list[int]] = {}  # host -> [last round seen, extra entries]
    feeds: dict[tuple[str, int], bytes] = {}
    pages: dict[tuple[str, int], bytes] = {}
    started = time.monotonic()

    def extra_for(host: str) -> int:
        if not round_s:
            return 0
        now_round = int((time.monotonic() - started) / round_s)
        st = state.setdefault(host, [0, 0])
        for r in range(st[0] + 1, now_round + 1):
            if _changed(index[host], r, share):
                st[1] += 1
        st[0] = max(st[0], now_round)
        return st[1]

    def response(status: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        head = [b"HTTP/1.1 " + status]
        head += [k + b": " + v for k, v in headers]
        head.append(b"Content-Length: " + str(len(body)).encode())
        return b"\r\n".join(head) + b"\r\n\r\n" + body

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
                    break
                lines = head.split(b"\r\n")
                parts = lines[0].split(b" ")
                path = parts[1] if len(parts) > 1 else b"/"
                headers = {}
                for line in lines[1:]:
                    if b":" in line:
                        k, v = line.split(b":", 1)
                        headers[k.strip().lower()] = v.strip()
                host = headers.get(b"host", b"").split(b":")[0].decode()
                if host not in index:
                    out = response(b"404 Not Found", [], b"")
                elif path == b"/feed.xml":
                    extra = extra_for(host)
                    etag = f'"v{extra}"'.encode()
                    if headers.get(b"if-none-match") == etag:
                        out = response(b"304 Not Modified", [(b"ETag", etag)], b"")
                    else:
                        body = feeds.get((host, extra))
                        if body is None:
                            body = make_feed(host, port, entries, extra)
                            if len(feeds) < 30_000:
                                feeds[(host, extra)] = body
                        out = response(
                            b"200 OK",
                            [
                                (b"Content-Type", b"application/rss+xml; charset=utf-8"),
                                (b"ETag", etag),
                            ],
                            body,
                        )
                elif path == b"/robots.txt":
                    out = response(
                        b"200 OK", [(b"Content-Type", b"text/plain")], b"User-agent: *\nAllow: /\n"
                    )
                elif path.startswith(b"/articles/"):
                    i = int(path.split(b"/")[2].split(b".")[0])
                    body = pages.get((host, i))
                    if body is None:
                        body = make_page(host, i)
                        if len(pages) < 5000:
                            pages[(host, i)] = body
                    out = response(
                        b"200 OK", [(b"Content-Type", b"text/html; charset=utf-8")], body
                    )
                else:
                    out = response(b"404 Not Found", [(b"Content-Type", b"text/plain")], b"no")
                writer.write(out)
                await writer.drain()
                if headers.get(b"connection", b"").lower() == b"close":
                    break
        except Exception:
            pass
        finally:
            writer.close()

    servers = []
    for start in range(0, len(hosts), 500):
        servers.append(
            await asyncio.start_server(
                handle, host=hosts[start : start + 500], port=port, backlog=256, reuse_address=True
            )
        )
    os.write(ready_fd, b"ready\n")
    await asyncio.Event().wait()


class Farm:
    def __init__(self, n: int, entries: int, round_s: float = 0.0, share: float = 0.0):
        self.port = free_port()
        self.n = n
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                f"--port={self.port}",
                f"--feeds={n}",
                f"--entries={entries}",
                f"--round={round_s}",
                f"--share={share}",
            ],
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != b"ready":
            raise SystemExit("farm did not start")

    def urls(self) -> list[str]:
        return [f"http://{h}:{self.port}/feed.xml" for h in farm_hosts(self.n)]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --------------------------------------------------------------------------- helpers


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would start at the parent's at fork)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _descendants() -> list[int]:
    """Processes started by this one, directly or not (the fork server and CPU workers)."""
    parents: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parents[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        kids = [c for c, p in parents.items() if p == pid]
        found += kids
        todo += kids
    return found


def pss_mb(pid: int | str = "self") -> float:
    """A process's proportional set size now (shared pages divided among their sharers)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_usage() -> tuple[float, float, float]:
    """(peak RSS MB, PSS MB now, CPU s) of the running descendants (CPU workers and the
    multiprocessing resource tracker), from /proc while they run: ``RUSAGE_CHILDREN`` counts a
    child only once it is reaped. Their peaks are added: an upper bound of their sum at any one
    time (and shared library pages are counted in each); the PSS sum is the fair share now."""
    rss = pss = cpu = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in _descendants():
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        rss += int(line.split()[1]) / 1024
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            pss += pss_mb(pid)
        except (OSError, ValueError, IndexError):
            pass
    return rss, pss, cpu


def sqlite_peak_mb() -> float | None:
    """SQLite's own allocation high-water mark (page caches, statements), when the sqlite3
    module uses the system library (then ctypes reaches the same instance)."""
    try:
        import ctypes

        lib = ctypes.CDLL("libsqlite3.so.0")
        lib.sqlite3_memory_highwater.restype = ctypes.c_int64
        return lib.sqlite3_memory_highwater(0) / 2**20
    except (OSError, AttributeError):
        return None


def cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp: str, urls: list[str], fetch: dict[str, object], topics: bool = True) -> str:
    lines = ["[storage]", 'path = "archive.db"', "[fetch]", "allow_private = true"]
    for k, v in fetch.items():
        lines.append(f"{k} = {json.dumps(v)}")
    lines.append("")
    for i, url in enumerate(urls):
        lines += ["[[sources]]", f'name = "feed {i}"', f'url = "{url}"', ""]
    text = "\n".join(lines) + "\n"
    if topics:
        text += open(os.path.join(ROOT, "monitor", "demo", "topics.toml")).read()
    path = os.path.join(tmp, "sources.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def load_avg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# --------------------------------------------------------------------------- contenders


_SPENT: dict[str, float] = {}


def _timed(owner: object, name: str, label: str) -> None:
    """Wrap owner.name to add its thread CPU time to _SPENT[label] (the breakdown)."""
    inner = getattr(owner, name)

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        t = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            _SPENT[label] = _SPENT.get(label, 0.0) + time.thread_time() - t

    setattr(owner, name, wrapper)


#: the top-level parts of the product's work, which do not overlap (the others are inside them)
PARSE = "feed parsing (feedparser + normalising)"
ANALYSIS = "analysis (fingerprint + topic match)"
STORE = "story step store (candidates, decision, archive write)"
SETTLE = "story settle (regroup each poll's region)"
FINGERPRINT = "story fingerprint"
WRITE = "archive write (article, story, FTS, index, matches)"
EXTRACT = "page extraction"


def stage_split(spent: dict[str, float], total_cpu: float) -> tuple[float, float, float]:
    """(story stage, the rest of the product's CPU, of which not in any counter: fetching,
    the event loop, source states), thread CPU seconds. The story stage is the fingerprint,
    the story step's store without its archive write, and the settle."""
    g = spent.get
    story = g(FINGERPRINT, 0.0) + g(STORE, 0.0) - g(WRITE, 0.0) + g(SETTLE, 0.0)
    counted = g(PARSE, 0.0) + g(EXTRACT, 0.0) + g(ANALYSIS, 0.0) + g(STORE, 0.0) + g(SETTLE, 0.0)
    return story, total_cpu - story, total_cpu - counted


def _instrument() -> None:
    from monitor import extract, feeds, grouping, pipeline, stories
    from storage import archive, story_index

    _timed(grouping.StoryStep, "store", STORE)
    _timed(grouping.StoryStep, "settle", SETTLE)
    _timed(feeds, "parse", PARSE)
    _timed(extract, "extract", EXTRACT)
    _timed(stories, "fingerprint", FINGERPRINT)
    _timed(story_index, "candidates", "story candidates (index query)")
    _timed(stories, "decide", "story decision (compare)")
    _timed(archive.Archive, "add_article", WRITE)
    _timed(pipeline.Pipeline, "analyse", ANALYSIS)


def child_product(urls: list[str], pages: bool, cpu_workers: str | None = None) -> dict:
    """The product's whole path, as `monitor run --once` runs it (Pipeline.poll_all into a
    real archive), twice: cold, then every feed answers 304."""
    from monitor import config as config_mod
    from monitor.pipeline import Pipeline
    from storage.archive import Archive

    _instrument()

    with tempfile.TemporaryDirectory() as tmp:
        # the shipped defaults; only loopback must be allowed for a local farm
        fetch: dict[str, object] = {} if pages else {"fetch_pages": False}
        if cpu_workers is not None:  # else the shipped default
            fetch["cpu_workers"] = cpu_workers if cpu_workers == "auto" else int(cpu_workers)
        config = config_mod.load(write_config(tmp, urls, fetch))
        with Archive(config.storage_path) as archive, Pipeline(config, archive) as pipeline:
            c0, t = cpu_s(), time.perf_counter()
            cold_results = asyncio.run(pipeline.poll_all())
            cold, cold_cpu = time.perf_counter() - t, cpu_s() - c0
            _rss, _pss, workers_cold_cpu = children_usage()
            counts = archive.counts()
            keys = archive.db.execute("SELECT count(DISTINCT key) FROM articles").fetchone()[0]
            with_text = archive.db.execute(
                "SELECT count(*) FROM articles WHERE extract_note IS NULL"
            ).fetchone()[0]
            c0, t = cpu_s(), time.perf_counter()
            results = asyncio.run(pipeline.poll_all())
            warm, warm_cpu = time.perf_counter() - t, cpu_s() - c0
            workers_rss, workers_pss, workers_cpu = children_usage()
            pss_all = pss_mb() + workers_pss
            cpu_workers = pipeline.cpu.workers
    return {
        "cold": cold,
        "warm": warm,
        "cold_cpu": cold_cpu,
        "warm_cpu": warm_cpu,
        "articles": counts["articles"],
        "distinct_keys": keys,
        "stories": counts["stories"],
        "matches": counts["matches"],
        "pages_extracted": with_text,
        "errors": sum(r.status == "error" for r in cold_results),
        "page_errors": sum(r.page_errors for r in cold_results),
        "not_modified": sum(r.status == "not-modified" for r in results),
        "rss": peak_rss_mb() + workers_rss,
        "rss_main": peak_rss_mb(),
        "rss_workers": workers_rss,
        "pss_all": pss_all,
        "workers_cpu": workers_cpu,
        "workers_cold_cpu": workers_cold_cpu,
        "cpu_workers": cpu_workers,
        "cpu_workers_setting": config.fetch.cpu_workers,
        "sqlite_mb": sqlite_peak_mb(),
        "spent": _SPENT,
    }


def child_reader(urls: list[str]) -> dict:
    import logging

    from reader import make_reader

    logging.getLogger("reader").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        r = make_reader(os.path.join(tmp, "reader.sqlite"))
        for url in urls:
            r.add_feed(url)
        c0, t = cpu_s(), time.perf_counter()
        r.update_feeds(workers=16, scheduled=False)
        cold, cold_cpu = time.perf_counter() - t, cpu_s() - c0
        entries = r.get_entry_counts().total
        c0, t = cpu_s(), time.perf_counter()
        r.update_feeds(workers=16, scheduled=False)
        warm, warm_cpu = time.perf_counter() - t, cpu_s() - c0
        r.close()
    return {
        "cold": cold,
        "warm": warm,
        "cold_cpu": cold_cpu,
        "warm_cpu": warm_cpu,
        "articles": entries,
        "rss": peak_rss_mb(),
        "pss_all": pss_mb(),
        "sqlite_mb": sqlite_peak_mb(),
    }


def child_config(n: int) -> dict:
    from monitor import config as config_mod

    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"https://h{i}.example.org/feed.xml" for i in range(n)]
        path = write_config(tmp, urls, {})
        t = time.process_time()
        config = config_mod.load(path)
        load_cpu = time.process_time() - t
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "--config", path, "check-config"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        check = time.perf_counter() - t
        assert proc.returncode == 0, proc.stderr
        walls = []
        for _ in range(2):  # the first creates the archive and its 10,000 source rows
            t = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "monitor.cli", "--config", path, "sources"],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            walls.append(time.perf_counter() - t)
            assert proc.returncode == 0, proc.stderr
    return {
        "sources": len(config.sources),
        "load_cpu": load_cpu,
        "check_config": check,
        "sources_cmd": walls,
    }


def child_capacity(urls: list[str], interval: float, seconds: float, entries: int) -> dict:
    """The daemon on the farm for ``seconds``; figures over the steady part: from when
    every feed was polled once and its first entries archived (the cold start) to the end."""
    import logging

    from monitor import config as config_mod
    from monitor.scheduler import Daemon
    from storage.archive import Archive

    logging.getLogger("monitor").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_config(tmp, urls, {"interval": f"{interval:g}s"})
        config = config_mod.load(path)
        daemon = Daemon(config, stop_after=seconds)
        marks: dict[str, float] = {}

        async def main() -> None:
            loop = asyncio.get_running_loop()

            async def watch() -> None:
                while True:
                    await asyncio.sleep(1.0)
                    with Archive(config.storage_path, read_only=True) as a:
                        articles = a.counts()["articles"]
                    if daemon.polls >= len(urls) and articles >= len(urls) * entries:
                        break
                marks["polls"] = daemon.polls
                marks["lags_from"] = len(daemon.lags)
                marks["cpu"] = cpu_s()
                marks["articles"] = articles
                marks["at"] = time.perf_counter()

            watcher = loop.create_task(watch())
            await daemon.run()
            watcher.cancel()

        t = time.perf_counter()
        asyncio.run(main())
        end = time.perf_counter()
        if "at" not in marks:
            with Archive(config.storage_path, read_only=True) as a:
                articles = a.counts()["articles"]
            return {  # how far the cold start got, for the report
                "unfinished": True,
                "seconds": end - t,
                "polls": daemon.polls,
                "articles_total": articles,
                "cpu_share": cpu_s() / (end - t),
                "rss": peak_rss_mb(),
            }
        marks["cold_s"] = marks["at"] - t
        with Archive(config.storage_path, read_only=True) as a:
            articles = a.counts()["articles"]
            polled = a.db.execute(
                "SELECT count(*) FROM sources WHERE last_poll_at IS NOT NULL"
            ).fetchone()[0]
            failing = a.db.execute(
                "SELECT count(*) FROM sources WHERE consecutive_failures > 0"
            ).fetchone()[0]
            errors = [
                r[0][:120]
                for r in a.db.execute(
                    "SELECT last_error FROM sources WHERE consecutive_failures > 0 LIMIT 3"
                )
            ]
        window = end - marks["at"]
        lags = sorted(list(daemon.lags)[int(marks["lags_from"]) :])
        p = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))] if lags else 0.0  # noqa: E731
    return {
        "cold_s": marks["cold_s"],
        "window_s": window,
        "feeds_per_hour": (daemon.polls - marks["polls"]) / window * 3600,
        "articles_per_hour": (articles - marks["articles"]) / window * 3600,
        "articles_total": articles,
        "sources_polled": polled,
        "sources_failing": failing,
        "errors": errors,
        "lag_p50": p(0.5),
        "lag_p95": p(0.95),
        "lag_max": lags[-1] if lags else 0.0,
        "cpu_share": (cpu_s() - marks["cpu"]) / window,
        "rss": peak_rss_mb(),
    }


# --------------------------------------------------------------------------- driver


def spawn(args: list[str], a: argparse.Namespace | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if a is not None and a.cpu_workers is not None:
        args = [*args, f"--cpu-workers={a.cpu_workers}"]
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, timeout=3600
    )
    if proc.returncode != 0:
        raise SystemExit(f"{args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def part_config(a: argparse.Namespace) -> str:
    r = spawn(["--child=config", "--feeds=10000"])
    ok = r["load_cpu"] < 1.0
    print(
        f"config: {r['sources']} sources loaded in {r['load_cpu']:.2f} s CPU "
        f"(target < 1 s: {'ok' if ok else 'MISSED'}); `monitor check-config` "
        f"{r['check_config']:.2f} s wall incl. interpreter start; `monitor sources` "
        f"{r['sources_cmd'][0]:.2f} s creating the archive, {r['sources_cmd'][1]:.2f} s after"
    )
    return f"config 10,000 sources {r['load_cpu']:.2f} s"


def part_cold(a: argparse.Namespace) -> str:
    farm = Farm(a.cold_hosts, a.cold_entries)
    try:
        r = spawn(["--child=cold", f"--port={farm.port}", f"--feeds={a.cold_hosts}"], a)
    finally:
        farm.close()
    n = a.cold_hosts * a.cold_entries
    once = r["articles"] == n and r["distinct_keys"] == n
    print(
        f"cold start, shipped defaults (per_host_delay 1 s, 2 per host, robots.txt, pages): "
        f"{a.cold_hosts} hosts x {a.cold_entries} entries; cpu_workers = "
        f"{r['cpu_workers_setting']!r} ({r['cpu_workers']} worker processes)"
    )
    print(
        f"  cold {r['cold']:.2f} s wall, {r['cold_cpu']:.2f} s CPU in the polling process "
        f"+ {r['workers_cold_cpu']:.2f} s in workers (target <= 30 s: "
        f"{'ok' if r['cold'] <= 30 else 'MISSED'}); {r['articles']} articles "
        f"({r['distinct_keys']} distinct; every article once: {'yes' if once else 'NO'}), "
        f"{r['pages_extracted']} with their page's text, {r['stories']} stories, "
        f"{r['matches']} topic matches, errors {r['errors']}, page errors {r['page_errors']}"
    )
    print(
        "  CPU by stage (thread CPU s, polling process only): "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["spent"].items(), key=lambda kv: -kv[1]))
    )
    story, rest, uncounted = stage_split(
        r["spent"], r["cold_cpu"] + r["warm_cpu"] + r["workers_cpu"]
    )
    print(
        f"  story stage {story:.1f} s CPU, everything else {rest:.1f} s (of which fetching, "
        f"the loop and source states {uncounted:.1f} s)"
    )
    print(
        f"  re-poll all 304: {r['warm']:.2f} s wall, {r['warm_cpu']:.2f} s CPU ({r['not_modified']}"
        f" feeds answered 304; target <= 2 s: {'ok' if r['warm'] <= 2 else 'MISSED'}); "
        f"peak RSS {r['rss']:.0f} MB ({r['rss_main']:.0f} MB polling process + "
        f"{r['rss_workers']:.0f} MB workers, peaks added; PSS of all at the end "
        f"{r['pss_all']:.0f} MB)"
    )
    return f"cold {a.cold_hosts}x{a.cold_entries} {r['cold']:.1f} s, re-poll {r['warm']:.2f} s"


def part_reader(a: argparse.Namespace) -> str:
    farm = Farm(a.feeds, a.entries)
    runs: dict[str, list[dict]] = {"product": [], "reader": []}
    try:
        for _ in range(a.repeat):  # interleaved; the machine is shared
            runs["product"].append(
                spawn(["--child=product", f"--port={farm.port}", f"--feeds={a.feeds}"], a)
            )
            runs["reader"].append(
                spawn(["--child=reader", f"--port={farm.port}", f"--feeds={a.feeds}"])
            )
    finally:
        farm.close()

    def best(rs: list[dict]) -> dict:
        out = dict(rs[0])
        for k in ("cold", "warm", "cold_cpu", "warm_cpu"):
            out[k] = min(r[k] for r in rs)
        out["rss"] = max(r["rss"] for r in rs)
        out["rss_workers"] = max(r.get("rss_workers", 0.0) for r in rs)
        out["pss_all"] = max(r.get("pss_all", 0.0) for r in rs)
        out["workers_cpu"] = min(r.get("workers_cpu", 0.0) for r in rs)
        out["sqlite_mb"] = max(r.get("sqlite_mb") or 0.0 for r in rs)
        out["all"] = [(round(r["cold"], 2), round(r["warm"], 2)) for r in rs]
        return out

    p, r = best(runs["product"]), best(runs["reader"])
    n, m = a.feeds, a.entries
    print(
        f"like for like, {n} feeds x {m} entries, best of {a.repeat} interleaved runs: "
        "monitor's whole path with fetch_pages = false (parse, stories, topics, archive with "
        "full-text index) vs reader.update_feeds(workers=16)"
    )
    print(f"  {'measure':30} {'monitor':>10} {'reader':>10} {'ratio':>7}")
    rows = [
        ("cold, s wall", p["cold"], r["cold"]),
        ("re-poll all 304, s wall", p["warm"], r["warm"]),
        ("cold, s CPU (own process)", p["cold_cpu"], r["cold_cpu"]),
        ("  + CPU workers, s CPU", p["workers_cpu"], 0.0),
        ("re-poll, s CPU", p["warm_cpu"], r["warm_cpu"]),
        ("entries stored (cold)", p["articles"], r["articles"]),
        ("peak RSS, MB (with workers)", p["rss"], r["rss"]),
        ("  of which workers, MB", p["rss_workers"], 0.0),
        ("PSS at the end, all, MB", p["pss_all"], r.get("pss_all", 0.0)),
        ("of which SQLite's peak, MB", p["sqlite_mb"] or 0.0, r["sqlite_mb"] or 0.0),
    ]
    for name, x, y in rows:
        print(f"  {name:30} {x:10.2f} {y:10.2f} {x / y if y else 0.0:7.2f}")
    print(f"  runs (cold, re-poll) monitor {p['all']}  reader {r['all']}")
    print(
        f"  monitor: {p['stories']} stories, {p['matches']} topic matches, "
        f"{p['errors']} feeds failed on the cold poll, "
        f"{p['not_modified']} feeds answered 304 on the re-poll; cpu_workers = "
        f"{p['cpu_workers_setting']!r} ({p['cpu_workers']} worker processes)"
    )
    first = runs["product"][0]
    spent = first["spent"]
    print(
        "  monitor CPU by stage (first run, cold + re-poll, thread CPU s, polling process "
        "only): "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(spent.items(), key=lambda kv: -kv[1]))
    )
    total = first["cold_cpu"] + first["warm_cpu"] + first["workers_cpu"]
    story, rest, uncounted = stage_split(spent, total)
    print(
        f"  of its {total:.1f} s CPU (first run): story stage {story:.1f} s (fingerprint, "
        f"candidates, decision, settle), everything else {rest:.1f} s (feed parsing, topic "
        f"match, archive write; fetching, the loop and source states {uncounted:.1f} s); "
        f"reader's whole cold + re-poll: {runs['reader'][0]['cold_cpu'] + runs['reader'][0]['warm_cpu']:.1f} s"
    )
    verdict = (
        f"cold {p['cold'] / r['cold']:.2f}x, all-304 {p['warm'] / r['warm']:.2f}x reader "
        f"(target <= 0.5: {'ok' if max(p['cold'] / r['cold'], p['warm'] / r['warm']) <= 0.5 else 'MISSED'}), "
        f"peak RSS {p['rss']:.0f} MB (target < 150: {'ok' if p['rss'] < 150 else 'MISSED'})"
    )
    print("  " + verdict)
    return (
        f"whole path {n}x{m} cold {p['cold']:.2f} s vs reader {r['cold']:.2f} s "
        f"({p['cold'] / r['cold']:.2f}x), all-304 {p['warm']:.2f} s vs {r['warm']:.2f} s "
        f"({p['warm'] / r['warm']:.2f}x), RSS {p['rss']:.0f} MB"
    )


def part_capacity(a: argparse.Namespace) -> str:
    farm = Farm(a.capacity_feeds, 1, round_s=a.capacity_interval, share=0.05)
    try:
        r = spawn(
            [
                "--child=capacity",
                f"--port={farm.port}",
                f"--feeds={a.capacity_feeds}",
                f"--capacity-interval={a.capacity_interval}",
                f"--capacity-seconds={a.capacity_seconds}",
            ]
        )
    finally:
        farm.close()
    interval = a.capacity_interval
    if r.get("unfinished"):
        print(
            f"capacity: the daemon on {a.capacity_feeds} feeds did not finish its cold start "
            f"(every feed polled and its first entry archived) within the {r['seconds']:.0f} s "
            f"run: {r['polls']} polls, {r['articles_total']} articles archived; CPU "
            f"{r['cpu_share'] * 100:.0f} % of one core; peak RSS {r['rss']:.0f} MB. Raise "
            "--capacity-seconds"
        )
        return f"capacity {a.capacity_feeds} feeds: cold start unfinished in {r['seconds']:.0f} s"
    lag_ok = r["lag_p95"] < 0.1 * interval
    print(
        f"capacity: the daemon on {a.capacity_feeds} feeds (each its own address), interval "
        f"{interval:g} s, ~5 % of feeds with a new entry and page per round, shipped politeness; "
        f"{a.capacity_seconds:g} s run: cold start (every feed and its first entry) "
        f"{r['cold_s']:.0f} s, figures over the {r['window_s']:.0f} s after it"
    )
    print(
        f"  {r['feeds_per_hour']:,.0f} feed polls/hour, {r['articles_per_hour']:,.0f} articles/hour "
        f"({r['articles_total']} archived, {r['sources_polled']} sources polled, "
        f"{r['sources_failing']} failing at the end)"
    )
    if r["errors"]:
        print(f"  failing sources, for example: {r['errors']}")
    print(
        f"  scheduler lag p50 {r['lag_p50']:.3f} s, p95 {r['lag_p95']:.3f} s, max "
        f"{r['lag_max']:.2f} s (target p95 < {0.1 * interval:g} s: {'ok' if lag_ok else 'MISSED'}); "
        f"CPU {r['cpu_share'] * 100:.0f} % of one core; peak RSS {r['rss']:.0f} MB "
        f"(target < 300: {'ok' if r['rss'] < 300 else 'MISSED'})"
    )
    return (
        f"capacity {a.capacity_feeds} feeds: {r['feeds_per_hour']:,.0f} polls/h, "
        f"{r['articles_per_hour']:,.0f} articles/h, lag p95 {r['lag_p95']:.2f} s, "
        f"RSS {r['rss']:.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="config,cold,reader,capacity")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--entries", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cold-hosts", type=int, default=200)
    ap.add_argument("--cold-entries", type=int, default=10)
    ap.add_argument("--capacity-feeds", type=int, default=10_000)
    ap.add_argument("--capacity-interval", type=float, default=120.0)
    ap.add_argument("--capacity-seconds", type=float, default=480.0)
    ap.add_argument("--child")
    ap.add_argument(
        "--cpu-workers",
        help='[fetch] cpu_workers of the product ("auto", 0, 2...); default: the shipped default',
    )
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--round", type=float, default=0.0)
    ap.add_argument("--share", type=float, default=0.0)
    a = ap.parse_args()
    if a.serve:
        asyncio.run(serve(a.port, a.feeds, a.entries, 1, a.round, a.share))
        return
    if a.child:
        urls = [f"http://{h}:{a.port}/feed.xml" for h in farm_hosts(a.feeds)]
        if a.child == "config":
            out = child_config(a.feeds)
        elif a.child == "cold":
            out = child_product(urls, pages=True, cpu_workers=a.cpu_workers)
        elif a.child == "product":
            out = child_product(urls, pages=False, cpu_workers=a.cpu_workers)
        elif a.child == "reader":
            out = child_reader(urls)
        else:
            out = child_capacity(urls, a.capacity_interval, a.capacity_seconds, 1)
        print(json.dumps(out))
        return
    print(f"machine: {os.cpu_count()} cores, load average {load_avg()} at start")
    summary = []
    for part in a.parts.split(","):
        summary.append({"config": part_config, "cold": part_cold, "reader": part_reader,
                        "capacity": part_capacity}[part](a))  # fmt: skip
    print(f"load average {load_avg()} at the end")
    print("SUMMARY polling: " + "; ".join(summary))


if __name__ == "__main__":
    main()
