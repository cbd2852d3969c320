"""The charts of `monitor browse`, on the demo's archive plus a generated history of 12 weeks.

The archive is the demo site polled by a real `run --once`, then twelve weeks of stories written
through the storage API as the pipeline writes them: three topics with different trends, copies
spread over several outlets and aggregator feeds, a failing, a disabled and a never-polled
source. The server is the real `monitor browse` in a child process on a free local port.

What is checked: the chart queries against an independent computation in Python; the chart
pages and every asset they load come from the server itself (no CDN; the browser records no
request to any other origin); headless Chromium draws each chart with one mark per data point,
and the marks' accessible labels carry the numbers the archive holds; hostile titles and outlet
names are drawn as text and run nothing. `UPDATE_SCREENSHOTS=1` saves the charts in
docs/screenshots/.
"""

from __future__ import annotations

import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from click.testing import CliRunner

from monitor.browse import charts
from monitor.cli import cli
from monitor.demo import demo_config_text
from monitor.demo.server import SiteServer, free_port
from monitor.demo.site import build_site
from monitor.model import ArticleRecord, Match, StoryDecision
from storage import queries
from storage.archive import Archive
from storage.rows import SourceUpdate
from tests.browser import ARGS, CHROMIUM, browser, require_chromium, screenshot_dir

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"
TOPIC = "liver-metastases-immunotherapy"  # the demo's topic
TOPICS = [TOPIC, "checkpoint-inhibitor-hepatitis", "colorectal-liver-resection"]
WEEKS = 12
HOSTILE_TITLE = (
    '<img src=x onerror="window.__pwned=1">Trial & "error" </svg><script>window.__pwned=2</script>'
)
HOSTILE_OUTLET = "Evil <b>Wire</b> </text><script>window.__pwned=3</script> & Co"


def _require_datasette() -> None:
    try:
        import datasette_dashboards  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("datasette-dashboards (the browse extra) is not installed")
        pytest.skip("datasette-dashboards (the browse extra) is not installed")


# ------------------------------------------------------------------- a generated history
@dataclass(frozen=True)
class _Source:
    name: str
    url: str
    interval: float = 300.0
    tags: tuple = ()
    enabled: bool = True


OUTLETS = [
    "MedPage Wire",
    "Oncology Nurse Review",
    "The Clinical Ledger",
    "Hepatology Times",
    "Cancer Research Briefing",
    "Regional Medical Daily",
]
AGGREGATORS = ["Global Health Aggregator", "Physician News Digest"]
FAILING, DISABLED, UNPOLLED = (
    "Regional Medical Daily",
    "Archived Trials Bulletin",
    "New Science Feed",
)

_DRUGS = ["pembrolizumab", "nivolumab", "atezolizumab", "durvalumab", "ipilimumab", "tislelizumab"]
_WHAT = {
    TOPIC: "in patients with liver metastases",
    "checkpoint-inhibitor-hepatitis": "and immune-related hepatitis",
    "colorectal-liver-resection": "before resection of colorectal liver metastases",
}


def _per_week(topic: str, week: int, rng: random.Random) -> int:
    """Stories a topic gets in week `week` (0 = eleven weeks ago): growing, steady, fading."""
    if topic == TOPIC:
        return 1 + week // 2 + rng.randint(0, 1)
    if topic == "checkpoint-inhibitor-hepatitis":
        return 2 + rng.randint(0, 1)
    return max(0, 5 - week // 2 - rng.randint(0, 1))


def build_history(db: Path, now: datetime, seed: int = 20) -> dict:
    """Write twelve weeks of stories through the storage API; returns what was written."""
    rng = random.Random(seed)
    this_monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    start = this_monday - timedelta(weeks=WEEKS - 1)
    written = {"stories": 0, "articles": 0}
    with Archive(db) as archive:
        names = OUTLETS + AGGREGATORS + [DISABLED, UNPOLLED]
        archive.sync_sources(
            [
                _Source(n, f"https://feeds.example/{i}.xml", enabled=n != DISABLED)
                for i, n in enumerate(names)
            ],
            now=start,
        )
        for n in OUTLETS + AGGREGATORS:
            archive.update_source(
                n, SourceUpdate(last_poll_at=now, last_status="ok", last_success_at=now)
            )
        archive.update_source(
            FAILING,
            SourceUpdate(
                last_status="error",
                consecutive_failures=6,
                first_failure_at=now - timedelta(hours=31),
                last_error="HTTP 503 from the feed",
                last_success_at=now - timedelta(hours=32),
            ),
        )
        archive.update_source(
            DISABLED, SourceUpdate(disabled_reason="410 Gone", last_status="disabled")
        )
        serial = 0

        def story(topic: str, published: datetime, outlets: list[str], spread_hours: float):
            nonlocal serial
            serial += 1
            drug = rng.choice(_DRUGS)
            title = f"{drug.capitalize()} {_WHAT[topic]}: phase {rng.randint(1, 3)} results"
            sid = None
            for i, outlet in enumerate(outlets):
                at = published + timedelta(hours=spread_hours * i + rng.random())
                if at > now:
                    at = now - timedelta(minutes=5 * (len(outlets) - i))
                record = ArticleRecord(
                    key=f"history:{serial}:{i}",
                    url=f"https://{outlet.split()[0].lower()}.example/{serial}-{i}",
                    canonical_url=f"https://{outlet.split()[0].lower()}.example/{serial}-{i}",
                    source=outlet,
                    title=title if i == 0 else f"{title} ({outlet})",
                    text=f"{title}. Investigators reported {drug} results {_WHAT[topic]}.",
                    published=at,
                    fetched_at=at + timedelta(minutes=20),
                    doi=[f"10.1000/history.{serial}"],
                )
                decision = StoryDecision(
                    story_id=sid, score=1.0 if sid is None else 0.92, reason="same DOI"
                )
                aid, sid, _ = archive.add_article(
                    record,
                    decision,
                    [Match(topic, 2.0 + rng.random(), snippet=title[:80])],
                    index_keys=[],
                    fingerprint_json="{}",
                    canonical_rank=[0 if i == 0 else 1, i],
                )
                written["articles"] += 1
                if i and rng.random() < 0.5:  # an aggregator lists the copy a few hours later
                    archive.note_listing(
                        aid,
                        rng.choice(AGGREGATORS),
                        record.url,
                        now=min(now, at + timedelta(hours=3 + 6 * rng.random())),
                    )
            written["stories"] += 1
            return sid

        for week in range(WEEKS):
            monday = start + timedelta(weeks=week)
            for topic in TOPICS:
                for _ in range(_per_week(topic, week, rng)):
                    published = monday + timedelta(hours=rng.uniform(6, 6 * 24 + 20))
                    if published > now:
                        published = now - timedelta(hours=rng.uniform(1, 3))
                    if published < monday:
                        continue
                    k = rng.choice([1, 1, 2, 2, 3, 4])
                    story(topic, published, rng.sample(OUTLETS[:-1], k), rng.uniform(2, 30))
        # the study everyone carried: seven outlets and both aggregators over five days
        big = story(
            TOPIC,
            this_monday - timedelta(weeks=3, days=-1, hours=-8),
            OUTLETS,
            20,
        )
        written["spread_story"] = big
    return written


def add_hostile_story(db: Path, now: datetime) -> int:
    """A story whose title and outlet name are markup, as a hostile feed would send them."""
    with Archive(db) as archive:
        archive.sync_sources([_Source(HOSTILE_OUTLET, "https://evil.example/feed.xml")], now=now)
        sid = None
        for i, outlet in enumerate([HOSTILE_OUTLET, "MedPage Wire"]):
            record = ArticleRecord(
                key=f"hostile:{i}",
                url=f"https://evil.example/{i}",
                canonical_url=f"https://evil.example/{i}",
                source=outlet,
                title=HOSTILE_TITLE,
                text="Liver metastases and immunotherapy. " * 5,
                published=now - timedelta(hours=5 - i),
                fetched_at=now - timedelta(hours=4 - i),
            )
            _, sid, _ = archive.add_article(
                record,
                StoryDecision(story_id=sid, score=1.0, reason="hostile"),
                [Match(TOPIC, 3.0, snippet=HOSTILE_TITLE)],
                index_keys=[],
                fingerprint_json="{}",
                canonical_rank=[i],
            )
    return sid


# ------------------------------------------------ the chart queries, checked independently
def _week_of(iso: str) -> str:
    d = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if d.tzinfo is not None:
        d = d.astimezone(UTC)
    return (d.date() - timedelta(days=d.weekday())).isoformat()


def expected_weekly(conn: sqlite3.Connection, weeks: int = 26, topic: str = "") -> dict:
    """{(topic, week): stories} computed in Python from the raw tables, zeros included."""
    today = datetime.now(UTC).date()
    this_monday = today - timedelta(days=today.weekday())
    series = [(this_monday - timedelta(weeks=i)).isoformat() for i in range(weeks)]
    first: dict[int, str] = {}
    for sid, published, fetched in conn.execute(
        "SELECT story_id, published, fetched_at FROM articles WHERE story_id IS NOT NULL"
    ):
        when = published or fetched
        if sid not in first or when < first[sid]:
            first[sid] = when
    live = {r[0] for r in conn.execute("SELECT id FROM stories WHERE merged_into IS NULL")}
    counts: Counter = Counter()
    topics = set()
    for sid, t in conn.execute("SELECT story_id, topic FROM story_matches"):
        if topic and t != topic:
            continue
        topics.add(t)
        if sid in live and sid in first:
            counts[(t, _week_of(first[sid]))] += 1
    return {(t, w): counts[(t, w)] for t in topics for w in series}


def _run(conn: sqlite3.Connection, sql: str, **params: str) -> list[dict]:
    named = set(re.findall(r"(?<!:):(\w+)", sql))
    cur = conn.execute(sql, {k: params.get(k, "") for k in named})
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The demo's archive (a real `run --once`) plus the generated history."""
    tmp = tmp_path_factory.mktemp("charts")
    db = tmp / "archive.db"
    with SiteServer(build_site) as site:
        cfg = tmp / "sources.toml"
        cfg.write_text(demo_config_text(site.base, db), encoding="utf-8")
        res = CliRunner().invoke(cli, ["--config", str(cfg), "run", "--once"])
        assert res.exit_code == 0, res.output
    written = build_history(db, datetime.now(UTC))
    return {"db": db, "config": cfg, **written}


def _ro(history) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{history['db']}?mode=ro", uri=True)


def test_weekly_stories_match_an_independent_count(history):
    conn = _ro(history)
    for weeks, topic in [("", ""), ("12", TOPIC), ("4", "colorectal-liver-resection")]:
        rows = _run(conn, queries.TOPIC_WEEKLY_STORIES, weeks=weeks, topic=topic)
        got = {(r["topic"], r["week"]): r["stories"] for r in rows}
        want = expected_weekly(conn, int(weeks or 26), topic)
        assert got == want, (weeks, topic)
    weekly = sorted(expected_weekly(conn, 12, TOPIC).items(), key=lambda kv: kv[0][1])
    early = sum(n for _, n in weekly[:4])
    recent = sum(n for _, n in weekly[-4:])
    assert recent > early  # the generated trend is there for the chart to show


def test_story_spread_lists_every_copy_and_listing(history):
    conn = _ro(history)
    sid = history["spread_story"]
    rows = _run(conn, queries.STORY_SPREAD, story_id=str(sid))
    listings = conn.execute(
        "SELECT x.source, a.source, a.published, x.seen_at FROM article_sources x"
        " JOIN articles a ON a.id = x.article_id WHERE a.story_id = ?",
        [sid],
    ).fetchall()
    assert len(rows) == len(listings) >= 7
    assert {r["story_id"] for r in rows} == {sid}
    assert Counter(r["outlet"] for r in rows) == Counter(x[0] for x in listings)
    own = sorted(p for x, src, p, _ in listings if x == src)
    assert sorted(r["at"] for r in rows if r["event"] == "published") == own
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    # blank: the story carried by the most outlets, which is this one
    assert {r["story_id"] for r in _run(conn, queries.STORY_SPREAD)} == {sid}
    assert _run(conn, queries.STORY_SPREAD, story_id="not a number") == []


def test_sources_chart_puts_failing_first_and_counts_articles(history):
    conn = _ro(history)
    rows = _run(conn, queries.SOURCE_ACTIVITY)
    assert rows[0]["source"] == FAILING and rows[0]["health"] == "failing"
    assert rows[0]["failures"] == 6
    health = {r["source"]: r["health"] for r in rows}
    assert health[DISABLED] == "disabled" and health[UNPOLLED] == "not polled yet"
    listed = Counter(r[0] for r in conn.execute("SELECT source FROM article_sources"))
    for r in rows:
        assert r["articles"] == listed.get(r["source"], 0), r["source"]
    rest = [r["articles"] for r in rows[1:]]
    assert rest == sorted(rest, reverse=True)
    assert len(_run(conn, queries.SOURCE_ACTIVITY, limit="3")) == 3
    # the period counts: a week back drops most of twelve weeks of listings
    week = {r["source"]: r["articles"] for r in _run(conn, queries.SOURCE_ACTIVITY, weeks="1")}
    assert sum(week.values()) < sum(r["articles"] for r in rows)


def test_chart_config_uses_the_storage_queries():
    config = charts.plugin_config("archive")[charts.PLUGIN][charts.DASHBOARD]
    sql = {c["query"] for c in config["charts"].values()}
    assert sql == {
        q.strip()
        for q in (queries.TOPIC_WEEKLY_STORIES, queries.STORY_SPREAD, queries.SOURCE_ACTIVITY)
    }
    for chart in config["charts"].values():
        embed = chart["display"]["usermeta"]["embedOptions"]
        assert embed == {"renderer": "svg", "actions": False}
        for param in set(re.findall(r"(?<!:):(\w+)", chart["query"])) - {"limit"}:
            assert param in config["filters"], param


# --------------------------------------------------------------------- the real server
@pytest.fixture(scope="module")
def server(history):
    _require_datasette()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "--config", str(history["config"]), "browse"]
        + ["--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"monitor browse exited {proc.returncode}: {proc.stdout.read()}")
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("monitor browse did not answer within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_ASSET = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)="([^"]+)\"""", re.I)


def test_chart_pages_load_only_assets_the_server_serves(server):
    urls = [f"/-/dashboards/{charts.DASHBOARD}"] + [
        f"/-/dashboards/{charts.DASHBOARD}/{c}"
        for c in charts.dashboards()[charts.DASHBOARD]["charts"]
    ]
    seen = set()
    for url in urls:
        r = httpx.get(server + url, timeout=30)
        assert r.status_code == 200, (url, r.text[:300])
        for asset in _ASSET.findall(r.text):
            parts = urlsplit(asset)
            assert not parts.scheme and not parts.netloc, (url, asset)  # same origin
            seen.add(asset)
    scripts = {a for a in seen if a.endswith(".js")}
    assert any("vega-lite" in a for a in scripts) and any("vega-embed" in a for a in scripts)
    for asset in seen:
        r = httpx.get(server + asset.replace("&amp;", "&"), timeout=30)
        assert r.status_code == 200, asset
        assert r.content, asset


def test_chart_data_comes_through_the_read_only_json_api(server, history):
    """The URL the page fetches: Datasette's JSON API with the chart's SQL and the filters."""
    chart = charts.dashboards()[charts.DASHBOARD]["charts"][charts.CHART_TOPICS_PER_WEEK]
    qs = urlencode({"sql": chart["query"], "topic": TOPIC, "weeks": "12", "_shape": "objects"})
    data = httpx.get(f"{server}/archive.json?{qs}", timeout=30).json()
    got = {(r["topic"], r["week"]): r["stories"] for r in data["rows"]}
    assert got == expected_weekly(_ro(history), 12, TOPIC)
    assert not data["truncated"]
    bad = urlencode({"sql": "DELETE FROM stories", "_shape": "objects"})
    r = httpx.get(f"{server}/archive.json?{bad}", timeout=30)
    assert r.status_code == 400  # the JSON API the charts use only reads


def test_story_page_and_front_page_link_to_the_charts(server, history):
    sid = history["spread_story"]
    page = httpx.get(f"{server}/archive/stories/{sid}", timeout=30).text
    assert f'href="{charts.story_spread_url(sid)}"' in page
    assert httpx.get(server + charts.story_spread_url(sid), timeout=30).status_code == 200
    assert f'href="/-/dashboards/{charts.DASHBOARD}"' in httpx.get(server + "/", timeout=30).text


# ---------------------------------------------------------------------------- the browser
# Waits until the chart's SVG has drawn, then reads back its marks: every mark Vega drew for
# data carries an aria-label naming its fields ("stories: 3; topic: ...").
_READ_MARKS = """
async (args) => {
  const [selector, kind, timeout] = args;
  const started = Date.now();
  for (;;) {
    const svg = document.querySelector(selector + ' svg');
    const marks = svg ? Array.from(svg.querySelectorAll('g.mark-' + kind + '.role-mark > path')) : [];
    if (marks.length || Date.now() - started > timeout) {
      return {
        svg: !!svg,
        labels: marks.map(m => m.getAttribute('aria-label') || ''),
        text: svg ? Array.from(svg.querySelectorAll('text')).map(t => t.textContent).join('\\n') : '',
      };
    }
    await new Promise(r => setTimeout(r, 100));
  }
}
"""

_ONE_CHART = ".chart-container"  # a chart's own page; on the dashboard: #chart-<name>
_OUTSIDE_REQUESTS = """
() => performance.getEntriesByType('resource').map(e => e.name)
    .concat([location.href])
    .filter(u => new URL(u).origin !== location.origin)
"""


def _label_fields(label: str) -> dict[str, str]:
    out = {}
    for part in label.split("; "):
        key, _, value = part.partition(": ")
        out[key] = value
    return out


@pytest.fixture(scope="module")
def page(server):
    require_chromium()
    with browser() as ctx:
        p = ctx.new_page()
        p.set_viewport_size({"width": 1280, "height": 900})
        yield p


def test_topics_per_week_chart_draws_every_week(server, history, page, tmp_path):
    page.goto(f"{server}/-/dashboards/{charts.DASHBOARD}/{charts.CHART_TOPICS_PER_WEEK}?weeks=12")
    marks = page.evaluate(_READ_MARKS, [_ONE_CHART, "symbol", 15000])
    want = expected_weekly(_ro(history), 12)
    assert marks["svg"] and len(marks["labels"]) == len(want) == 12 * len(TOPICS)
    drawn = {}
    for label in marks["labels"]:
        f = _label_fields(label)
        drawn[(f["topic"], f["week starting (Monday, UTC)"])] = int(f["matching stories"])
    by_label = {
        (t, datetime.fromisoformat(w).strftime("%d %b %Y")): n for (t, w), n in want.items()
    }
    assert drawn == by_label
    assert page.evaluate(_OUTSIDE_REQUESTS) == []
    page.screenshot(
        path=str(screenshot_dir(tmp_path) / "chart-topics-per-week.png"), full_page=True
    )


def test_story_spread_chart_places_every_copy(server, history, page, tmp_path):
    sid = history["spread_story"]
    page.goto(server + charts.story_spread_url(sid))
    marks = page.evaluate(_READ_MARKS, [_ONE_CHART, "symbol", 15000])
    rows = _run(_ro(history), queries.STORY_SPREAD, story_id=str(sid))
    assert marks["svg"] and len(marks["labels"]) == len(rows) >= 7
    outlets = Counter(_label_fields(lbl)["outlet"] for lbl in marks["labels"])
    assert outlets == Counter(r["outlet"] for r in rows)
    assert page.evaluate(_OUTSIDE_REQUESTS) == []
    page.screenshot(path=str(screenshot_dir(tmp_path) / "chart-story-spread.png"), full_page=True)


def test_sources_chart_draws_a_bar_per_source(server, history, page, tmp_path):
    page.goto(f"{server}/-/dashboards/{charts.DASHBOARD}/{charts.CHART_SOURCES}")
    marks = page.evaluate(_READ_MARKS, [_ONE_CHART, "rect", 15000])
    rows = _run(_ro(history), queries.SOURCE_ACTIVITY)
    assert marks["svg"] and len(marks["labels"]) == len(rows)
    drawn = {
        _label_fields(lbl)["source"]: int(_label_fields(lbl)["articles listed in the period"])
        for lbl in marks["labels"]
    }
    assert drawn == {r["source"]: r["articles"] for r in rows}
    assert "6 failed polls in a row" in marks["text"]
    assert page.evaluate(_OUTSIDE_REQUESTS) == []
    page.screenshot(path=str(screenshot_dir(tmp_path) / "chart-sources.png"), full_page=True)


def test_dashboard_draws_all_three(server, page, tmp_path):
    page.goto(f"{server}/-/dashboards/{charts.DASHBOARD}?weeks=12")
    for slug, role in [
        (charts.CHART_TOPICS_PER_WEEK, "symbol"),
        (charts.CHART_STORY_SPREAD, "symbol"),
        (charts.CHART_SOURCES, "rect"),
    ]:
        marks = page.evaluate(_READ_MARKS, ["#chart-" + slug, role, 15000])
        assert marks["labels"], slug
    assert page.evaluate(_OUTSIDE_REQUESTS) == []
    page.screenshot(path=str(screenshot_dir(tmp_path) / "charts-dashboard.png"), full_page=True)


_HOVER_FIRST_MARK = """
async (kind) => {
  const mark = document.querySelector('.chart-container svg g.mark-' + kind + '.role-mark > path');
  const box = mark.getBoundingClientRect();
  const at = {bubbles: true, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2};
  for (const type of ['pointerover', 'pointermove', 'mouseover', 'mousemove']) {
    mark.dispatchEvent(type.startsWith('pointer') ? new PointerEvent(type, at) : new MouseEvent(type, at));
  }
  await new Promise(r => setTimeout(r, 300));
  const tip = document.querySelector('#vg-tooltip-element');
  return tip ? {html: tip.innerHTML, text: tip.textContent,
                elements: tip.querySelectorAll('script, img, b, svg').length} : null;
}
"""


def test_hostile_titles_and_outlet_names_are_drawn_as_text(server, history, page):
    sid = add_hostile_story(history["db"], datetime.now(UTC))
    page.goto(server + charts.story_spread_url(sid))
    marks = page.evaluate(_READ_MARKS, [_ONE_CHART, "symbol", 15000])
    assert len(marks["labels"]) == 2
    # Vega drew the values as text: the outlet name in the marks' labels, the headline on top
    assert HOSTILE_OUTLET in {_label_fields(lbl)["outlet"] for lbl in marks["labels"]}
    assert HOSTILE_TITLE in marks["text"].split("\n")
    tip = page.evaluate(_HOVER_FIRST_MARK, "symbol")
    assert tip and HOSTILE_TITLE in tip["text"] and tip["elements"] == 0  # escaped in tooltips
    # weeks=52: not the data URL an earlier test loaded (Datasette lets browsers cache 5 s)
    page.goto(f"{server}/-/dashboards/{charts.DASHBOARD}/{charts.CHART_SOURCES}?weeks=52")
    marks = page.evaluate(_READ_MARKS, [_ONE_CHART, "rect", 15000])
    assert HOSTILE_OUTLET in {_label_fields(lbl)["source"] for lbl in marks["labels"]}
    tip = page.evaluate(_HOVER_FIRST_MARK, "rect")
    assert tip and tip["elements"] == 0
    assert page.evaluate("() => window.__pwned === undefined")
    inserted = "() => document.querySelectorAll('svg script, svg img, svg b, body > img').length"
    assert page.evaluate(inserted) == 0


# Chromium's own background services, which call home whatever page is open (component
# updates, sign-in, network time) even with --disable-background-networking. None of these
# hosts serves a chart library or a font, so a request to them is the browser's, not the page's.
_CHROMIUM_SERVICES = {
    "update.googleapis.com",
    "accounts.google.com",
    "clients2.google.com",
    "content-autofill.googleapis.com",
    "optimizationguide-pa.googleapis.com",
    "redirector.gvt1.com",
}


class _RecordingProxy:
    """An HTTP proxy on loopback that forwards nothing: the browser's only way out, recorded."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    line = "?"
                self.requests.append(line)
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    def hosts(self) -> set[str]:
        out = set()
        for line in self.requests:
            target = line.split(" ")[1] if " " in line else line
            out.add(urlsplit(target if "://" in target else "//" + target).hostname or target)
        return out

    def close(self) -> None:
        self.sock.close()


def test_charts_draw_with_the_network_closed(server):
    """Chromium with every address but loopback sent to a dead proxy draws all three charts."""
    require_chromium()
    proxy = _RecordingProxy()
    try:
        with tempfile.TemporaryDirectory(prefix="monitor-chromium-") as profile:
            dom = subprocess.run(
                [CHROMIUM, *ARGS, "--disable-quic", f"--user-data-dir={profile}"]
                + [f"--proxy-server=http://127.0.0.1:{proxy.port}", "--virtual-time-budget=20000"]
                + ["--dump-dom", f"{server}/-/dashboards/{charts.DASHBOARD}?weeks=12"],
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout
    finally:
        proxy.close()
    outside = proxy.hosts() - _CHROMIUM_SERVICES
    assert outside == set(), proxy.requests
    for slug in charts.dashboards()[charts.DASHBOARD]["charts"]:
        card = dom.split(f'id="chart-{slug}"', 1)[1].split('class="dashboard-card"', 1)[0]
        marks = re.findall(r'<g class="mark-(?:symbol|rect) role-mark[^>]*>(.*?)</g>', card, re.S)
        assert sum(m.count("<path") for m in marks) > 0, slug
