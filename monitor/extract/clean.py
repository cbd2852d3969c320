"""Cleaning the chosen body: subtrees, boxes and lines inside it that are not the article."""

from __future__ import annotations

import re

from monitor.extract import lexicon
from monitor.extract.choose import is_headline_link
from monitor.extract.text import MD_LINK, WORD, norm, weight
from monitor.extract.thresholds import (
    APPENDIX_MAX_CHARS,
    APPENDIX_MAX_SHARE,
    APPENDIX_MAX_WEAK,
    APPENDIX_WEAK_SHARE,
    CAPTION_MAX_CHARS,
    FOREIGN_LINES,
    FOREIGN_MAX_CHARS,
    FOREIGN_MAX_SHARED,
    FURNITURE_CHECKS,
    HEADING_MAX_CHARS,
    LEAD_SHARE,
    NOTE_MAX_CHARS,
    PROSE_MIN_CHARS,
    SENTENCE_MIN_CHARS,
    SHORT_LINE_CHARS,
)
from monitor.extract.walk import HEADINGS, Block


def _teaser_lists(inside: list[tuple[Block, int]], best: int) -> set[int]:
    """Elements under ``best`` that hold lists of other stories: three or more linked
    headlines with little prose per headline (cards of related stories, "more" boxes)."""
    heads: dict[int, int] = {}
    prose: dict[int, int] = {}
    for b, _ in inside:
        pos = b.path.index(best)
        if is_headline_link(b):
            for idx in b.path[pos + 1 :]:
                heads[idx] = heads.get(idx, 0) + 1
        else:
            plain = weight(b.text) - b.links
            for idx in b.path[pos + 1 :]:
                prose[idx] = prose.get(idx, 0) + plain
    # Never the bulk of the body: a list of stories is an appendix to an article.
    body_prose = sum(len(b.text) - b.links for b, _ in inside)
    return {
        idx
        for idx, count in heads.items()
        if count >= 3 and prose.get(idx, 0) < min(400 * count, 0.5 * body_prose)
    }


def body_blocks(
    blocks: list[Block],
    best: int,
    deepest_flags: list[int],
    media: set[int] | frozenset[int] = frozenset(),
    keep_teasers: bool = False,
) -> list[Block]:
    """The blocks under ``best`` minus boilerplate subtrees inside it."""
    inside = [(b, f) for b, f in zip(blocks, deepest_flags, strict=True) if best in b.path]
    if not inside:
        return []
    # Per descendant element: total characters and link characters below it.
    total: dict[int, int] = {}
    links: dict[int, int] = {}
    for b, _ in inside:
        pos = b.path.index(best)
        for idx in b.path[pos + 1 :]:
            total[idx] = total.get(idx, 0) + len(b.text)
            links[idx] = links.get(idx, 0) + b.links
    body_total = sum(len(b.text) for b, _ in inside) or 1
    teasers = set() if keep_teasers else _teaser_lists(inside, best)
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
    total: dict[int, int],
    links: dict[int, int],
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
            if idx in media and idx != best and total.get(idx, 0) < 400:
                return False
    return True


def format_blocks(blocks: list[Block]) -> str:
    parts: list[str] = []
    prev_li = False
    for b in blocks:
        text = MD_LINK.sub(r"\1", b.text)
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
        if words and sum(w in vocabulary for w in words) >= 0.8 * len(words):
            kept.append(b)
    # a copy that shares little with the page is a different text, not a better one
    return kept if sum(len(b.text) for b in kept) >= 0.7 * found else body


_MONTHS = (
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|janv|févr|mars|avr|mai|juin|juil|août|sept"
    r"|déc|januar|februar|märz|juni|juli|oktober|dezember|janeiro|fevereiro|março|abril|maio|junho"
    r"|julho|agosto|setembro|outubro|novembro|dezembro|gennaio|febbraio|marzo|aprile|maggio"
    r"|giugno|luglio|settembre|ottobre|dicembre"
)
_DATE_IN_LINE = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b(?:"
    + _MONTHS
    + r")[a-zé]*\.?\s+\d{1,2}\b|\b\d{1,2}\.?\s+(?:"
    + _MONTHS
    + r")|\b(?:19|20)\d{2}\b.*\b\d{1,2}:\d{2}\b|\d+\s+(?:hours?|minutes?|days?)\s+ago",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:[.!?:;…。！？]|[^\W\d][\"”’»)\]])[\"”’»)\]]*$")
_REFERENCE = re.compile(r"https?://|\bwww\.\w|\bdoi\b|\b10\.\d{4,9}/", re.IGNORECASE)
_LABEL = re.compile(r"^\W{0,3}\w+(?: \w+){0,4}\W{0,3}:\W")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


_KEEP_SHORT = HEADINGS | {"li", "td", "th", "dd", "dt", "pre"}


def _is_dateline(text: str) -> bool:
    """A short line that is mostly a date or time: a dateline, "Published ...", "Updated ..."."""
    if len(text) > 120 or text[0] in "—–" or not _DATE_IN_LINE.search(text):
        return False
    words = WORD.findall(text)
    return len(words) <= 16 and not (len(words) >= 5 and text.endswith("."))


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
            if line == key or (i < 3 and key in line):
                continue  # the headline again, alone or in a breadcrumb trail
        if len(text) < 200 and _COPYRIGHT.search(text):
            continue
        if (i < 3 or i > last - 3) and _is_dateline(text):
            continue
        if i < 3 and "\n" in text:
            first, rest = text.split("\n", 1)
            if _is_dateline(first):
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
        if len(text) < 600 and _COPYRIGHT.search(text):
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


# -- the appendix after the article ---------------------------------------------------------------
_TERMINAL = re.compile(r"[.!?…。！？][\"”’»)\]]*$")
_SENTENCE_TERMINAL = re.compile(r"[.!?…:。！？：][\"”’»)\]]*$")  # "... the campaign:" introduces
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_QUESTION_END = re.compile(r"[?？][\"”’»)\]]*$")


def _is_prose(b: Block) -> bool:
    """A paragraph of the article: long enough, ending like a sentence, few links."""
    return (
        max(len(b.text), weight(b.text)) >= PROSE_MIN_CHARS  # accents must not shorten a line
        and b.links < 0.3 * len(b.text)
        and bool(_TERMINAL.search(b.text))
        and not b.emph
    )


def _strong_appendix(text: str) -> bool:
    """Words that make a line boilerplate of a seed kind wherever it sits after the body."""
    n = len(text)
    if n > APPENDIX_MAX_CHARS:
        return False
    if lexicon.REFERENCE_LABEL.match(text):
        return True
    found = lexicon.appendix_line(text)
    if found and (n <= CAPTION_MAX_CHARS or found.start() <= LEAD_SHARE * n):
        return True  # a long paragraph counts when it opens with the words, not ends with them
    if n < CAPTION_MAX_CHARS and lexicon.credit_line(text):
        return True
    return (
        lexicon.author_bio(text)
        or lexicon.citation_entry(text)
        or lexicon.paired_words(text)
        or lexicon.paywall_prompt(text)
    )


def _sentence(b: Block) -> bool:
    """A line that reads as a sentence of running text (and so may belong to the article)."""
    text = b.text
    return (
        max(len(text), weight(text)) >= SENTENCE_MIN_CHARS
        and bool(_SENTENCE_TERMINAL.search(text))
        and b.links < 0.5 * len(text)
        and (text.count(" ") >= 3 or bool(_CJK.search(text)))
    )


def _weak_appendix(b: Block) -> bool:
    """Cues of structure for a block after the last sentence of the article."""
    text = b.text
    n = len(text)
    if (
        _LABEL.match(text)
        and n < NOTE_MAX_CHARS
        and (_REFERENCE.search(text) or _YEAR.search(text))
    ):
        return True  # "Label: value" carrying a link, a DOI or a year
    if _QUESTION_END.search(text) and n <= SHORT_LINE_CHARS and text.count("?") == 1:
        return True  # "Was it useful?" with nothing after it
    if b.tag in _LIST_OR_CELL or _sentence(b):
        return False  # list items and table cells at the end are the article's own
    return n <= SHORT_LINE_CHARS or (b.tag in HEADINGS and n <= 2 * SHORT_LINE_CHARS)


_LIST_OR_CELL = frozenset(("li", "td", "th", "dd", "dt", "pre"))


def cut_appendix(body: list[Block]) -> list[Block]:
    """Drop what follows the article inside its container: an appendix opened by a heading
    (References, Related, Comments, ... in eight languages) and, from the end, lines that are
    sources, citations, copyright, feedback prompts, disclaimers, bios, reference entries or
    short furniture, up to the article's last paragraph."""
    if len(body) < 2:
        return body
    total = sum(len(b.text) for b in body) or 1
    seen = 0
    for i, b in enumerate(body):
        if (
            i
            and len(b.text) <= HEADING_MAX_CHARS
            and total - seen < APPENDIX_MAX_SHARE * total
            and lexicon.APPENDIX_HEADING.match(b.text)
            and (b.tag in HEADINGS or not any(_is_prose(x) for x in body[i + 1 :]))
        ):
            body = body[:i]  # a section heading, or a label followed by no paragraph
            break
        seen += len(b.text)
    end = len(body)
    dropped = weak = 0
    vocabulary: set[str] | None = None
    confirmed = False  # a line after this one was boilerplate by its words: an appendix is here
    while end > 1:
        b = body[end - 1]
        if dropped + len(b.text) > APPENDIX_MAX_SHARE * total:
            break  # never most of the body, whatever its lines say
        if _strong_appendix(b.text):
            confirmed = True
        else:
            if weak >= APPENDIX_MAX_WEAK or dropped + len(b.text) > APPENDIX_WEAK_SHARE * total:
                break
            if not _weak_appendix(b):
                if not (confirmed and FOREIGN_LINES):
                    break
                if vocabulary is None:
                    vocabulary = _article_words(body)
                if not _foreign(b, vocabulary):
                    break
            weak += 1
        dropped += len(b.text)
        end -= 1
    return body[:end]


def _content_words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if len(w) >= 5 and not w.isdigit()]


def _article_words(body: list[Block]) -> set[str]:
    """The words (five letters or more) of the article proper: its blocks up to its last long paragraph."""
    last = max((i for i, b in enumerate(body) if _is_prose(b)), default=len(body) - 1)
    return {w for b in body[: last + 1] for w in _content_words(b.text)}


def _foreign(b: Block, vocabulary: set[str]) -> bool:
    """A short line after the article that shares few words with it: about the publication
    (its source, author, site, a reader's doctor), not about the story. Sentences of the story
    itself repeat its names and terms ("Colombia had lost to Belgium on Monday.")."""
    text = b.text
    if len(text) >= FOREIGN_MAX_CHARS or b.tag in _LIST_OR_CELL or _is_prose(b):
        return False
    words = _content_words(text)
    if len(words) < 3:
        return False
    shared = sum(w in vocabulary for w in words)
    return shared < FOREIGN_MAX_SHARED * len(words)


def drop_furniture(body: list[Block]) -> list[Block]:
    """Short lines anywhere in the body that are boilerplate by their words: captions and
    credits, copyright notices, comment prompts, feedback prompts, source lines. Sentences of
    the article are not looked at (most lines), nor more than a bounded number of lines."""
    out: list[Block] = []
    budget = FURNITURE_CHECKS
    for b in body:
        text = b.text
        if len(text) < CAPTION_MAX_CHARS and budget and not _sentence(b):
            budget -= 1
            if lexicon.credit_line(text) or lexicon.appendix_line(text):
                continue
        if len(text) < CAPTION_MAX_CHARS * 1.5 and lexicon.paywall_prompt(text):
            continue
        out.append(b)
    return out
