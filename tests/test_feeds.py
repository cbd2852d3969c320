"""Feed parsing: the feedparser corpus, hostile documents, identity, dates, charsets."""

from __future__ import annotations

import json
import pathlib
import re
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from monitor import charset
from monitor.feeds import FeedError, decode_document, entry_key, parse, plain_text, strip_dtd
from monitor.model import ParsedFeed

# ../shared next to the repository (as tests/conftest.py finds it in main)
CORPUS = pathlib.Path(__file__).resolve().parents[1].parent / "shared/feeds/feedparser-tests"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FEED_URL = "https://news.example.org/feeds/main.xml"


def _corpus_files() -> list[pathlib.Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "LICENSE")


def _header(text: str, name: str) -> str | None:
    match = re.search(rf"^Header:\s*{name}:\s*(.+)$", text, re.I | re.M)
    return match.group(1).strip() if match else None


def rss(items: str, decl: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{decl}<rss version="2.0"><channel><title>Liver news</title>'
        f"<link>https://news.example.org/</link>"
        f"<pubDate>Sun, 22 Nov 2026 08:00:00 GMT</pubDate>{items}</channel></rss>"
    ).encode()


def item(
    n: int, *, guid: str | None = None, date: str | None = None, link: str | None = None
) -> str:
    parts = [f"<title>Story {n}</title>", f"<link>{link or f'/articles/{n}'}</link>"]
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    parts.append(f"<description>&lt;p&gt;Summary &lt;b&gt;{n}&lt;/b&gt;&lt;/p&gt;</description>")
    return "<item>" + "".join(parts) + "</item>"


# ------------------------------------------------------------------ the corpus


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared feed corpus not present")
@pytest.mark.parametrize(
    "path", _corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)) if CORPUS.is_dir() else ""
)
def test_corpus_file_gives_result_or_feed_error(path: pathlib.Path) -> None:
    data = path.read_bytes()
    text = decode_document(data)[0]
    ctype = _header(text, "Content-type")
    base = _header(text, "Content-Location") or "http://corpus.example.org/dir/feed.xml"
    if not base.startswith("http"):
        base = "http://corpus.example.org/dir/" + base
    started = time.monotonic()
    try:
        result = parse(data, base, content_type=ctype, now=NOW)
    except FeedError as exc:
        assert str(exc).startswith(base)
        return
    finally:
        assert time.monotonic() - started < 5
    assert isinstance(result, ParsedFeed)
    for entry in result.entries:
        assert entry.url.startswith(("http://", "https://")), entry.url
        assert entry.key.split(":", 1)[0] in ("guid", "url", "hash")
        assert entry.published is not None and entry.published <= NOW
        assert entry.published.tzinfo is not None
        assert "<" not in entry.summary or "&lt;" in data.decode("latin-1")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared feed corpus not present")
def test_corpus_encodings_decode_cleanly() -> None:
    checked = 0
    for path in sorted((CORPUS / "encoding").glob("*.xml")):
        if path.name.startswith("bozo_"):
            continue
        data = path.read_bytes()
        ctype = _header(decode_document(data)[0], "Content-type")
        result = parse(data, "http://example.org/f", content_type=ctype, now=NOW)
        text = result.title + "".join(e.title + e.summary for e in result.entries)
        assert "\ufffd" not in text, path.name
        checked += 1
    assert checked > 50


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared feed corpus not present")
def test_corpus_relative_links_resolve() -> None:
    resolved = 0
    for path in sorted((CORPUS / "wellformed" / "base").glob("*.xml")):
        data = path.read_bytes()
        text = data.decode("utf-8", "replace")
        base = _header(text, "Content-Location") or "http://example.org/base/feed.xml"
        if not base.startswith("http"):
            base = "http://example.org/base/" + base
        try:
            result = parse(data, base, content_type=_header(text, "Content-type"), now=NOW)
        except FeedError:
            continue
        for entry in result.entries:
            assert entry.url.startswith(("http://", "https://"))
            resolved += 1
    assert resolved > 0


# ------------------------------------------------------------------ entries


def test_entries_are_normalised() -> None:
    body = rss(
        item(1, date="Sat, 21 Nov 2026 10:00:00 +0200", guid="tag:news.example.org,2026:1")
        + item(2, link="https://News.Example.org:443/articles/2?utm_source=rss&id=7#top")
        + item(3, date="Sat, 21 Nov 2099 10:00:00 GMT")  # in the future
        + item(4, link="javascript:alert(1)")
        + item(5, link="file:///etc/passwd")
    )
    feed = parse(body, FEED_URL, content_type="application/rss+xml", now=NOW)
    assert feed.title == "Liver news" and feed.link == "https://news.example.org/"
    urls = [e.url for e in feed.entries]
    assert urls == [
        "https://news.example.org/articles/1",
        "https://news.example.org/articles/2?id=7",
        "https://news.example.org/articles/3",
    ]
    first, second, third = feed.entries
    assert first.key == "guid:tag:news.example.org,2026:1"
    assert first.published == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    assert first.summary == "Summary 1"
    assert second.key == "url:https://news.example.org/articles/2?id=7"
    assert second.published == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # feed date fallback
    assert third.published == NOW  # never in the future
    assert "2 entries without an http(s) link skipped" in (feed.warning or "")


def test_fetch_time_is_the_last_date_fallback() -> None:
    body = b'<rss version="2.0"><channel><title>x</title>' + item(1).encode() + b"</channel></rss>"
    feed = parse(body, FEED_URL, now=NOW)
    assert feed.entries[0].published == NOW


def test_duplicates_in_one_feed_yield_one_entry() -> None:
    body = rss(
        item(1, guid="urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
        + item(1, guid="urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
        + item(2, link="/articles/2?utm_medium=email")
        + item(2, link="/articles/2")
    )
    feed = parse(body, FEED_URL, now=NOW)
    assert len(feed.entries) == 2
    assert "2 duplicate entries dropped" in (feed.warning or "")


def test_guid_shared_by_different_links_is_not_used() -> None:
    body = rss(item(1, guid="same-guid-for-every-item") + item(2, guid="same-guid-for-every-item"))
    feed = parse(body, FEED_URL, now=NOW)
    assert [e.key for e in feed.entries] == [
        "url:https://news.example.org/articles/1",
        "url:https://news.example.org/articles/2",
    ]


def test_entry_key_rules() -> None:
    assert entry_key("tag:x.org,2026:5", "https://x.org/a", "T") == "guid:tag:x.org,2026:5"
    # a guid that is the link itself: same key as a feed without guids
    assert entry_key("https://x.org/a?utm_source=f", "https://X.org/a", "T") == entry_key(
        None, "https://x.org/a", "T"
    )
    # short local ids collide between feeds: the URL is used instead
    assert entry_key("123", "https://x.org/a", "T") == "url:https://x.org/a"
    when = datetime(2026, 1, 1, tzinfo=UTC)
    h1 = entry_key(None, None, "Same  Title", when)
    assert h1.startswith("hash:") and h1 == entry_key(None, "mailto:x@y", "same title", when)
    assert h1 != entry_key(None, None, "Same Title", when + timedelta(days=1))


def test_atom_xml_base_and_html_title() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://journal.example.com/news/">
<title type="html">Journal &lt;b&gt;news&lt;/b&gt;</title>
<entry xml:base="2026/">
  <title type="html">Immunotherapy &amp;amp; liver &lt;i&gt;metastases&lt;/i&gt;</title>
  <link rel="alternate" href="study.html"/>
  <id>tag:journal.example.com,2026:study</id>
  <updated>2026-11-20T09:30:00-05:00</updated>
  <content type="html">&lt;p&gt;First&lt;/p&gt;&lt;p&gt;second&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</content>
  <author><name>A. Author</name></author><author><name>B. Author</name></author>
</entry></feed>"""
    feed = parse(body, "https://journal.example.com/feed.atom", now=NOW)
    entry = feed.entries[0]
    assert feed.title == "Journal news"
    assert entry.title == "Immunotherapy & liver metastases"
    assert entry.url == "https://journal.example.com/news/2026/study.html"
    assert entry.published == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    assert entry.summary == "First second"
    assert entry.authors == ("A. Author", "B. Author")


def test_json_feed() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON news",
        "home_page_url": "https://j.example.net/",
        "items": [
            {
                "id": "https://j.example.net/p/1",
                "url": "https://j.example.net/p/1",
                "title": "One",
                "content_html": "<p>Hello <b>there</b></p>",
                "date_published": "2026-11-01T10:00:00Z",
                "authors": [{"name": "Ed"}],
            },
            {"id": "2", "url": "/p/2", "content_text": "plain <text>"},
        ],
    }
    feed = parse(json.dumps(doc).encode(), "https://j.example.net/feed.json", now=NOW)
    assert feed.title == "JSON news"
    one, two = feed.entries
    assert one.summary == "Hello there" and one.authors == ("Ed",)
    assert one.published == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert one.key == "url:https://j.example.net/p/1"
    assert two.url == "https://j.example.net/p/2" and two.summary == "plain <text>"


def test_one_malformed_json_item_is_skipped_and_the_rest_kept(caplog) -> None:  # type: ignore[no-untyped-def]
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON news",
        "items": [
            {"id": "1", "url": "https://j.example.net/p/1", "title": "One"},
            # an author name that is a number (seen in the wild) rejected the whole feed
            {"id": "2", "url": "https://j.example.net/p/2", "authors": [{"name": 42}]},
            {"id": "3", "url": "https://j.example.net/p/3", "title": ["not", "text"]},
            "not an object",
            {"id": 4, "url": "https://j.example.net/p/4", "title": "Four"},
        ],
    }
    with caplog.at_level("WARNING", logger="monitor.feeds"):
        feed = parse(json.dumps(doc).encode(), "https://j.example.net/feed.json", now=NOW)
    assert [e.url for e in feed.entries] == [
        "https://j.example.net/p/1",
        "https://j.example.net/p/4",
    ]
    assert feed.warning is not None and "3 malformed items skipped" in feed.warning
    logged = caplog.text
    assert "item 2: authors[0].name is a number, not a string" in logged
    assert "item 3: title is a list" in logged and "item 4: is str" in logged


def test_not_a_feed_raises_feed_error() -> None:
    for body in (b"", b"   ", b"<html><body><p>hi</p></body></html>", b"hello", b'{"a": 1}'):
        with pytest.raises(FeedError) as err:
            parse(body, FEED_URL, now=NOW)
        assert FEED_URL in str(err.value)


def test_html_page_error_points_at_autodiscovery() -> None:
    with pytest.raises(FeedError) as err:
        parse(
            b"<!doctype html><html><head><title>x</title></head><body>hi</body></html>",
            FEED_URL,
            now=NOW,
        )
    assert "monitor add" in str(err.value)


def test_plain_text() -> None:
    assert plain_text("<p>a</p><p>b<br>c</p><style>x{}</style>") == "a b c"
    assert plain_text("H<sub>2</sub>O &amp; more") == "H2O & more"
    assert plain_text("a < b", html=False) == "a < b"


# ------------------------------------------------------------------ charsets


def test_invalid_bytes_in_declared_charset() -> None:
    body = rss(item(1)).replace(b"Story 1", b"Story \xff\xfe 1")
    feed = parse(body, FEED_URL, content_type="application/rss+xml; charset=utf-8", now=NOW)
    assert feed.entries[0].title == "Story \ufffd\ufffd 1"
    assert "replaced" in (feed.warning or "")


def test_unknown_charset_falls_back() -> None:
    body = rss(item(1), decl='<?xml version="1.0" encoding="no-such-charset"?>')
    feed = parse(body, FEED_URL, content_type="text/xml; charset=bogus", now=NOW)
    assert feed.entries[0].title == "Story 1"
    assert "unknown" in (feed.warning or "")


def test_charset_sources() -> None:
    text = "<?xml version='1.0' encoding='iso-8859-1'?><rss><channel><title>Caf\u00e9</title>"
    latin = text.encode("latin-1")
    assert decode_document(latin)[1] == "cp1252"  # WHATWG: the iso-8859-1 label means windows-1252
    assert decode_document(latin, "text/xml; charset=windows-1252")[1] == "cp1252"
    utf16 = ("\ufeff" + text.replace("iso-8859-1", "utf-16")).encode("utf-16-le")
    assert decode_document(utf16)[0].endswith("Caf\u00e9</title>")
    # valid UTF-8 mislabelled as Latin-1 by a server default stays UTF-8
    utf8 = text.replace("iso-8859-1", "utf-8").encode()
    assert decode_document(utf8, "text/xml; charset=ISO-8859-1")[1] == "utf-8"
    # no declaration at all, not UTF-8: detection, no exception
    decoded, _name, warn = decode_document(
        "<rss>na\u00efve caf\u00e9 \u00e0 la cr\u00e8me".encode("cp1252")
    )
    assert decoded.startswith("<rss>") and warn


@pytest.mark.parametrize(
    "body, content_type, expected, decodings",
    [
        # valid UTF-8 under a legacy label (re-saved): UTF-8 is tried once and kept
        ("<p>Caf\u00e9</p>".encode(), "text/html; charset=ISO-8859-1", "utf-8", 1),
        ("<p>Caf\u00e9</p>".encode(), None, "utf-8", 1),
        # legacy bytes under their own label: UTF-8 tried once (fails), then the label once
        ("<p>Caf\u00e9</p>".encode("cp1252"), "text/html; charset=windows-1252", "cp1252", 2),
    ],
)
def test_a_body_is_decoded_once_per_charset_tried(
    monkeypatch: pytest.MonkeyPatch, body: bytes, content_type, expected: str, decodings: int
) -> None:
    """Whether the bytes fit a charset and the text they give are one decoding, not two."""
    calls: list[str] = []
    real = charset._decode

    def counted(data: bytes, name: str, errors: str = "strict") -> str:
        calls.append(name)
        return real(data, name, errors)

    monkeypatch.setattr(charset, "_decode", counted)
    decoded = charset.decode(body, content_type)
    assert (decoded.text, decoded.encoding) == ("<p>Caf\u00e9</p>", expected)
    assert len(calls) == decodings, calls


# ------------------------------------------------------------------ hostile documents


def _billion_laughs(refs: int, size: int = 100_000) -> bytes:
    head = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n'
        f'<!ENTITY big "{"A" * size}">\n'
        '<!ENTITY lol "lol">\n'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        "]>\n"
    )
    body = (
        '<rss version="2.0"><channel><title>laughs</title><item><title>x</title>'
        "<link>https://x.example.com/a</link><description>"
        + "&big;" * refs
        + "&lol2;</description></item></channel></rss>"
    )
    return (head + body).encode()


def test_billion_laughs_is_bounded() -> None:
    data = _billion_laughs(20_000)  # 2 GB if expanded
    tracemalloc.start()
    started = time.monotonic()
    try:
        feed = parse(data, FEED_URL, now=NOW)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 10
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert "AAAA" not in feed.entries[0].summary
    assert "DTD entity declarations removed" in (feed.warning or "")


def test_strip_dtd() -> None:
    text = '<?xml version="1.0"?><!-- <!DOCTYPE in a comment --><!DOCTYPE r [<!ENTITY a "x>y">]><r>&a;</r>'
    out, removed = strip_dtd(text)
    assert removed and out == '<?xml version="1.0"?><!-- <!DOCTYPE in a comment --><r>&a;</r>'
    assert strip_dtd("<r><![CDATA[<!ENTITY e 'v'>]]></r>")[0] == "<r><![CDATA[]]></r>"
    plain = '<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "http://x/rss.dtd"><rss/>'
    assert strip_dtd(plain) == ("<rss/>", False)


def _long_feed(n: int, newest_first: bool) -> bytes:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    order = range(n - 1, -1, -1) if newest_first else range(n)
    return rss(
        "".join(
            item(i, date=(base + timedelta(minutes=i)).strftime("%a, %d %b %Y %H:%M:%S GMT"))
            for i in order
        )
    )


@pytest.mark.parametrize("newest_first", [False, True])
def test_ten_thousand_entries_are_capped_with_bounded_work(newest_first: bool) -> None:
    data = _long_feed(10_000, newest_first)
    started = time.monotonic()
    feed = parse(data, FEED_URL, now=NOW, max_entries=500)
    took = time.monotonic() - started
    assert len(feed.entries) == 500
    assert {e.title for e in feed.entries} == {f"Story {i}" for i in range(9_500, 10_000)}
    assert "9000 entries in the middle" in (feed.warning or "")
    assert "1000 entries; kept the 500 newest" in (feed.warning or "")
    assert "not well-formed" not in (feed.warning or "")  # the cut keeps the XML intact
    assert took < 10


def test_trim_entries_keeps_document_well_formed() -> None:
    import xml.etree.ElementTree as ET

    from monitor.feeds import trim_entries

    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        + "".join(f"<entry><id>urn:x:{i}</id></entry>" for i in range(10))
        + "<link href='http://x/'/></feed>"
    )
    out, dropped = trim_entries(atom, 3)
    assert dropped == 4
    root = ET.fromstring(out)
    ids = [e.findtext("{http://www.w3.org/2005/Atom}id") for e in root]
    assert ids[1:] == [f"urn:x:{i}" for i in (0, 1, 2, 7, 8, 9)] + [None]
    assert trim_entries(atom, 5) == (atom, 0)
