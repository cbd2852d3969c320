"""URL canonicalisation, public-address check and canonical-link preference."""

from __future__ import annotations

import pytest

from monitor.urls import (
    canonicalize,
    is_public_ip,
    parse_ip_host,
    prefer_canonical,
    registrable_host,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Example.COM:80/Path/A?b=1#frag", "http://www.example.com/Path/A?b=1"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        (
            "https://ex.org/a?utm_source=rss&utm_medium=feed&id=5&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3",
            "https://ex.org/a?id=5",
        ),
        ("https://ex.org/a?z=1&a=2&utm_campaign=x", "https://ex.org/a?z=1&a=2"),  # order kept
        ("https://ex.org/a?UTM_Source=x&q=liver+metastases", "https://ex.org/a?q=liver+metastases"),
        ("https://ex.org/a?utm%5Fsource=x&k", "https://ex.org/a?k"),
        ("https://ex.org./a", "https://ex.org/a"),
        ("  https://ex.org/a\n/b  ", "https://ex.org/a/b"),
        ("http://[::1]:80/", "http://[::1]/"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_canonicalize_relative_and_idempotent() -> None:
    assert canonicalize("../b?utm_source=x", "https://Ex.org/news/2026/") == "https://ex.org/news/b"
    assert canonicalize("//cdn.ex.org/x", "https://ex.org/") == "https://cdn.ex.org/x"
    for url in ("HTTP://A.org:80/x?utm_term=1&k=v#f", "https://ex.org"):
        once = canonicalize(url)
        assert canonicalize(once) == once
    assert canonicalize("http://ex.org:notaport/") == "http://ex.org:notaport/"  # untouched


@pytest.mark.parametrize(
    ("host", "ip"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("[::1]", "::1"),
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("256.1.1.1", None),
        ("08.1.1.1", None),  # not valid octal
    ],
)
def test_parse_ip_host(host: str, ip: str | None) -> None:
    parsed = parse_ip_host(host)
    assert (str(parsed) if parsed else None) == ip


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
        "64:ff9b::a9fe:a9fe",
        "2130706433",
        "not-an-ip",
    ],
)
def test_non_public(ip: str) -> None:
    assert not is_public_ip(ip)


@pytest.mark.parametrize(
    "ip", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public(ip: str) -> None:
    assert is_public_ip(ip)


def test_registrable_host() -> None:
    assert registrable_host("news.bbc.co.uk") == "bbc.co.uk"
    assert registrable_host("www.medicalxpress.com") == "medicalxpress.com"
    assert registrable_host("localhost") == "localhost"
    assert registrable_host("10.0.0.1") == "10.0.0.1"
    # the Public Suffix List, private section included: one host's site is not another's
    assert registrable_host("a.github.io") == "a.github.io" != registrable_host("b.github.io")
    assert registrable_host("b.a.github.io") == "a.github.io"
    assert registrable_host("www.example.com.au") == "example.com.au"
    assert registrable_host("news.example.pvt.k12.ma.us") == "example.pvt.k12.ma.us"
    assert registrable_host("co.uk") == "co.uk"


def test_prefer_canonical() -> None:
    page = "https://www.news.example.com/article/123?utm_source=tw"
    assert prefer_canonical(page, "https://news.example.com/article/123") == (
        "https://news.example.com/article/123"
    )
    assert (
        prefer_canonical(page, "/story/123-liver") == "https://www.news.example.com/story/123-liver"
    )
    # another site, the front page, junk or nothing: the page's own URL
    expected = "https://www.news.example.com/article/123"
    assert prefer_canonical(page, "https://aggregator.example.net/a/123") == expected
    assert prefer_canonical(page, "https://www.news.example.com/") == expected
    assert prefer_canonical(page, "javascript:void(0)") == expected
    assert prefer_canonical(page, None) == expected
    assert prefer_canonical(page, "  ") == expected
    # a page on one github.io site cannot claim another's address as its own
    blog = "https://alice.github.io/2026/liver-trial.html"
    assert prefer_canonical(blog, "https://mallory.github.io/liver-trial") == blog
    assert prefer_canonical(blog, "https://alice.github.io/liver-trial") == (
        "https://alice.github.io/liver-trial"
    )
