"""The fast reader of plain RSS 2.0 / Atom 1.0 (monitor/feedxml.py) gives what feedparser
gives, or steps aside: every document of feedparser's own test corpus is parsed both ways
(``feeds.parse`` with and without the fast reader) and must give equal results."""

from __future__ import annotations

import pathlib
import re
from datetime import UTC, datetime

import pytest

from monitor import feeds, feedxml

CORPUS = pathlib.Path(__file__).resolve().parents[1].parent / "shared/feeds/feedparser-tests"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BASE = "http://corpus.example.org/dir/feed.xml"
READ = feedxml.read  # the real one (the tests below replace it)


def both_ways(data: bytes, ctype: str | None, monkeypatch) -> tuple[object, object, bool]:  # type: ignore[no-untyped-def]
    """(with the fast reader, feedparser only, whether the fast reader took the document)."""
    took: list[bool] = []
    real = READ

    def spy(d: bytes):  # type: ignore[no-untyped-def]
        out = real(d)
        took.append(out is not None)
        return out

    def run() -> object:
        try:
            return feeds.parse(data, BASE, content_type=ctype, now=NOW)
        except feeds.FeedError as exc:
            return ("error", str(exc))

    monkeypatch.setattr(feedxml, "read", spy)
    fast = run()
    monkeypatch.setattr(feedxml, "read", lambda d: None)
    slow = run()
    return fast, slow, bool(took and took[0])


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared feed corpus not present")
def test_fast_reader_agrees_with_feedparser_on_its_whole_corpus(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    taken = 0
    differ = []
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "LICENSE"):
        data = path.read_bytes()
        text = feeds.decode_document(data)[0]
        m = re.search(r"^Header:\s*Content-type:\s*(.+)$", text, re.I | re.M)
        fast, slow, took = both_ways(data, m.group(1).strip() if m else None, monkeypatch)
        taken += took
        if fast != slow:
            differ.append(str(path.relative_to(CORPUS)))
    assert differ == []
    assert taken > 500  # of ~2,100 edge cases, the plain ones


RSS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>News</title>'
    '<link>https://news.example.org/</link><atom:link rel="self" href="https://news.example.org/f"/>'
    "<lastBuildDate>Sun, 22 Nov 2026 08:00:00 GMT</lastBuildDate>{items}</channel></rss>"
)
ITEM = (
    "<item><title>Liver trial {n}</title><link>/a/{n}?utm_source=rss</link>"
    '<guid isPermaLink="false">tag:news,2026:{n}</guid>'
    "<pubDate>Sat, 21 Nov 2026 0{n}:00:00 +0100</pubDate><dc:creator>Reporter {n}</dc:creator>"
    "<description><![CDATA[<p>Patients &amp; <b>cohort</b> {n}</p>]]></description>{extra}</item>"
)


def test_plain_rss_is_read_fast_with_feedparsers_fields(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = RSS.format(items="".join(ITEM.format(n=n, extra="") for n in range(1, 4))).encode()
    fast, slow, took = both_ways(data, "application/rss+xml", monkeypatch)
    assert took and fast == slow
    assert [e.title for e in fast.entries] == ["Liver trial 1", "Liver trial 2", "Liver trial 3"]  # type: ignore[attr-defined]
    assert fast.entries[0].summary == "Patients & cohort 1"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "extra",
    [
        '<media:content xmlns:media="http://search.yahoo.com/mrss/" url="https://x/i.jpg"/>',
        "<author>jane@example.org (Jane)</author>",
        "<title>second title</title>",
    ],
)
def test_anything_else_is_left_to_feedparser(extra: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = RSS.format(items=ITEM.format(n=1, extra=extra)).encode()
    assert feedxml.read(data) is None
    fast, slow, took = both_ways(data, "application/rss+xml", monkeypatch)
    assert not took and fast == slow


def test_ill_formed_or_other_documents_are_left_to_feedparser() -> None:
    assert feedxml.read(RSS.format(items="<item><title>a &nbsp; b</title></item>").encode()) is None
    assert feedxml.read(b'<rss version="0.91"><channel><title>t</title></channel></rss>') is None
    atom_id_as_link = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://x.org/1</id>'
        b"<title>t</title></entry></feed>"
    )
    assert feedxml.read(atom_id_as_link) is None  # feedparser takes the id for the link
