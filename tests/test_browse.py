"""`monitor browse`: Datasette over an archive made by a real `run --once` against the demo site.

The server is the real command in a child process on a free local port; the tests talk to its
JSON API and compare with what SQLite itself says, then drive headless Chromium over the story
and article pages (screenshots in docs/screenshots/). Outside CI a missing Datasette or
Chromium skips those tests; with CI=true it fails them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner

from monitor import extract
from monitor.browse import docs
from monitor.browse.metadata import build_metadata, missing_descriptions, read_schema
from monitor.browse.render import identifier_links, paragraphs
from monitor.cli import cli
from monitor.demo import demo_config_text
from monitor.demo.server import SiteServer, free_port
from monitor.demo.site import build_site
from monitor.model import ArticleRecord, StoryDecision
from storage import queries
from storage.archive import Archive
from tests.browser import browser, screenshot_dir
from tests.endpoints import WebhookEndpoint

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("MONITOR_CHROMIUM", "/usr/bin/chromium"))  # Debian's package
IN_CI = os.environ.get("CI", "").lower() == "true"
TOPIC = "liver-metastases-immunotherapy"


def _require(ok: bool, why: str) -> None:
    """Fail under CI, skip elsewhere, when a piece of the browse stack is not installed."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI=true: browse tests must run; see scripts/install-chromium.sh)")
    pytest.skip(why)


def _has_module(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------- fast, no server
def test_every_table_and_column_is_described(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        schema = read_schema(archive.db.conn)
    assert {"articles", "stories", "sources", "article_index", "story_index"} <= set(schema)
    assert not any(name.startswith("articles_fts_") for name in schema)  # FTS shadow tables
    assert missing_descriptions(schema) == []
    meta = build_metadata(schema)
    tables = meta["databases"]["archive"]["tables"]
    for name, t in schema.items():
        assert tables[name]["description"], name
        assert set(tables[name]["columns"]) == set(t.columns), name
    # no description names a table or column the archive does not have
    assert set(docs.COLUMNS) <= set(schema)
    for table, cols in docs.COLUMNS.items():
        assert set(cols) <= set(schema[table].columns), table


def test_browse_facets_only_name_existing_columns(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        schema = read_schema(archive.db.conn)
    tables = build_metadata(schema)["databases"]["archive"]["tables"]
    for name, t in tables.items():
        for facet in t.get("facets", []):
            col = facet if isinstance(facet, str) else next(iter(facet.values()))
            assert col in schema[name].columns, (name, col)
    assert tables["article_index"]["fts_table"] == "articles_fts"


def test_canned_queries_compile_on_an_empty_archive(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        conn = archive.db.conn
        for name, q in queries.CANNED.items():
            named = set(re.findall(r"(?<!:):(\w+)", q["sql"]))
            assert named == set(q["params"]), name  # declared params are the ones used
            assert conn.execute(q["sql"], dict.fromkeys(named, "")).fetchall() == [], name
            assert q["title"] and q["description"]


def test_metadata_overrides_merge_and_sources_link():
    class Topic:
        name, query, description = TOPIC, "@a AND @b", "the first topic"

    meta = build_metadata(
        {},
        sources=[{"name": "Wire & Co", "url": "https://wire.example/rss.xml", "enabled": False}],
        topics=[Topic()],
        overrides={"title": "Our archive", "databases": {"archive": {"source": "x"}}},
    )
    assert meta["title"] == "Our archive"
    assert meta["databases"]["archive"]["source"] == "x"
    assert meta["databases"]["archive"]["queries"]  # kept beside the override
    html = meta["description_html"]
    assert "Wire &amp; Co" in html and "(disabled)" in html
    assert 'href="https://wire.example/"' in html and 'href="https://wire.example/rss.xml"' in html
    assert f"topic={TOPIC}" in html and "@a AND @b" in html
    assert meta["license"]


def test_plugin_connections_cannot_write(tmp_path):
    _require(_has_module("datasette"), "Datasette (the browse extra) is not installed")
    from monitor.browse import plugin

    with Archive(tmp_path / "a.db"):
        pass
    conn = sqlite3.connect(tmp_path / "a.db")  # even a read-write handle, once prepared
    plugin.prepare_connection(conn, "archive", None)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("INSERT INTO channels (name, type, created_at) VALUES ('c', 'email', 'x')")
    other = sqlite3.connect(":memory:")
    plugin.prepare_connection(other, "_internal", None)  # other databases are left alone
    other.execute("CREATE TABLE t (x)")


def test_metadata_file_toml_or_json(tmp_path):
    from monitor.browse import BrowseError, load_overrides

    toml = tmp_path / "site.toml"
    toml.write_text('title = "Liver watch"\n[databases.archive]\nsource = "team"\n')
    assert load_overrides(toml) == {
        "title": "Liver watch",
        "databases": {"archive": {"source": "team"}},
    }
    js = tmp_path / "site.json"
    js.write_text('{"license": "internal"}')
    assert load_overrides(js) == {"license": "internal"}
    js.write_text("[1, 2]")
    with pytest.raises(BrowseError, match="top level"):
        load_overrides(js)
    js.write_text("{not json")
    with pytest.raises(BrowseError, match="cannot read metadata"):
        load_overrides(js)
    assert load_overrides(None) is None


def test_paragraphs_split_on_blank_lines():
    text = "Title line\n\nFirst para\ncontinues.\n\n\n  Second para.  \n\n"
    assert paragraphs(text) == ["Title line", "First para\ncontinues.", "Second para."]
    assert paragraphs(None) == [] and paragraphs("  \n\n ") == []


def test_identifier_links_escape_and_resolve():
    html = str(identifier_links("doi", ["10.1000/a<b>"]))
    assert 'href="https://doi.org/10.1000/a%3Cb%3E"' in html and "<b>" not in html
    assert ">10.1000/a&lt;b&gt;</a>" in html
    html = str(identifier_links("nct", ["NCT01234567", "NCT07654321"]))
    assert html.count("https://clinicaltrials.gov/study/NCT") == 2


def test_browse_without_datasette_says_how_to_install(tmp_path):
    cfg = tmp_path / "sources.toml"
    cfg.write_text(demo_config_text("http://127.0.0.1:9", tmp_path / "archive.db"))
    Archive(tmp_path / "archive.db").close()
    code = (
        "import sys; sys.modules['datasette'] = None\n"
        "from monitor.cli import main; sys.argv = ['monitor', '--config', sys.argv[1], 'browse']\n"
        "main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(cfg)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    # the hint names a command for this installation (monitor/install.py), not the index's
    # "monitor", which is another project
    assert f"{sys.executable} -m pip install" in proc.stderr and "datasette" in proc.stderr
    assert "pip install 'monitor[browse]'" not in proc.stderr


def test_browse_without_archive_explains(tmp_path):
    cfg = tmp_path / "sources.toml"
    cfg.write_text(demo_config_text("http://127.0.0.1:9", tmp_path / "none" / "archive.db"))
    res = CliRunner().invoke(cli, ["--config", str(cfg), "browse", "--port", str(free_port())])
    assert res.exit_code == 1
    assert "no archive at" in res.output and "run --once" in res.output


def test_browse_refuses_an_archive_older_than_the_views(tmp_path):
    db = tmp_path / "archive.db"
    with Archive(db):
        pass
    conn = sqlite3.connect(db)  # as an archive written before the browse views existed
    conn.execute("DROP VIEW story_index")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    cfg = tmp_path / "sources.toml"
    cfg.write_text(demo_config_text("http://127.0.0.1:9", db))
    res = CliRunner().invoke(cli, ["--config", str(cfg), "browse", "--port", str(free_port())])
    assert res.exit_code == 1 and "schema version 1" in res.output
    assert "no story_index view" in res.output and "run --once" in res.output


# ------------------------------------------------------- a real archive, a real server
@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A config and archive filled by `run --once` from the demo site, plus one sent digest."""
    tmp = tmp_path_factory.mktemp("browse")
    with SiteServer(build_site) as site, WebhookEndpoint() as hook:
        cfg = tmp / "sources.toml"
        text = demo_config_text(site.base, tmp / "archive.db")
        text += (
            f'\n[[channels]]\nname = "team-hook"\ntype = "webhook"\n'
            f'topics = ["{TOPIC}"]\nurl = "{hook.url}"\n'
        )
        cfg.write_text(text, encoding="utf-8")
        for args in (["run", "--once"], ["digest", "--channel", "team-hook"]):
            res = CliRunner().invoke(cli, ["--config", str(cfg), *args], catch_exceptions=False)
            assert res.exit_code == 0, res.output
        assert hook.received, "the digest was delivered"
        _ensure_a_story_with_copies(tmp / "archive.db", site.base)
        overrides = tmp / "site.toml"
        overrides.write_text('about = "Oncology team"\n', encoding="utf-8")
        yield {"config": cfg, "db": tmp / "archive.db", "site": site.base, "metadata": overrides}


def _ensure_a_story_with_copies(db: Path, base: str) -> None:
    """Make sure one story has two copies, so the side-by-side pages are really exercised.

    When the story stage already grouped copies of one study, nothing is added. Otherwise the
    page of the matched story with the most text is fetched again from the demo site,
    extracted, and stored through the storage API as a second outlet's copy of that story,
    exactly as the pipeline stores a copy the story stage has joined.
    """
    with Archive(db) as archive:
        if archive.db.execute("SELECT count(*) FROM stories WHERE copies > 1").fetchone()[0]:
            return
        aid, sid, url, source, rank = archive.db.execute(
            "SELECT a.id, a.story_id, a.canonical_url, a.source, a.canonical_rank"
            " FROM articles a JOIN story_matches m ON m.story_id = a.story_id"
            " ORDER BY length(a.text) DESC, a.id LIMIT 1"
        ).fetchone()
        other = archive.db.execute(
            "SELECT name FROM sources WHERE name != ? ORDER BY name LIMIT 1", [source]
        ).fetchone()[0]
        page = extract.extract(httpx.get(url, timeout=10).content, url)
        now = datetime.now(UTC)
        record = ArticleRecord(
            key=f"test-copy:{aid}",
            url=f"{base}/syndicated/{aid}.html",
            canonical_url=f"{base}/syndicated/{aid}.html",
            source=other,
            title=page.title,
            text=page.text,
            published=page.published,
            fetched_at=now,
            doi=page.doi,
            nct=page.nct,
        )
        decision = StoryDecision(story_id=sid, score=0.9, reason="syndicated copy of the same page")
        archive.add_article(
            record,
            decision,
            [],
            index_keys=[],
            fingerprint_json="{}",
            canonical_rank=[*json.loads(rank), "copy"],  # ranks after the original
        )


@pytest.fixture(scope="module")
def server(archive, tmp_path_factory):
    """`monitor browse` in a child process on a free port; yields its base URL."""
    _require(_has_module("datasette"), "Datasette (the browse extra) is not installed")
    port = free_port()
    # the server's output goes to a file: a pipe nobody reads fills up (64 kB) and blocks it
    log = tmp_path_factory.mktemp("browse-log") / "server.log"
    out = log.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "--config",
            str(archive["config"]),
            "browse",
            "--port",
            str(port),
            "--metadata",
            str(archive["metadata"]),
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"monitor browse exited {proc.returncode}: {log.read_text()}")
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
        out.close()


def _get(base: str, path: str, status: int = 200) -> dict | list:
    r = httpx.get(base + path, timeout=30)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    return r.json()


def _db(archive) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{archive['db']}?mode=ro", uri=True)


def test_serves_the_archive_read_only_under_a_stable_name(server, archive):
    dbs = _get(server, "/-/databases.json")
    by_name = {d["name"]: d for d in dbs}
    assert "archive" in by_name
    assert by_name["archive"]["is_mutable"] is True  # never immutable: the daemon writes it
    assert Path(by_name["archive"]["path"]).resolve() == archive["db"].resolve()


def test_search_finds_an_article_by_a_word_of_its_text(server, archive):
    db = _db(archive)
    # a word found in one article's text but in no title: search must reach the body
    rows = db.execute("SELECT id, title, text FROM articles WHERE text IS NOT NULL").fetchall()
    titles = " ".join(r[1] for r in rows).lower()
    word_docs: dict[str, set[int]] = {}
    for aid, _title, text in rows:
        for w in set(re.findall(r"[a-z]{8,}", text.lower())):
            word_docs.setdefault(w, set()).add(aid)
    word, ids = next(
        (w, d) for w, d in sorted(word_docs.items()) if len(d) == 1 and w not in titles
    )
    for table in ("article_index", "articles"):
        found = _get(server, f"/archive/{table}.json?_search={word}&_shape=array")
        assert [a["id"] for a in found] == sorted(ids), (table, word)
    # several words: every hit contains all of them, as SQLite's own FTS says
    hits = _get(server, "/archive/article_index.json?_search=liver+immunotherapy&_shape=array")
    direct = db.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'liver immunotherapy'"
    ).fetchall()
    assert sorted(h["id"] for h in hits) == sorted(r[0] for r in direct)
    assert len(hits) >= 3


def _facets(data: dict, name: str) -> dict:
    return {r["value"]: r["count"] for r in data["facet_results"][name]["results"]}


def test_facets_count_right(server, archive):
    db = _db(archive)
    data = _get(server, "/archive/article_index.json?_size=0")  # default facets from metadata
    assert set(data["facet_results"]) >= {"source", "topics", "story", "month"}
    assert _facets(data, "source") == dict(
        db.execute("SELECT source, count(*) FROM articles GROUP BY source").fetchall()
    )
    assert _facets(data, "month") == dict(
        db.execute(
            "SELECT substr(coalesce(published, fetched_at), 1, 7), count(*) FROM articles"
            " GROUP BY 1"
        ).fetchall()
    )
    topic_counts = dict(
        db.execute(
            "SELECT m.topic, count(*) FROM articles a JOIN story_matches m"
            " ON m.story_id = a.story_id GROUP BY m.topic"
        ).fetchall()
    )
    assert topic_counts and _facets(data, "topics") == topic_counts
    story_counts = Counter(r[0] for r in db.execute("SELECT story_id FROM articles"))
    by_story = {int(v.split()[0].lstrip("#")): c for v, c in _facets(data, "story").items()}
    assert by_story == dict(story_counts)
    # a facet with a search and a filter applied counts within them
    src = next(iter(_facets(data, "source")))
    narrowed = _get(
        server, f"/archive/article_index.json?_size=0&_search=liver&source={quote(src)}"
    )
    expected = db.execute(
        "SELECT count(*) FROM articles WHERE source = ? AND id IN"
        " (SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'liver')",
        [src],
    ).fetchone()[0]
    assert narrowed["filtered_table_rows_count"] == expected
    assert _facets(narrowed, "source") == ({src: expected} if expected else {})
    # stories: outlets per story agree with the article_sources table
    stories = _get(server, "/archive/story_index.json?_shape=array&_size=max")
    outlets = dict(
        db.execute(
            "SELECT a.story_id, count(DISTINCT x.source) FROM articles a"
            " JOIN article_sources x ON x.article_id = a.id GROUP BY a.story_id"
        ).fetchall()
    )
    assert {s["id"]: s["outlets"] for s in stories} == {
        k: v
        for k, v in outlets.items()
        if db.execute("SELECT merged_into FROM stories WHERE id = ?", [k]).fetchone()[0] is None
    }


def test_canned_queries_return_rows(server, archive):
    db = _db(archive)
    listed = _get(server, "/archive.json")
    assert {q["name"] for q in listed["queries"]} == set(queries.CANNED)

    latest = _get(server, "/archive/latest_matches_per_topic.json?_shape=array")
    assert latest and {r["topic"] for r in latest} == {TOPIC}
    assert [r["rank"] for r in latest] == list(range(1, len(latest) + 1))
    assert (
        len(latest)
        == db.execute(
            "SELECT count(*) FROM story_matches m JOIN stories s ON s.id = m.story_id"
            " WHERE s.merged_into IS NULL"
        ).fetchone()[0]
    )
    two = _get(
        server, f"/archive/latest_matches_per_topic.json?_shape=array&topic={TOPIC}&per_topic=2"
    )
    assert [r["story_id"] for r in two] == [r["story_id"] for r in latest[:2]]

    most = _get(server, "/archive/stories_most_outlets.json?_shape=array")
    assert most and most[0]["outlets"] == max(r["outlets"] for r in most) >= 2
    assert set(json.loads(most[0]["carried_by"])) == {
        r[0]
        for r in db.execute(
            "SELECT DISTINCT x.source FROM article_sources x JOIN articles a"
            " ON a.id = x.article_id WHERE a.story_id = ?",
            [most[0]["story_id"]],
        )
    }

    story_id = db.execute(
        "SELECT story_id FROM articles GROUP BY story_id ORDER BY count(*) DESC, story_id"
    ).fetchone()[0]
    copies = _get(server, f"/archive/story_copies.json?_shape=array&story_id={story_id}")
    expected = db.execute("SELECT count(*) FROM articles WHERE story_id = ?", [story_id])
    assert len(copies) == expected.fetchone()[0] >= 1
    assert copies[0]["role"] == "canonical"
    assert [c["role"] for c in copies[1:]] == ["copy"] * (len(copies) - 1)

    health = _get(server, "/archive/source_health.json?_shape=array")
    assert {r["name"] for r in health} == {r[0] for r in db.execute("SELECT name FROM sources")}
    assert all(r["health"] == "ok" and r["articles"] >= 1 for r in health)

    log = _get(server, "/archive/delivery_log.json?_shape=array")
    digest_ids = [r[0] for r in db.execute("SELECT id FROM digests")]
    assert digest_ids and [r["digest_id"] for r in log] == digest_ids
    assert log[0]["state"] == "sent" and log[0]["channel"] == "team-hook"
    assert len(json.loads(log[0]["story_ids"])) == log[0]["stories"]
    assert json.loads(log[0]["recipients"]) == ["webhook: sent"]  # per recipient and part
    assert _get(server, "/archive/delivery_log.json?_shape=array&channel=nobody") == []

    cited = _get(server, "/archive/articles_with_identifier.json?_shape=array")
    doi_articles = {
        r[0]
        for r in db.execute(
            "SELECT id FROM articles WHERE json_array_length(doi) > 0 OR json_array_length(nct) > 0"
        )
    }
    assert cited and {r["article_id"] for r in cited} == doi_articles
    doi = json.loads(cited[0]["doi"] or "[]") or None
    if doi:
        url = quote(f"https://doi.org/{doi[0].upper()}", safe="")
        by_doi = _get(
            server, f"/archive/articles_with_identifier.json?_shape=array&identifier={url}"
        )
        assert cited[0]["article_id"] in {r["article_id"] for r in by_doi}
    nct = next((n for r in cited for n in json.loads(r["nct"] or "[]")), None)
    if nct:
        path = f"/archive/articles_with_identifier.json?_shape=array&identifier={nct.lower()}"
        by_nct = {r["article_id"] for r in _get(server, path)}
        citing = {r["article_id"] for r in cited if nct in json.loads(r["nct"] or "[]")}
        assert citing and citing <= by_nct


def test_metadata_served(server, archive):
    meta = _get(server, "/-/metadata.json")
    assert meta["title"] and meta["license"] and meta["description_html"]
    assert meta["about"] == "Oncology team"  # from `browse --metadata`
    db_meta = meta["databases"]["archive"]
    schema = read_schema(_db(archive))
    for name, t in schema.items():
        assert db_meta["tables"][name]["description"], name
        assert set(db_meta["tables"][name]["columns"]) == set(t.columns), name
    html = httpx.get(server + "/").text
    for (name,) in _db(archive).execute("SELECT name FROM sources"):
        assert name in html
    assert archive["site"] in html  # the sources' links


def _fingerprint(path: Path) -> tuple:
    files = [path, Path(f"{path}-wal")]
    return tuple((f.name, hashlib.sha256(f.read_bytes()).hexdigest()) for f in files if f.exists())


def test_writes_are_refused(server, archive):
    before = _fingerprint(archive["db"])
    count = _db(archive).execute("SELECT count(*) FROM articles").fetchone()[0]
    attempts = [
        "INSERT INTO sources (name, url, created_at) VALUES ('x', 'http://x', 'now')",
        "DELETE FROM articles",
        "UPDATE articles SET title = 'pwned'",
        "DROP TABLE articles",
        "PRAGMA query_only = 0",
        "ATTACH DATABASE '/tmp/evil.db' AS evil",
        "SELECT 1; DELETE FROM articles",
    ]
    for sql in attempts:
        r = httpx.get(f"{server}/archive.json", params={"sql": sql}, timeout=30)
        assert r.status_code >= 400 or not r.json().get("ok", True), sql
    # the write endpoints of newer Datasette versions, and POSTs to a canned query
    for path in ("/archive/articles/-/insert", "/archive/-/create", "/archive/source_health"):
        r = httpx.post(server + path, json={"row": {"title": "x"}}, timeout=30)
        assert r.status_code >= 400, path
    assert _fingerprint(archive["db"]) == before
    assert _db(archive).execute("SELECT count(*) FROM articles").fetchone()[0] == count


def test_daemon_keeps_writing_while_browsing(server, archive):
    """A reader never locks the writer out: a poll commits and a checkpoint completes."""
    _get(server, "/archive/article_index.json?_facet=source")  # Datasette has connections open
    before = _get(server, "/archive/source_health.json?_shape=array")
    writer = sqlite3.connect(archive["db"], timeout=0, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # no busy wait allowed: must get the lock at once
        writer.execute(
            "UPDATE sources SET last_poll_at = '2999-01-01T00:00:00+00:00' WHERE name = ?",
            [before[0]["name"]],
        )
        writer.execute("COMMIT")
        busy, _, _ = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0  # no read transaction left open by the server
    finally:
        writer.close()
    after = _get(server, "/archive/source_health.json?_shape=array")
    assert {r["name"]: r["last_poll_at"] for r in after}[before[0]["name"]].startswith("2999")


# ---------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser_page(server):
    _require(CHROMIUM.exists(), f"{CHROMIUM} is missing (scripts/install-chromium.sh)")
    with browser() as context:
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 900})
        yield page


def test_story_page_in_a_browser(server, archive, browser_page, tmp_path):
    db = _db(archive)
    story_id, title, n = db.execute(
        "SELECT s.id, s.title, count(a.id) FROM stories s JOIN articles a ON a.story_id = s.id"
        " JOIN story_matches m ON m.story_id = s.id"
        " GROUP BY s.id ORDER BY count(a.id) DESC, s.id LIMIT 1"
    ).fetchone()
    assert n >= 2  # the fixture guarantees a story with copies
    page = browser_page
    page.goto(f"{server}/archive/stories/{story_id}")
    assert page.locator("h1.monitor-title").inner_text().strip() == title
    assert page.locator(".monitor-copy").count() == n
    assert page.locator(".monitor-copy.monitor-canonical").count() == 1
    assert page.locator(".monitor-copy .monitor-text p").count() >= n
    assert TOPIC in page.locator(".monitor-topics").inner_text()
    shot = screenshot_dir(tmp_path) / "story.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_article_page_in_a_browser(server, archive, browser_page, tmp_path):
    db = _db(archive)
    aid, title, text, source = db.execute(
        "SELECT a.id, a.title, a.text, a.source FROM articles a"
        " JOIN stories s ON s.id = a.story_id AND s.canonical_article_id = a.id"
        " JOIN story_matches m ON m.story_id = a.story_id"
        " ORDER BY s.copies DESC, length(a.text) DESC, a.id LIMIT 1"
    ).fetchone()
    page = browser_page
    page.goto(f"{server}/archive/articles/{aid}")
    assert page.locator("h1.monitor-title").inner_text().strip() == title
    shown = page.locator(".monitor-article .monitor-text p")
    expected = [" ".join(p.split()) for p in paragraphs(text)]
    assert len(expected) >= 3
    assert [" ".join(t.split()) for t in shown.all_inner_texts()] == expected
    assert source.upper() in page.locator(".monitor-kicker").first.inner_text().upper()
    story_id, url = db.execute(
        "SELECT story_id, canonical_url FROM articles WHERE id = ?", [aid]
    ).fetchone()
    others = {
        r[0]
        for r in db.execute(
            "SELECT id FROM articles WHERE story_id = ? AND id != ?", [story_id, aid]
        )
    }
    hrefs = page.locator(".monitor-copies a[href*='/archive/articles/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert others and {int(h.rsplit("/", 1)[1]) for h in hrefs} == others
    assert page.locator(f".monitor-original a[href='{url}']").count() == 1
    assert page.locator(f".monitor-side a[href='/archive/stories/{story_id}']").count() == 1
    shot = screenshot_dir(tmp_path) / "article.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
