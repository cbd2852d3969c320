"""The appendix after the article, inside its container: sources, citations, copyright, feedback
and rating prompts, reader questions, disclaimers, author bios, lists of cited research.

An appendix is a contiguous zone at the end of the body. Where it starts is found by structure
first and words second:

1. a section opened by an appendix heading (References, Quellen, Lire aussi, ...) that holds
   less than most of the body, or a heading of any wording over a few short paragraphs that
   share few words with the article and with each other (teasers of other stories);
2. the *trailing zone*: the lines after the article's last paragraph (the last long line that
   reads like prose and is not itself appendix: boilerplate by its words, a stranger's bio, a
   reader's comment under a name and a date). The first line of that zone that is boilerplate
   by a confident cue (its words, a citation's format, a run of rating symbols, a question put
   to the reader, a bio's shape, a provenance word, the text speaking of itself, a block the
   site repeats) *anchors* the appendix: it and every line after it go, because nothing but
   the appendix follows the article's last paragraph;
3. from the anchor back towards the article, lines go while they are boilerplate by their words
   or their structure (short lines without a sentence, dangling headings, "Label: value" lines
   with a year or link, short lines foreign to the article in a box of their own or in
   italics), up to the article's last sentence;
4. before the article's first paragraph, a line with the same cues ("This article is adapted
   from a press release by ...", a bio) goes alone.

Lines of the article itself stop the backward scan; list items and table cells go only by their
words; structure alone removes at most APPENDIX_MAX_WEAK lines and APPENDIX_WEAK_SHARE of the
body, and nothing removes more than APPENDIX_MAX_SHARE of it.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from monitor.extract import lexicon
from monitor.extract.text import WORD, is_dateline, weight
from monitor.extract.thresholds import (
    APPENDIX_MAX_CHARS,
    APPENDIX_MAX_SHARE,
    APPENDIX_MAX_WEAK,
    APPENDIX_WEAK_SHARE,
    CAPTION_MAX_CHARS,
    FOREIGN_MAX_CHARS,
    FOREIGN_MAX_SHARED,
    HEAD_LINES,
    HEADING_MAX_CHARS,
    LEAD_SHARE,
    NAME_MAX_CHARS,
    NOTE_MAX_CHARS,
    OTHER_STORY_MAX_CHARS,
    OTHER_STORY_MAX_ITEMS,
    OTHER_STORY_MAX_SHARED,
    PROMPT_MAX_CHARS,
    PROMPT_QUESTION_MAX_CHARS,
    PROSE_MIN_CHARS,
    RATING_MIN_SYMBOLS,
    SENTENCE_MIN_CHARS,
    SHORT_LINE_CHARS,
)
from monitor.extract.walk import HEADINGS, Block

_TERMINAL = re.compile(r"[.!?…。！？][\"“”’»«‹›)\]]*$")
# a line ending in a colon introduces what follows ("... the campaign:")
_SENTENCE_TERMINAL = re.compile(r"[.!?…:。！？：][\"“”’»«‹›)\]]*$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_QUESTION_END = re.compile(r"[?？][\"”’»)\]]*$")
_REFERENCE = re.compile(r"https?://|\bwww\.\w|\bdoi\b|\b10\.\d{4,9}/", re.IGNORECASE)
_LABEL = re.compile(r"^\W{0,3}\w+(?: \w+){0,4}\W{0,3}:\W")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_QUOTES = re.compile('["“”«»„]')
_LIST_OR_CELL = frozenset(("li", "td", "th", "dd", "dt", "pre"))
_LIST_ITEMS = frozenset(("li", "dd", "dt"))
# rating widgets: a run of stars
_RATING = re.compile(f"[★☆✩✪✫✬✭✮✯✰⭐✦✧]{{{RATING_MIN_SYMBOLS},}}")
# a short question, then one short sentence: "Questions? Write to us."
_PROMPT = re.compile(
    rf"^[¿¡]?[^.!?？¿¡]{{2,{PROMPT_QUESTION_MAX_CHARS}}}[?？]\s*[^.!?？\s][^.!?？]{{0,80}}[.!]?$"
)


def is_prose(b: Block) -> bool:
    """A paragraph of the article: long enough, ending like a sentence, few links."""
    if b.prose is None:  # several steps ask; the answer is kept on the block
        b.prose = (
            max(len(b.text), weight(b.text)) >= PROSE_MIN_CHARS  # accents must not shorten it
            and b.links < 0.3 * len(b.text)
            and bool(_TERMINAL.search(b.text))
            and not b.emph
        )
    return b.prose


def is_sentence(b: Block) -> bool:
    """A line that reads as a sentence of running text (and so may belong to the article)."""
    text = b.text
    return (
        max(len(text), weight(text)) >= SENTENCE_MIN_CHARS
        and bool(_SENTENCE_TERMINAL.search(text))
        and b.links < 0.5 * len(text)
        and (text.count(" ") >= 3 or bool(_CJK.search(text)))
    )


def rating_widget(text: str) -> bool:
    """A rating widget's line: a run of stars or a score out of 5 or 10, in a short line."""
    return len(text) <= PROMPT_MAX_CHARS and bool(_RATING.search(text))


@lru_cache(maxsize=1024)
def strong_appendix(text: str) -> bool:
    """Words (or a citation's format) that make a line boilerplate of a seed kind wherever it
    sits after the body."""
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
        or rating_widget(text)
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
    if b.tag in _LIST_OR_CELL or is_sentence(b):
        return False  # list items and table cells at the end are the article's own
    return n <= SHORT_LINE_CHARS or (b.tag in HEADINGS and n <= 2 * SHORT_LINE_CHARS)


class Article:
    """What the article proper (its blocks up to its last paragraph) says: its content words
    and every word, lower-cased, and the element that holds most of its paragraphs. Read
    only when a cue asks (most pages never do)."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks

    @cached_property
    def words(self) -> set[str]:
        """Words of its paragraphs (not of its byline or labels)."""
        return set(WORD.findall(" ".join(b.text for b in self.blocks if is_prose(b)).lower()))

    @cached_property
    def content(self) -> set[str]:
        every = set(WORD.findall(" ".join(b.text for b in self.blocks).lower()))
        return {w for w in every if len(w) >= 5 and not w.isdigit()}

    @cached_property
    def container(self) -> int:
        sizes: dict[int, int] = {}
        for b in self.blocks:
            if len(b.path) > 1 and is_prose(b):
                sizes[b.path[-2]] = sizes.get(b.path[-2], 0) + len(b.text)
        return max(sizes, key=sizes.__getitem__) if sizes else -1

    def shared(self, text: str) -> float:
        """The share of the text's content words (five letters or more) that the article uses,
        1.0 for a text with fewer than two."""
        words = [w for w in WORD.findall(text.lower()) if len(w) >= 5 and not w.isdigit()]
        if len(words) < 2:
            return 1.0
        return sum(map(self.content.__contains__, words)) / len(words)

    def foreign(self, b: Block) -> bool:
        """A short line that shares few content words with the article: about the publication
        (its source, author, site), not about the story. Sentences of the story repeat its
        names and terms."""
        return len(b.text) < FOREIGN_MAX_CHARS and self.shared(b.text) < FOREIGN_MAX_SHARED

    def boxed(self, b: Block) -> bool:
        """The line sits outside the element that holds the article's paragraphs, or in
        italics, <small> or <cite>: a change of block type after the article."""
        if b.emph:
            return True
        return self.container >= 0 and (len(b.path) < 2 or b.path[-2] != self.container)

    def stranger(self, text: str) -> bool:
        """The line opens with a person's name that the article never mentions, then a
        copula or a verb of writing: a bio ("Jane Roe is a health writer in Lyon.")."""
        found = lexicon.BIO_SHAPE.match(text)
        if not found or _QUOTES.search(text):
            return False  # a quotation: a source speaking, not the author presented
        if len(text) >= FOREIGN_MAX_CHARS and (found.group(3) == "," or ":" in text[:32]):
            return False  # "Jane Roe, who led the study, said ...", "Note: Jane Roe ..."
        names = WORD.findall((found.group(1) or found.group(2)).lower())
        return bool(names) and not any(name in self.words for name in names)


def _anchors(text: str) -> bool:
    """Boilerplate by its words, and not a caption's credit (captions and their credits sit
    between an article's last paragraphs too)."""
    return strong_appendix(text) and not (
        lexicon.credit_line(text)
        or (len(text) <= CAPTION_MAX_CHARS and lexicon.PICTURE.search(text))
    )


def _zone_cue(b: Block, article: Article) -> bool:
    """A line after the article's last paragraph that anchors the appendix: boilerplate by its
    words, a question put to the reader, a provenance line, a stranger's bio."""
    if _anchors(b.text):
        return True
    for line in _head_lines(b):
        if len(line) > FOREIGN_MAX_CHARS:
            continue
        if (
            b.tag not in _LIST_ITEMS  # a list of questions to ask a doctor is the article's
            and len(line) <= PROMPT_MAX_CHARS
            and _PROMPT.match(line)
            and not _QUOTES.search(line)
        ):
            return True  # a question put to the reader: "Questions? Write to our desk."
        if _speaks_of_publication(line, article):
            return True
    return False


def _head_lines(b: Block) -> list[str]:
    """The first lines of a block (lines broken by <br>: "Author: Jane Roe<br>Jane Roe is
    ..." is one block)."""
    return b.text.split("\n", HEAD_LINES)[:HEAD_LINES]


def _speaks_of_publication(text: str, article: Article) -> bool:
    """Where the text came from, the text or its publisher speaking of itself, a stranger's
    bio."""
    return lexicon.provenance(text) or lexicon.self_reference(text) or article.stranger(text)


def _cut_at_heading(body: list[Block], total: int) -> list[Block]:
    """The body up to a section opened by an appendix heading, or a label followed by no
    paragraph, or a heading over paragraphs about other things (teasers for other stories),
    holding less than APPENDIX_MAX_SHARE of it."""
    seen = 0
    for i, b in enumerate(body):
        if i and len(b.text) <= HEADING_MAX_CHARS and total - seen < APPENDIX_MAX_SHARE * total:
            if lexicon.APPENDIX_HEADING.match(b.text) and (
                b.tag in HEADINGS
                or not any(is_prose(x) and not strong_appendix(x.text) for x in body[i + 1 :])
            ):
                return body[:i]
            if _heading_like(b) and _other_stories(body[:i], body[i + 1 :]):
                return body[:i]
        seen += len(b.text)
    return body


def _heading_like(b: Block) -> bool:
    return b.tag in HEADINGS or (
        b.tag not in _LIST_OR_CELL and not _SENTENCE_TERMINAL.search(b.text) and b.links == 0
    )


def _other_stories(before: list[Block], after: list[Block]) -> bool:
    """The blocks after a heading are paragraphs about other things than the article before
    it and than each other (teasers of unrelated stories): two to twelve sentences, each
    sharing few content words with the article and with the other paragraphs."""
    if not 2 <= len(after) <= OTHER_STORY_MAX_ITEMS:
        return False
    if any(len(b.text) > OTHER_STORY_MAX_CHARS or not is_sentence(b) for b in after):
        return False  # a teaser is a summary, in sentences
    if not all(
        Article(after[:j] + after[j + 1 :]).shared(b.text) < OTHER_STORY_MAX_SHARED
        for j, b in enumerate(after)
    ):
        return False
    if sum(1 for b in before if is_prose(b)) < 2:
        return False
    article = Article(before)
    return all(article.shared(b.text) < OTHER_STORY_MAX_SHARED for b in after)


def _comment(body: list[Block], i: int) -> bool:
    """A reader's comment: a paragraph under a name and a date ("Jane R." / "3 May 2024")."""
    return i >= 2 and is_dateline(body[i - 1].text) and len(body[i - 2].text) <= NAME_MAX_CHARS


def _anchor(
    body: list[Block], total: int, repeated: set[int] | frozenset[int] = frozenset()
) -> tuple[int, Article | None]:
    """Where the trailing zone's appendix starts (``len(body)`` if it has none), and the
    article proper it was told from."""
    n = len(body)
    strong: dict[int, bool] = {}
    last = -1
    for i in range(n - 1, 0, -1):
        b = body[i]
        if is_prose(b):
            # a long line of the appendix (a bio, a note on the source) is no paragraph of the
            # article: the article's last paragraph is before it
            article = Article(body[:i])
            strong[i] = (
                id(b) in repeated
                or _anchors(b.text)
                or any(map(article.stranger, _head_lines(b)))
                or _comment(body, i)
            )
            if not strong[i]:
                last = i
                break
    if last < 0 or last == n - 1:
        return n, None
    article = Article(body[: last + 1])
    tail = sum(len(b.text) for b in body[last + 1 :])
    for i in range(last + 1, n):
        b = body[i]
        found = strong[i] if i in strong else (id(b) in repeated or _zone_cue(b, article))
        if found:
            return (i, article) if tail <= APPENDIX_MAX_SHARE * total else (n, article)
        tail -= len(b.text)
    return n, article


def cut_appendix(
    body: list[Block], repeated: set[int] | frozenset[int] = frozenset()
) -> list[Block]:
    """Drop what follows the article inside its container (see the module's docstring).
    ``repeated`` holds the ``id()`` of the blocks the site showed on earlier pages (its
    template): after the article, one of them anchors the appendix like a line that is
    boilerplate by its words."""
    if len(body) < 2:
        return body
    total = sum(len(b.text) for b in body) or 1
    body = _cut_at_heading(body, total)
    end, article = _anchor(body, total, repeated)
    confirmed = end < len(body)  # an appendix is here: lines before it may belong to it
    dropped = sum(len(b.text) for b in body[end:])
    weak = 0
    while end > 1:
        b = body[end - 1]
        if dropped + len(b.text) > APPENDIX_MAX_SHARE * total:
            break  # never most of the body, whatever its lines say
        if id(b) in repeated or strong_appendix(b.text):
            confirmed = True
        else:
            if weak >= APPENDIX_MAX_WEAK or dropped + len(b.text) > APPENDIX_WEAK_SHARE * total:
                break
            if not _weak_appendix(b):
                if not (confirmed and article is not None and _between(b, article)):
                    break
            weak += 1
        dropped += len(b.text)
        end -= 1
    return _cut_lead(body[:end])


def _cut_lead(body: list[Block]) -> list[Block]:
    """Lines before the article's first paragraph that are boilerplate of a seed kind by the
    appendix's cues ("This article is adapted from ...", a bio, a copyright line): each goes
    alone (a headline, a standfirst or a dateline there are for ``clean.trim``)."""
    first = next((i for i, b in enumerate(body) if is_prose(b)), 0)
    if first == 0:
        return body
    lead = [
        b
        for b in body[:first]
        if not (_anchors(b.text) or any(map(lexicon.provenance, _head_lines(b))))
    ]
    return body if len(lead) == first else lead + body[first:]


def _between(b: Block, article: Article) -> bool:
    """A line between the article's last paragraph and its appendix that belongs to the
    appendix: foreign to the article and boxed apart from it, or of a bio's shape."""
    if b.tag in _LIST_ITEMS or is_prose(b):
        return False
    return (article.foreign(b) and article.boxed(b)) or _zone_cue(b, article)
