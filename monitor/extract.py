"""HTML -> Article (minimal version; the Extraction issue deepens it)."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from monitor.model import Article

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"'<>]+[^\s\"'<>.,;)])")
_NCT = re.compile(r"\bNCT\d{8}\b")


def extract(html: str | bytes, url: str | None = None) -> Article:
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    tree = LexborHTMLParser(html[:2_000_000])
    title_node = tree.css_first("h1") or tree.css_first("title")
    title = title_node.text(strip=True) if title_node else ""
    root = tree.css_first("article") or tree.body
    if root is None:
        return Article(title=title, reason="page is empty")
    for bad in root.css("script, style, nav, aside, footer, header, form, figure, figcaption"):
        bad.decompose()
    paras = [p.text(separator=" ").strip() for p in root.css("p, h2, h3, li")]
    paras = [re.sub(r"\s+", " ", p) for p in paras if len(p) > 1]
    text = "\n\n".join(paras)
    canon = tree.css_first('link[rel="canonical"]')
    return Article(
        title=title,
        text=text,
        canonical_url=canon.attributes.get("href") if canon else None,
        doi=sorted({d.lower() for d in _DOI.findall(html)}),
        nct=sorted(set(_NCT.findall(html))),
        reason=None if text else "no article text found",
    )


def extract_text(html: str | bytes, url: str | None = None) -> str:
    return extract(html, url).text
