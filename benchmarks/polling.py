"""Polling benchmark: our Fetcher + feeds.parse against the `reader` library on a local farm.

A separate process serves N feeds x M entries, each feed on its own loopback address
(127.0.1.1, 127.0.1.2, ... : all of 127.0.0.0/8 is loopback on Linux) so per-host
politeness does not serialise the run. Feeds carry an ETag and answer 304 to a
conditional request; article pages are ~14 kB of HTML with boilerplate.

Measured, each contender in its own fresh process (so peak RSS is its own):
  1. cold poll of every feed (entries discovered), 2. re-poll where every feed answers 304,
  3. ours only: the cold poll again with every article page fetched and extracted.
The peer is lemon24/reader (SQLite-backed, feedparser + requests), the library a Python
user would pick: ``update_feeds(workers=16, scheduled=False)`` twice.

Usage:  PYTHONPATH=. python benchmarks/polling.py [--feeds 1000] [--entries 20] [--skip-reader]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


def farm_hosts(n: int) -> list[str]:
    return [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(n)]


# --------------------------------------------------------------------------- the farm

WORDS = (
    "liver metastases immunotherapy checkpoint inhibitor response trial patients cohort "
    "survival hepatic tumour microenvironment pembrolizumab nivolumab outcome study analysis "
    "oncology clinicians treatment resistance biomarker progression radiotherapy resection"
).split()


def _text(seed: int, n: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 13) % len(WORDS)] for i in range(n))


def make_feed(host: str, port: int, entries: int) -> bytes:
    base = f"http://{host}:{port}"
    stamp = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    items = []
    for i in range(entries):
        when = format_datetime(
            datetime.fromtimestamp(stamp + i * 3600 + hash(host) % 997, UTC), usegmt=True
        )
        items.append(
            f"<item><title>{_text(i, 8).title()} ({host} #{i})</title>"
            f"<link>{base}/articles/{i}.html?utm_source=rss&amp;utm_medium=feed</link>"
            f'<guid isPermaLink="false">tag:{host},2026:{i}</guid>'
            f"<pubDate>{when}</pubDate><dc:creator>Reporter {i % 5}</dc:creator>"
            f"<description>&lt;p&gt;{_text(i + 1, 60)}&lt;/p&gt;&lt;p&gt;{_text(i + 2, 30)}&lt;/p&gt;</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Farm feed {host}</title><link>{base}/</link><description>bench</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def make_page(i: int) -> bytes:
    nav = "".join(f'<li><a href="/section/{k}">Section {k}</a></li>' for k in range(40))
    paras = "".join(f"<p>{_text(i + k, 45)}.</p>" for k in range(12))
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Article {i}</title><link rel='canonical' href='/articles/{i}.html'></head>"
        f"<body><header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<h1>{_text(i, 8).title()}</h1><p class='byline'>By Reporter {i % 5}</p>{paras}"
        "</article></main><aside>Related: " + _text(i + 3, 40) + "</aside>"
        "<footer>Copyright 2026. Cookies. Privacy. Terms. Newsletter sign-up.</footer></body></html>"
    ).encode()


async def serve(port: int, n: int, entries: int, ready_fd: int) -> None:
    hosts = farm_hosts(n)
    feeds: dict[str, bytes] = {}
    etag = b'"farm-v1"'
    pages = [make_page(i) for i in range(entries)]

    def response(status: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        head = [b"HTTP/1.1 " + status]
        head += [k + b": " + v for k, v in headers]
        head.append(b"Content-Length: " + str(len(body)).encode())
        return b"\r\n".join(head) + b"\r\n\r\n" + body

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
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
                if path == b"/feed.xml":
                    if headers.get(b"if-none-match") == etag:
                        out = response(b"304 Not Modified", [(b"ETag", etag)], b"")
                    else:
                        body = feeds.get(host)
                        if body is None:
                            body = feeds[host] = make_feed(host, port, entries)
                        out = response(
                            b"200 OK",
                            [
                                (b"Content-Type", b"application/rss+xml; charset=utf-8"),
                                (b"ETag", etag),
                                (b"Last-Modified", b"Sun, 01 Nov 2026 00:00:00 GMT"),
                            ],
                            body,
                        )
                elif path.startswith(b"/articles/"):
                    i = int(path.split(b"/")[2].split(b".")[0]) % len(pages)
                    out = response(
                        b"200 OK", [(b"Content-Type", b"text/html; charset=utf-8")], pages[i]
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

    server = await asyncio.start_server(
        handle, host=hosts, port=port, backlog=1024, reuse_address=True
    )
    os.write(ready_fd, b"ready\n")
    async with server:
        await server.serve_forever()


# --------------------------------------------------------------------------- contenders


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (parse workers), user + system."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_reader(urls: list[str]) -> dict:
    import logging

    from reader import make_reader

    logging.getLogger("reader").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        r = make_reader(os.path.join(tmp, "reader.sqlite"))
        for url in urls:
            r.add_feed(url)
        t = time.perf_counter()
        r.update_feeds(workers=16, scheduled=False)
        cold = time.perf_counter() - t
        entries = r.get_entry_counts().total
        t = time.perf_counter()
        r.update_feeds(workers=16, scheduled=False)
        warm = time.perf_counter() - t
        r.close()
    return {
        "cold": cold,
        "warm": warm,
        "entries": entries,
        "rss": peak_rss_mb(),
        "cpu": cpu_seconds(),
    }


def run_product(urls: list[str]) -> dict:
    """The product's own path: Pipeline.poll_all into a real archive (entries stored with their
    stories and topic matches; pages not fetched, as the peer fetches none), twice."""
    from monitor import config as config_mod
    from monitor.pipeline import Pipeline
    from storage.archive import Archive

    with tempfile.TemporaryDirectory() as tmp:
        topics = open(os.path.join(ROOT, "monitor", "demo", "topics.toml")).read()
        lines = [
            "[storage]",
            'path = "archive.db"',
            "[fetch]",
            "allow_private = true",
            "per_host_delay = 0",
            "fetch_pages = false",
            "respect_robots = false",
            "",
        ]
        for i, url in enumerate(urls):
            lines += ["[[sources]]", f'name = "feed {i}"', f'url = "{url}"', ""]
        cfg_path = os.path.join(tmp, "sources.toml")
        with open(cfg_path, "w") as f:
            f.write("\n".join(lines) + "\n" + topics)
        config = config_mod.load(cfg_path)
        with Archive(config.storage_path) as archive:
            pipeline = Pipeline(config, archive, page_concurrency=64)
            t = time.perf_counter()
            asyncio.run(pipeline.poll_all())
            cold = time.perf_counter() - t
            entries = archive.counts()["articles"]
            # the next poll is due at once (the interval is what the daemon waits)
            t = time.perf_counter()
            results = asyncio.run(pipeline.poll_all())
            warm = time.perf_counter() - t
            not_modified = sum(r.status == "not-modified" for r in results)
    return {
        "cold": cold,
        "warm": warm,
        "entries": entries,
        "rss": peak_rss_mb(),
        "cpu": cpu_seconds(),
        "not_modified": not_modified,
    }


def _parse_job(body: bytes, url: str, ctype: str | None, now: datetime) -> list[str]:
    from monitor.feeds import parse

    return [e.url for e in parse(body, url, content_type=ctype, now=now).entries]


def run_ours(urls: list[str], pages: bool, workers: int) -> dict:
    from concurrent.futures import ProcessPoolExecutor

    from monitor.feeds import parse
    from monitor.fetch import Fetcher, FetchError, FetchSettings, Validators

    try:
        from monitor.extract import extract
    except ImportError:  # the extraction stage lives on another branch until merged
        extract = None

    def fallback_extract(html: bytes, url: str) -> str:
        from selectolax.lexbor import LexborHTMLParser

        tree = LexborHTMLParser(html.decode("utf-8", "replace"))
        node = tree.css_first("article") or tree.body
        return node.text(separator=" ") if node else ""

    settings = FetchSettings(
        allow_private=True,
        per_host_delay=0.0 if pages else 1.0,
        per_host_concurrency=2,
        max_connections=128,
        respect_robots=False,
    )
    pool = ProcessPoolExecutor(workers) if workers > 1 else None
    stats = {"entries": 0, "errors": 0, "requests": 0, "pages": 0, "not_modified": 0}
    kinds: dict[str, int] = {}

    async def poll(validators: dict[str, Validators], with_pages: bool) -> float:
        loop = asyncio.get_running_loop()
        sem = asyncio.Semaphore(128)
        now = datetime.now(UTC)
        page_sem = asyncio.Semaphore(64)

        async def page(f: Fetcher, url: str) -> None:
            async with page_sem:
                try:
                    resp = await f.get_page(url)
                except FetchError as exc:
                    stats["errors"] += 1
                    kinds[exc.kind] = kinds.get(exc.kind, 0) + 1
                    return
            if extract is not None:
                extract(resp.body, resp.url)
            else:
                fallback_extract(resp.body, resp.url)
            stats["pages"] += 1

        async def one(f: Fetcher, url: str) -> None:
            async with sem:
                try:
                    resp = await f.get_feed(url, validators.get(url))
                except FetchError as exc:
                    stats["errors"] += 1
                    kinds[exc.kind] = kinds.get(exc.kind, 0) + 1
                    return
            if resp.not_modified:
                stats["not_modified"] += 1
                return
            ctype = resp.headers.get("content-type")
            if pool is not None:
                links = await loop.run_in_executor(
                    pool, _parse_job, resp.body, resp.url, ctype, now
                )
            else:
                links = [
                    e.url for e in parse(resp.body, resp.url, content_type=ctype, now=now).entries
                ]
            stats["entries"] += len(links)
            validators[url] = resp.validators
            if with_pages:
                await asyncio.gather(*(page(f, link) for link in links))

        t = time.perf_counter()
        async with Fetcher(settings) as f:
            await asyncio.gather(*(one(f, u) for u in urls))
            stats["requests"] += f.stats["requests"]
        return time.perf_counter() - t

    if pool is not None:  # start the workers before the clock runs
        list(pool.map(abs, range(workers)))
    validators: dict[str, Validators] = {}
    if pages:
        took = asyncio.run(poll(validators, True))
        result = {"pages_time": took, "pages": stats["pages"], "entries": stats["entries"]}
    else:
        cold = asyncio.run(poll(validators, False))
        entries = stats["entries"]
        warm = asyncio.run(poll(validators, False))
        result = {
            "cold": cold,
            "warm": warm,
            "entries": entries,
            "not_modified": stats["not_modified"],
        }
    result["errors"] = stats["errors"]
    result["error_kinds"] = kinds
    result["requests"] = stats["requests"]
    result["rss"] = peak_rss_mb()
    if pool is not None:
        peaks = []
        for pid in list(getattr(pool, "_processes", {}) or {}):
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmHWM:"):
                            peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        result["rss_workers"] = max(peaks) if peaks else 0.0
        pool.shutdown()
    result["cpu"] = cpu_seconds()
    return result


# --------------------------------------------------------------------------- driver


def best(runs: list[dict]) -> dict:
    """Fastest time of each measure over repeated runs; largest RSS; smallest CPU."""
    out = dict(runs[0])
    for key in ("cold", "warm", "cpu"):
        out[key] = min(r[key] for r in runs)
    for key in ("rss", "rss_workers"):
        if key in out:
            out[key] = max(r[key] for r in runs)
    out["all_cold"] = [round(r["cold"], 2) for r in runs]
    out["all_warm"] = [round(r["warm"], 2) for r in runs]
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child(args: argparse.Namespace) -> None:
    urls = [f"http://{h}:{args.port}/feed.xml" for h in farm_hosts(args.feeds)]
    if args.child == "reader":
        out = run_reader(urls)
    elif args.child == "product":
        out = run_product(urls)
    else:
        out = run_ours(urls, pages=args.child == "ours-pages", workers=args.workers)
    print(json.dumps(out))


def spawn(kind: str, args: argparse.Namespace, port: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--port",
        str(port),
        "--feeds",
        str(args.feeds),
        "--entries",
        str(args.entries),
        "--workers",
        str(args.workers),
    ]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--entries", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2, help="feed-parsing processes (1: inline)")
    ap.add_argument("--skip-reader", action="store_true")
    ap.add_argument("--repeat", type=int, default=2, help="interleaved runs of each contender")
    ap.add_argument("--child", choices=["reader", "ours", "ours-pages", "product"])
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    if args.serve:
        asyncio.run(serve(args.port, args.feeds, args.entries, 1))
        return
    if args.child:
        child(args)
        return

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--port",
            str(port),
            "--feeds",
            str(args.feeds),
            "--entries",
            str(args.entries),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != b"ready":
            raise SystemExit("farm did not start")
        n, m = args.feeds, args.entries
        print(f"farm: {n} feeds x {m} entries on {n} loopback addresses, port {port}")
        rows = []
        ours_runs, reader_runs = [], []
        for _ in range(args.repeat):  # interleaved, best of each: the machine is shared
            ours_runs.append(spawn("ours", args, port))
            if not args.skip_reader:
                reader_runs.append(spawn("reader", args, port))
        ours = best(ours_runs)
        rd = best(reader_runs) if reader_runs else None
        pages = spawn("ours-pages", args, port)
        product = spawn("product", args, port)
        print(f"{'measure':34} {'monitor':>10} {'reader':>10} {'ratio':>7}")
        rows.append(("cold poll, s", ours["cold"], rd and rd["cold"]))
        rows.append(("re-poll all 304, s", ours["warm"], rd and rd["warm"]))
        rows.append(("entries found (cold)", ours["entries"], rd and rd["entries"]))
        rows.append(("peak RSS main process, MB", ours["rss"], rd and rd["rss"]))
        rows.append(("CPU s, cold + re-poll (all procs)", ours["cpu"], rd and rd["cpu"]))
        rows.append(("cold feeds/s", n / ours["cold"], rd and n / rd["cold"]))
        rows.append(("re-poll requests/s", n / ours["warm"], rd and n / rd["warm"]))
        for name, a, b in rows:
            ratio = f"{a / b:7.2f}" if b else "      -"
            bs = f"{b:10.2f}" if b is not None else "         -"
            print(f"{name:34} {a:10.2f} {bs} {ratio}")
        print(f"{'runs: cold s / re-poll s':34} {ours['all_cold']} / {ours['all_warm']}", end="")
        print(f"  reader {rd['all_cold']} / {rd['all_warm']}" if rd else "")
        if "rss_workers" in ours:
            print(f"{'peak RSS per parse worker, MB':34} {ours['rss_workers']:10.2f}")
        print(
            f"{'cold poll + pages fetched+extracted':34} {pages['pages_time']:10.2f} s  "
            f"({pages['pages']} pages, {pages['pages'] / pages['pages_time']:.0f} pages/s, "
            f"peak RSS {pages['rss']:.0f} MB, errors {pages['errors']} {pages['error_kinds'] or ''})"
        )
        print(
            f"{'whole pipeline into the archive':34} cold {product['cold']:.2f} s, re-poll "
            f"{product['warm']:.2f} s ({product['not_modified']} feeds answered 304), "
            f"{product['entries']} articles stored with stories and topic matches, "
            f"peak RSS {product['rss']:.0f} MB"
        )
        if rd:
            print(
                f"SUMMARY polling {n}x{m}: cold {ours['cold']:.2f}s vs reader {rd['cold']:.2f}s "
                f"({ours['cold'] / rd['cold']:.2f}x), all-304 {ours['warm']:.2f}s vs "
                f"{rd['warm']:.2f}s ({ours['warm'] / rd['warm']:.2f}x), peak RSS {ours['rss']:.0f} MB "
                f"(reader {rd['rss']:.0f} MB), pages {pages['pages_time']:.1f}s"
            )
        else:
            print(
                f"SUMMARY polling {n}x{m}: cold {ours['cold']:.2f}s, all-304 {ours['warm']:.2f}s, "
                f"peak RSS {ours['rss']:.0f} MB, pages {pages['pages_time']:.1f}s"
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
