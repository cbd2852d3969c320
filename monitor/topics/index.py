"""One article as the matcher reads it: a positional index of the words some topic asks
about, the field ranges (title, lead, body), and token -> character offsets for snippets.

Positions: the title's words are 0, 1, 2, ...; the text starts at TITLE_GAP, so the title is
never near the text; a paragraph break counts as PARAGRAPH_GAP words.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress, repeat

from monitor.topics.text import WORD_RE, normalise_word, stem

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
LEAD_WORDS = 80  # the lead ends with the paragraph in which the body's 80th word falls ...
LEAD_MAX_WORDS = 150  # ... but is never longer than this many words
PARAGRAPH_GAP = 10  # a paragraph break counts as this many words for NEAR
TITLE_GAP = 100_000  # title and body never count as near each other
MIN_PREFIX = 3  # letters before a '*'

Span = tuple[int, int]
Spans = list[Span]
Range = tuple[int, int]
ALL: Range = (0, 1 << 62)
_MISSING = object()
_BREAK = (-1,)  # term ids of a paragraph break


class ArticleIndex:
    """term id -> sorted positions, position -> term ids, and the field ranges."""

    __slots__ = ("pos", "at", "sets", "singles", "title_end", "body_start", "lead_end", "end")

    def __init__(self) -> None:
        self.pos: dict[int, list[int]] = {}
        self.at: dict[int, tuple[int, ...]] = {}  # position -> term ids of the word there
        self.title_end = 0
        self.body_start = TITLE_GAP
        self.lead_end = TITLE_GAP
        self.end = TITLE_GAP
        self.sets: dict[int, set[int]] = {}  # term id -> positions as a set, for phrases
        self.singles: dict[int, Spans] = {}  # term id -> its one-word spans (never mutated)

    def field_of(self, p: int) -> str:
        if p < self.title_end:
            return "title"
        if p < self.lead_end:
            return "lead"
        return "body"

    def weight(self, p: int) -> float:
        if p < self.title_end:
            return TITLE_WEIGHT
        if p < self.lead_end:
            return LEAD_WEIGHT
        return BODY_WEIGHT

    def field_range(self, field: str, rng: Range) -> Range:
        lo, hi = (0, self.title_end) if field == "title" else (self.body_start, self.lead_end)
        return (max(lo, rng[0]), min(hi, rng[1]))


class Indexer:
    """The vocabulary every compiled topic shares, and a cache of words already seen.

    Not thread-safe (the cache grows while reading): one per thread.
    """

    def __init__(self, vocab: dict[str, int], prefixes: set[str]) -> None:
        self.vocab = vocab  # "=stem" / "^prefix" -> term id
        self.prefixes = prefixes
        self.max_prefix = max((len(p) for p in prefixes), default=0)
        self.tokens: dict[str, tuple[int, ...]] = {}  # raw token -> term ids

    def learn(self, tok: str) -> tuple[int, ...]:
        """Term ids of a token seen for the first time (_BREAK for a paragraph break)."""
        if tok[0] == "\n":
            self.tokens[tok] = _BREAK
            return _BREAK
        if len(self.tokens) > 500_000:  # bound memory on endless junk vocabularies
            self.tokens.clear()
        norm = normalise_word(tok)
        stemmed = stem(norm)
        ids = []
        tid = self.vocab.get("=" + stemmed)
        if tid is not None:
            ids.append(tid)
        if self.prefixes:
            seen = set()
            for form in (norm, stemmed):
                for k in range(MIN_PREFIX, min(len(form), self.max_prefix) + 1):
                    p = form[:k]
                    if p in self.prefixes and p not in seen:
                        seen.add(p)
                        ids.append(self.vocab["^" + p])
        out = tuple(ids)
        self.tokens[tok] = out
        return out

    def scan(
        self, s: str, pos: dict[int, list[int]], at: dict, start: int, gap: int
    ) -> tuple[int, list[int]]:
        """Add one field's words to `pos` from position `start`; returns (end, break positions).

        Most words are in no query: the lookup and the filtering of those run in C
        (map, compress); Python only visits the words some topic asks about.
        """
        toks = WORD_RE.findall(s)
        found = list(map(self.tokens.get, toks, repeat(_MISSING, len(toks))))
        shift = start
        breaks: list[int] = []
        for i in compress(range(len(found)), found):
            ids = found[i]
            if ids is _MISSING:
                ids = self.learn(toks[i])
            if ids is _BREAK:
                breaks.append(i + shift)
                shift += gap - 1
                continue
            p = i + shift
            at[p] = ids
            for tid in ids:
                if tid in pos:
                    pos[tid].append(p)
                else:
                    pos[tid] = [p]
        return len(toks) + shift, breaks

    def index(self, title: str, text: str) -> ArticleIndex:
        ix = ArticleIndex()
        ix.title_end, _ = self.scan(title, ix.pos, ix.at, 0, 0)  # a break is no title word
        end, breaks = self.scan(text, ix.pos, ix.at, TITLE_GAP, PARAGRAPH_GAP)
        ix.end = end
        ix.lead_end = lead_end(TITLE_GAP, end, breaks)
        return ix


def lead_end(start: int, end: int, breaks: list[int]) -> int:
    """End position of the lead: the paragraph holding the LEAD_WORDS-th body word."""
    if end - start - PARAGRAPH_GAP * len(breaks) <= LEAD_WORDS:
        return end
    words_before = 0
    for i, b in enumerate(breaks):
        words_before = b - start - PARAGRAPH_GAP * i
        if words_before >= LEAD_MAX_WORDS:
            break
        if words_before >= LEAD_WORDS:
            return b
    # cap at LEAD_MAX_WORDS words
    gaps = sum(1 for i, b in enumerate(breaks) if b - start - PARAGRAPH_GAP * i < LEAD_MAX_WORDS)
    return min(end, start + LEAD_MAX_WORDS + PARAGRAPH_GAP * gaps)


class Offsets:
    """Token positions -> character offsets, scanned lazily when a snippet needs them."""

    def __init__(self, title: str, text: str) -> None:
        self.title = title
        self.text = text
        self.where: dict[int, tuple[int, int, int]] = {}  # position -> (field 0/1, start, end)
        self.breaks = 0
        p = 0
        for m in WORD_RE.finditer(title):
            if m.group()[0] != "\n":
                self.where[p] = (0, m.start(), m.end())
                p += 1
        self._scan = WORD_RE.finditer(text)
        self._next = TITLE_GAP
        self._done = False

    def get(self, pos: int) -> tuple[int, int, int] | None:
        while pos >= self._next and not self._done:
            m = next(self._scan, None)
            if m is None:
                self._done = True
            elif m.group()[0] == "\n":
                self._next += PARAGRAPH_GAP
                self.breaks += 1
            else:
                self.where[self._next] = (1, m.start(), m.end())
                self._next += 1
        return self.where.get(pos)

    def scan_all(self) -> None:
        self.get(1 << 62)

    def words(self, span: Span) -> str:
        """The article's own text for a span of positions ("PD-1", "liver metastases")."""
        a = self.get(span[0])
        b = self.get(span[1])
        if a is None or b is None or a[0] != b[0]:
            return ""
        src = self.title if a[0] == 0 else self.text
        return " ".join(src[a[1] : b[2]].split())

    def in_range(self, lo: int, hi: int) -> Iterable[int]:
        self.scan_all()
        return (p for p in self.where if lo <= p < hi)

    def snippet(self, span: Span | None, context: int = 70, limit: int = 300) -> str:
        first = None if span is None else self.get(span[0])
        if first is None:
            return ""
        f, a, _ = first
        end = self.get(span[1]) or first
        b = end[2] if end[0] == f else a
        src = self.title if f == 0 else self.text
        lo = max(0, a - context)
        hi = min(len(src), max(b, a) + context)
        if hi - lo > limit:
            hi = lo + limit
        # widen to whole words, stay within the paragraph
        while lo > 0 and not src[lo - 1].isspace():
            lo -= 1
        while hi < len(src) and not src[hi].isspace():
            hi += 1
        cut_start = cut_end = True
        para_start = src.rfind("\n\n", 0, a)
        if para_start >= lo:
            lo, cut_start = para_start + 2, False
        para_end = src.find("\n\n", b)
        if 0 <= para_end <= hi:
            hi, cut_end = para_end, False
        out = " ".join(src[lo:hi].split())
        head = "…" if cut_start and lo > 0 else ""
        tail = "…" if cut_end and hi < len(src) else ""
        return head + out + tail
