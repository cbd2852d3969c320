"""Cleaning the chosen body: subtrees, boxes and lines inside it that are not the article."""

from __future__ import annotations

import re

from monitor.extract import lexicon
from monitor.extract.appendix import Article, is_prose, is_sentence, rating_widget
from monitor.extract.choose import add_up, is_headline_link
from monitor.extract.text import MD_LINK, WORD, is_dateline, norm, weight
from monitor.extract.thresholds import (
    BOX_MAX_CHARS,
    CAPTION_MAX_CHARS,
    FOREIGN_MAX_SHARED,
    FURNITURE_CHECKS,
)
from monitor.extract.walk import HEADINGS, Block


def _teaser_lists(inside: list[tuple[Block, int]], best: int, parents: list[int]) -> set[int]:
    """Elements under ``best`` that hold lists of other stories: three or more linked
    headlines with little prose per headline (cards of related stories, "more" boxes)."""
    heads = [0] * len(parents)  # per element under best: linked headlines below it
    prose = [0] * len(parents)  # and the characters of prose below it
    top = max(b.path[-1] for b, _ in inside)  # the last element under best with a block
    for b, _ in inside:
        own = b.path[-1]
        if own == best:
            continue
        if is_headline_link(b):
            heads[own] += 1
        else:
            prose[own] += weight(b.text) - b.links
    add_up(heads, parents, best, top)
    add_up(prose, parents, best, top)
    # Never the bulk of the body: a list of stories is an appendix to an article.
    body_prose = sum(len(b.text) - b.links for b, _ in inside)
    return {
        idx
        for idx in range(best + 1, len(heads))
        if heads[idx] >= 3 and prose[idx] < min(400 * heads[idx], 0.5 * body_prose)
    }


def body_blocks(
    blocks: list[Block],
    best: int,
    deepest_flags: list[int],
    parents: list[int],
    media: set[int] | frozenset[int] = frozenset(),
    keep_teasers: bool = False,
) -> list[Block]:
    """The blocks under ``best`` minus boilerplate subtrees inside it."""
    inside = [(b, f) for b, f in zip(blocks, deepest_flags, strict=True) if best in b.path]
    if not inside:
        return []
    # Per descendant element: total characters and link characters below it (0 elsewhere).
    total = [0] * len(parents)
    links = [0] * len(parents)
    top = best  # the last element under best with a block (the elements after it hold none)
    for b, _ in inside:
        own = b.path[-1]
        if own != best:
            total[own] += len(b.text)
            links[own] += b.links
            if own > top:
                top = own
    add_up(total, parents, best, top)
    add_up(links, parents, best, top)
    body_total = sum(len(b.text) for b, _ in inside) or 1
    teasers = set() if keep_teasers else _teaser_lists(inside, best, parents)
    if keep_teasers:
        media = frozenset()  # a digest's items are boxes with an image too
    kept = [
        _keep_in_body(b, flag, best, total, links, body_total, teasers, media) for b, flag in inside
    ]
    out = [b for (b, _), keep in zip(inside, kept, strict=True) if keep]
    return _drop_trailing_boxes(out, best)


def _drop_trailing_boxes(body: list[Block], best: int) -> list[Block]:
    """When one child of the body element holds most of its text (the article's own
    container), small boxes after it (an author bio, a comment prompt, a sign-up box) are
    appendices of the page, not of the article.  Looked at down to a few levels."""
    level = best
    for _ in range(4):
        sizes: dict[int, int] = {}
        counts: dict[int, int] = {}
        boxes: set[int] = set()  # children with elements of their own inside
        order: list[int] = []
        for b in body:
            if level not in b.path:
                continue
            pos = b.path.index(level)
            child = b.path[pos + 1] if len(b.path) > pos + 1 else level
            if child not in sizes:
                order.append(child)
                sizes[child] = counts[child] = 0
            sizes[child] += len(b.text) - b.links
            counts[child] += 1
            if len(b.path) > pos + 2:
                boxes.add(child)
        total = sum(sizes.values())
        if not total:
            break
        main = max(order, key=sizes.__getitem__)
        if main == level or counts[main] < 3 or sizes[main] < 0.7 * total:
            break
        after = order[order.index(main) + 1 :]
        small = {c for c in after if c in boxes and sizes[c] < 0.4 * sizes[main]}
        if small:
            body = [b for b in body if small.isdisjoint(b.path)]
        level = main
    return body


def _keep_in_body(
    b: Block,
    flag: int,
    best: int,
    total: list[int],
    links: list[int],
    body_total: int,
    teasers: set[int],
    media: set[int] | frozenset[int],
) -> bool:
    pos = b.path.index(best)
    if flag > pos:
        return False  # under a boilerplate-named element
    n = len(b.text)
    if b.links / n > 0.5 and not (n > 200 and b.links / n < 0.8):
        return False
    own = b.path[-1]
    for idx in b.path[pos + 1 :]:
        if idx in teasers:
            return False
        t = total[idx]
        if idx != own and t < 0.5 * body_total and links[idx] > 0.45 * t and t > 0:
            return False  # inside a link list (the block itself was judged above)
    if media and n < 300 and b.tag not in HEADINGS:
        # a caption or credit: short text in a small box that also holds an image
        for idx in b.path[-1:-3:-1]:
            if idx in media and idx != best and total[idx] < 400:
                return False
    return True


# a plain-text citation marker glued to a word or a sentence's end: "erschienen.[1]", "cells[2,3]"
_PLAIN_MARKER = re.compile(r"(?<=[\w.,;:!?)\"“”’»])\[\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\]")


def format_blocks(blocks: list[Block]) -> str:
    parts: list[str] = []
    prev_li = False
    for b in blocks:
        text = b.text
        if "](" in text:  # what a Markdown link needs (cheap test first)
            text = MD_LINK.sub(r"\1", text)
        if "[" in text:
            text = _PLAIN_MARKER.sub("", text)
        is_li = b.tag in ("li", "dd", "dt")
        if parts:
            parts.append("\n" if (is_li and prev_li) else "\n\n")
        parts.append(text)
        prev_li = is_li
    return "".join(parts)


def agree_with_ld(body: list[Block], ld_body: str) -> list[Block]:
    """When the page's JSON-LD ``articleBody`` is a complete copy of the article (about as
    long as the text found in the page), drop the blocks it does not contain: the publisher
    itself says they are not part of the article."""
    found = sum(len(b.text) for b in body)
    if not found or not 0.7 <= len(ld_body) / found <= 1.5:
        return body
    vocabulary = set(WORD.findall(ld_body.lower()))
    kept: list[Block] = []
    for b in body:
        words = WORD.findall(b.text.lower())
        if words and sum(map(vocabulary.__contains__, words)) >= 0.8 * len(words):
            kept.append(b)
    # a copy that shares little with the page is a different text, not a better one
    return kept if sum(len(b.text) for b in kept) >= 0.7 * found else body


_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved", re.IGNORECASE)


def _copyright(text: str) -> bool:
    """``_COPYRIGHT`` finds something in ``text``. A case-blind regex is tried at every
    position, so substrings it cannot match without go first: "©", "(", and letters of its
    words that no character but their capitals matches case-blind ("opyr", "rved"; not i, s
    or k, which dotless i, long s and the Kelvin sign also match)."""
    if "©" not in text and "(" not in text:
        low = text.lower()
        if "opyr" not in low and "rved" not in low:
            return False
    return bool(_COPYRIGHT.search(text))


_SENTENCE_END = re.compile(r"(?:[.!?:;…。！？]|[^\W\d][\"”’»)\]])[\"”’»)\]]*$")
_REFERENCE = re.compile(r"https?://|\bwww\.\w|\bdoi\b|\b10\.\d{4,9}/", re.IGNORECASE)
_LABEL = re.compile(r"^\W{0,3}\w+(?: \w+){0,4}\W{0,3}:\W")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


_KEEP_SHORT = HEADINGS | {"li", "td", "th", "dd", "dt", "pre"}


def trim(blocks: list[Block], title: str) -> list[Block]:
    """Drop page furniture left inside the body: the repeated headline, date and byline lines,
    copyright notices, one-word labels, and short unpunctuated lines at the body's edges."""
    key = norm(title)
    out: list[Block] = []
    last = len(blocks) - 1
    for i, b in enumerate(blocks):
        text = b.text
        if key and b.tag != "li" and len(text) < len(title) + 80:
            line = norm(text)
            if line == key or (len(out) < 3 and key in line):
                continue  # the headline again, alone or in a breadcrumb trail
        if len(text) < 200 and _copyright(text):
            continue
        top = len(out) < 3  # among the first lines kept (the furniture above them is gone)
        if (top or i > last - 3) and is_dateline(text):
            continue
        if top and "\n" in text:
            first, rest = text.split("\n", 1)
            if is_dateline(first):
                b = Block(rest, b.tag, b.links, b.path, b.flag, b.lead, b.nlinks)
        if len(text) < 30 and b.tag not in _KEEP_SHORT and len(WORD.findall(text)) <= 1:
            continue
        out.append(b)

    def edge_junk(b: Block) -> bool:
        return len(b.text) < 50 and not _SENTENCE_END.search(b.text) and b.tag not in _KEEP_SHORT

    def footer_like(b: Block) -> bool:
        """Syndication footers: copyright notices, reference and citation lines."""
        text = b.text
        if len(text) > 1500:
            return False
        if len(text) < 600 and _copyright(text):
            return True
        return bool(_LABEL.match(text) and (_REFERENCE.search(text) or _YEAR.search(text)))

    end = len(out)
    dropped = 0
    while end > 0 and dropped < 6:
        b = out[end - 1]
        if footer_like(b) or (dropped < 4 and edge_junk(b)):
            end -= 1
            dropped += 1
        else:
            break
    start = 0
    while start < min(end, 2) and edge_junk(out[start]):
        start += 1
    return out[start:end]


def drop_furniture(body: list[Block]) -> list[Block]:
    """Short lines anywhere in the body that are boilerplate by their words: captions and
    credits, copyright notices, comment prompts, feedback prompts, source lines. Sentences of
    the article are not looked at (most lines), nor more than a bounded number of lines."""
    out: list[Block] = []
    budget = FURNITURE_CHECKS
    for b in body:
        text = b.text
        if len(text) < CAPTION_MAX_CHARS and budget and not is_sentence(b):
            budget -= 1
            if (
                lexicon.credit_line(text)
                or lexicon.appendix_line(text)
                or rating_widget(text)
                or lexicon.self_reference(text)  # "Listen to this article", "Share this story"
            ):
                continue
        if len(text) < CAPTION_MAX_CHARS * 1.5 and lexicon.paywall_prompt(text):
            continue
        out.append(b)
    return out


def drop_foreign_boxes(body: list[Block]) -> list[Block]:
    """Boxes inside the article (a newsletter sign-up, a donation appeal, a cookie notice)
    between or after its paragraphs: a box of its own (not a paragraph of the element that
    holds the article's paragraphs), short, sharing few content words with the article, in
    which the publisher speaks ("we", "our", "this article") or a provenance line stands."""
    main = Article(body).container
    if main < 0 or sum(1 for b in body if is_prose(b)) < 2:
        return body
    boxes: dict[int, list[int]] = {}
    for i, b in enumerate(body):
        box = _box_of(b, main)
        if box >= 0:
            boxes.setdefault(box, []).append(i)
    if not boxes:
        return body
    boxed = {i for members in boxes.values() for i in members}
    article = Article([b for i, b in enumerate(body) if i not in boxed])  # its own paragraphs
    drop: set[int] = set()
    for members in boxes.values():
        texts = [body[i].text for i in members]
        if sum(map(len, texts)) > BOX_MAX_CHARS or members[-1] - members[0] >= len(members):
            continue  # a long box, or one split by the article's own paragraphs
        if any(_QUOTED.search(t) for t in texts) or not any(map(_publisher_speaks, texts)):
            continue
        if article.shared(" ".join(texts)) < FOREIGN_MAX_SHARED:
            drop.update(members)
    return [b for i, b in enumerate(body) if i not in drop] if drop else body


_QUOTED = re.compile('["“”«»„]')


def _box_of(b: Block, main: int) -> int:
    """The element under ``main`` that boxes the block in, -1 for a paragraph of ``main``."""
    path = b.path
    if main in path:
        pos = path.index(main)
        return path[pos + 1] if len(path) > pos + 2 else -1
    return path[-2] if len(path) > 1 else -1


def _publisher_speaks(text: str) -> bool:
    return lexicon.self_reference(text) or lexicon.provenance(text) or lexicon.paywall_prompt(text)
