"""Hostile SQL against the real `monitor browse` server: time, memory, and a page beside it.

Builds a synthetic archive (benchmarks/browse.py, N articles), starts `monitor browse` as a
child process on 127.0.0.1 with the shipped settings, and sends queries through Datasette's
JSON API over HTTP, as an attacker with the page open would:

- each attack alone: the answer's status and wall time, and the growth of the RSS of the
  server with its child processes (sampled every 10 ms from /proc), peak against the start;
- three copies of an attack at once, while a one-row page (`/archive/sources/<name>.json`)
  is requested every 100 ms: the slowest one-row answer.

    PYTHONPATH=. python benchmarks/browse_attack.py [--articles 2000] [--only NAME]

The machine is shared: run `uptime` beside it and report the load with the figures. Before each
row the sandbox's workers killed by the previous attack are replaced and answering, so the
RSS growth is the row's own (it includes the replacement, about 35 MB each, of the workers
that the row's own attack got killed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.browse import build_archive  # noqa: E402
from monitor.demo.server import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TERM = "length(hex(randomblob(300000000)))"

ATTACKS: dict[str, str] = {
    # the query of the report: twelve 300 MB blobs, each hex-encoded to 600 MB, in one step each
    "randomblob-12x300MB": "select " + " + ".join([TERM] * 12),
    "zeroblob-2GB": "select length(zeroblob(2000000000))",
    "printf-1GB": "select length(printf('%.*c', 1000000000, 'x'))",
    "replace-growth": "select length(replace(hex(zeroblob(1000000)), '0', hex(zeroblob(1000))))",
    "like-backtracking": ("select hex(zeroblob(2000000)) like '%" + "0%1" * 300 + "%'"),
    "group-concat-rows": (
        "with recursive r(i) as (select 1 union all select i + 1 from r)"
        " select length(group_concat(hex(randomblob(1000)))) from r"
    ),
    "recursive-count": (
        "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r"
    ),
    "cross-join-sort": (
        "select a.id from articles a, articles b, articles c order by a.text, b.text limit 1"
    ),
    "json-deep": "select json(replace(hex(zeroblob(500000)), '00', '[')) ",
    "instr-quadratic": (
        "select instr(replace(hex(zeroblob(3000000)), '0', 'a'),"
        " replace(hex(zeroblob(1000000)), '0', 'a') || 'b')"
    ),
    "many-rows-of-4MB": (
        "with recursive r(i) as (select 1 union all select i + 1 from r limit 1000)"
        " select hex(zeroblob(2000000)) from r"
    ),
}


def _own_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return out


def rss_kb(pid: int) -> int:
    """The server's RSS with its children's (the SQL sandbox's workers)."""
    return _own_rss_kb(pid) + sum(rss_kb(c) for c in _children(pid))


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, rss_kb(pid), threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.01)


def start_server(config: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), "browse", "--port",
         str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("monitor browse did not start")


def query(base: str, sql: str, timeout: float = 120) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    try:
        r = httpx.get(f"{base}/archive.json?sql={quote(sql)}&_shape=array", timeout=timeout)
        status, text = r.status_code, r.text
    except httpx.HTTPError as e:
        status, text = 0, f"{type(e).__name__}"
    return status, time.perf_counter() - t0, text[:120].replace("\n", " ")


def one_row_latency(base: str, path: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            t0 = time.perf_counter()
            client.get(base + path).raise_for_status()
            out.append(time.perf_counter() - t0)
            time.sleep(0.1)


def settle(base: str, workers: int = 3) -> None:
    """Wait until the sandbox's workers answer at once (those killed by the previous attack are
    replaced), so each row measures its own attack and not the previous one's aftermath."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        times: list[float] = []
        threads = [
            threading.Thread(target=lambda t=times: t.append(query(base, "select 1")[1]))
            for _ in range(workers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if max(times) < 0.5:
            break
        time.sleep(0.5)
    time.sleep(0.5)


def measure(base: str, pid: int, sql: str, copies: int, page: str) -> dict:
    base_rss = rss_kb(pid)
    sampler = RssSampler(pid)
    sampler.start()
    results: list[tuple[int, float, str]] = []
    latencies: list[float] = []
    stop = threading.Event()
    pager = threading.Thread(target=one_row_latency, args=(base, page, stop, latencies))
    workers = [
        threading.Thread(target=lambda: results.append(query(base, sql))) for _ in range(copies)
    ]
    pager.start()
    time.sleep(0.3)  # the page's own baseline
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    pager.join()
    sampler.stop.set()
    sampler.join()
    return {
        "status": sorted({r[0] for r in results}),
        "slowest_s": max(r[1] for r in results),
        "rss_growth_mb": (sampler.peak - base_rss) / 1024,
        "page_max_s": max(latencies) if latencies else float("nan"),
        "answer": results[0][2],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--only", action="append", help="run only this attack (repeatable)")
    ap.add_argument("--copies", type=int, action="append", help="concurrent copies (1 and 3)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="browse-attack-") as tmp:
        db = Path(tmp) / "archive.db"
        cfg = build_archive(db, args.articles)
        config = Path(tmp) / "sources.toml"
        lines = [f'[storage]\npath = "{db}"\n']
        for s in cfg.sources:
            lines.append(f'[[sources]]\nname = "{s.name}"\nurl = "{s.url}"\n')
        config.write_text("\n".join(lines), encoding="utf-8")
        from datasette.utils import tilde_encode

        page = "/archive/sources/" + tilde_encode(cfg.sources[0].name) + ".json"
        proc, base = start_server(config)
        try:
            for _ in range(6):  # the SQL sandbox's workers started and warm before measuring
                query(base, "select 1")
            time.sleep(2)
            print(f"archive: {args.articles} articles; load: {os.getloadavg()[0]:.2f}")
            print(f"{'attack':22} {'copies':>6} {'status':>10} {'slowest':>8} "
                  f"{'RSS+MB':>7} {'page max':>9}  answer")  # fmt: skip
            for name, sql in ATTACKS.items():
                if args.only and name not in args.only:
                    continue
                for copies in args.copies or (1, 3):
                    settle(base)
                    m = measure(base, proc.pid, sql, copies, page)
                    print(
                        f"{name:22} {copies:>6} {','.join(map(str, m['status'])):>10} "
                        f"{m['slowest_s']:>7.2f}s {m['rss_growth_mb']:>7.1f} "
                        f"{m['page_max_s']:>8.3f}s  {m['answer'][:60]}",
                        flush=True,
                    )
                    if proc.poll() is not None:
                        raise SystemExit(f"the server died ({proc.returncode})")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
