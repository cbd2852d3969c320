"""CPU worker processes ([fetch] cpu_workers): same results as in-process, a killed worker
loses and duplicates nothing, a page over the memory cap does not reach the daemon, and no
process outlives its owner."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor import feeds, pipeline, topics, workers
from monitor.demo import demo_config_text
from monitor.demo.server import SiteServer
from monitor.demo.site import build_site
from monitor.fetch import Response
from monitor.model import Entry, SiteTemplate
from monitor.pipeline import Pipeline
from storage.archive import Archive
from tests.httpserver import TestServer
from tests.test_polling import config, page, rss

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "extraction"


def _dev_pages(limit: int) -> list[tuple[str, bytes]]:
    if not DEV.is_dir():
        pytest.fail(f"{DEV} is missing: CI must have ../shared beside the repository")
    urls = {}
    with open(DEV / "truth.jsonl") as f:
        for line in f:
            row = json.loads(line)
            urls[row["id"]] = row["url"]
    pages = []
    for path in sorted((DEV / "pages").glob("*.html.gz"))[:limit]:
        pages.append(
            (
                urls.get(path.name.split(".")[0], "https://example.org/a"),
                gzip.decompress(path.read_bytes()),
            )
        )
    return pages


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# ------------------------------------------------------------------ tasks run in a worker
def _pid() -> int:
    return os.getpid()


def _die_unless(flag: str) -> int:
    """Killed (SIGKILL, as the OOM killer does) the first time, when ``flag`` does not exist."""
    if not os.path.exists(flag):
        Path(flag).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def _allocate(mib: int) -> int:
    return len(bytearray(mib * 2**20))


def _raise_feed_error() -> None:
    raise feeds.FeedError("https://example.org/feed", "not a feed")


class _Odd(Exception):
    def __init__(self, a: int, b: int) -> None:  # its args do not rebuild it
        super().__init__(f"{a}/{b}")


def _raise_odd() -> None:
    raise _Odd(1, 2)


# --------------------------------------------------------------------------- the setting
def test_auto_is_the_cores_but_one_and_numbers_are_themselves():
    assert workers.resolve_workers("auto", cores=1) == 0
    assert workers.resolve_workers("auto", cores=2) == 1
    assert workers.resolve_workers("auto", cores=64) == workers.AUTO_MAX
    assert workers.resolve_workers(0) == 0
    assert workers.resolve_workers(3) == 3
    with pytest.raises(ValueError):
        workers.resolve_workers(-1)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('cpu_workers = "many"', 'must be "auto" or a number'),
        ("cpu_workers = -1", "too small"),
        ("cpu_workers = true", "got a boolean"),
        ('cpu_worker_memory = "10 MB"', "too small"),
    ],
)
def test_check_config_names_the_line_of_a_bad_worker_setting(tmp_path, line, message):
    cfg = tmp_path / "sources.toml"
    cfg.write_text(f"[storage]\npath = 'a.db'\n\n[fetch]\nconcurrent_pages = 4\n{line}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "check-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert f"{cfg}:6:" in proc.stderr and message in proc.stderr, proc.stderr


def test_the_settings_reach_the_pipeline(tmp_path):
    cfg = config(tmp_path, [], cpu_workers=2, cpu_worker_memory="512MB")
    with Archive(cfg.storage_path) as archive, Pipeline(cfg, archive) as p:
        assert p.cpu.workers == 2 and p.cpu.memory_cap == 512 * 10**6
    cfg = config(tmp_path, [], cpu_workers=0)
    with Archive(cfg.storage_path) as archive, Pipeline(cfg, archive) as p:
        assert p.cpu.in_process
    cfg = config(tmp_path, [])
    assert cfg.fetch.cpu_workers == "auto"


# ------------------------------------------------------------------------------- parity
def test_workers_extract_and_analyse_real_pages_exactly_as_in_process():
    pages = _dev_pages(40)
    cfg_topics = [topics.TopicSpec("cancer", "cancer OR tumour OR oncology", 0.0)]
    matcher = topics.compile_topics(cfg_topics, {})
    pool = workers.CpuPool(1, setup=pipeline._worker_setup, setup_args=(matcher,))

    async def run() -> None:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        for n, (url, body) in enumerate(pages):
            # every other page with a learnt template: half the blocks the page shows,
            # as if earlier pages of its site had shown them
            site = pipeline.site_of(url)
            keys = pipeline._extract_page(body, url, None, SiteTemplate(site)).template_keys
            template = SiteTemplate(site, 3, {k: 3 for k in keys[::2]}) if n % 2 else None
            args = (body, url, "text/html; charset=utf-8" if n % 3 else None, template)
            entry = Entry(key=f"url:{url}", url=url, title="Feed title", summary="Feed summary")
            # the trip a new entry's page makes, and the same steps in this process
            there = await pool.run(
                pipeline._extract_and_analyse, (*args, ("s", entry, at)), lambda: None
            )
            article = pipeline._extract_page(*args)
            record = pipeline.page_record("s", entry, article, url, at)
            here = pipeline.Extracted(article, record, pipeline.analyse(record, matcher))
            assert there == here, url
            # the analysis trip alone (feeds without pages, page retries)
            (a,) = await pool.run(pipeline._analyse_all, ([record],), lambda: None)
            assert a == here.analysis, url

    try:
        asyncio.run(run())
        assert pool.restarts == 0  # every result came from the worker
    finally:
        pool.close()


def test_exceptions_come_back_as_they_were_raised_and_leave_the_pool_whole():
    pool = workers.CpuPool(1)

    async def run() -> None:
        with pytest.raises(feeds.FeedError) as e:
            await pool.run(_raise_feed_error, (), lambda: None)
        assert e.value.url == "https://example.org/feed" and e.value.message == "not a feed"
        with pytest.raises(workers.WorkerError, match="_Odd: 1/2"):
            await pool.run(_raise_odd, (), lambda: None)
        assert await pool.run(_pid, (), lambda: -1) > 0

    try:
        asyncio.run(run())
        assert pool.restarts == 0
    finally:
        pool.close()


# ---------------------------------------------------------------------- a killed worker
def test_a_killed_worker_is_replaced_and_its_task_done_in_process_once(tmp_path):
    flag = str(tmp_path / "killed")
    pool = workers.CpuPool(1)
    local_calls = []

    async def run() -> tuple[int, int, int]:
        first = await pool.run(_pid, (), lambda: -1)
        second = await pool.run(_die_unless, (flag,), lambda: local_calls.append(1) or -2)
        third = await pool.run(_pid, (), lambda: -3)
        return first, second, third

    try:
        first, second, third = asyncio.run(run())
    finally:
        pool.close()
    assert second == -2 and local_calls == [1]  # done here, once
    assert pool.restarts == 1 and pool.retried_locally == 1
    assert third > 0 and third != first  # a new worker
    assert not _alive(first)


def test_killing_a_worker_mid_poll_loses_no_article_and_duplicates_none(tmp_path):
    """A worker killed while a poll extracts pages: every article is stored once, with its
    page's text, as an in-process poll stores it."""
    hosts = [TestServer(host=f"127.0.0.{40 + i}") for i in range(3)]
    feed_host = TestServer(host="127.0.0.43")
    servers = [*hosts, feed_host]
    for s in servers:
        s.__enter__()
    try:
        links = []
        for h in hosts:
            h.route("/robots.txt", body=b"")
            for i in range(8):
                h.route(f"/p{i}", body=page(i, h.host), headers={"Content-Type": "text/html"})
                links.append((f"story {h.host} {i}", h.url(f"/p{i}")))
        feed_host.route("/f.xml", body=rss(links), headers={"Content-Type": "text/xml"})

        def poll(folder: str, workers_n: int, kill: bool) -> tuple[list[tuple], int]:
            (tmp_path / folder).mkdir()
            cfg = config(
                tmp_path / folder, [feed_host.url("/f.xml")], per_host_delay=0.05,
                cpu_workers=workers_n,
            )  # fmt: skip
            killed = []
            with Archive(cfg.storage_path) as archive, Pipeline(cfg, archive) as p:
                stop = threading.Event()

                def killer() -> None:  # the first worker, as soon as it runs a task
                    while not stop.is_set() and not killed:
                        for pid in p.cpu.worker_pids():
                            os.kill(pid, signal.SIGKILL)
                            killed.append(pid)
                        time.sleep(0.005)

                t = threading.Thread(target=killer)
                if kill:
                    t.start()
                try:
                    (result,) = asyncio.run(p.poll_all())
                finally:
                    stop.set()
                    if kill:
                        t.join()
                assert result.status == "ok" and result.new_articles == 24
                rows = archive.db.execute(
                    "SELECT key, title, text, extract_note FROM articles ORDER BY key"
                ).fetchall()
                restarts = p.cpu.restarts
            assert not kill or killed
            return [tuple(r) for r in rows], restarts

        here, _ = poll("here", 0, kill=False)
        there, restarts = poll("there", 1, kill=True)
    finally:
        for s in servers:
            s.__exit__(None, None, None)
    assert restarts >= 1
    assert len(there) == 24 and len({r[0] for r in there}) == 24
    assert all(r[3] is None for r in there)  # every page's text, no summary kept instead
    assert there == here


# --------------------------------------------------------------------------- memory cap
def test_a_task_over_the_memory_cap_fails_alone_and_the_worker_goes_on():
    pool = workers.CpuPool(1, memory_cap=300 * 2**20)

    async def run() -> None:
        before = await pool.run(_pid, (), lambda: -1)
        with pytest.raises(workers.WorkerMemoryError):
            await pool.run(_allocate, (600,), lambda: -1)
        assert await pool.run(_allocate, (50,), lambda: -1) == 50 * 2**20
        assert await pool.run(_pid, (), lambda: -1) == before

    try:
        asyncio.run(run())
        assert pool.restarts == 0 and pool.retried_locally == 0
    finally:
        pool.close()


def test_a_page_over_the_memory_cap_is_not_extracted_and_the_pipeline_says_why(tmp_path):
    class Capped:  # a pool whose worker ran out of its memory on the page
        in_process = False

        async def run(self, *args: object) -> None:
            raise workers.WorkerMemoryError("the task needed more than 250 MiB")

        def close(self) -> None:
            pass

    cfg = config(tmp_path, [], cpu_workers=1)
    response = Response(url="http://x/a", status=200, headers={}, body=page(1, "x"))
    with Archive(cfg.storage_path) as archive, Pipeline(cfg, archive) as p:
        p.cpu = Capped()  # type: ignore[assignment]
        article = asyncio.run(p._extract(response, "http://x/a")).article
    assert article.text == "" and "not extracted" in (article.reason or "")


# ------------------------------------------------------------------------------ shutdown
_OWNER = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from monitor.workers import CpuPool
    from tests.test_workers import _pid

    async def main():
        pool = CpuPool(2)
        pids = await asyncio.gather(pool.run(_pid, (), lambda: 0), pool.run(_pid, (), lambda: 0))
        print(" ".join(map(str, [*pool.worker_pids(), os.getpid()])), flush=True)
        if sys.argv[1] == "close":
            pool.close()
            return
        time.sleep(60)  # killed here

    if __name__ == "__main__":
        asyncio.run(main())
    """
)


@pytest.mark.parametrize("end", ["close", "kill"])
def test_no_worker_outlives_its_owner(tmp_path, end):
    script = tmp_path / "owner.py"
    script.write_text(_OWNER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, str(script), end], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip
    group = proc.pid  # its own session and process group
    try:
        assert proc.stdout is not None
        pids = [int(x) for x in proc.stdout.readline().split()]
        assert len(pids) >= 2  # a worker at least, and the owner
        if end == "kill":
            proc.kill()
        assert proc.wait(timeout=30) in (0, -signal.SIGKILL)
        deadline = time.monotonic() + 10
        left: list[int] = []
        while time.monotonic() < deadline:
            left = [int(d) for d in os.listdir("/proc") if d.isdigit() and _in_group(int(d), group)]
            if not left:
                break
            time.sleep(0.1)
        assert left == [], f"left running: {left}"
    finally:
        _end_group(group)


def _end_group(group: int) -> None:
    """What a failed test left of the group it started (a hang, orphans)."""
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _in_group(pid: int, group: int) -> bool:
    try:
        return os.getpgid(pid) == group and _alive(pid)
    except OSError:
        return False


def test_run_once_exits_promptly_with_its_workers_stopped(tmp_path):
    with SiteServer(build_site) as site:
        cfg = tmp_path / "sources.toml"
        cfg.write_text(demo_config_text(site.base, tmp_path / "archive.db"))
        text = cfg.read_text().replace("[fetch]", "[fetch]\ncpu_workers = 2", 1)
        assert "cpu_workers = 2" in text
        cfg.write_text(text)
        t = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "run", "--once"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert time.monotonic() - t < 60
            time.sleep(0.5)
            left = [
                int(d) for d in os.listdir("/proc") if d.isdigit() and _in_group(int(d), proc.pid)
            ]
            assert left == [], f"left running: {left}"
        finally:
            _end_group(proc.pid)
