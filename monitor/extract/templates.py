"""Site-template memory, the extractor's side: block keys of a page, and blocks a site repeats.

Pages of one site share a template: the same source line, copyright notice, feedback prompt or
"more from us" box under every article, often in markup the structural rules cannot tell from
the article. The archive counts, per site, on how many pages each block key appeared
(``storage.templates``); the pipeline hands the counts to ``extract()`` as a ``SiteTemplate``
and stores the keys the page showed (``Article.template_keys``).

Three keys per block, all 64-bit hashes (no text is kept):

* its text, lower-cased, words only, digits masked ("(12)" and "(7)" are one key);
* its shape, for short lines: names masked too (a run of capitalised words is one "N"), short
  lower-case words left out ("Jane Roe is a health writer in Lyon." and "John Doe is a health
  writer in Oslo." are one key);
* its place (tag and class of the block and of its parent) with its first two words, for short
  lines whose end changes from page to page ("Source: <institution>", "Citation: <title> ...").

A block is the site's, not the article's, when its text or shape key was seen on
TEMPLATE_MIN_PAGES earlier pages, or on one earlier page when the block lies outside the
article's run of paragraphs (before its first or after its last); or when its place key was
seen on TEMPLATE_MIN_PAGES + 1 pages and at least half of the site's pages. So a site's
template goes from its second page on. Template blocks are dropped from the body unless that
would remove most of it (then the page is an odd one: the same article under a second address,
say). What one site teaches never reaches another: the counts are the site's own.
"""

from __future__ import annotations

import hashlib
import re

from monitor.extract.appendix import is_prose
from monitor.extract.thresholds import (
    TEMPLATE_MAX_KEYS_PER_PAGE,
    TEMPLATE_MAX_SHARE,
    TEMPLATE_MIN_PAGES,
    TEMPLATE_PLACE_MAX_CHARS,
    TEMPLATE_TEXT_MAX_CHARS,
)
from monitor.extract.walk import Block, Walk
from monitor.model import SiteTemplate

_WORDS = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
_SHAPE_MIN_WORDS = 3  # lower-case words a shape needs to say something


def _hash(kind: str, value: str) -> int:
    digest = hashlib.blake2b(f"{kind}\x00{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)  # fits SQLite's INTEGER


def _words(text: str) -> list[str]:
    return _WORDS.findall(_DIGITS.sub("#", text.lower()))


def _place(b: Block, walk: Walk) -> str:
    path = b.path
    own = path[-1] if path else -1
    parent = path[-2] if len(path) > 1 else -1
    parts = [b.tag]
    for idx in (own, parent):
        if idx >= 0:
            parts.append(f"{walk.tags[idx]}.{walk.names[idx]}")
    return "/".join(parts)


def _shape(text: str) -> str | None:
    """The line with names and numbers masked and short lower-case words left out."""
    out: list[str] = []
    lower = 0
    for word in _WORDS.findall(text):
        if word[0].isupper() or word[0].isdigit():
            mark = "N" if word[0].isupper() else "#"
            if not out or out[-1] != mark:
                out.append(mark)
        elif len(word) >= 4:
            out.append(word.lower())
            lower += 1
    return " ".join(out) if lower >= _SHAPE_MIN_WORDS else None


def block_keys(b: Block, walk: Walk) -> tuple[int | None, int | None, int | None]:
    """(text key, shape key, place key) of a block; None where a block has no such key."""
    if len(b.text) > TEMPLATE_TEXT_MAX_CHARS:
        return None, None, None
    words = _words(b.text)
    if not words:
        return None, None, None
    text_key = _hash("t", " ".join(words))
    shape_key = place_key = None
    if len(b.text) <= TEMPLATE_PLACE_MAX_CHARS:
        shape = _shape(b.text)
        if shape is not None:
            shape_key = _hash("s", shape)
        if len(words) > 2:
            place_key = _hash("p", f"{_place(b, walk)} {' '.join(words[:2])}")
    return text_key, shape_key, place_key


def page_keys(walk: Walk) -> list[int]:
    """Every key the page shows, once each, at most TEMPLATE_MAX_KEYS_PER_PAGE of them."""
    keys: dict[int, None] = {}
    for b in walk.blocks:
        for key in block_keys(b, walk):
            if key is not None:
                keys[key] = None
        if len(keys) >= TEMPLATE_MAX_KEYS_PER_PAGE:
            break
    return list(keys)[:TEMPLATE_MAX_KEYS_PER_PAGE]


def is_template(b: Block, walk: Walk, template: SiteTemplate, outside: bool = False) -> bool:
    """Whether the site showed the block on earlier pages (``outside``: the block lies before
    the article's first paragraph or after its last, where one earlier page is enough)."""
    text_key, shape_key, place_key = block_keys(b, walk)
    counts = template.counts
    need = 1 if outside else TEMPLATE_MIN_PAGES
    for key in (text_key, shape_key):
        if key is not None and counts.get(key, 0) >= need:
            return True
    if place_key is None:
        return False
    seen = counts.get(place_key, 0)
    return seen >= TEMPLATE_MIN_PAGES + 1 and seen >= 0.5 * template.pages


def repeated_blocks(body: list[Block], walk: Walk, template: SiteTemplate | None) -> set[int]:
    """The ``id()`` of every block of the body that the site showed on earlier pages, unless
    together they are most of the body (then none: the page is an odd one)."""
    if template is None or not template.counts:
        return set()
    prose = [i for i, b in enumerate(body) if is_prose(b)]
    first, last = (prose[0], prose[-1]) if prose else (len(body), -1)
    found = {
        id(b)
        for i, b in enumerate(body)
        if is_template(b, walk, template, outside=i < first or i > last)
    }
    total = sum(len(b.text) for b in body)
    removed = sum(len(b.text) for b in body if id(b) in found)
    return found if removed <= TEMPLATE_MAX_SHARE * total else set()


def drop_template(body: list[Block], repeated: set[int]) -> list[Block]:
    """The body without the blocks the site repeats (``repeated_blocks``)."""
    return [b for b in body if id(b) not in repeated] if repeated else body
