"""Topic matching: a small query language that specialists can read, test and trust.

A topic is a query such as

    (@liver_metastases NEAR/20 @immunotherapy) AND NOT title:hepatitis

compiled once (with the named synonym sets it uses) into a tree of clauses. Matching an
article tokenises its title and text once into a positional index shared by all topics
(case-folded, accents stripped, hyphens split, light plural stemming) and evaluates each
topic's tree over position lists, so proximity (`NEAR/n`) and field scopes (`title:`,
`lead:`) are exact. Each match carries a score (title and lead evidence weighs more, more
distinct evidence scores higher), a snippet and an explanation; `Matcher.explain` prints
clause by clause what matched, where, and why a topic did or did not match.

The language and the scoring are documented in docs/topics.md. This module is pure: no
I/O, no clock; it imports only the standard library and `monitor.model`.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, repeat

from monitor.model import Match

__all__ = [
    "Matcher",
    "QueryError",
    "TopicSpec",
    "compile_topics",
    "normalise_word",
    "specs_from_config",
    "words",
]

# ---------------------------------------------------------------------------------------------
# Words: the one tokeniser used for queries and articles alike

# A word is a run of word characters (letters, digits; an underscore is dropped later). Two
# newlines with only white space between them are a paragraph break and come out of the same
# scan, so an article is read once. Text in decomposed Unicode form is composed first (NFC),
# so a combining accent does not split its word.
_WORD_RE = re.compile(r"\w+|\n\s*\n")
_QUERY_WORD_RE = re.compile(r"\w+")
_MARKS_RE = re.compile(r"[\u0300-\u036f]")

# British spellings folded onto the American ones so one query word covers both.
_SPELLING = {"tumour": "tumor", "tumoural": "tumoral", "oesophageal": "esophageal"}
# Plurals the suffix rules below would get wrong.
_IRREGULAR = {"viruses": "virus", "sinuses": "sinus", "foci": "focus", "mice": "mouse"}

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
REPEAT_BONUS = 0.25  # per further occurrence of the same evidence ...
REPEAT_BONUS_MAX = 4  # ... counted up to this many times
LEAD_WORDS = 80  # the lead ends with the paragraph in which the body's 80th word falls ...
LEAD_MAX_WORDS = 150  # ... but is never longer than this many words
PARAGRAPH_GAP = 10  # a paragraph break counts as this many words for NEAR
_TITLE_GAP = 100_000  # title and body never count as near each other
MAX_NEAR = 1000
MIN_PREFIX = 3


def normalise_word(word: str) -> str:
    """Case-fold, strip accents and keep only letters and digits ("Métastases" -> "metastases")."""
    w = word.casefold()
    if not w.isascii():
        w = unicodedata.normalize("NFKD", w)
        w = "".join(c for c in w if c.isalnum() and not unicodedata.combining(c))
    elif "_" in w:
        w = w.replace("_", "")
    return w


def _prepare(s: str) -> str:
    """Compose decomposed accents so that the word pattern keeps each word whole."""
    if s.isascii() or not _MARKS_RE.search(s):
        return s
    return unicodedata.normalize("NFC", s)


def _stem(w: str) -> str:
    """Light plural stemming; both the query and the article go through it."""
    w = _SPELLING.get(w, w)
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    n = len(w)
    if n <= 3 or not w.isalpha():
        return w
    if w.endswith("sis") and n > 6:  # metastasis / metastases -> metastase
        return w[:-2] + "e"
    if not w.endswith("s") or w.endswith(("ss", "us", "is")):
        return w
    if w.endswith("ies") and n > 4:  # therapies -> therapy
        return w[:-3] + "y"
    return _SPELLING.get(w[:-1], w[:-1])  # inhibitors -> inhibitor, tumours -> tumor


def words(text: str) -> list[str]:
    """The normalised, stemmed words of a piece of text, as the matcher sees them."""
    out = (normalise_word(t) for t in _QUERY_WORD_RE.findall(_prepare(text)))
    return [_stem(w) for w in out if w]


# ---------------------------------------------------------------------------------------------
# Errors and specs


class QueryError(ValueError):
    """A query that does not parse. `column` is 1-based; `expected` says what would have fitted."""

    def __init__(
        self,
        column: int,
        expected: str,
        found: str = "",
        *,
        query: str | None = None,
        topic: str | None = None,
    ) -> None:
        self.column = column
        self.expected = expected
        self.found = found
        self.query = query
        self.topic = topic
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"column {self.column}"
        q = self.query
        if q is not None and "\n" in q:  # a multi-line TOML string: say where on which line
            before = q[: self.column - 1]
            line_no = before.count("\n") + 1
            line_col = self.column - 1 - (before.rfind("\n") + 1) + 1
            where += f" (line {line_no}, column {line_col})"
            line = q.split("\n")[line_no - 1]
        else:
            line, line_col = q, self.column
        msg = f"{where}: expected {self.expected}"
        if self.found:
            msg += f", found {self.found}"
        if self.topic is not None:
            msg += f" (topic {self.topic!r})"
        if line is not None and line.strip():
            msg += f"\n    {line}\n    {' ' * (line_col - 1)}^"
        return msg

    def for_topic(self, topic: str, query: str) -> QueryError:
        return QueryError(self.column, self.expected, self.found, query=query, topic=topic)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    query: str
    min_score: float = 0.0


# ---------------------------------------------------------------------------------------------
# Lexer and parser


@dataclass
class _Tok:
    kind: str  # ( ) AND OR NOT NEAR FIELD PHRASE TERM SYN EOF
    text: str
    col: int  # 1-based
    value: int = 0  # NEAR distance


_FIELDS = ("title", "lead")
_OPERATOR_WORDS = {"AND", "OR", "NOT"}


def _lex(q: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        col = i + 1
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok(c, c, col))
            i += 1
        elif c == '"':
            j = q.find('"', i + 1)
            if j < 0:
                raise QueryError(col, "a closing '\"' for the phrase opened here", "end of query")
            toks.append(_Tok("PHRASE", q[i + 1 : j], col))
            i = j + 1
        elif c == "@":
            m = re.compile(r"@([A-Za-z0-9_][A-Za-z0-9_.-]*)").match(q, i)
            if not m:
                raise QueryError(col, "a synonym set name after '@'", _describe(q[i + 1 : i + 2]))
            toks.append(_Tok("SYN", m.group(1), col))
            i = m.end()
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in '()"':
                if q[j] == ":":
                    break
                j += 1
            word = q[i:j]
            if j < n and q[j] == ":":
                if word.lower() in _FIELDS:
                    toks.append(_Tok("FIELD", word.lower(), col))
                    i = j + 1
                    continue
                raise QueryError(col, "a field name 'title:' or 'lead:'", repr(word + ":"))
            m = re.fullmatch(r"COUNT(?:/(\d*))?", word)
            if m:
                if not m.group(1):
                    raise QueryError(col + 5, "'/n' after COUNT (a number of places, e.g. COUNT/2)")
                times = int(m.group(1))
                if not 1 <= times <= MAX_NEAR:
                    raise QueryError(col + 6, f"a COUNT from 1 to {MAX_NEAR}", str(times))
                toks.append(_Tok("COUNT", word, col, times))
                i = j
                continue
            m = re.fullmatch(r"NEAR(?:/(\d*))?", word)
            if m:
                if not m.group(1):
                    raise QueryError(col + 4, "'/n' after NEAR (a number of words, e.g. NEAR/10)")
                dist = int(m.group(1))
                if dist > MAX_NEAR:
                    raise QueryError(col + 5, f"a NEAR distance from 0 to {MAX_NEAR}", str(dist))
                toks.append(_Tok("NEAR", word, col, dist))
            elif word in _OPERATOR_WORDS:
                toks.append(_Tok(word, word, col))
            elif word.upper() in _OPERATOR_WORDS or word.upper().startswith(("NEAR/", "COUNT/")):
                raise QueryError(
                    col,
                    f"'{word.upper()}' in capitals for the operator "
                    f'(or "{word}" in quotes to search for the word)',
                    repr(word),
                )
            else:
                toks.append(_Tok("TERM", word, col))
            i = j
    toks.append(_Tok("EOF", "", n + 1))
    return toks


def _describe(s: str) -> str:
    return repr(s) if s else "end of query"


def _found(t: _Tok) -> str:
    if t.kind == "EOF":
        return "end of query"
    if t.kind == "PHRASE":
        return f'"{t.text}"'
    if t.kind == "SYN":
        return "@" + t.text
    if t.kind == "FIELD":
        return t.text + ":"
    return repr(t.text)


# --- syntax tree (positions are 1-based columns into the query text, end exclusive)


@dataclass
class _Ast:
    kind: str  # or and not near field words syn
    start: int
    end: int
    children: list[_Ast]
    text: str = ""  # words: the term/phrase as written; syn: set name; field: field name
    dist: int = 0
    phrase: bool = False


_START = "a term, \"phrase\", @synonyms, title:/lead: or '('"


class _Parser:
    def __init__(self, q: str) -> None:
        self.q = q
        self.toks = _lex(q)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self) -> _Ast:
        if self.peek().kind == "EOF":
            raise QueryError(1, _START, "an empty query")
        node = self.parse_or()
        t = self.peek()
        if t.kind != "EOF":
            if t.kind == ")":
                raise QueryError(t.col, "end of query or an operator", "')' without a matching '('")
            raise QueryError(t.col, "end of query or an operator", _found(t))
        return node

    def parse_or(self) -> _Ast:
        items = [self.parse_and()]
        while self.peek().kind == "OR":
            self.take()
            items.append(self.parse_and())
        if len(items) == 1:
            return items[0]
        return _Ast("or", items[0].start, items[-1].end, items)

    def parse_and(self) -> _Ast:
        items = [self.parse_not()]
        while self.peek().kind in ("AND", "NOT", "(", "PHRASE", "TERM", "SYN", "FIELD", "COUNT"):
            if self.peek().kind == "AND":
                self.take()
            items.append(self.parse_not())
        if len(items) == 1:
            return items[0]
        return _Ast("and", items[0].start, items[-1].end, items)

    def parse_not(self) -> _Ast:
        if self.peek().kind == "NOT":
            t = self.take()
            child = self.parse_not()
            return _Ast("not", t.col, child.end, [child])
        return self.parse_near()

    def parse_near(self) -> _Ast:
        left = self.parse_scoped()
        while self.peek().kind == "NEAR":
            t = self.take()
            if self.peek().kind == "NOT":
                raise QueryError(self.peek().col, f"a term or group after {t.text}", "NOT")
            right = self.parse_scoped()
            for side in (left, right):
                if not _can_mark(side):
                    raise QueryError(
                        side.start,
                        f"words to measure {t.text} from (a term, phrase or group, not only NOT)",
                        repr(self.q[side.start - 1 : side.end - 1]),
                    )
            left = _Ast("near", left.start, right.end, [left, right], dist=t.value)
        return left

    def parse_scoped(self) -> _Ast:
        t = self.peek()
        if t.kind == "FIELD":
            self.take()
            if self.peek().kind in ("EOF", ")", "AND", "OR", "NEAR"):
                raise QueryError(
                    self.peek().col, f"what to look for after '{t.text}:'", _found(self.peek())
                )
            child = self.parse_scoped()
            return _Ast("field", t.col, child.end, [child], text=t.text)
        if t.kind == "COUNT":
            self.take()
            if self.peek().kind in ("EOF", ")", "AND", "OR", "NEAR"):
                raise QueryError(
                    self.peek().col, f"what to count after '{t.text}'", _found(self.peek())
                )
            child = self.parse_scoped()
            if not _can_mark(child):
                raise QueryError(
                    child.start, f"words to count after {t.text}", "a clause with only NOT"
                )
            return _Ast("count", t.col, child.end, [child], dist=t.value)
        return self.parse_primary()

    def parse_primary(self) -> _Ast:
        t = self.take()
        if t.kind == "(":
            if self.peek().kind == ")":
                raise QueryError(self.peek().col, _START + " inside the parentheses", "')'")
            inner = self.parse_or()
            close = self.peek()
            if close.kind != ")":
                raise QueryError(
                    close.col, f"')' to close the '(' at column {t.col}", _found(close)
                )
            self.take()
            inner.start, inner.end = t.col, close.col + 1
            return inner
        if t.kind == "PHRASE":
            return _Ast("words", t.col, t.col + len(t.text) + 2, [], text=t.text, phrase=True)
        if t.kind == "TERM":
            return _Ast("words", t.col, t.col + len(t.text), [], text=t.text)
        if t.kind == "SYN":
            return _Ast("syn", t.col, t.col + len(t.text) + 1, [], text=t.text)
        raise QueryError(t.col, _START, _found(t))


def _can_mark(a: _Ast) -> bool:
    """Whether a clause, when true, points at words (so NEAR can measure from it)."""
    if a.kind in ("words", "syn", "near"):
        return True
    if a.kind == "not":
        return False
    if a.kind in ("field", "count"):
        return _can_mark(a.children[0])
    if a.kind == "or":
        return all(_can_mark(c) for c in a.children)
    return any(_can_mark(c) for c in a.children)  # and


# ---------------------------------------------------------------------------------------------
# Compiled clauses


class _Ctx:
    """One article, indexed: term id -> sorted positions, and the field ranges."""

    __slots__ = (
        "pos",
        "at",
        "sets",
        "singles",
        "title_end",
        "body_start",
        "lead_end",
        "end",
        "cache",
    )

    def __init__(self) -> None:
        self.pos: dict[int, list[int]] = {}
        self.at: dict[int, tuple[int, ...]] = {}  # position -> term ids of the word there
        self.title_end = 0
        self.body_start = _TITLE_GAP
        self.lead_end = _TITLE_GAP
        self.end = _TITLE_GAP
        self.cache: dict[tuple[int, tuple[int, int]], object] = {}
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


_ALL = (0, 1 << 62)
_MISSING = object()
_BREAK = (-1,)  # term ids of a paragraph break
Spans = list[tuple[int, int]]


class _Node:
    """A compiled clause. `eval` returns None when false, else the spans of words it marks."""

    label: str = ""
    children: tuple[_Node, ...] = ()

    def eval(self, ctx: _Ctx, rng: tuple[int, int]) -> Spans | None:
        raise NotImplementedError

    def need(self) -> frozenset[int] | None:
        """Term ids of which at least one must be in an article for this clause to be true."""
        return None


class _Words(_Node):
    """A term or phrase: a sequence of word matchers (exact stem or prefix), each a term id."""

    def __init__(self, label: str, ids: tuple[int, ...]) -> None:
        self.label = label
        self.ids = ids

    def eval(self, ctx: _Ctx, rng: tuple[int, int]) -> Spans | None:
        pos = ctx.pos
        first = pos.get(self.ids[0])
        if first is None:
            return None
        k = len(self.ids)
        lo, hi = rng
        if k == 1:
            if rng is _ALL:  # shared by every leaf on this word: build the spans once
                spans = ctx.singles.get(self.ids[0])
                if spans is None:
                    spans = ctx.singles[self.ids[0]] = [(p, p) for p in first]
                return spans
            spans = [(p, p) for p in first if lo <= p < hi]
            return spans or None
        rest = []
        sets = ctx.sets
        for tid in self.ids[1:]:
            s = sets.get(tid)
            if s is None:
                ps = pos.get(tid)
                if ps is None:
                    return None
                s = sets[tid] = set(ps)
            rest.append(s)
        spans = []
        for p in first:
            if p < lo or p + k > hi:
                continue
            for j, s in enumerate(rest, 1):
                if p + j not in s:
                    break
            else:
                spans.append((p, p + k - 1))
        return spans or None

    def need(self) -> frozenset[int] | None:
        return frozenset((self.ids[0],))


class _Or(_Node):
    def __init__(self, label: str, children: Sequence[_Node]) -> None:
        self.label = label
        self.children = tuple(children)
        # terms and phrases share a trie of term ids, entered at the words the article has
        self.by_first: dict[int, list[_Words]] = {}
        self.others: list[_Node] = []
        self.trie: dict[int, list] = {}  # term id -> [leaf ending here or None, {next id: node}]
        for c in self.children:
            if isinstance(c, _Words):
                self.by_first.setdefault(c.ids[0], []).append(c)
                level = self.trie
                for j, tid in enumerate(c.ids):
                    node = level.setdefault(tid, [None, {}])
                    if j == len(c.ids) - 1:
                        node[0] = c
                    level = node[1]
            else:
                self.others.append(c)
        self.firsts = frozenset(self.by_first)

    def eval(self, ctx: _Ctx, rng: tuple[int, int]) -> Spans | None:
        out: Spans = []
        pos = ctx.pos
        at = ctx.at
        lo, hi = rng
        trie = self.trie
        for tid in pos.keys() & self.firsts:
            end, kids = trie[tid]
            for p in pos[tid]:
                if p < lo or p >= hi:
                    continue
                if end is not None:
                    out.append((p, p))
                if not kids:
                    continue
                stack = [(p + 1, kids)]
                while stack:
                    q, level = stack.pop()
                    ids = at.get(q)
                    if ids is None or q >= hi:
                        continue
                    for t in ids:
                        node = level.get(t)
                        if node is not None:
                            if node[0] is not None:
                                out.append((p, q))
                            if node[1]:
                                stack.append((q + 1, node[1]))
        for c in self.others:
            r = c.eval(ctx, rng)
            if r is not None:
                out += r
        return out or None  # unsorted, may repeat a span: NEAR sorts what it searches

    def leaf_hits(self, ctx: _Ctx, rng: tuple[int, int]) -> list[tuple[_Words, tuple[int, int]]]:
        """Which term or phrase child matched where (the same walk as `eval`)."""
        out = []
        at = ctx.at
        lo, hi = rng
        for tid in ctx.pos.keys() & self.firsts:
            end, kids = self.trie[tid]
            for p in ctx.pos[tid]:
                if p < lo or p >= hi:
                    continue
                if end is not None:
                    out.append((end, (p, p)))
                stack = [(p + 1, kids)] if kids else []
                while stack:
                    q, level = stack.pop()
                    ids = at.get(q)
                    if ids is None or q >= hi:
                        continue
                    for t in ids:
                        node = level.get(t)
                        if node is not None:
                            if node[0] is not None:
                                out.append((node[0], (p, q)))
                            if node[1]:
                                stack.append((q + 1, node[1]))
        return out

    def need(self) -> frozenset[int] | None:
        acc: set[int] = set()
        for c in self.children:
            n = c.need()
            if n is None:
                return None
            acc |= n
        return frozenset(acc)


class _Syn(_Or):
    """A named synonym set: an OR whose result is cached per article (sets repeat across topics)."""

    def eval(self, ctx: _Ctx, rng: tuple[int, int]) -> Spans | None:
        key = (id(self), rng)
        cache = ctx.cache
        if key in cache:
            return cache[key]  # type: ignore[return-value]
        r = _Or.eval(self, ctx, rng)
        cache[key] = r
        return r


class _And(_Node):
    def __init__(self, label: str, children: Sequence[_Node]) -> None:
        self.label = label
        # cheap, selective clauses first; NOT last
        self.children = tuple(sorted(children, key=lambda c: isinstance(c, _Not)))

    def eval(self, ctx: _Ctx, rng: tuple[int, int]) -> Spans | None:
        out: Spans = []
        for c in self.children:
            r = c.eval(ctx, rng)
            if r is None:
                return None
            out += r
        return out

    def need(self) -> frozenset[int] | None:
        best = None
        for c in self.children:
            n = c.need()
            if n is not None and (best is None or len(n) < len(best)):
                best = n
        return best


class _Not(_Node):
    def __init__(self, label: str, child: _Node) -> None:
        self.label = label
        self.children = (child,)

    def eval(self, ctx: _Ctx, rng: tuple[int, int]) -> Spans | None:
        return [] if self.children[0].eval(ctx, rng) is None else None


class _Field(_Node):
    def __init__(self, label: str, field: str, child: _Node) -> None:
        self.label = label
        self.field = field
        self.children = (child,)

    def range(self, ctx: _Ctx, rng: tuple[int, int]) -> tuple[int, int]:
        lo, hi = (0, ctx.title_end) if self.field == "title" else (ctx.body_start, ctx.lead_end)
        return (max(lo, rng[0]), min(hi, rng[1]))

    def eval(self, ctx: _Ctx, rng: tuple[int, int]) -> Spans | None:
        return self.children[0].eval(ctx, self.range(ctx, rng))

    def need(self) -> frozenset[int] | None:
        return self.children[0].need()


class _Count(_Node):
    """True when the clause matches in at least n places (overlapping matches are one place)."""

    def __init__(self, label: str, times: int, child: _Node) -> None:
        self.label = label
        self.times = times
        self.children = (child,)

    def eval(self, ctx: _Ctx, rng: tuple[int, int]) -> Spans | None:
        r = self.children[0].eval(ctx, rng)
        if r is None or (self.times > 1 and len(_merge(r)) < self.times):
            return None
        return r

    def need(self) -> frozenset[int] | None:
        return self.children[0].need()


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Words between two spans (0 for neighbours or overlap), as PubMed's proximity counts."""
    if b[0] > a[1]:
        return b[0] - a[1] - 1
    if a[0] > b[1]:
        return a[0] - b[1] - 1
    return 0


class _Near(_Node):
    def __init__(self, label: str, dist: int, left: _Node, right: _Node) -> None:
        self.label = label
        self.dist = dist
        self.children = (left, right)

    def pairs(self, a: Spans, b: Spans) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        n = self.dist
        out = []
        b = sorted(set(b))
        starts = [s for s, _ in b]
        longest = max(e - s for s, e in b)
        for sa in a:
            i = bisect.bisect_left(starts, sa[0] - n - 1 - longest)
            stop = sa[1] + n + 1
            while i < len(b) and b[i][0] <= stop:
                if _distance(sa, b[i]) <= n:
                    out.append((sa, b[i]))
                i += 1
        return out

    def eval(self, ctx: _Ctx, rng: tuple[int, int]) -> Spans | None:
        key = (id(self), rng)
        cache = ctx.cache
        if key in cache:  # evidence collection asks again
            return cache[key]  # type: ignore[return-value]
        out = None
        a = self.children[0].eval(ctx, rng)
        if a:
            b = self.children[1].eval(ctx, rng)
            if b:
                spans = {(min(x[0], y[0]), max(x[1], y[1])) for x, y in self.pairs(a, b)}
                out = sorted(spans) if spans else None
        cache[key] = out
        return out

    def need(self) -> frozenset[int] | None:
        ns = [c.need() for c in self.children]
        ns = [n for n in ns if n is not None]
        return min(ns, key=len) if ns else None


# ---------------------------------------------------------------------------------------------
# Compiler


class _Compiler:
    """Turns syntax trees into clauses over one vocabulary shared by every topic."""

    def __init__(self, synonyms: Mapping[str, Sequence[str]]) -> None:
        self.vocab: dict[str, int] = {}  # "=stem" / "^prefix" -> term id
        self.prefixes: set[str] = set()
        self.leaves: dict[tuple[int, ...], _Words] = {}
        self.synonyms = {k.casefold(): (k, list(v)) for k, v in synonyms.items()}
        self.syn_nodes: dict[str, _Syn] = {}
        self.syn_busy: set[str] = set()

    def term_id(self, key: str) -> int:
        tid = self.vocab.get(key)
        if tid is None:
            tid = self.vocab[key] = len(self.vocab)
            if key[0] == "^":
                self.prefixes.add(key[1:])
        return tid

    def words(self, text: str, label: str, col: int) -> _Words:
        """A term or phrase as written ("checkpoint-inhibitor*", "spread to the liver")."""
        ids: list[int] = []
        offset = 0
        for piece in text.split():
            pcol = col + text.index(piece, offset)
            offset = text.index(piece, offset) + len(piece)
            star = piece.find("*")
            if star >= 0 and star != len(piece) - 1:
                raise QueryError(pcol + star, "'*' only at the end of a word", repr(piece))
            body = piece[:-1] if star >= 0 else piece
            ws = [normalise_word(w) for w in _QUERY_WORD_RE.findall(_prepare(body))]
            ws = [w for w in ws if w]
            if not ws:
                if star >= 0:
                    raise QueryError(pcol, "letters or digits before '*'", repr(piece))
                continue  # punctuation only: nothing to match
            for w in ws[:-1]:
                ids.append(self.term_id("=" + _stem(w)))
            if star >= 0:
                if len(ws[-1]) < MIN_PREFIX:
                    raise QueryError(pcol, f"at least {MIN_PREFIX} letters before '*'", repr(piece))
                ids.append(self.term_id("^" + ws[-1]))
            else:
                ids.append(self.term_id("=" + _stem(ws[-1])))
        if not ids:
            raise QueryError(col, "letters or digits to search for", repr(label))
        key = tuple(ids)
        leaf = self.leaves.get(key)
        if leaf is None:
            leaf = self.leaves[key] = _Words(label, key)
        return leaf

    def synonym_set(self, name: str, col: int) -> _Syn:
        key = name.casefold()
        node = self.syn_nodes.get(key)
        if node is not None:
            return node
        if key not in self.synonyms:
            known = ", ".join("@" + k for k, _ in self.synonyms.values()) or "none defined"
            raise QueryError(col, f"a synonym set defined in [synonyms] ({known})", "@" + name)
        if key in self.syn_busy:
            raise QueryError(col, "synonym sets that do not include themselves", "@" + name)
        self.syn_busy.add(key)
        real, entries = self.synonyms[key]
        children: list[_Node] = []
        for k, entry in enumerate(entries, 1):
            e = entry.strip().strip('"').strip()
            try:
                if e.startswith("@"):
                    children.append(self.synonym_set(e[1:], 1))
                else:
                    children.append(self.words(e, e, 1))
            except QueryError as err:
                raise QueryError(
                    col,
                    f"valid entries in synonym set @{real} (entry {k}, {entry!r}, "
                    f"column {err.column}: expected {err.expected})",
                    err.found,
                ) from None
        self.syn_busy.discard(key)
        unique = list({id(c): c for c in children}.values())
        node = self.syn_nodes[key] = _Syn("@" + real, unique)
        return node

    def build(self, a: _Ast, q: str) -> _Node:
        label = q[a.start - 1 : a.end - 1]
        if a.kind == "words":
            return self.words(a.text, label, a.start + (1 if a.phrase else 0))
        if a.kind == "syn":
            return self.synonym_set(a.text, a.start)
        kids = [self.build(c, q) for c in a.children]
        if a.kind == "or":
            return _Or(label, kids)
        if a.kind == "and":
            return _And(label, kids)
        if a.kind == "not":
            return _Not(label, kids[0])
        if a.kind == "field":
            return _Field(label, a.text, kids[0])
        if a.kind == "count":
            return _Count(label, a.dist, kids[0])
        return _Near(label, a.dist, kids[0], kids[1])


# ---------------------------------------------------------------------------------------------
# Matcher


@dataclass
class _Topic:
    name: str
    query: str
    min_score: float
    root: _Node


class Matcher:
    """Compiled topics. Build with `compile_topics`; `match` is safe to call from one thread."""

    def __init__(self, topics: list[_Topic], compiler: _Compiler) -> None:
        self._topics = topics
        self._by_name = {t.name: t for t in topics}
        self.topics: list[str] = [t.name for t in topics]
        self._vocab = compiler.vocab
        self._prefixes = compiler.prefixes
        self._max_prefix = max((len(p) for p in compiler.prefixes), default=0)
        self._tokens: dict[str, tuple[int, ...]] = {}  # raw token -> term ids
        self._always: list[int] = []
        self._trigger: dict[int, list[int]] = {}
        # per topic, sets of term ids of which at least one must be present (all must hold)
        self._needs = [sorted(_needs(t.root), key=len) for t in topics]
        for i, t in enumerate(topics):
            need = t.root.need()
            if need is None:
                self._always.append(i)
            else:
                for tid in need:
                    self._trigger.setdefault(tid, []).append(i)

    # --- indexing

    def _learn(self, tok: str) -> tuple[int, ...]:
        """Term ids of a token seen for the first time (_BREAK for a paragraph break)."""
        if tok[0] == "\n":
            self._tokens[tok] = _BREAK
            return _BREAK
        if len(self._tokens) > 500_000:  # bound memory on endless junk vocabularies
            self._tokens.clear()
        norm = normalise_word(tok)
        stem = _stem(norm)
        ids = []
        tid = self._vocab.get("=" + stem)
        if tid is not None:
            ids.append(tid)
        if self._prefixes:
            seen = set()
            for form in (norm, stem):
                for k in range(MIN_PREFIX, min(len(form), self._max_prefix) + 1):
                    p = form[:k]
                    if p in self._prefixes and p not in seen:
                        seen.add(p)
                        ids.append(self._vocab["^" + p])
        out = tuple(ids)
        self._tokens[tok] = out
        return out

    def _scan(
        self, s: str, pos: dict[int, list[int]], at: dict, start: int, gap: int
    ) -> tuple[int, list[int]]:
        """Add one field's words to `pos` from position `start`; returns (end, break positions).

        Most words are in no query: the lookup and the filtering of those run in C
        (map, compress); Python only visits the words some topic asks about.
        """
        toks = _WORD_RE.findall(s)
        found = list(map(self._tokens.get, toks, repeat(_MISSING, len(toks))))
        shift = start
        breaks: list[int] = []
        for i in compress(range(len(found)), found):
            ids = found[i]
            if ids is _MISSING:
                ids = self._learn(toks[i])
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

    def _index(self, title: str, text: str) -> _Ctx:
        ctx = _Ctx()
        ctx.title_end, _ = self._scan(title, ctx.pos, ctx.at, 0, 0)  # a break is no title word
        end, breaks = self._scan(text, ctx.pos, ctx.at, _TITLE_GAP, PARAGRAPH_GAP)
        ctx.body_start = _TITLE_GAP
        ctx.end = end
        ctx.lead_end = _lead_end(_TITLE_GAP, end, breaks)
        return ctx

    def _candidates(self, ctx: _Ctx) -> list[int]:
        trig = self._trigger
        cand = set(self._always)
        pos = ctx.pos
        for tid in pos:
            ts = trig.get(tid)
            if ts:
                cand.update(ts)
        keys = pos.keys()
        needs = self._needs
        return [i for i in sorted(cand) if not any(keys.isdisjoint(n) for n in needs[i])]

    # --- public

    def match(self, title: str, text: str) -> list[Match]:
        """Every topic this article matches, best score first."""
        title, text = _prepare(title or ""), _prepare(text or "")
        ctx = self._index(title, text)
        found = []
        for i in self._candidates(ctx):
            t = self._topics[i]
            spans = t.root.eval(ctx, _ALL)
            if spans is None:
                continue
            evidence = _distinct(_evidence(t.root, ctx, _ALL))
            score = _score(evidence, ctx)
            if score < t.min_score:
                continue
            found.append((t, spans, evidence, score))
        if not found:
            return []
        offsets = _Offsets(title, text)
        out = []
        for t, spans, evidence, score in found:
            snippet = offsets.snippet(_best_span(spans, evidence, ctx))
            out.append(Match(t.name, score, snippet, _summary(evidence, ctx)))
        out.sort(key=lambda m: -m.score)
        return out

    def explain(self, topic: str, title: str, text: str) -> str:
        """A readable account of how one topic's clauses fared on one article."""
        t = self._by_name.get(topic)
        if t is None:
            raise KeyError(f"unknown topic {topic!r}; known: {', '.join(self.topics)}")
        title, text = _prepare(title or ""), _prepare(text or "")
        ctx = self._index(title, text)
        offsets = _Offsets(title, text)
        offsets.scan_all()
        spans = t.root.eval(ctx, _ALL)
        evidence = _distinct(_evidence(t.root, ctx, _ALL)) if spans is not None else {}
        score = _score(evidence, ctx) if spans is not None else 0.0
        lines = []
        if spans is None:
            verdict = "NO MATCH (the query is false)"
        elif score < t.min_score:
            verdict = f"NO MATCH (score {score:g} is below min_score {t.min_score:g})"
        else:
            verdict = f"MATCH, score {score:g} (min_score {t.min_score:g})"
        lines.append(f"topic {t.name}: {verdict}")
        if spans is None and isinstance(t.root, _And):
            failed = [c for c in t.root.children if c.eval(ctx, _ALL) is None]
            labels = ["  " + " ".join(c.label.split()) for c in failed]
            lines.append("because these clauses are false:")
            lines.extend(lab if len(lab) < 100 else lab[:96] + "..." for lab in labels)
        lines.append(f"query: {' '.join(t.query.split())}")
        body_words = ctx.end - ctx.body_start - PARAGRAPH_GAP * offsets.breaks
        lead_words = sum(1 for _ in offsets.in_range(ctx.body_start, ctx.lead_end))
        lines.append(
            f"article: title {_n(ctx.title_end, 'word')}, body {_n(body_words, 'word')} "
            f"(lead = first {_n(lead_words, 'word')})"
        )
        lines.append("")
        _explain_node(t.root, ctx, _ALL, offsets, lines, 0)
        if spans is not None:
            lines.append("")
            lines.append("evidence (title 3, lead 2, body 1, +0.25 per repeat up to 4):")
            for label, sp in sorted(evidence.items(), key=lambda kv: -_weigh(kv[1], ctx)):
                quoted = offsets.words(sp[0])
                lines.append(f"  {_weigh(sp, ctx):5.2f}  {label} {quoted!r}: {_where(sp, ctx)}")
            lines.append(f"  score {score:g}")
            best = _best_span(spans, evidence, ctx)
            lines.append(f"snippet: {offsets.snippet(best)}")
        return "\n".join(lines)


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}" if k == 1 else f"{k} {noun}s"


def _needs(node: _Node) -> list[frozenset[int]]:
    """Necessary conditions of a clause: sets of term ids, each of which must meet the article."""
    if isinstance(node, (_Words, _Or)):
        n = node.need()
        return [n] if n is not None else []
    if isinstance(node, (_And, _Near, _Field, _Count)):
        return [n for c in node.children for n in _needs(c)]
    return []


def _lead_end(start: int, end: int, breaks: list[int]) -> int:
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


# ---------------------------------------------------------------------------------------------
# Evidence, score, snippets, explanations


def _evidence(node: _Node, ctx: _Ctx, rng: tuple[int, int]) -> dict[str, Spans]:
    """Leaves of the true, positive part of a true clause -> the spans where they count.

    Under NEAR only the occurrences that take part in a pair within the distance count.
    """
    out: dict[str, Spans] = {}
    _collect(node, ctx, rng, out)
    return out


def _collect(node: _Node, ctx: _Ctx, rng: tuple[int, int], out: dict[str, Spans]) -> None:
    """Called only on clauses known to be true."""
    if isinstance(node, _Words):
        spans = node.eval(ctx, rng)
        if spans:
            out.setdefault(node.label.casefold(), []).extend(spans)
    elif isinstance(node, _Field):
        _collect(node.children[0], ctx, node.range(ctx, rng), out)
    elif isinstance(node, _Count):
        _collect(node.children[0], ctx, rng, out)
    elif isinstance(node, _Near):
        res = node.eval(ctx, rng) or []
        inner: dict[str, Spans] = {}
        for c in node.children:
            _collect(c, ctx, rng, inner)
        covered: set[int] = set()
        for r in res:
            covered.update(range(r[0], r[1] + 1))
        for label, spans in inner.items():
            kept = [s for s in spans if s[0] in covered and s[1] in covered]
            if kept:
                out.setdefault(label, []).extend(kept)
    elif isinstance(node, _And):
        for c in node.children:
            if not isinstance(c, _Not):
                _collect(c, ctx, rng, out)
    elif isinstance(node, _Or):
        for leaf, span in node.leaf_hits(ctx, rng):
            label = leaf.label.casefold()
            if label in out:
                out[label].append(span)
            else:
                out[label] = [span]
        for c in node.others:
            if not isinstance(c, _Not) and c.eval(ctx, rng) is not None:
                _collect(c, ctx, rng, out)


def _weigh(spans: Spans, ctx: _Ctx) -> float:
    ps = sorted({s for s, _ in spans})
    if not ps:
        return 0.0
    best = max(ctx.weight(p) for p in ps)
    return best + REPEAT_BONUS * min(len(ps) - 1, REPEAT_BONUS_MAX)


def _distinct(evidence: dict[str, Spans]) -> dict[str, Spans]:
    """Each matched word counted once: longer phrases first, then what they leave uncovered."""
    covered: set[int] = set()
    out: dict[str, Spans] = {}
    items = sorted(evidence.items(), key=lambda kv: (-max(e - s for s, e in kv[1]), kv[0]))
    for label, spans in items:
        fresh = sorted({sp for sp in spans if not covered.issuperset(range(sp[0], sp[1] + 1))})
        if fresh:
            out[label] = fresh
            for s, e in fresh:
                covered.update(range(s, e + 1))
    return out


def _score(evidence: dict[str, Spans], ctx: _Ctx) -> float:
    """Sum of the weights of distinct evidence (pass it through _distinct first)."""
    return round(sum(_weigh(sp, ctx) for sp in evidence.values()), 2)


def _where(spans: Iterable[tuple[int, int]] | Iterable[int], ctx: _Ctx) -> str:
    counts: dict[str, int] = {}
    positions = {sp if isinstance(sp, int) else sp[0] for sp in spans}
    for p in sorted(positions):
        f = ctx.field_of(p)
        counts[f] = counts.get(f, 0) + 1
    return ", ".join(f"{f} x{n}" if n > 1 else f for f, n in counts.items())


def _summary(evidence: dict[str, Spans], ctx: _Ctx, limit: int = 8) -> str:
    """One line for Match.explanation: the strongest evidence first, with where it was."""
    parts = [
        f"{label} ({_where(sp, ctx)})"
        for label, sp in sorted(evidence.items(), key=lambda kv: -_weigh(kv[1], ctx))
    ]
    more = f"; +{len(parts) - limit} more" if len(parts) > limit else ""
    return "matched: " + "; ".join(parts[:limit]) + more


def _best_span(spans: Spans, evidence: dict[str, Spans], ctx: _Ctx) -> tuple[int, int] | None:
    """The span to quote: most evidence inside, in the body rather than the title."""
    starts = sorted(s for sps in evidence.values() for s, _ in sps)
    if not spans:
        return (starts[0], starts[0]) if starts else None

    def rank(s: tuple[int, int]) -> tuple[bool, int, bool, int]:
        inside = bisect.bisect_right(starts, s[1]) - bisect.bisect_left(starts, s[0])
        return (s[0] >= ctx.title_end, inside, s[0] < ctx.lead_end, -s[0])

    return max(spans, key=rank)


class _Offsets:
    """Token positions -> character offsets, scanned lazily when a snippet needs them."""

    def __init__(self, title: str, text: str) -> None:
        self.title = title
        self.text = text
        self.where: dict[int, tuple[int, int, int]] = {}  # position -> (field 0/1, start, end)
        self.breaks = 0
        p = 0
        for m in _WORD_RE.finditer(title):
            if m.group()[0] != "\n":
                self.where[p] = (0, m.start(), m.end())
                p += 1
        self._scan = _WORD_RE.finditer(text)
        self._next = _TITLE_GAP
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

    def words(self, span: tuple[int, int]) -> str:
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

    def snippet(self, span: tuple[int, int] | None, context: int = 70, limit: int = 300) -> str:
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


def _merge(spans: Spans) -> Spans:
    """Overlapping spans joined, for showing places rather than pairs."""
    out: Spans = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


def _surfaces(spans: Spans, offsets: _Offsets, ctx: _Ctx, limit: int = 6) -> str:
    """Distinct article wordings of some spans with where they occur: "PD-1" (lead x2)."""
    by: dict[str, Spans] = {}
    for sp in spans:
        by.setdefault(offsets.words(sp).casefold(), []).append(sp)
    parts = [f'"{offsets.words(v[0])}" ({_where(v, ctx)})' for v in by.values()]
    more = f"; +{len(parts) - limit} more" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more


def _explain_node(
    node: _Node,
    ctx: _Ctx,
    rng: tuple[int, int],
    offsets: _Offsets,
    lines: list[str],
    depth: int,
    seen: set[tuple[int, tuple[int, int]]] | None = None,
) -> None:
    pad = "  " * depth
    res = node.eval(ctx, rng)
    ok = res is not None
    mark = "[+]" if ok else "[-]"
    label = " ".join(node.label.split())
    seen = set() if seen is None else seen
    if (id(node), rng) in seen and (node.children or isinstance(node, _Syn)):
        lines.append(
            f"{pad}{mark} {label if len(label) <= 80 else label[:77] + '...'}  -- as above"
        )
        return
    seen.add((id(node), rng))
    if len(label) > 80:
        label = label[:77] + "..."
    if isinstance(node, _Not):
        inner = node.children[0].eval(ctx, rng)
        if inner is None:
            lines.append(f"{pad}{mark} {label}  -- absent, as required")
        else:
            found = f": {_surfaces(inner, offsets, ctx)}" if inner else ""
            lines.append(f"{pad}{mark} {label}  -- FOUND, so this clause fails{found}")
            _explain_node(node.children[0], ctx, rng, offsets, lines, depth + 1, seen)
        return
    if isinstance(node, _Field):
        child = node.children[0]
        crng = node.range(ctx, rng)
        if isinstance(child, (_Words, _Syn)):
            r = child.eval(ctx, crng)
            shown = f": {_surfaces(r, offsets, ctx)}" if r else f" -- not in the {node.field}"
            lines.append(f"{pad}{mark} {label}{shown}")
            return
        lines.append(f"{pad}{mark} {label}  -- within the {node.field}")
        _explain_node(child, ctx, crng, offsets, lines, depth + 1, seen)
        return
    if isinstance(node, (_Words, _Syn)):
        if ok:
            lines.append(f"{pad}{mark} {label}: {_surfaces(sorted(res), offsets, ctx)}")
            lines.append(f"{pad}      {offsets.snippet(min(res), context=40)}")
        elif isinstance(node, _Syn):
            lines.append(f"{pad}{mark} {label}  -- none of its {len(node.children)} entries found")
        else:
            lines.append(f"{pad}{mark} {label}  -- not found")
        return
    if isinstance(node, _Count):
        inner = node.children[0].eval(ctx, rng)
        n = len(_merge(inner)) if inner else 0
        lines.append(f"{pad}{mark} {label}  -- {_n(n, 'place')}, {node.times} needed")
        _explain_node(node.children[0], ctx, rng, offsets, lines, depth + 1, seen)
        return
    if isinstance(node, _Near):
        a = node.children[0].eval(ctx, rng)
        b = node.children[1].eval(ctx, rng)
        if ok:
            places = _merge(res)
            eg = ", e.g." if len(places) > 3 else ":"
            lines.append(f"{pad}{mark} {label}  -- {_n(len(places), 'place')}{eg}")
            shown = sorted(places, key=lambda s: (s[0] < ctx.title_end, s[0]))[:3]
            for s in shown:
                lines.append(f"{pad}      {ctx.field_of(s[0])}: {offsets.snippet(s, context=30)}")
        elif a and b:
            closest = min(_distance(x, y) for x in a for y in b)
            lines.append(
                f"{pad}{mark} {label}  -- both sides found, but never within "
                f"{node.dist} words (closest: {closest})"
            )
        else:
            lines.append(f"{pad}{mark} {label}  -- {'first' if not a else 'second'} side not found")
        for c in node.children:
            _explain_node(c, ctx, rng, offsets, lines, depth + 1, seen)
        return
    kind = "all" if isinstance(node, _And) else "any"
    n = len(node.children)
    head = f"{kind} of {n} clauses" if depth == 0 else f"{label}  -- {kind} of {n}"
    lines.append(f"{pad}{mark} {head}")
    for c in node.children:
        _explain_node(c, ctx, rng, offsets, lines, depth + 1, seen)


# ---------------------------------------------------------------------------------------------


def compile_topics(
    specs: Sequence[TopicSpec], synonyms: Mapping[str, Sequence[str]] | None = None
) -> Matcher:
    """Parse and compile every topic once; a QueryError names the topic and the column."""
    comp = _Compiler(synonyms or {})
    topics: list[_Topic] = []
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise QueryError(1, "a topic name used only once", repr(spec.name), topic=spec.name)
        seen.add(spec.name)
        try:
            ast = _Parser(spec.query).parse()
            root = comp.build(ast, spec.query)
        except QueryError as err:
            raise err.for_topic(spec.name, spec.query) from None
        topics.append(_Topic(spec.name, spec.query, float(spec.min_score), root))
    return Matcher(topics, comp)


def specs_from_config(config: Mapping) -> tuple[list[TopicSpec], dict[str, list[str]]]:
    """The `[[topics]]` and `[synonyms]` of a parsed sources.toml, checked for shape.

    Raises ValueError naming the offending topic or set; queries are parsed later, by
    `compile_topics`.
    """
    synonyms: dict[str, list[str]] = {}
    for name, entries in (config.get("synonyms") or {}).items():
        if isinstance(entries, str) or not all(isinstance(e, str) for e in entries):
            raise ValueError(f"[synonyms] {name}: expected a list of strings")
        synonyms[name] = list(entries)
    specs = []
    for i, t in enumerate(config.get("topics") or [], 1):
        name, query = t.get("name"), t.get("query")
        if not isinstance(name, str) or not name:
            raise ValueError(f"[[topics]] number {i}: expected a name")
        if not isinstance(query, str):
            raise ValueError(f"[[topics]] {name!r}: expected a query string")
        min_score = t.get("min_score", 0.0)
        if isinstance(min_score, bool) or not isinstance(min_score, int | float):
            raise ValueError(f"[[topics]] {name!r}: expected a number for min_score")
        specs.append(TopicSpec(name, query, float(min_score)))
    return specs, synonyms
