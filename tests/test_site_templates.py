"""Site-template memory: the extractor drops what a site repeats, learnt in the archive.

A line of the site's template that neither structure nor words give away (a promotional
sentence written as a paragraph of the article container) stays in the first pages of a site
and goes once the archive has seen it on earlier pages; another site's pages are not touched;
the archive keeps the memory bounded, learns each page once, and an archive made before this
step (schema version 2) is upgraded.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from monitor import config as config_mod
from monitor.extract import SiteTemplate, extract
from monitor.pipeline import Pipeline, site_of
from storage import migrations
from storage import templates as store
from storage.archive import Archive
from storage.db import Database
from tests.httpserver import TestServer

# a sentence of the site's template: prose, in the article container, no telling words
PROMO = (
    "Our network of partner clinics offers second opinions in forty cities, with "
    "appointments usually available within the same week."
)
STORIES = [
    (
        "Liver metastases and checkpoint inhibitors",
        [
            "Patients whose colorectal cancer had spread to the liver responded less often to "
            "checkpoint inhibitors than patients with metastases elsewhere, a cohort study found.",
            "The investigators followed 718 patients treated at four centres over six years and "
            "compared response rates by the site of the metastases.",
            "Radiation to the liver lesions before immunotherapy restored responses in mice, and "
            "a trial in people is being planned by the same group.",
        ],
    ),
    (
        "Radioembolisation before surgery",
        [
            "Selective internal radiation therapy shrank liver tumours enough for surgery in a "
            "third of the patients in a small phase 2 study reported this week.",
            "The treatment delivers radioactive microspheres through the hepatic artery, sparing "
            "most of the healthy liver tissue around the tumours.",
            "Larger randomised trials are needed before the approach can become standard care, "
            "the authors wrote in their discussion of the results.",
        ],
    ),
    (
        "A blood test for recurrence",
        [
            "Circulating tumour DNA detected recurrence of liver metastases months before imaging "
            "did in a prospective study of patients after resection.",
            "Patients with detectable tumour DNA after surgery relapsed in most cases, while few "
            "patients without it relapsed within two years of follow-up.",
            "The test could help decide who needs adjuvant chemotherapy, but it is not yet "
            "covered by insurers in most countries, the researchers noted.",
        ],
    ),
    (
        "Microwave ablation compared with resection",
        [
            "Microwave ablation controlled small liver metastases about as well as resection in "
            "a registry study, with shorter hospital stays and fewer complications.",
            "The comparison was not randomised, and the patients chosen for ablation had smaller "
            "and fewer lesions than those who had surgery, the authors cautioned.",
            "A randomised trial comparing the two approaches has finished recruiting and should "
            "report its first results next year.",
        ],
    ),
]


def site_page(title: str, paragraphs: list[str], promo: str = PROMO) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><main><article><h1>{title}</h1>"
        f"<div class='c9'>{body}<p>{promo}</p></div></article></main></body></html>"
    ).encode()


def learn_and_extract(db: Database, site: str, pages: list[tuple[str, bytes]]):
    """What the pipeline does per page: read the site's template, extract, learn."""
    out = []
    for url, html in pages:
        article = extract(html, url, template=store.get(db, site))
        store.learn(db, site, store.page_id(url), article.template_keys)
        out.append(article)
    return out


def fresh_db(tmp_path: Path) -> Database:
    return Archive(tmp_path / "a.db").db


def test_a_new_site_starts_from_the_structural_rules(tmp_path: Path) -> None:
    title, paragraphs = STORIES[0]
    html = site_page(title, paragraphs)
    plain = extract(html, "https://a.example/1")
    first = extract(html, "https://a.example/1", template=SiteTemplate("a.example"))
    assert first.text == plain.text  # an empty template changes nothing
    assert PROMO in first.text  # nothing tells this sentence from the article yet
    assert first.template_keys  # but the page is there to learn from


def test_what_a_site_repeats_goes_once_learnt(tmp_path: Path) -> None:
    db = fresh_db(tmp_path)
    pages = [(f"https://a.example/{i}", site_page(*story)) for i, story in enumerate(STORIES)]
    articles = learn_and_extract(db, "a.example", pages)
    assert [PROMO in a.text for a in articles] == [True, True, False, False]
    for (_, paragraphs), article in zip(STORIES, articles, strict=True):
        for paragraph in paragraphs:
            assert paragraph in article.text  # the article itself is never taken for template


def test_one_site_never_teaches_another(tmp_path: Path) -> None:
    db = fresh_db(tmp_path)
    learn_and_extract(
        db, "a.example", [(f"https://a.example/{i}", site_page(*s)) for i, s in enumerate(STORIES)]
    )
    assert store.get(db, "a.example").counts
    other = store.get(db, "b.example")
    assert other == SiteTemplate("b.example")
    title, paragraphs = STORIES[3]
    article = extract(site_page(title, paragraphs), "https://b.example/1", template=other)
    assert PROMO in article.text


def test_each_page_is_learnt_once(tmp_path: Path) -> None:
    db = fresh_db(tmp_path)
    title, paragraphs = STORIES[0]
    html = site_page(title, paragraphs)
    keys = extract(html, "https://a.example/1", template=SiteTemplate("a.example")).template_keys
    assert store.learn(db, "a.example", store.page_id("https://a.example/1"), keys)
    # fetched again after a crash before its article was stored: not counted twice, so its own
    # paragraphs do not become "repeated" blocks
    assert not store.learn(db, "a.example", store.page_id("https://a.example/1"), keys)
    assert store.get(db, "a.example").pages == 1
    assert set(store.get(db, "a.example").counts.values()) == {1}


def test_the_memory_is_bounded_per_site(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store, "MAX_KEYS_PER_SITE", 50)
    monkeypatch.setattr(store, "FORGET_AFTER_PAGES", 3)
    db = fresh_db(tmp_path)
    for page in range(40):
        keys = [page * 1000 + k for k in range(30)] + [7, 8]  # 30 unique keys, 2 repeated
        store.learn(db, "a.example", f"p{page}", keys)
    rows = db.execute(
        "SELECT COUNT(*) FROM site_template_keys WHERE site = 'a.example'"
    ).fetchone()[0]
    assert rows <= 50
    counts = store.get(db, "a.example").counts
    assert {k: n for k, n in counts.items() if n > 1} == {7: 40, 8: 40}  # the template survives


def test_an_archive_from_before_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path, isolation_level=None))
    for number, step in enumerate(migrations.STEPS[:2], start=1):  # the schema as on main
        step(db)
        db.execute(f"PRAGMA user_version = {number}")
    db.execute(
        "INSERT INTO sources (name, url, created_at) VALUES ('s', 'http://x/feed', '2026-01-01')"
    )
    db.conn.close()
    with Archive(path) as archive:
        assert archive.version == len(migrations.STEPS) >= 3
        assert archive.site_template("a.example") == SiteTemplate("a.example")
        assert archive.learn_site_template("a.example", "https://a.example/1", [1, 2])
        assert archive.db.execute("SELECT name FROM sources").fetchall() == [("s",)]


def test_site_of() -> None:
    assert site_of("https://www.Example.org/a/b?c") == "example.org"
    assert site_of("http://news.example.org:8080/x") == "news.example.org"


def _rss(urls: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {i}</title><link>{u}</link><guid>{u}</guid>"
        f"<pubDate>Fri, 20 Nov 2026 1{i}:00:00 GMT</pubDate></item>"
        for i, u in enumerate(urls)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>http://example.org/</link>{items}</channel></rss>"
    ).encode()


def test_the_pipeline_learns_while_it_polls(tmp_path: Path) -> None:
    with TestServer() as srv:
        urls = [srv.url(f"/story/{i}") for i in range(len(STORIES))]
        for i, story in enumerate(STORIES):
            srv.route(f"/story/{i}", body=site_page(*story), headers={"Content-Type": "text/html"})
        srv.route("/feed.xml", body=_rss(urls), headers={"Content-Type": "application/rss+xml"})
        cfg = tmp_path / "sources.toml"
        cfg.write_text(
            f'[storage]\npath = "{(tmp_path / "archive.db").as_posix()}"\n\n'
            "[fetch]\nallow_private = true\nper_host_delay = 0\nrespect_robots = false\n\n"
            f'[[sources]]\nname = "clinic"\nurl = "{srv.url("/feed.xml")}"\n',
            encoding="utf-8",
        )
        config = config_mod.load(cfg)
        with Archive(config.storage_path) as archive:
            result = asyncio.run(Pipeline(config, archive).poll_all())[0]
            assert result.new_articles == len(STORIES)
            texts = [r[0] for r in archive.db.execute("SELECT text FROM articles ORDER BY id")]
            template = archive.site_template(site_of(urls[0]))
    assert template.pages == len(STORIES)
    # the pages of one site are extracted one after the other, each with what came before
    assert sum(PROMO in t for t in texts) == 2
    assert all(s[1][0] in "".join(texts) for s in STORIES)


# a short line after the article that no rule tells from it, with a name that changes per page
NOTE = "Updates follow whenever {} and the {} group publish new results on this work."
NAMES = [
    ("Anna Berg", "Oslo"),
    ("Peter Vogel", "Basel"),
    ("Maria Costa", "Porto"),
    ("Li Wei", "Tianjin"),
]


def noted_page(title: str, paragraphs: list[str], note: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<main><article><h1>{title}</h1><div class='c9'>{body}<p>{note}</p></div></article>"
        "</main></body></html>"
    ).encode()


def test_a_line_after_the_article_goes_from_the_second_page_names_masked(tmp_path: Path) -> None:
    db = fresh_db(tmp_path)
    notes = [NOTE.format(*names) for names in NAMES]
    pages = [
        (f"https://n.example/{i}", noted_page(*story, note))
        for i, (story, note) in enumerate(zip(STORIES, notes, strict=True))
    ]
    articles = learn_and_extract(db, "n.example", pages)
    assert [note in a.text for note, a in zip(notes, articles, strict=True)] == [
        True,  # a new site: the rules alone keep it
        False,
        False,
        False,
    ]
    assert lines_of(articles[0].text) == [*STORIES[0][1], notes[0]]
    for (_, paragraphs), article in zip(STORIES[1:], articles[1:], strict=True):
        assert lines_of(article.text) == paragraphs  # and only the note goes


def lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


TEMPLATE_LINE = "Stories like this one appear every Tuesday in the weekly edition."
AFTER = [
    "The reporting took three weeks of interviews with clinicians.",
    "Two clinics declined to comment before publication.",
    "A correction was appended to an earlier version of the item.",
    "Readers in four countries wrote in after the first part appeared.",
]


def test_a_template_line_after_the_article_anchors_its_appendix(tmp_path: Path) -> None:
    # the site's line (learnt) starts the appendix: the page's own line after it goes too,
    # though no rule and no memory knows that line
    db = fresh_db(tmp_path)
    pages = [
        (f"https://t.example/{i}", noted_page(title, paragraphs, f"{TEMPLATE_LINE}</p><p>{after}"))
        for i, ((title, paragraphs), after) in enumerate(zip(STORIES, AFTER, strict=True))
    ]
    articles = learn_and_extract(db, "t.example", pages)
    assert lines_of(articles[0].text) == [*STORIES[0][1], TEMPLATE_LINE, AFTER[0]]
    for (_, paragraphs), article in zip(STORIES[1:], articles[1:], strict=True):
        assert lines_of(article.text) == paragraphs
