"""Site-template memory, the extractor's side: block keys of a page, and blocks a site repeats.

Pages of one site share a template: the same source line, copyright notice, feedback prompt or
"more from us" box under every article, often in markup the structural rules cannot tell from
the article. The archive counts, per site, on how many pages each block key appeared
(``storage.templates``); the pipeline hands the counts to ``extract()`` as a ``SiteTemplate``
and stores the keys the page showed (``Article.template_keys``).

Two keys per block, both 64-bit hashes (no text is kept):

* its text, lower-cased, words only, digits masked ("(12)" and "(7)" are one key);
* its place (tag and class of the block and of its parent) with its first two words, for short
  lines whose end changes from page to page ("Source: <institution>", "Citation: <title> ...").

A block is the site's, not the article's, when its text key was seen on TEMPLATE_MIN_PAGES
earlier pages, or its place key on TEMPLATE_MIN_PAGES + 1 pages and at least half of the site's
pages. Template blocks are dropped from the body unless that would remove most of it (then the
page is an odd one: the same article under a second address, say). What one site teaches never
reaches another: the counts are the site's own.
"""

from __future__ import annotations

import hashlib
import re

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


def block_keys(b: Block, walk: Walk) -> tuple[int | None, int | None]:
    """(text key, place key) of a block; None where a block has no such key."""
    if len(b.text) > TEMPLATE_TEXT_MAX_CHARS:
        return None, None
    words = _words(b.text)
    if not words:
        return None, None
    text_key = _hash("t", " ".join(words))
    place_key = None
    if len(b.text) <= TEMPLATE_PLACE_MAX_CHARS and len(words) > 2:
        place_key = _hash("p", f"{_place(b, walk)} {' '.join(words[:2])}")
    return text_key, place_key


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


def is_template(b: Block, walk: Walk, template: SiteTemplate) -> bool:
    text_key, place_key = block_keys(b, walk)
    counts = template.counts
    if text_key is not None and counts.get(text_key, 0) >= TEMPLATE_MIN_PAGES:
        return True
    if place_key is None:
        return False
    seen = counts.get(place_key, 0)
    return seen >= TEMPLATE_MIN_PAGES + 1 and seen >= 0.5 * template.pages


def drop_template(body: list[Block], walk: Walk, template: SiteTemplate | None) -> list[Block]:
    """The body without the blocks the site repeats, unless they are most of it."""
    if template is None or not template.counts:
        return body
    kept = [b for b in body if not is_template(b, walk, template)]
    if len(kept) == len(body):
        return body
    total = sum(len(b.text) for b in body)
    removed = total - sum(len(b.text) for b in kept)
    return kept if removed <= TEMPLATE_MAX_SHARE * total else body
