"""Feed autodiscovery in HTML pages and OPML import/export."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.discover import COMMON_FEED_PATHS, find_feeds, read_opml, write_opml

PAGE = """<!doctype html><html><head>
<base href="https://www.site.example.com/news/">
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Comments Feed" href="/comments/feed/">
<link rel="alternate" type="application/rss+xml" title="All news" href="feed.xml?utm_source=x">
<link rel="alternate" type="application/atom+xml" href="https://www.site.example.com/atom.xml">
<link rel="alternate" hreflang="fr" href="https://www.site.example.com/fr/">
<link rel="alternate" type="application/json+oembed" href="/oembed?url=x">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body>
<a href="/topics/liver/rss">Liver RSS</a>
<a href="/about">About</a>
<a href="https://www.site.example.com/atom.xml">dup</a>
</body></html>"""


def test_find_feeds_order_and_filtering() -> None:
    feeds = find_feeds(PAGE, "https://www.site.example.com/news/today.html")
    assert feeds == [
        "https://www.site.example.com/news/feed.xml",
        "https://www.site.example.com/atom.xml",
        "https://www.site.example.com/comments/feed/",
        "https://www.site.example.com/topics/liver/rss",
    ]


def test_find_feeds_nothing_and_garbage() -> None:
    assert find_feeds("<html><body>No feeds</body></html>", "https://a.example/") == []
    assert find_feeds("", "https://a.example/") == []
    assert find_feeds("<<<>>>\x00", "https://a.example/") == []


def test_json_feed_link() -> None:
    page = '<link rel="alternate" type="application/feed+json" href="/feed.json">'
    assert find_feeds(page, "http://j.example/x") == ["http://j.example/feed.json"]


def test_common_paths_are_site_relative() -> None:
    assert COMMON_FEED_PATHS and all(p.startswith("/") for p in COMMON_FEED_PATHS)


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE opml [<!ENTITY x "boom">]>
<opml version="1.0"><head><title>export</title></head><body>
  <outline text="Oncology" title="Oncology">
    <outline type="rss" text="Cancer news" xmlUrl="https://a.example.org/rss?utm_medium=x"/>
    <outline type="rss" text="Liver &amp; more" title="Liver &amp; more" xmlUrl="https://b.example.org/feed"/>
  </outline>
  <outline type="rss" text="Flat" xmlUrl="http://c.example.org/atom.xml" htmlUrl="http://c.example.org/"/>
  <outline type="rss" text="Bad" xmlUrl="file:///etc/passwd"/>
  <outline type="rss" text="Dup" xmlUrl="https://b.example.org/feed"/>
</body></opml>"""


def test_read_opml() -> None:
    assert read_opml(OPML) == [
        {"name": "Cancer news", "url": "https://a.example.org/rss", "category": "Oncology"},
        {"name": "Liver & more", "url": "https://b.example.org/feed", "category": "Oncology"},
        {"name": "Flat", "url": "http://c.example.org/atom.xml"},
    ]


def test_read_opml_lenient_on_broken_xml() -> None:
    broken = b'<opml><body><outline text="A &nbsp; B" xmlUrl="https://a.example/f"><outline text="C" xmlurl=\'https://c.example/f\'></body>'
    assert [r["url"] for r in read_opml(broken)] == ["https://a.example/f", "https://c.example/f"]


def test_opml_round_trip() -> None:
    sources = [
        {"name": 'Quotes "and" <tags>', "url": "https://a.example.org/rss?x=1&y=2"},
        {"name": "Liver", "url": "https://b.example.org/feed", "category": "Oncology"},
    ]
    text = write_opml(sources, created=datetime(2026, 11, 23, tzinfo=UTC))
    assert "<dateCreated>Mon, 23 Nov 2026 00:00:00 GMT</dateCreated>" in text
    assert read_opml(text.encode()) == sources
