"""Render the demo's sample outlets into feeds and article pages, wrapped in real-world chrome.

Each outlet has its own page template, and every page carries the boilerplate kinds a live
medical news site wraps an article in: navigation and breadcrumbs, share bars and like counts,
image captions and credits, "Provided by" and "More information" footers, citation and
copyright notices, teasers for other stories, author bios, comment forms and cookie prompts.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from email.utils import format_datetime

from monitor.demo.content import ARTICLES, OUTLETS


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def article_path(a: dict) -> str:
    return f"/{a['outlet']}/news/{a['slug']}.html"


def feed_path(outlet: str) -> str:
    return f"/{outlet}/feed.xml"


def _paras(body: str) -> list[str]:
    return [p.strip() for p in body.split("\n\n") if p.strip()]


def _when(a: dict) -> datetime:
    return datetime.fromisoformat(a["date"].replace("Z", "+00:00"))


def _teasers(a: dict, base: str) -> str:
    others = [o for o in ARTICLES if o is not a][:3]
    items = "".join(
        f'<li><a href="{base}{article_path(o)}">{_esc(o["title"])}</a></li>' for o in others
    )
    return items


def render_page(a: dict, base: str) -> str:
    outlet = OUTLETS[a["outlet"]]
    url = base + article_path(a)
    when = _when(a)
    paras = _paras(a["body"])
    body_html = ""
    for p in paras:
        if p.endswith("?") and len(p) < 160 and a["outlet"] == "ask":
            body_html += (
                f"<h3>{_esc(p)}</h3>\n" if p.startswith("What to ask") else f"<li>{_esc(p)}</li>\n"
            )
        elif p.endswith(":") and len(p) < 60:
            body_html += f"<h2>{_esc(p)}</h2>\n"
        else:
            body_html += f"<p>{_esc(p)}</p>\n"
    body_html = body_html.replace("</h2>\n<li>", "</h2>\n<ul><li>", 1)
    if "<ul><li>" in body_html:
        body_html += "</ul>\n"
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a["title"],
        "datePublished": a["date"],
        "publisher": {"@type": "Organization", "name": outlet["name"]},
        "mainEntityOfPage": url,
    }
    meta = [
        f'<link rel="canonical" href="{url}">',
        f'<meta property="og:title" content="{_esc(a["title"])}">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:site_name" content="{_esc(outlet["name"])}">',
        f'<meta property="article:published_time" content="{a["date"]}">',
    ]
    if a.get("doi"):
        meta.append(f'<meta name="citation_doi" content="{a["doi"]}">')
    if a.get("journal"):
        meta.append(f'<meta name="citation_journal_title" content="{_esc(a["journal"])}">')
    head = (
        f'<head><meta charset="utf-8"><title>{_esc(a["title"])} | {_esc(outlet["name"])}</title>'
        + "".join(meta)
        + f'<script type="application/ld+json">{json.dumps(ld)}</script>'
        + "<style>body{font-family:sans-serif;max-width:60em;margin:auto}</style></head>"
    )
    nav = (
        f'<header class="masthead"><a href="{base}/{a["outlet"]}/">{_esc(outlet["name"])}</a>'
        '<nav><ul><li><a href="#">News</a></li><li><a href="#">Oncology</a></li>'
        '<li><a href="#">Cardiology</a></li><li><a href="#">Subscribe</a></li>'
        '<li><a href="#">Log in</a></li></ul></nav></header>'
        '<div class="cookie-banner">We use cookies to improve your experience. '
        '<button>Accept all</button> <a href="#">Manage preferences</a></div>'
    )
    crumbs = (
        '<div class="breadcrumbs"><a href="#">Home</a> » <a href="#">Health</a> » '
        '<a href="#">Oncology</a> » ' + _esc(a["title"][:40]) + "…</div>"
    )
    share = (
        '<div class="share"><a href="#">Share</a> <a href="#">Tweet</a> <a href="#">Email</a>'
        ' <span class="likes">♥ 37</span> <span class="comments-count">(12)</span></div>'
    )
    figure = (
        '<figure><img src="/img/lead.jpg" alt="">'
        "<figcaption>Illustration of a liver scan. Credit: Stock Image Bank</figcaption></figure>"
    )
    footer_bits = ""
    if a.get("provided_by"):
        footer_bits += f'<div class="provided">Provided by {_esc(a["provided_by"])}</div>'
    if a.get("references"):
        footer_bits += f'<div class="more-info"><p>{_esc(a["references"])}</p></div>'
    if a["outlet"] == "wire":
        footer_bits += (
            f'<div class="citation"><p>Citation: {_esc(a["title"])} ({when:%Y, %B %d}) retrieved '
            f"{when:%d %B %Y} from {url}</p><p>This document is subject to copyright. Apart from "
            "any fair dealing for the purpose of private study or research, no part may be "
            "reproduced without the written permission. The content is provided for information "
            "purposes only.</p></div>"
        )
    if a.get("bio"):
        footer_bits += f'<div class="author-bio"><img src="/img/author.jpg" alt=""><p>{_esc(a["bio"])}</p></div>'
    if a.get("disclaimer"):
        footer_bits += f'<div class="disclaimer"><p>{_esc(a["disclaimer"])}</p></div>'
    if a.get("translated"):
        footer_bits += '<p class="note">This article was machine-translated from the original.</p>'
    teasers = (
        f'<aside class="related"><h3>Around the web</h3><ul>{_teasers(a, base)}</ul>'
        '<h3>Explore further</h3><ul><li><a href="#">Ten foods that help your liver</a></li>'
        '<li><a href="#">Sponsored: New hope for cancer patients</a></li></ul></aside>'
    )
    comments = (
        '<section class="comments"><h3>Leave a Comment</h3><form><textarea></textarea>'
        '<input type="text" placeholder="Name"><button>Post comment</button></form>'
        "<p>Comments are checked for spam before they appear. Learn how your comment "
        "data is processed.</p></section>"
    )
    newsletter = (
        '<div class="newsletter"><h3>Get our free oncology newsletter</h3>'
        '<form><input type="email"><button>Sign up</button></form></div>'
    )
    foot = (
        f"<footer><p>© 2026 {_esc(outlet['name'])}. All rights reserved.</p>"
        '<ul><li><a href="#">About</a></li><li><a href="#">Privacy</a></li>'
        '<li><a href="#">Terms</a></li><li><a href="#">Contact</a></li></ul></footer>'
    )
    by = f'<p class="byline">{when:%B %d, %Y}</p>'
    article = (
        f"<article><h1>{_esc(a['title'])}</h1>{by}{share}{figure}"
        f'<div class="article-body">{body_html}</div>{footer_bits}</article>'
    )
    return (
        f'<!DOCTYPE html><html lang="en">{head}<body>{nav}{crumbs}<main>{article}'
        f"{teasers}{comments}</main>{newsletter}{foot}</body></html>"
    )


def render_feed(outlet: str, base: str, extra: list[dict] | None = None) -> str:
    o = OUTLETS[outlet]
    items = [a for a in ARTICLES if a["outlet"] == outlet] + list(extra or [])
    if o["feed"] == "atom":
        entries = "".join(
            f"<entry><title>{_esc(a['title'])}</title>"
            f'<link rel="alternate" href="{base}{article_path(a)}"/>'
            f"<id>tag:demo,2026:{a['slug']}</id><updated>{a['date']}</updated>"
            f"<summary>{_esc(_paras(a['body'])[0])}</summary></entry>"
            for a in items
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{_esc(o["name"])}</title><link href="{base}/{outlet}/"/>'
            f"<id>{base}/{outlet}/</id><updated>2026-11-20T00:00:00Z</updated>{entries}</feed>"
        )
    rss_items = ""
    for a in items:
        # a syndication copy listed by another outlet keeps tracking parameters on its link
        link = (
            base
            + article_path(a)
            + ("?utm_source=euromed&utm_medium=rss" if a["outlet"] != outlet else "")
        )
        rss_items += (
            f"<item><title>{_esc(a['title'])}</title><link>{_esc(link)}</link>"
            f'<guid isPermaLink="false">{a["outlet"]}-{a["slug"]}</guid>'
            f"<pubDate>{format_datetime(_when(a))}</pubDate>"
            f"<description>{_esc('<p>' + _paras(a['body'])[0] + '</p>')}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{_esc(o['name'])}</title><link>{base}/{outlet}/</link>"
        f"<description>{_esc(o['kind'])}</description>{rss_items}</channel></rss>"
    )


def build_site(base: str) -> dict[str, tuple[str, bytes]]:
    """path -> (content type, body) for every feed and page of the demo."""
    site: dict[str, tuple[str, bytes]] = {}
    for a in ARTICLES:
        site[article_path(a)] = ("text/html; charset=utf-8", render_page(a, base).encode())
    # the aggregator also lists the wire's press release (with tracking parameters): one article
    relisted = [
        a for a in ARTICLES if a["slug"] == "pembrolizumab-radiation-colorectal-liver-metastases"
    ]
    for outlet in OUTLETS:
        extra = relisted if outlet == "euromed" else None
        ctype = (
            "application/atom+xml" if OUTLETS[outlet]["feed"] == "atom" else "application/rss+xml"
        )
        site[feed_path(outlet)] = (ctype, render_feed(outlet, base, extra).encode())
    site["/robots.txt"] = ("text/plain", b"User-agent: *\nAllow: /\n")
    return site
