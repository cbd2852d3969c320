"""Turn a fetched page into bounded, parser-safe text.

Two jobs happen before Lexbor sees a page: decoding its bytes (``monitor.charset``, with the
HTTP ``Content-Type`` charset when there is one), and bounding the work: the input is capped in
size and markup that would make the HTML parser's work or memory explode is neutralised first.
"""

from __future__ import annotations

import codecs
import re

from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser

from monitor import charset
from monitor.extract.thresholds import (
    MAX_CHARS,
    MAX_DEPTH,
    MAX_OPEN_FORMATTING,
    MAX_PAGE_BYTES,
    MAX_TAGS,
    REBUILD_BUDGET,
    SAFE_TAGS_FOR_DEPTH,
    SAFE_TAGS_FOR_REBUILD,
)


def page_input(
    data: bytes | bytearray | memoryview | str | None, content_type: str | None
) -> tuple[str, bytes | None]:
    """The page as text, and the bytes it came from when that text is exactly their strict
    UTF-8 decoding (no byte-order mark, nothing replaced): the text encoded as UTF-8 again,
    byte for byte, which is what Lexbor parses (``parse`` takes them and skips the encoding).
    ``None`` is an empty page."""
    if data is None:
        return "", None
    if isinstance(data, str):
        return data[:MAX_PAGE_BYTES], None
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"a page is bytes or str, not {type(data).__name__}")
    body = bytes(data[:MAX_PAGE_BYTES])
    decoded = charset.decode(body, content_type)
    # charset.decode reads UTF-8 strictly unless it says otherwise (a warning) or strips a mark
    if decoded.encoding == "utf-8" and decoded.warning is None and not body.startswith(_BOM):
        return decoded.text, body
    return decoded.text, None


_BOM = codecs.BOM_UTF8


def parse(html: str | bytes) -> LexborHTMLParser:
    """Parse bounded HTML (bytes are UTF-8). Without DOM events: Lexbor's customizable-<select>
    support copies the selected <option> into <selectedcontent> on every change, quadratic in
    the options (400,000 <option>s took minutes); the extractor never reads
    <selectedcontent>."""
    return LexborHTMLParser(html, options=LexborDocumentOptions.WO_EVENTS)


def bound(html: str) -> str:
    """``html`` cut to the size and tag caps, with markup that would make the parser's work or
    memory explode neutralised (see ``limit_depth`` and ``close_formatting``)."""
    if len(html) > MAX_CHARS:
        html = html[:MAX_CHARS]
    tags = html.count("<")
    if tags > MAX_TAGS:
        html = _cut_at_tag(html, MAX_TAGS)
        tags = MAX_TAGS
    if tags > SAFE_TAGS_FOR_REBUILD:
        html = close_formatting(html, tags)
    if tags >= SAFE_TAGS_FOR_DEPTH and _may_be_deep(html, MAX_DEPTH):
        html = limit_depth(html, MAX_DEPTH)
    return html


_CHUNK = 32_768


def _cut_at_tag(html: str, n: int) -> str:
    """``html`` up to (not including) its ``n``-th ``<``."""
    seen = 0
    for start in range(0, len(html), _CHUNK):
        count = html.count("<", start, start + _CHUNK)
        if seen + count >= n:
            pos = start - 1
            for _ in range(n - seen):
                pos = html.index("<", pos + 1)
            return html[:pos]
        seen += count
    return html


# -- nesting depth --------------------------------------------------------------------------------
# Lexbor's cost grows with the square of the nesting depth (about 2 ns x depth^2): a 100,000-deep
# <div> nest takes about 20 s. Opening tags deeper than MAX_DEPTH are dropped with their closing
# tags. Opening and closing tags that can nest (void elements and auto-closed <p>/<li> excluded):
_NESTING_TAG = re.compile(
    r"<(/?)(?!(?:br|img|meta|link|input|hr|wbr|source|area|base|col|embed|param|track|p|li"
    r"|option|dt|dd|tr|td|th)[\s/>])[a-zA-Z][^>]*>"
)


def _may_be_deep(html: str, limit: int) -> bool:
    """Cheap upper bound on nesting depth, counted chunk by chunk with str.count."""
    prefix = 0
    for start in range(0, len(html), _CHUNK):
        end = start + _CHUNK
        lt = html.count("<", start, end)
        closes = html.count("</", start, end)
        if prefix + lt - closes > limit:
            return True
        prefix += lt - 2 * closes
    return False


def limit_depth(html: str, max_depth: int) -> str:
    """Drop opening tags nested deeper than ``max_depth``, and their closing tags."""
    out: list[str] = []
    depth = 0
    dropped = 0  # opening tags removed while too deep, whose closing tags must go too
    last = 0
    for m in _NESTING_TAG.finditer(html):
        closing = m.group(1) == "/"
        if closing:
            if dropped:
                dropped -= 1
                out.append(html[last : m.start()])
                last = m.end()
            elif depth:
                depth -= 1
        elif m.group(0).endswith("/>"):
            continue
        elif depth >= max_depth:
            dropped += 1
            out.append(html[last : m.start()])
            last = m.end()
        else:
            depth += 1
    if not out:
        return html
    out.append(html[last:])
    return "".join(out)


# -- formatting elements ------------------------------------------------------------------------
# An HTML5 parser keeps a list of "active formatting elements" (<b>, <i>, <font>, ...) and,
# whenever text or an element arrives where they are no longer open, rebuilds every one of them
# ("reconstruct the active formatting elements"). 500 unclosed <b id=n> followed by 12,000
# paragraphs make Lexbor build 6 million elements: 2 GB. A page that may keep more formatting
# elements active at once than its size allows (REBUILD_BUDGET rebuilt elements in all) is
# rewritten: before every tag that can close them (block-level tags, table cells and other
# marker scopes, <a>, <button>), the formatting elements still open are closed, and formatting
# tags beyond the limit are dropped with their closing tags. The text does not change; only where
# bold or italics would have leaked across blocks.
_MARKERS = frozenset(("td", "th", "caption", "object", "marquee", "applet", "template"))
# formatting elements (all but <a>, which closes itself) and marker scopes, factored by first
# letter: a first-letter lookahead and case by character classes are faster than re.IGNORECASE
_FORMATTING_OR_MARKER = re.compile(
    r"<(/?)(?=[bBcCeEfFiInNoOmMaAsStTuU])((?:[bB](?:[iI][gG])?|[cC](?:[oO][dD][eE]|[aA][pP][tT][iI][oO][nN])|[eE][mM]"
    r"|[fF][oO][nN][tT]|[iI]|[nN][oO][bB][rR]|[sS](?:[mM][aA][lL][lL]|[tT][rR](?:[iI][kK][eE]"
    r"|[oO][nN][gG]))?|[tT](?:[tTdDhH]|[eE][mM][pP][lL][aA][tT][eE])|[uU]|[oO][bB][jJ][eE][cC][tT]"
    r"|[mM][aA][rR][qQ][uU][eE][eE]|[aA][pP][pP][lL][eE][tT]))(?=[\s/>])"
)
_ANY_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_FORMATTING = frozenset("b big code em font i nobr s small strike strong tt u".split())
# tags whose start or end can pop open formatting elements off the parser's stack
_CLOSERS = _MARKERS | frozenset(
    """a address article aside blockquote body button center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li listing
    main menu nav ol p plaintext pre search section select summary table tbody tfoot thead tr
    ul xmp""".split()
)


def _open_limit(tags: int) -> int:
    return max(1, min(MAX_OPEN_FORMATTING, REBUILD_BUDGET // max(tags, 1)))


def _may_rebuild_much(html: str, limit: int) -> bool:
    """Whether more than ``limit`` formatting elements may be active at once.

    A conservative model: one count per name in each marker scope (table cell, ...); a scope
    that ends hands its counts to the one around it (the parser may not have honoured the
    marker), so the model never counts fewer than the parser holds.
    """
    scopes: list[dict[str, int]] = [{}]
    active = 0
    for m in _FORMATTING_OR_MARKER.finditer(html):
        name = m.group(2).lower()
        top = scopes[-1]
        if name in _MARKERS:
            if not m.group(1):
                scopes.append({})
            elif len(scopes) > 1:
                scopes.pop()
                outer = scopes[-1]
                for key, count in top.items():
                    outer[key] = outer.get(key, 0) + count
        elif m.group(1):
            if top.get(name):
                top[name] -= 1
                active -= 1
        else:
            top[name] = top.get(name, 0) + 1
            active += 1
            if active > limit:
                return True
    return False


def close_formatting(html: str, tags: int) -> str:
    """Rewrite a page that may keep many formatting elements active (see above)."""
    limit = _open_limit(tags)
    if not _may_rebuild_much(html, limit):
        return html
    out: list[str] = []
    last = 0
    opened: list[str] = []  # formatting elements open since the last closer, in order
    dropped: dict[str, int] = {}  # opening tags removed, whose closing tags must go too

    def cut(start: int, end: int) -> None:
        nonlocal last
        out.append(html[last:start])
        last = end

    for m in _ANY_TAG.finditer(html):
        name = m.group(2).lower()
        if name in _FORMATTING:
            end = html.find(">", m.end()) + 1 or len(html)
            if m.group(1):
                if dropped.get(name):
                    dropped[name] -= 1
                    cut(m.start(), end)
                elif name in opened:
                    del opened[len(opened) - 1 - opened[::-1].index(name)]
            elif len(opened) >= limit:
                dropped[name] = dropped.get(name, 0) + 1
                cut(m.start(), end)
            else:
                opened.append(name)
        elif opened and name in _CLOSERS:
            cut(m.start(), m.start())
            out.append("".join(f"</{x}>" for x in reversed(opened)))
            opened.clear()
    out.append(html[last:])
    return "".join(out)
