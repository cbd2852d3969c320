"""Soak benchmark: the real daemon against a faulty local feed farm, with flaky digest sinks.

A separate process (this script with --farm) serves FEEDS feeds on several loopback addresses
(127.0.2.1, 127.0.2.2, ...: all of 127.0.0.0/8 is loopback on Linux, so per-host politeness
does not serialise the run). Each feed gains a new entry every 40-120 s, so the farm as a
whole publishes every fraction of a second. Faults are injected while it publishes:

  feeds    timeouts (no answer within the fetch timeout), 500s, malformed (cut-off) XML,
           the newest entry listed twice in one feed, an article of another feed listed again,
           syndicated copies of one press release (same DOI) published on 2-3 other feeds;
  pages    500s (the feed summary is archived instead, once);
  sinks    the SMTP server is down for a while and answers 451 at random; the Slack-like
           endpoint answers 429 (Retry-After: 1) and 500 at random; the webhook answers 503
           for a while and 500 at random.

`monitor run` (the daemon, a subprocess with a generated config: 5 s intervals, channels on
a one-minute cron) runs for --minutes. Then the daemon gets SIGTERM, the farm stops
publishing and injecting faults, the sinks recover, one `monitor run --once` and one
`monitor digest --channel` per channel drain the backlog, and the archive is checked:

  * every article the farm published is archived, once (published == archived, 0 duplicates);
  * per channel, every live story matched by the channel's topic was delivered, and no story
    headline reached the sink in two different digests (a resend of the *same* digest —
    same Message-ID / same payload — is counted separately as a resend);
  * PRAGMA integrity_check is ok; the daemon logged no unexpected exception.

Peak RSS of the daemon, its growth (mean RSS of the first third of the run vs the last
third) and CPU seconds per archived article are reported. Exit status 1 if an invariant fails.

Usage:  PYTHONPATH=. python benchmarks/soak.py [--minutes 10] [--feeds 200] [--hosts 10]
"""

from __future__ import annotations

import argparse
import email
import hashlib
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime
from email import policy
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOPIC_FILE = ROOT / "monitor" / "demo" / "topics.toml"
TOPIC = "liver-metastases-immunotherapy"

FETCH_TIMEOUT_S = 3.0  # the daemon's total_timeout; a "timeout" fault answers later than this
WINDOW = 60  # entries kept in each feed

# ------------------------------------------------------------------------- content

WORDS = (
    "cohort patients median survival interval baseline follow analysis response tumour burden "
    "serum marker imaging protocol arm dose schedule toxicity grade event rate biopsy sample "
    "clinic hospital centre region enrolment criteria screening investigators sponsor registry "
    "database outcome secondary primary endpoint subgroup stratified randomised open label "
    "phase trial blinded placebo comparator duration exposure adherence visit week month year "
    "measure scale questionnaire quality life pain fatigue appetite weight nutrition exercise "
    "sleep mood caregiver family support nurse pharmacist physician surgeon radiologist "
    "pathologist statistician cost access insurance policy guideline panel consensus review "
    "meta observational retrospective prospective multicentre national international pilot "
    "feasibility safety efficacy signal hazard ratio confidence estimate variance model adjusted "
    "unadjusted sensitivity specificity threshold cutoff calibration validation external internal"
).split()
DRUGS = ["pembrolizumab", "nivolumab", "atezolizumab", "durvalumab", "ipilimumab", "cemiplimab"]
CANCERS = ["colorectal cancer", "melanoma", "uveal melanoma", "lung cancer", "gastric cancer"]
OFF_TOPICS = [
    "hand hygiene in outpatient clinics",
    "vitamin D and bone density",
    "night shifts and nurse fatigue",
    "antibiotic stewardship in care homes",
    "screen time and sleep in teenagers",
]


def filler(rng: random.Random, n: int) -> str:
    sentences = []
    while n > 0:
        k = rng.randint(9, 16)
        words = [rng.choice(WORDS) for _ in range(k)]
        sentences.append(words[0].capitalize() + " " + " ".join(words[1:]) + ".")
        n -= k
    return " ".join(sentences)


def make_story(rng: random.Random, uid: str, on_topic: bool) -> dict:
    """Title and paragraphs of one study (distinct random text, so stories never collide)."""
    if on_topic:
        drug, cancer = rng.choice(DRUGS), rng.choice(CANCERS)
        title = f"{drug.capitalize()} immunotherapy for liver metastases of {cancer}: study {uid}"
        lead = (
            f"Patients with liver metastases from {cancer} who received the checkpoint "
            f"inhibitor {drug} had longer survival in study {uid}, investigators report."
        )
    else:
        subject = rng.choice(OFF_TOPICS)
        title = f"New findings on {subject}: report {uid}"
        lead = f"A report on {subject} was published today as report {uid}."
    paras = [lead] + [filler(rng, rng.randint(60, 110)) for _ in range(4)]
    return {"title": title, "paras": paras}


def page_html(title: str, paras: list[str], url: str, doi: str | None) -> bytes:
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(12))
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    meta_doi = f'<meta name="citation_doi" content="{doi}">' if doi else ""
    doi_line = f"<p>Journal reference: doi:{doi}</p>" if doi else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f'</title><link rel="canonical" href="{url}">{meta_doi}</head><body>'
        f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>{escape(title)}</h1>"
        f"{body}{doi_line}</article></main><aside><h3>Most read</h3><ul>{nav}</ul></aside>"
        "<footer><p>Copyright the farm. All rights reserved. Privacy. Terms. Cookies.</p></footer>"
        "</body></html>"
    ).encode()


# ------------------------------------------------------------------------- the farm


class Farm:
    """The publishing feeds, their pages and the fault injection (runs in the farm process)."""

    def __init__(self, feeds: int, hosts: list[str], ports: list[int], seed: int):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.hosts, self.ports = hosts, ports
        self.n = feeds
        self.entries: list[list[dict]] = [[] for _ in range(feeds)]  # newest first
        self.version = [0] * feeds
        self.next_at = [time.time() + self.rng.uniform(2, 60) for _ in range(feeds)]
        self.pages: dict[str, tuple[bytes, str]] = {}  # path -> (html, host)
        self.published: dict[str, dict] = {}  # article URL -> truth
        self.counter = 0
        self.faults = True
        self.publishing = True
        self.stats: Counter = Counter()

    def base(self, feed: int) -> str:
        k = feed % len(self.hosts)
        return f"http://{self.hosts[k]}:{self.ports[k]}"

    def _new_article(self, feed: int, story: dict, doi: str | None, group: str | None) -> dict:
        self.counter += 1
        path = f"/a/{self.counter}.html"
        url = self.base(feed) + path
        paras = list(story["paras"])
        if group:  # a syndicated copy: the outlet adds its own first and last line
            paras = [f"Press release distributed by outlet {feed}."] + paras
            paras.append(f"Contact the press office of outlet {feed} for interviews.")
        self.pages[path] = (
            page_html(story["title"], paras, url, doi),
            self.hosts[feed % len(self.hosts)],
        )
        self.published[url] = {"on_topic": story["on_topic"], "group": group, "feed": feed}
        return {
            "guid": f"farm-{feed}-{self.counter}",
            "url": url,
            "title": story["title"],
            "summary": story["paras"][0],
            "published": datetime.now(UTC),
        }

    def _add(self, feed: int, entry: dict) -> None:
        self.entries[feed].insert(0, entry)
        del self.entries[feed][WINDOW:]
        self.version[feed] += 1

    def publish_due(self) -> None:
        now = time.time()
        with self.lock:
            if not self.publishing:
                return
            for f in range(self.n):
                if self.next_at[f] > now:
                    continue
                self.next_at[f] = now + self.rng.uniform(40, 120)
                roll = self.rng.random()
                uid = f"{f}-{self.counter + 1}"
                on_topic = self.rng.random() < 0.25
                story = make_story(self.rng, uid, on_topic) | {"on_topic": on_topic}
                if roll < 0.10:  # a press release syndicated to 2-3 other feeds
                    group = f"g{uid}"
                    doi = f"10.5555/farm.{uid}"
                    self._add(f, self._new_article(f, story, doi, group))
                    for other in self.rng.sample(range(self.n), self.rng.randint(2, 3)):
                        if other != f:
                            self._add(other, self._new_article(other, story, doi, group))
                    self.stats["syndicated"] += 1
                elif roll < 0.18 and self.published:  # relist an article of another feed
                    self._add(f, self._new_article(f, story, None, None))
                    url = self.rng.choice(list(self.published)[-200:])
                    src = self.published[url]["feed"]
                    original = next((e for e in self.entries[src] if e["url"] == url), None)
                    if original is not None and src != f:
                        self._add(f, dict(original, guid=f"relist-{f}-{original['guid']}"))
                        self.stats["relisted"] += 1
                else:
                    self._add(f, self._new_article(f, story, None, None))

    def feed_xml(self, feed: int) -> tuple[bytes, str]:
        with self.lock:
            items = list(self.entries[feed])
            etag = f'"{feed}-{self.version[feed]}"'
        if feed % 10 == 3 and items:  # this feed lists its newest entry twice
            items = [items[0], *items]
        parts = [
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Farm feed {feed}</title><link>{self.base(feed)}/</link>"
            "<description>soak</description>"
        ]
        for e in items:
            parts.append(
                f"<item><title>{escape(e['title'])}</title><link>{e['url']}</link>"
                f'<guid isPermaLink="false">{e["guid"]}</guid>'
                f"<pubDate>{format_datetime(e['published'])}</pubDate>"
                f"<description>{escape(e['summary'])}</description></item>"
            )
        parts.append("</channel></rss>")
        return "".join(parts).encode(), etag

    def fault(self, kind: str) -> str | None:
        """Which fault (if any) this request gets."""
        if not self.faults:
            return None
        r = self.rng.random()
        if kind == "feed":
            if r < 0.03:
                return "timeout"
            if r < 0.08:
                return "500"
            if r < 0.11:
                return "malformed"
        elif kind == "page" and r < 0.02:
            return "500"
        return None


def _handler(farm: Farm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, ctype: str, body: bytes, extra: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            path = self.path.split("?", 1)[0]
            if path == "/_control/quiesce":
                with farm.lock:
                    farm.publishing = False
                    farm.faults = False
                return self._send(200, "application/json", b"{}")
            if path == "/_control/truth":
                with farm.lock:
                    body = json.dumps({"published": farm.published, "stats": farm.stats}).encode()
                return self._send(200, "application/json", body)
            m = re.fullmatch(r"/feed/(\d+)\.xml", path)
            if m:
                return self._feed(int(m.group(1)))
            if path.startswith("/a/"):
                with farm.lock:
                    found = farm.pages.get(path)
                    fault = farm.fault("page")
                if found is None:
                    return self._send(404, "text/plain", b"not found")
                if fault == "500":
                    farm.stats["page_500"] += 1
                    return self._send(500, "text/plain", b"server error")
                return self._send(200, "text/html; charset=utf-8", found[0])
            return self._send(404, "text/plain", b"not found")

        def _feed(self, feed: int) -> None:
            if feed >= farm.n:
                return self._send(404, "text/plain", b"not found")
            with farm.lock:
                fault = farm.fault("feed")
            farm.stats[f"feed_{fault or 'ok'}"] += 1
            if fault == "timeout":
                time.sleep(FETCH_TIMEOUT_S + 1.5)
                return self._send(503, "text/plain", b"too late")
            if fault == "500":
                return self._send(500, "text/plain", b"internal error")
            body, etag = farm.feed_xml(feed)
            if fault == "malformed":
                cut = body[: max(200, len(body) // 3)] + b"<item><title>bro"
                return self._send(200, "application/rss+xml", cut)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self._send(200, "application/rss+xml", body, {"ETag": etag})

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up (timeouts) are part of the test


def run_farm(feeds: int, hosts: list[str], seed: int, ready: Path) -> None:
    servers = []
    for h in hosts:
        srv = _QuietServer((h, 0), BaseHTTPRequestHandler)
        servers.append(srv)
    farm = Farm(feeds, hosts, [s.server_address[1] for s in servers], seed)
    for srv in servers:
        srv.RequestHandlerClass = _handler(farm)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    for f in range(feeds):  # every feed starts with a few entries
        for _ in range(3):
            farm.next_at[f] = 0
            farm.publish_due()
    farm.next_at = [time.time() + farm.rng.uniform(2, 60) for _ in range(feeds)]
    ready.write_text(json.dumps({"feeds": [farm.base(f) + f"/feed/{f}.xml" for f in range(feeds)]}))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    while not stop.wait(0.5):
        farm.publish_due()


# ------------------------------------------------------------------------- the sinks


class Flaky:
    """Shared fault switch for a sink: a random failure rate and down windows (seconds)."""

    def __init__(self, rate: float, down: list[tuple[float, float]], seed: int):
        self.rate, self.down, self.rng = rate, down, random.Random(seed)
        self.t0 = time.monotonic()
        self.healthy = False  # set at the end: no more faults

    def is_down(self) -> bool:
        t = time.monotonic() - self.t0
        return not self.healthy and any(a <= t < b for a, b in self.down)

    def fails(self) -> bool:
        return not self.healthy and self.rng.random() < self.rate


class SMTPSink:
    def __init__(self, flaky: Flaky):
        self.flaky = flaky
        self.messages: list[email.message.EmailMessage] = []
        self.failures: Counter = Counter()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd naming
        if self.flaky.is_down():
            self.failures["421"] += 1
            return "421 4.3.2 service shutting down"
        if self.flaky.fails():
            self.failures["451"] += 1
            return "451 4.3.0 temporary failure, try again"
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 accepted"


class HTTPSink:
    """A Slack-like (kind='slack') or webhook endpoint that fails part of the time."""

    def __init__(self, kind: str, flaky: Flaky):
        self.kind, self.flaky = kind, flaky
        self.received: list[dict] = []
        self.failures: Counter = Counter()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, headers = 200, {}
                if sink.flaky.is_down():
                    status = 503
                elif sink.flaky.fails():
                    status = 429 if sink.kind == "slack" and sink.flaky.rng.random() < 0.6 else 500
                    if status == 429:
                        headers["Retry-After"] = "1"
                if status == 200:
                    sink.received.append(json.loads(body))
                else:
                    sink.failures[str(status)] += 1
                text = b"ok" if status == 200 else b"busy"
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


# ------------------------------------------------------------------------- the run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path: Path, feeds: list[str], smtp_port: int, slack: str, hook: str) -> None:
    lines = [
        "[storage]",
        f'path = "{(path.parent / "archive.db").as_posix()}"',
        "",
        "[fetch]",
        'interval = "5s"',
        "allow_private = true",
        "per_host_delay = 0.02",
        "per_host_concurrency = 4",
        'connect_timeout = "2s"',
        'read_timeout = "2s"',
        f'total_timeout = "{FETCH_TIMEOUT_S:g}s"',
        "respect_robots = false",
        "",
    ]
    for i, url in enumerate(feeds):
        lines += ["[[sources]]", f'name = "farm-{i:03d}"', f'url = "{url}"', ""]
    lines += [
        "[alerts]",
        "max_items = 200",
        "",
        "[[channels]]",
        'name = "mail"',
        'type = "email"',
        f'topics = ["{TOPIC}"]',
        'schedule = "* * * * *"',
        'smtp_host = "127.0.0.1"',
        f"smtp_port = {smtp_port}",
        'security = "none"',
        'from = "monitor@example.org"',
        'to = ["oncology@example.org"]',
        "",
        "[[channels]]",
        'name = "slack"',
        'type = "slack"',
        f'topics = ["{TOPIC}"]',
        'schedule = "* * * * *"',
        'webhook_url = "${SOAK_SLACK_URL}"',
        "",
        "[[channels]]",
        'name = "hook"',
        'type = "webhook"',
        f'topics = ["{TOPIC}"]',
        'schedule = "* * * * *"',
        f'url = "{hook}"',
        "",
        TOPIC_FILE.read_text(encoding="utf-8"),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def proc_stats(pid: int) -> tuple[float, float] | None:
    """(RSS MiB, CPU seconds) of a live process, from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rss_kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    fields = stat.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss_kb / 1024, (int(fields[11]) + int(fields[12])) / ticks


def cli(cfg: Path, env: dict, *args: str, log=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(cfg), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log or subprocess.PIPE,
        text=True,
        timeout=600,
    )


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:  # the farm on 127.0.2.x
        return json.loads(r.read())


def headline_sets(kind: str, sink) -> list[tuple[str, list[str]]]:
    """(message key, [headline URL of each story]) for every message a sink accepted.

    The key identifies a digest: the Message-ID for email, the digest id for webhooks and the
    payload itself for Slack (a resend of a digest posts byte-identical messages)."""
    out = []
    if kind == "email":
        for msg in sink.messages:
            text = msg.get_body(("plain",)).get_content()
            heads = re.findall(r"(?m)^   (https?://\S+)\s*$", text)
            out.append((msg["Message-ID"], heads))
    elif kind == "slack":
        for payload in sink.received:
            key = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
            heads = []
            for b in payload.get("blocks", []):
                if b.get("type") == "section":
                    m = re.match(r"\*<([^|>]+)\|", b["text"]["text"])
                    if m:
                        heads.append(m.group(1))
            out.append((key, heads))
    else:
        for payload in sink.received:
            out.append((payload["digest_id"], [s["url"] for s in payload["stories"]]))
    return out


CHILDREN: list[subprocess.Popen] = []


def main() -> int:
    try:
        return soak()
    finally:
        for p in CHILDREN:
            if p.poll() is None:
                p.kill()
                p.wait()


def soak() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--keep", help="keep the archive, config and logs in this folder")
    ap.add_argument("--farm", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--ready", help=argparse.SUPPRESS)
    args = ap.parse_args()
    hosts = [f"127.0.2.{1 + i}" for i in range(args.hosts)]
    if args.farm:
        run_farm(args.feeds, hosts, args.seed, Path(args.ready))
        return 0

    from aiosmtpd.controller import Controller

    folder = Path(args.keep or tempfile.mkdtemp(prefix="monitor-soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("archive.db*"):
        old.unlink()
    duration = args.minutes * 60
    ready = folder / "farm.json"
    ready.unlink(missing_ok=True)
    farm = subprocess.Popen(
        [sys.executable, __file__, "--farm", "--feeds", str(args.feeds), "--hosts",
         str(args.hosts), "--seed", str(args.seed), "--ready", str(ready)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "farm.log", "w"),
    )  # fmt: skip
    CHILDREN.append(farm)
    t_start = time.monotonic()
    while not ready.exists():
        if farm.poll() is not None or time.monotonic() - t_start > 60:
            print("the farm did not start", file=sys.stderr)
            return 2
        time.sleep(0.2)
    feed_urls = json.loads(ready.read_text())["feeds"]
    control = feed_urls[0].rsplit("/feed/", 1)[0]

    # sinks: failure windows at fixed fractions of the run
    mail_flaky = Flaky(0.10, [(0.30 * duration, 0.45 * duration)], args.seed + 1)
    slack_flaky = Flaky(0.20, [], args.seed + 2)
    hook_flaky = Flaky(0.10, [(0.60 * duration, 0.70 * duration)], args.seed + 3)
    smtp = SMTPSink(mail_flaky)
    smtp_port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    slack = HTTPSink("slack", slack_flaky)
    hook = HTTPSink("webhook", hook_flaky)

    cfg = folder / "sources.toml"
    write_config(cfg, feed_urls, smtp_port, "${SOAK_SLACK_URL}", hook.url)
    # 5 s intervals on a local farm: below the one-minute floor a config otherwise enforces
    env = dict(os.environ, SOAK_SLACK_URL=slack.url, PYTHONPATH=str(ROOT), MONITOR_MIN_INTERVAL="1")
    log_path = folder / "daemon.log"
    samples: list[tuple[float, float, float]] = []  # (t, rss MiB, cpu s)
    with open(log_path, "w") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        CHILDREN.append(daemon)
        t0 = time.monotonic()
        for f in (mail_flaky, slack_flaky, hook_flaky):
            f.t0 = t0
        smtp_down = False
        while time.monotonic() - t0 < duration and daemon.poll() is None:
            st = proc_stats(daemon.pid)
            if st:
                samples.append((time.monotonic() - t0, *st))
            down = mail_flaky.is_down()
            if down != smtp_down:  # the SMTP server really goes away, then comes back
                if down:
                    controller.stop()
                else:
                    controller = Controller(smtp, hostname="127.0.0.1", port=smtp_port)
                    controller.start()
                smtp_down = down
            time.sleep(1.0)
        if smtp_down:
            controller = Controller(smtp, hostname="127.0.0.1", port=smtp_port)
            controller.start()
        last = proc_stats(daemon.pid)
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon_rc = daemon.wait(timeout=120)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon_rc = daemon.wait()
    daemon_cpu = last[1] if last else (samples[-1][2] if samples else 0.0)
    with sqlite3.connect(folder / "archive.db") as db:
        during = db.execute("SELECT count(*) FROM articles").fetchone()[0]

    # drain: the farm stops publishing and failing, the sinks recover
    get_json(control + "/_control/quiesce")
    for f in (mail_flaky, slack_flaky, hook_flaky):
        f.healthy = True
    with open(folder / "drain.log", "w") as dlog:
        once = cli(cfg, env, "run", "--once", log=dlog)
        digests = {}
        for c in ("mail", "slack", "hook"):
            for _ in range(50):  # a digest holds at most [alerts] max_items stories
                digests[c] = cli(cfg, env, "digest", "--channel", c)
                dlog.write(digests[c].stderr)
                if digests[c].returncode or "nothing new" in digests[c].stderr:
                    break
    time.sleep(1.0)  # let the SMTP sink finish handing over the last message
    truth = get_json(control + "/_control/truth")
    (folder / "mail").mkdir(exist_ok=True)
    for i, msg in enumerate(smtp.messages):
        (folder / "mail" / f"{i:04d}.eml").write_bytes(msg.as_bytes())
    farm.send_signal(signal.SIGTERM)
    farm.wait(timeout=30)
    controller.stop()

    # ---------------------------------------------------------------- the checks
    db = sqlite3.connect(folder / "archive.db")
    published = truth["published"]
    rows = db.execute("SELECT id, url, canonical_url, key, story_id FROM articles").fetchall()
    archived_urls = {r[1] for r in rows} | {r[2] for r in rows}
    missing = [u for u in published if u not in archived_urls]
    dup_canonical = db.execute(
        "SELECT count(*) FROM (SELECT canonical_url FROM articles GROUP BY canonical_url"
        " HAVING count(*) > 1)"
    ).fetchone()[0]
    dup_key = db.execute(
        "SELECT count(*) FROM (SELECT key FROM articles GROUP BY key HAVING count(*) > 1)"
    ).fetchone()[0]
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]

    def live(story_id: int) -> int:
        seen = set()
        while story_id not in seen:
            seen.add(story_id)
            nxt = db.execute("SELECT merged_into FROM stories WHERE id = ?", [story_id]).fetchone()
            if not nxt or nxt[0] is None:
                return story_id
            story_id = nxt[0]
        return story_id

    url_story = {}
    for _id, url, canon, _key, sid in rows:
        url_story[url] = url_story[canon] = live(sid)
    pending = dict(
        db.execute(
            "SELECT channel, count(*) FROM digests WHERE state = 'pending' GROUP BY channel"
        ).fetchall()
    )
    failed = dict(
        db.execute(
            "SELECT channel, count(*) FROM digests WHERE state = 'failed' GROUP BY channel"
        ).fetchall()
    )
    channel_rows = []
    channel_ok = True
    for name, kind, sink in (
        ("mail", "email", smtp),
        ("slack", "slack", slack),
        ("hook", "webhook", hook),
    ):
        created = db.execute("SELECT created_at FROM channels WHERE name = ?", [name]).fetchone()[0]
        expected = {
            r[0]
            for r in db.execute(
                "SELECT s.id FROM stories s JOIN story_matches m ON m.story_id = s.id"
                " WHERE s.merged_into IS NULL AND m.topic = ? AND s.first_seen >= ?",
                [TOPIC, created],
            )
        }
        messages = headline_sets(kind, sink)
        per_key = Counter(k for k, _ in messages)
        resends = sum(n - 1 for n in per_key.values())
        headline_keys: dict[str, set[str]] = defaultdict(set)
        for key, heads in messages:
            for h in heads:
                headline_keys[h].add(key)
        duplicated = sum(1 for keys in headline_keys.values() if len(keys) > 1)
        delivered_live = {url_story[h] for h in headline_keys if h in url_story}
        unknown = [h for h in headline_keys if h not in url_story]
        not_delivered = expected - delivered_live
        ok = not not_delivered and not duplicated and not unknown and not pending.get(name)
        channel_ok &= ok
        channel_rows.append(
            (name, len(expected), len(headline_keys), len(not_delivered), duplicated, resends,
             len(per_key), sum(sink.failures.values()), pending.get(name, 0),
             failed.get(name, 0), "ok" if ok else "FAIL")
        )  # fmt: skip

    errors = Path(log_path).read_text(errors="replace")
    unexpected = errors.count("Traceback") + errors.count("failed unexpectedly")
    locked = errors.count("database is locked")

    third = max(1, len(samples) // 3)
    first = samples[:third]
    lastt = samples[-third:]
    rss_first = sum(s[1] for s in first) / max(1, len(first))
    rss_last = sum(s[1] for s in lastt) / max(1, len(lastt))
    peak = max((s[1] for s in samples), default=0.0)
    growth = (rss_last / rss_first - 1) * 100 if rss_first else 0.0
    cpu_per_article = daemon_cpu / during if during else float("nan")

    on_topic_groups = {v["group"] or u for u, v in published.items() if v["on_topic"]}
    group_stories = defaultdict(set)
    for u, v in published.items():
        if v["group"] and u in url_story:
            group_stories[v["group"]].add(url_story[u])
    split = sum(1 for s in group_stories.values() if len(s) > 1)

    # ---------------------------------------------------------------- the report
    fs = truth["stats"]
    print(
        f"soak: {args.feeds} feeds on {args.hosts} loopback hosts, daemon for {args.minutes:g} min"
    )
    print(
        f"  farm requests: ok {fs.get('feed_ok', 0)}, timeout {fs.get('feed_timeout', 0)}, "
        f"500 {fs.get('feed_500', 0)}, malformed {fs.get('feed_malformed', 0)}; pages 500: "
        f"{fs.get('page_500', 0)}; syndicated releases {fs.get('syndicated', 0)}, "
        f"relisted articles {fs.get('relisted', 0)}"
    )
    (ma, mb), (ha, hb) = mail_flaky.down[0], hook_flaky.down[0]
    print(
        f"  sinks: SMTP down {ma:.0f}-{mb:.0f} s (connections refused) and 451 on 10 % of"
        f" messages; Slack 429/500 on 20 % of posts; webhook 503 {ha:.0f}-{hb:.0f} s and 500 on"
        " 10 % of posts"
    )
    print(f"  daemon exit {daemon_rc}; final run --once exit {once.returncode}; digests exit "
          + ", ".join(f"{c} {p.returncode}" for c, p in digests.items()))  # fmt: skip
    print()
    print(f"{'articles':<38}{'value':>10}")
    print(f"{'  published by the farm':<38}{len(published):>10}")
    print(f"{'  archived':<38}{len(rows):>10}")
    print(f"{'    of which during the daemon run':<38}{during:>10}")
    print(f"{'  published but not archived':<38}{len(missing):>10}")
    print(f"{'  duplicate rows (url / key)':<38}{dup_canonical + dup_key:>10}")
    print(f"{'  syndicated releases split in 2+':<38}{split:>10}")
    print(f"{'  on-topic studies (farm truth)':<38}{len(on_topic_groups):>10}")
    print()
    head = ("channel", "expected", "deliv.", "missing", "dup", "resend", "digests", "sink-fail",
            "pending", "failed", "")  # fmt: skip
    print("".join(f"{h:>10}" if i else f"{h:<10}" for i, h in enumerate(head)))
    for r in channel_rows:
        print("".join(f"{str(v):>10}" if i else f"{v:<10}" for i, v in enumerate(r)))
    print()
    print(f"{'resources (daemon process)':<38}{'value':>10}")
    print(f"{'  peak RSS MiB':<38}{peak:>10.1f}")
    print(f"{'  mean RSS MiB, first third':<38}{rss_first:>10.1f}")
    print(f"{'  mean RSS MiB, last third':<38}{rss_last:>10.1f}")
    print(f"{'  RSS growth %':<38}{growth:>10.1f}")
    print(f"{'  CPU seconds':<38}{daemon_cpu:>10.1f}")
    print(f"{'  CPU ms per archived article':<38}{cpu_per_article * 1000:>10.1f}")
    print(f"{'  unexpected exceptions logged':<38}{unexpected:>10}")
    print(f"{'  database is locked':<38}{locked:>10}")
    print(f"{'  integrity_check':<38}{integrity:>10}")
    print(f"  archive, config and logs: {folder}")
    print()
    failures = []
    if missing or len(rows) != len(published):
        failures.append("published != archived")
    if dup_canonical or dup_key:
        failures.append("duplicate articles")
    if not channel_ok:
        failures.append("deliveries")
    if integrity != "ok":
        failures.append("integrity_check")
    if unexpected or locked:
        failures.append("daemon errors")
    if daemon_rc != 0 or once.returncode != 0:
        failures.append("exit status")
    dups = sum(r[4] for r in channel_rows)
    res = sum(r[5] for r in channel_rows)
    deliv = "; ".join(f"{r[0]} {r[2]}/{r[1]}" for r in channel_rows)
    print(
        f"SUMMARY soak {args.minutes:g} min, {args.feeds} feeds: published {len(published)} = "
        f"archived {len(rows)}" if len(published) == len(rows) else
        f"SUMMARY soak {args.minutes:g} min, {args.feeds} feeds: published {len(published)} != "
        f"archived {len(rows)}",
        end="",
    )  # fmt: skip
    print(
        f", duplicates {dup_canonical + dup_key}, stories delivered/expected {deliv}, "
        f"duplicated deliveries {dups} (resends {res}), peak RSS {peak:.0f} MiB "
        f"(growth {growth:+.0f}%), {cpu_per_article * 1000:.1f} ms CPU/article — "
        + ("OK" if not failures else "FAILED: " + ", ".join(failures))
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
