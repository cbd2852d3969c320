"""The extraction stage's entry point: one page in, its article text and metadata out.

``extract(page, url, content_type=...)`` is pure (no network, no clock, no database):

1. ``decode``: bytes to text with the HTTP charset (``monitor.charset``), size capped,
   pathological markup neutralised before parsing;
2. one Lexbor parse; ``metadata`` reads meta tags and JSON-LD;
3. ``walk``: one pass over the tree into text blocks that know their block-level ancestors;
4. ``choose``: the element whose subtree holds the most prose and the least boilerplate;
5. ``templates``: the blocks the site showed on earlier pages (with a ``SiteTemplate``);
6. ``clean`` and ``appendix``: inside it, lists of other stories, captions, trailing boxes,
   boxes of the publisher, the appendix after the article (sources, citations, copyright,
   feedback prompts, bios, comments: a contiguous zone anchored by its first confident line),
   the repeated headline and datelines are dropped;
7. ``identifiers``: DOIs, trial numbers and PMIDs from the whole page.

No rule names a site. A page without an article gives an empty text and a ``reason``.
"""

from __future__ import annotations

import dataclasses

from selectolax.lexbor import SelectolaxError

from monitor.extract import lexicon
from monitor.extract import metadata as md
from monitor.extract.appendix import cut_appendix
from monitor.extract.choose import choose, teaser_blocks
from monitor.extract.clean import (
    agree_with_ld,
    body_blocks,
    drop_foreign_boxes,
    drop_furniture,
    format_blocks,
    trim,
)
from monitor.extract.decode import bound, page_input, parse
from monitor.extract.identifiers import clean_doi, find_identifiers, journal_from_text
from monitor.extract.templates import drop_template, page_keys, repeated_blocks
from monitor.extract.text import looks_like_prose, norm
from monitor.extract.thresholds import PAYWALL_LOOKBACK
from monitor.extract.walk import walk
from monitor.model import Article, SiteTemplate

__all__ = ["article_as_dict", "extract", "extract_text"]


def article_as_dict(article: Article) -> dict:
    """The Article as JSON-ready values (datetimes in ISO 8601), for ``monitor extract --json``."""
    out = dataclasses.asdict(article)
    del out["template_keys"]  # hashes for the archive, not for a reader
    if article.published is not None:
        out["published"] = article.published.isoformat()
    return out


def extract(
    html: str | bytes | None,
    url: str | None = None,
    *,
    content_type: str | None = None,
    template: SiteTemplate | None = None,
) -> Article:
    """Extract the article text and metadata of one page.

    ``content_type`` is the HTTP ``Content-Type`` header (its charset decodes the bytes).
    ``template`` is what the archive learnt about the page's site (``SiteTemplate``): blocks
    the site repeats are dropped, and ``Article.template_keys`` lists what this page shows, for
    the archive to learn; without it (a new site) the structural rules alone decide.
    Whatever the page holds, the result is an ``Article``: without text, ``reason`` says why
    ("page is empty", "not an article page: ...", "extraction failed: ..."). Only the failures
    a hostile page can cause are caught; anything else is a bug and raises. ``html`` that is
    neither bytes nor str raises TypeError.
    """
    try:
        return _extract(html, url, content_type, template)
    except SelectolaxError as exc:  # Lexbor could not build the document (out of its memory)
        return Article(reason=f"extraction failed: the HTML parser gave up ({exc})")


def extract_text(html: str | bytes, url: str | None = None) -> str:
    """Just the article text of one page ("" when there is none)."""
    return extract(html, url).text


def _extract(
    html: str | bytes | None,
    url: str | None,
    content_type: str | None,
    template: SiteTemplate | None,
) -> Article:
    text_html, raw = page_input(html, content_type)
    if not text_html or text_html.isspace():
        return Article(reason="page is empty")
    bounded = bound(text_html)
    # the page's own UTF-8 bytes when bound left its text as it was: Lexbor parses UTF-8, and
    # encoding the text again would give these same bytes
    tree = parse(raw if raw is not None and bounded is text_html else bounded)
    walker = walk(tree.body if tree.body is not None else tree.root)
    meta = md.read_meta(tree, walker.ld_json)
    title = md.title_of(meta, walker.h1)
    article = md.page_metadata(meta, tree, url)
    article.title = title

    blocks = walker.blocks
    ld_text = md.ld_body(meta)  # the JSON-LD articleBody, read (and parsed if HTML) once
    text = ""
    listing = digest = False
    if blocks:
        best, _scores, flags = choose(blocks, walker)
        if best >= 0:
            teasers, share = teaser_blocks(blocks, best, walker.parents)
            if share > 0.6:
                # The best element is a list of other stories; look again without them.
                first, first_flags = best, flags
                best, _scores, flags = choose(blocks, walker, teasers)
                if best >= 0 and teaser_blocks(blocks, best, walker.parents)[1] > 0.6:
                    best = -1
                if best < 0 or sum(len(b.text) for b in blocks if best in b.path) < 500:
                    if md.declares_article(meta):
                        # nothing else on a page that says it is an article: the list is the
                        # article (a digest of linked items)
                        best, flags, digest = first, first_flags, True
                    else:
                        listing = True
        if best >= 0:
            body = body_blocks(
                blocks, best, flags, walker.parents, walker.media, keep_teasers=digest
            )
            if title and not walker.h1 and title == md.title_from_tag(meta.title_tag):
                # Only the <title> named the page: its headline is the first short line of the
                # body that the <title> contains (without the site name around it).
                tag_key = norm(meta.title_tag)
                for b in body[:3]:
                    key = norm(b.text)
                    if 15 <= len(b.text) <= 200 and key and key in tag_key:
                        title = article.title = b.text
                        break
            # what the site repeats anchors the appendix (a template line after the article
            # starts it) and goes wherever it is
            repeated = repeated_blocks(body, walker, template)
            body = cut_appendix(drop_foreign_boxes(body), repeated)
            body = drop_furniture(trim(drop_template(body, repeated), title))
            if ld_text:
                body = agree_with_ld(body, ld_text)
            text = format_blocks(body)
    if len(text) < 150 and not looks_like_prose(text):
        if len(ld_text) > len(text):
            text = ld_text
    if listing and len(text) < 500:
        article.reason = "not an article page: a listing of links to other stories"
        text = ""
    elif not text or (len(text) < 200 and not looks_like_prose(text)):
        if any(lexicon.paywall_prompt(b.text) for b in blocks[-PAYWALL_LOOKBACK:]):
            article.reason = "behind a paywall: at most the start of the article is public"
        elif not text:
            article.reason = "not an article page: no main text found"
        else:
            article.reason = "not an article page: too little text"
        text = ""
    article.text = text
    if template is not None:
        article.template_keys = page_keys(walker)

    # Identifiers: the page's visible text, links to DOIs/PubMed/registries, and metadata.
    visible = "\n".join(b.text for b in blocks)
    meta_text = "\n".join(v for vs in meta.props.values() for v in vs)
    article.doi, article.nct, article.pmid = find_identifiers(
        "\n".join((visible, meta_text, *walker.hrefs)), []
    )
    doi_meta = meta.first("citation_doi", "dc.identifier", "prism.doi")
    if doi_meta:
        cleaned = clean_doi(doi_meta.lower().removeprefix("doi:").strip())
        if cleaned and cleaned not in article.doi:
            article.doi.insert(0, cleaned)
    article.journal = md.journal(meta, article) or journal_from_text(text)
    return article
