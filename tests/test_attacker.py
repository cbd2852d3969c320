"""The attacker's view: secrets set in the environment, every output searched, browse attacked.

One world, built once for the module: local servers only (a members-only feed site that checks
Basic auth, a feed that needs a token in its query, a feed that moved, a dead one; SMTP sinks;
Slack and webhook endpoints), a config whose secrets all come from `${VAR}`s, and the real
`monitor` CLI run as child processes at each log level, as an operator would run it:
check-config (and a config error), run --once, the daemon, every channel's digest (refused
and accepted), deliveries, sources, export-opml, stories, feed, the digest preview, and
`monitor browse` crawled page by page (HTML and JSON, /-/metadata.json, canned queries, rows).

Every byte of every output is searched for every secret in each spelling it could take
(raw, percent-encoded, Basic-auth base64): stdout and stderr, the error texts, the emails and
Slack/webhook payloads the recipients got, the archive's db, -wal and -shm files (while a
reader holds the WAL open, and after), every browse page. Secrets found: must be 0. The
suite also checks that the masked forms are really there (``***``), so a line that vanished
would not pass for a line that was masked.

The second half attacks `monitor browse` with hostile SQL over HTTP and measures the real
server process: the query of the report answered with an error within the 3 s limit and
under 100 MB of RSS growth, one-step queries stopped at the limit, a one-row page under 1 s
while three slow queries run.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from monitor.demo.server import free_port
from tests.endpoints import SMTPSink, WebhookEndpoint
from tests.httpserver import Route, TestServer

ROOT = Path(__file__).resolve().parents[1]
TOPICS = (ROOT / "monitor" / "demo" / "topics.toml").read_text(encoding="utf-8")
TOPIC = "liver-metastases-immunotherapy"

# every secret of the world, as the environment holds it
FEED_USER = "reader"
SECRETS = {
    "SMTP_PASSWORD": "smtp-Pa55-Zq81",
    "FEED_PW": "feed-Pa55-Wx42",
    "FEED_TOKEN": "feedtok-Kd93Jf",
    "SLACK_WEBHOOK_URL": None,  # set once the endpoint's port is known (token in the path)
    "SLACK_BAD_URL": None,
    "HOOK_URL": None,  # a token in the path
    "HOOK_AUTH": "Bearer hookhdr-Tq58Lm",
    "HOOK_QUERY_TOKEN": "hookq-Vb27Np",
    "HOOK_KEY": "hookkey-Rs64Yt",
    "APPRISE_URL": None,  # json://host:port/notify/<token>, when the apprise channel exists
}
SLACK_TOKEN = "T0SECRET/B0SECRET/xoxSecretToken42"
SLACK_BAD_TOKEN = "T0BAD/B0BAD/xoxBadToken77"
HOOK_PATH_TOKEN = "hookpath-Gh19Ce"
APPRISE_TOKEN = "apprise-Jw73Qd"


def has_apprise_channel() -> bool:
    """The apprise channel type (alerts/): the suite covers it as soon as it exists."""
    from monitor import config

    return "apprise" in getattr(config, "_CHANNEL_TYPES", ())


ARTICLE = (
    "Liver metastases responded to immunotherapy with checkpoint inhibitors in the trial. " * 20
)


def _page(title: str, canonical: str | None = None) -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f"<html><head><title>{title}</title>{link}</head><body><article><h1>{title}</h1>"
        f"<p>{ARTICLE}</p><p>{ARTICLE}</p></article></body></html>"
    ).encode()


def _rss(items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>Liver metastases and immunotherapy: {t}</description></item>"
        for t, link in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>/</link>'
        f"{body}</channel></rss>"
    ).encode()


def secret_forms() -> dict[str, str]:
    """Every spelling of every secret that must never appear (name -> text)."""
    forms: dict[str, str] = {}
    for name, value in SECRETS.items():
        if not value:
            continue
        forms[name] = value
        forms[name + " (url-encoded)"] = quote(value, safe="")
    for label, token in (("slack token", SLACK_TOKEN), ("slack bad token", SLACK_BAD_TOKEN)):
        forms[label] = token
        forms[label + " (last part)"] = token.rsplit("/", 1)[1]
    forms["hook path token"] = HOOK_PATH_TOKEN
    forms["apprise token"] = APPRISE_TOKEN
    forms["hook header token"] = SECRETS["HOOK_AUTH"].split()[1]
    basic = base64.b64encode(f"{FEED_USER}:{SECRETS['FEED_PW']}".encode()).decode()
    forms["feed Basic auth"] = basic
    return forms


def find_secrets(outputs: dict[str, str | bytes]) -> list[str]:
    """'where: which secret: context' for every secret found in any output."""
    found = []
    for where, text in outputs.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
        for name, form in secret_forms().items():
            at = data.find(form.encode())
            if at >= 0:
                context = data[max(0, at - 60) : at + len(form) + 20].decode("utf-8", "replace")
                found.append(f"{where}: {name}: ...{context}...")
    return found


# ---------------------------------------------------------------------------- the world
def _feed_site(site: TestServer) -> None:
    auth = "Basic " + base64.b64encode(f"{FEED_USER}:{SECRETS['FEED_PW']}".encode()).decode()

    def members(route: Route):  # type: ignore[no-untyped-def]
        def handler(req):  # type: ignore[no-untyped-def]
            return route if req.headers.get("authorization") == auth else Route(status=401)

        return Route(handler=handler)

    rss = {"Content-Type": "application/rss+xml"}
    html = {"Content-Type": "text/html"}
    feed = _rss(
        [
            ("Checkpoint inhibitors shrink liver metastases", "/members/a1.html"),
            ("A page that is gone", "a2.html"),  # relative to the feed: 404
            ("A page that moved", "/members/old.html"),
        ]
    )
    site.routes["/members/feed.xml"] = members(Route(body=feed, headers=rss))
    site.routes["/members/a1.html"] = members(
        Route(body=_page("Checkpoint inhibitors", canonical="/members/a1.html"), headers=html)
    )
    site.routes["/members/old.html"] = members(
        Route(status=302, headers={"Location": "/members/a3.html"})
    )
    site.routes["/members/a3.html"] = members(
        Route(body=_page("Immunotherapy for liver metastases, moved"), headers=html)
    )
    site.routes["/moved.xml"] = Route(status=301, headers={"Location": "/members/feed.xml"})

    token = SECRETS["FEED_TOKEN"]

    def tokened(req):  # type: ignore[no-untyped-def]
        if f"token={token}" not in req.path:
            return Route(status=403)
        return Route(
            body=_rss([("Liver metastases and the token feed", f"/tok/b1.html?token={token}")]),
            headers=rss,
        )

    site.routes["/tok/feed.xml"] = Route(handler=tokened)
    site.routes["/tok/b1.html"] = Route(
        handler=lambda req: (
            Route(body=_page("Token feed article"), headers=html)
            if f"token={token}" in req.path
            else Route(status=403)
        )
    )


def _config(tmp: Path, site: TestServer, smtp_bad: int, smtp_ok: int, hooks: dict) -> Path:
    members = site.url("/members/feed.xml").replace("http://", f"http://{FEED_USER}:${{FEED_PW}}@")
    moved = site.url("/moved.xml").replace("http://", f"http://{FEED_USER}:${{FEED_PW}}@")
    sources = [
        ("members-only", members),
        ("token-feed", site.url("/tok/feed.xml") + "?token=${FEED_TOKEN}"),
        ("moved-members", moved),
        ("dead-members", f"http://{FEED_USER}:${{FEED_PW}}@127.0.0.1:1/feed.xml"),
    ]
    lines = [
        "[storage]",
        f'path = "{(tmp / "archive.db").as_posix()}"',
        "",
        "[fetch]",
        "allow_private = true",
        "per_host_delay = 0",
        "respect_robots = false",
        'connect_timeout = "2s"',
        'read_timeout = "2s"',
        'total_timeout = "4s"',
        "",
    ]
    for name, url in sources:
        lines += ["[[sources]]", f'name = "{name}"', f'url = "{url}"', ""]
    topics = f'topics = ["{TOPIC}"]'
    for name, port in (("mail-bad", smtp_bad), ("mail-ok", smtp_ok)):
        lines += [
            "[[channels]]",
            f'name = "{name}"',
            'type = "email"',
            topics,
            'smtp_host = "127.0.0.1"',
            f"smtp_port = {port}",
            'security = "none"',
            'username = "monitor"',
            'password = "${SMTP_PASSWORD}"',
            'from = "monitor@example.org"',
            'to = ["team@example.org"]',
            "",
        ]
    lines += [
        "[[channels]]",
        'name = "slack-bad"',
        'type = "slack"',
        topics,
        'webhook_url = "${SLACK_BAD_URL}"',
        "",
        "[[channels]]",
        'name = "slack-ok"',
        'type = "slack"',
        topics,
        'webhook_url = "${SLACK_WEBHOOK_URL}"',
        "",
        "[[channels]]",
        'name = "hook-bad"',
        'type = "webhook"',
        topics,
        'url = "${HOOK_URL}"',
        'headers = { Authorization = "${HOOK_AUTH}" }',
        "",
        "[[channels]]",
        'name = "hook-ok"',
        'type = "webhook"',
        topics,
        f'url = "{hooks["hook-ok"].url}?token=${{HOOK_QUERY_TOKEN}}"',
        'headers = { "X-Api-Key" = "${HOOK_KEY}" }',
        "",
    ]
    if has_apprise_channel():
        lines += [
            "[[channels]]",
            'name = "apprise"',
            'type = "apprise"',
            topics,
            'urls = ["${APPRISE_URL}"]',
            "",
        ]
    lines += [TOPICS]
    path = tmp / "sources.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _cli(cfg: Path, env: dict, *args: str, timeout: float = 60) -> tuple[str, int]:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(cfg), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.stdout + "\n--- stderr ---\n" + proc.stderr, proc.returncode


def _archive_files(tmp: Path) -> dict[str, bytes]:
    return {f"archive file {p.name}": p.read_bytes() for p in sorted(tmp.glob("archive.db*"))}


class BrowseServer:
    def __init__(self, cfg: Path, env: dict) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "-vv", "browse",
             "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.lines: list[str] = []  # read all along: a full pipe would stall the server
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                time.sleep(0.5)
                pytest.fail(f"monitor browse exited: {self.output()}")
            try:
                if httpx.get(f"{self.base}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("monitor browse did not start within 60 s")
            time.sleep(0.2)

    def _drain(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        return self.output()


def _crawl(base: str) -> dict[str, str]:
    """Every page and JSON endpoint a visitor can reach, with the archive's rows."""
    pages: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=30) as client:

        def get(path: str) -> httpx.Response:
            r = client.get(path)
            pages[f"browse {path}"] = r.text
            return r

        for path in ("/", "/archive", "/archive.json", "/-/metadata.json", "/-/settings.json",
                     "/-/plugins.json", "/-/versions.json", "/-/databases.json",
                     "/-/config.json"):  # fmt: skip
            get(path)
        meta = json.loads(pages["browse /-/metadata.json"])
        database = meta["databases"]["archive"]
        for table in get("/archive.json").json()["tables"]:
            name = table["name"]
            get(f"/archive/{quote(name)}")
            rows = get(f"/archive/{quote(name)}.json?_shape=array&_size=max")
            if name in ("articles", "stories", "sources", "digests") and rows.status_code == 200:
                from datasette.utils import tilde_encode

                key = "name" if name == "sources" else "id"
                for row in rows.json():
                    get(f"/archive/{name}/{tilde_encode(str(row[key]))}")
        for view in ("article_index", "story_index"):
            get(f"/archive/{view}")
            get(f"/archive/{view}.json?_shape=array&_size=max")
        for query in database.get("queries", {}):
            get(f"/archive/{quote(query)}")
            get(f"/archive/{quote(query)}.json?_shape=array")
        for sql in ("select * from sources", "select * from digests", "select * from articles",
                    "select * from article_sources"):  # fmt: skip
            get(f"/archive?sql={quote(sql)}")
            get(f"/archive.json?sql={quote(sql)}&_shape=array")
        get("/archive/article_index?_search=liver")
    return pages


@pytest.fixture(scope="module")
def world(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Run everything once; yields the outputs, the recipients' copies and the browse server."""
    tmp = tmp_path_factory.mktemp("attacker")
    outputs: dict[str, str | bytes] = {}
    with (
        TestServer() as site,
        SMTPSink(credentials=("monitor", "not-the-configured-one")) as smtp_bad,
        SMTPSink(credentials=("monitor", SECRETS["SMTP_PASSWORD"])) as smtp_ok,
        WebhookEndpoint([(404, {}, "no_service")] * 20) as slack_bad,
        WebhookEndpoint() as slack_ok,
        WebhookEndpoint([(401, {}, "unauthorized")] * 20) as hook_bad,
        WebhookEndpoint() as hook_ok,
        WebhookEndpoint() as apprise_ep,
    ):
        _feed_site(site)
        SECRETS["SLACK_WEBHOOK_URL"] = f"{slack_ok.url}/services/{SLACK_TOKEN}"
        SECRETS["SLACK_BAD_URL"] = f"{slack_bad.url}/services/{SLACK_BAD_TOKEN}"
        SECRETS["HOOK_URL"] = f"{hook_bad.url}s/{HOOK_PATH_TOKEN}"
        port = apprise_ep.httpd.server_address[1]
        SECRETS["APPRISE_URL"] = f"json://127.0.0.1:{port}/notify/{APPRISE_TOKEN}"
        cfg = _config(tmp, site, smtp_bad.port, smtp_ok.port, {"hook-ok": hook_ok})
        env = {**os.environ, **{k: v for k, v in SECRETS.items() if v}, "COLUMNS": "200"}
        env.pop("MONITOR_CONFIG", None)

        def run(label: str, *args: str, expect: int | None = 0) -> str:
            text, code = _cli(cfg, env, *args)
            outputs[label] = text
            if expect is not None:
                assert code == expect, f"{label} exited {code}:\n{text}"
            return text

        # a config error that quotes the value a ${VAR} became
        bad = tmp / "bad.toml"
        bad.write_text(
            cfg.read_text().replace(
                f'url = "{site.url("/tok/feed.xml")}', f'url = "ftp://{FEED_USER}:${{FEED_PW}}@h'
            ),
            encoding="utf-8",
        )
        text, code = _cli(bad, env, "check-config")
        outputs["check-config (config error)"] = text
        assert code != 0 and "http:// or https://" in text, text

        for level in ("", "-v", "-vv"):
            run(f"check-config {level}", *filter(None, [level]), "check-config")
        run("run --once -vv", "-vv", "run", "--once")
        browse = BrowseServer(cfg, env)  # holds the WAL open from here on
        try:
            run("run --once", "run", "--once")
            run("run --once -v", "-v", "run", "--once")
            for channel in ("mail-bad", "slack-bad", "hook-bad"):
                run(f"digest {channel} -vv", "-vv", "digest", "--channel", channel, expect=1)
            for channel in ("mail-ok", "slack-ok", "hook-ok"):
                run(f"digest {channel} -vv", "-vv", "digest", "--channel", channel)
            if has_apprise_channel():  # the library is an extra: sent, or failed with a reason
                run("digest apprise -vv", "-vv", "digest", "--channel", "apprise", expect=None)
            for channel in ("mail-bad", "slack-bad", "hook-bad"):  # retried, at the default level
                run(f"digest {channel}", "digest", "--channel", channel, expect=None)
            for args in (["deliveries"], ["sources"], ["export-opml"], ["stories"],
                         ["feed", TOPIC], ["digest"], ["digest", "--channel", "mail-ok",
                         "--dry-run"], ["health", "--max-age", "1d"]):  # fmt: skip
                run(" ".join(args) + " -vv", "-vv", *args, expect=None)
            text, _ = _cli(cfg, env, "-vv", "run", "--stop-after", "4", timeout=90)
            outputs["daemon -vv"] = text
            outputs.update(_crawl(browse.base))
            outputs.update({k + " (browse running)": v for k, v in _archive_files(tmp).items()})
            world = {
                "tmp": tmp,
                "cfg": cfg,
                "env": env,
                "outputs": outputs,
                "browse": browse,
                "smtp_ok": smtp_ok,
                "smtp_bad": smtp_bad,
                "slack_ok": slack_ok,
                "slack_bad": slack_bad,
                "hook_ok": hook_ok,
                "hook_bad": hook_bad,
                "apprise": apprise_ep,
                "site": site,
            }
            yield world
        finally:
            outputs["browse server output"] = browse.stop()
        outputs.update(_archive_files(tmp))


def _everything(world: dict) -> dict[str, str | bytes]:
    out = dict(world["outputs"])
    for i, m in enumerate(world["smtp_ok"].messages):
        out[f"email received {i}"] = m.as_bytes()
    for name in ("slack_ok", "slack_bad", "hook_ok", "hook_bad", "apprise"):
        for i, payload in enumerate(world[name].received):
            out[f"{name} payload {i}"] = json.dumps(payload)
    return out


# ------------------------------------------------------------------------- the secrets
@pytest.mark.slow  # the world: ~50 s of CLI runs and servers, shared by the module
def test_the_world_really_ran(world):
    """The suite searches real outputs: every scenario happened and was reported."""
    out = world["outputs"]
    assert "4 sources" in out["run --once -vv"] and "1 failed" in out["run --once -vv"]
    assert world["smtp_ok"].messages and world["slack_ok"].received and world["hook_ok"].received
    assert world["smtp_bad"].messages == [] and world["slack_bad"].received
    assert world["hook_bad"].received
    if has_apprise_channel():  # json:// to the local endpoint, through the Apprise library
        assert world["apprise"].received, world["outputs"]["digest apprise -vv"]
    site = world["site"]
    authed = [r for r in site.requests if r.headers.get("authorization", "").startswith("Basic")]
    assert {r.path for r in authed} >= {"/members/feed.xml", "/members/a1.html", "/members/a3.html"}
    assert any("token=" in r.path for r in site.requests if r.path.startswith("/tok/b1.html"))
    assert "HTTP Request: GET" in out["run --once -vv"]  # httpx's own lines, at -vv
    assert "HTTP Request: POST" in out["digest slack-ok -vv"]
    assert "SMTP login" in out["digest mail-bad -vv"] or "535" in out["digest mail-bad -vv"]
    assert "daemon started" in out["daemon -vv"]
    assert any(k.startswith("browse /archive/articles/") for k in out)


@pytest.mark.slow  # the world: ~50 s of CLI runs and servers, shared by the module
def test_no_secret_in_any_output_log_archive_byte_or_page(world):
    found = find_secrets(_everything(world))
    assert found == [], "secrets found:\n" + "\n".join(found[:20])


@pytest.mark.slow  # the world: ~50 s of CLI runs and servers, shared by the module
def test_the_masked_forms_are_where_the_secrets_were(world):
    """Lines that carried a secret are still there, masked (not silently dropped)."""
    out = world["outputs"]
    vv = out["run --once -vv"]
    assert re.search(r"GET http://\*\*\*@127\.0\.0\.1:\d+/members/feed\.xml", vv)
    assert re.search(r"/tok/feed\.xml\?token=\*\*\*", vv)
    assert "POST ***" in out["digest slack-ok -vv"] or "/services/***" in out["digest slack-ok -vv"]
    assert "***" in out["digest hook-ok -vv"]
    assert "http://***@127.0.0.1" in out["sources -vv"] or "***" in out["sources -vv"]
    opml = out["export-opml -vv"]
    assert "http://***@127.0.0.1" in opml and "token=***" in opml
    meta = out["browse /-/metadata.json"]
    assert "http://***@127.0.0.1" in meta


@pytest.mark.slow  # the world: ~50 s of CLI runs and servers, shared by the module
def test_sources_are_keyed_by_name_and_fetched_with_the_configured_url(world):
    import sqlite3

    db = sqlite3.connect(f"file:{world['tmp'] / 'archive.db'}?mode=ro", uri=True)
    rows = {r[0]: r[1:] for r in db.execute("SELECT name, url, configured_url FROM sources")}
    assert set(rows) == {"members-only", "token-feed", "moved-members", "dead-members"}
    assert rows["members-only"][1].startswith("http://***@127.0.0.1")
    assert rows["token-feed"][1].endswith("?token=***")
    # the 301 target held the credentials: stored masked, and the configured URL polled again
    moved_polls = [r for r in world["site"].requests if r.path == "/moved.xml"]
    assert len(moved_polls) >= 2
    articles = db.execute("SELECT count(*) FROM articles WHERE url LIKE '%/members/%'").fetchone()
    assert articles[0] == 3  # no duplicates although the links were seen on four polls


# ------------------------------------------------------------------------ hostile SQL
HOSTILE = "select " + " + ".join(["length(hex(randomblob(300000000)))"] * 12)
ONE_STEP = (  # one instr() of two long strings: hours of work in a single SQLite step
    "select instr(replace(hex(zeroblob(3000000)), '0', 'a'),"
    " replace(hex(zeroblob(1000000)), '0', 'a') || 'b')"
)
LOOP = "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r"


def _rss_kb(pid: int) -> int:
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            total += sum(_rss_kb(int(c)) for c in task.read_text().split())
    except OSError:
        pass
    return total


def _sql(base: str, sql: str) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    r = httpx.get(f"{base}/archive.json?sql={quote(sql)}&_shape=array", timeout=60)
    return r.status_code, time.perf_counter() - t0, r.text


@pytest.mark.slow  # the world: ~50 s of CLI runs and servers, shared by the module
def test_the_reported_query_is_refused_fast_and_small(world):
    browse = world["browse"]
    before = _rss_kb(browse.proc.pid)
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_kb(browse.proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        status, seconds, text = _sql(browse.base, HOSTILE)
    finally:
        stop.set()
        sampler.join()
    assert status == 400 and "too big" in text, text[:300]
    assert seconds < 3.0
    assert (peak[0] - before) / 1024 < 100, f"RSS grew {(peak[0] - before) / 1024:.0f} MB"


@pytest.mark.slow  # the world: ~50 s of CLI runs and servers, shared by the module
def test_a_single_long_step_is_stopped_at_the_time_limit(world):
    base = world["browse"].base
    status, seconds, text = _sql(base, ONE_STEP)
    assert status == 400 and "too long" in text, text[:300]
    assert seconds < 3.0 + 1.5  # the 3 s limit, the kill 0.2 s after it, and a loaded machine
    # the killed worker was replaced: SQL still works
    status, _, text = _sql(base, "select count(*) as n from sources")
    assert status == 200 and json.loads(text) == [{"n": 4}]


@pytest.mark.slow  # the world: ~50 s of CLI runs and servers, shared by the module
def test_a_one_row_page_stays_fast_while_three_slow_queries_run(world):
    from datasette.utils import tilde_encode

    base = world["browse"].base
    page = f"{base}/archive/sources/{tilde_encode('members-only')}.json"
    results: list[tuple[int, float, str]] = []
    slow = [threading.Thread(target=lambda q=q: results.append(_sql(base, q)))
            for q in (LOOP, LOOP, ONE_STEP)]  # fmt: skip
    for t in slow:
        t.start()
    time.sleep(0.3)
    latencies = []
    with httpx.Client(timeout=30) as client:
        while any(t.is_alive() for t in slow):
            t0 = time.perf_counter()
            assert client.get(page).status_code == 200
            latencies.append(time.perf_counter() - t0)
            time.sleep(0.1)
    for t in slow:
        t.join()
    assert [r[0] for r in results] == [400, 400, 400], [r[2][:300] for r in results]
    assert len(latencies) >= 5 and max(latencies) < 1.0, latencies


# -------------------------------------------------------------- the pieces, without a server
def test_every_browse_connection_carries_sqlite_limits(tmp_path):
    """Datasette's connections (plugin hook) and the sandbox's carry the same limits."""
    import asyncio
    import sqlite3

    from monitor.browse import build_datasette
    from monitor.config import loads
    from storage import browse as storage_browse
    from storage.archive import Archive

    Archive(tmp_path / "a.db").close()
    cfg = loads(f'[storage]\npath = "{(tmp_path / "a.db").as_posix()}"\n', env={})
    ds = build_datasette(tmp_path / "a.db", cfg)
    db = ds.get_database("archive")

    def limits(conn: sqlite3.Connection) -> dict[int, int]:
        return {k: conn.getlimit(k) for k in storage_browse.LIMITS}

    served = asyncio.run(db.execute_fn(limits))
    assert served == storage_browse.LIMITS
    worker = storage_browse.open_sandboxed(tmp_path / "a.db", 256 * 1024 * 1024)
    assert limits(worker) == storage_browse.LIMITS
    with pytest.raises(sqlite3.DataError, match="too big"):
        worker.execute("select length(hex(randomblob(300000000)))").fetchone()
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
        worker.execute("create table x(y)")
    worker.close()
    db.close()


def test_the_watchdog_interrupts_a_query_that_overruns(tmp_path):
    import sqlite3

    from monitor.browse.limits import Watchdog

    conn = sqlite3.connect(":memory:", check_same_thread=False)
    watchdog = Watchdog()
    token = watchdog.arm(conn, 0.3)
    t0 = time.monotonic()
    bounded = (  # about ten seconds when nothing stops it
        "with recursive r(i) as (select 1 union all select i + 1 from r where i < 100000000)"
        " select count(*) from r"
    )
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        conn.execute(bounded).fetchone()
    watchdog.disarm(token)
    assert time.monotonic() - t0 < 2 and watchdog.interrupts == 1
    # a query that finished in time is not interrupted later
    token = watchdog.arm(conn, 0.2)
    assert conn.execute("select 1").fetchone() == (1,)
    watchdog.disarm(token)
    time.sleep(0.4)
    assert conn.execute("select 2").fetchone() == (2,) and watchdog.interrupts == 1


def test_only_the_requests_own_sql_goes_to_the_sandbox():
    from monitor.browse.sandbox import is_untrusted, untrusted_request

    token = untrusted_request.set(("select * from sources", "liver"))
    try:
        assert is_untrusted("select * from sources", {})
        assert is_untrusted("select count(*) from (select * from sources)", {})
        assert is_untrusted(
            "select * from t where f match escape_fts(:search)", {"search": "liver"}
        )
        assert not is_untrusted("PRAGMA schema_version", None)
    finally:
        untrusted_request.reset(token)
    assert not is_untrusted("select * from sources", {})


@pytest.mark.slow  # the world
def test_the_browse_servers_own_output_is_short_and_clean(world):
    """After the crawl and the hostile queries: no secret, no traceback with local variables
    (Datasette prints one per error when `rich` is installed), no runaway volume."""
    text = world["browse"].output()
    assert find_secrets({"browse server output": text}) == []
    assert "locals" not in text and "Traceback" not in text, text[-2000:]
    assert len(text) < 50_000, len(text)
