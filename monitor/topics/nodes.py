"""Compiled clauses and the one evaluation that matching, scoring and explaining share.

A clause's `evaluate` returns None when it is false, else the spans of the words it marks
(for NOT, an empty list). Clauses never evaluate each other directly: they ask the
`Evaluation`, which evaluates each clause at most once per article and range and keeps the
result. `Matcher.match` reads the root's result, the score and snippet read the results
beneath it, and `Matcher.explain` prints the same results: an explanation cannot disagree
with the match it explains.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from monitor.topics.index import ALL, ArticleIndex, Range, Span, Spans


class Evaluation:
    """One article (one index), evaluated: clause x range -> result, each computed once."""

    __slots__ = ("ix", "memo", "hits", "evaluated")

    def __init__(self, ix: ArticleIndex) -> None:
        self.ix = ix
        self.memo: dict[tuple[int, Range], Spans | None] = {}
        # OR clauses: which of their term/phrase children matched where (from the same walk)
        self.hits: dict[tuple[int, Range], list[tuple[Words, Span]]] = {}
        self.evaluated = 0  # how many clause evaluations ran (tests read it)

    def spans(self, node: Node, rng: Range) -> Spans | None:
        key = (id(node), rng)
        memo = self.memo
        if key in memo:
            return memo[key]
        self.evaluated += 1
        r = memo[key] = node.evaluate(self, rng)
        return r

    def true(self, node: Node, rng: Range = ALL) -> bool:
        return self.spans(node, rng) is not None

    def leaf_hits(self, node: Or, rng: Range) -> list[tuple[Words, Span]]:
        """The term and phrase children of an OR that matched, and where."""
        self.spans(node, rng)
        return self.hits.get((id(node), rng), [])


class Node:
    """A compiled clause."""

    label: str = ""
    children: tuple[Node, ...] = ()

    def evaluate(self, ev: Evaluation, rng: Range) -> Spans | None:
        raise NotImplementedError

    def need(self) -> frozenset[int] | None:
        """Term ids of which at least one must be in an article for this clause to be true."""
        return None


class Words(Node):
    """A term or phrase: a sequence of word matchers (exact stem or prefix), each a term id."""

    def __init__(self, label: str, ids: tuple[int, ...]) -> None:
        self.label = label
        self.ids = ids

    def evaluate(self, ev: Evaluation, rng: Range) -> Spans | None:
        ix = ev.ix
        pos = ix.pos
        first = pos.get(self.ids[0])
        if first is None:
            return None
        k = len(self.ids)
        lo, hi = rng
        if k == 1:
            if rng is ALL:  # shared by every leaf on this word: build the spans once
                spans = ix.singles.get(self.ids[0])
                if spans is None:
                    spans = ix.singles[self.ids[0]] = [(p, p) for p in first]
                return spans
            spans = [(p, p) for p in first if lo <= p < hi]
            return spans or None
        rest = []
        sets = ix.sets
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


class Or(Node):
    """Any of its children. Terms and phrases share a trie of term ids, entered at the words
    the article has; the walk records which child matched where (for evidence and explain)."""

    def __init__(self, label: str, children: Sequence[Node]) -> None:
        self.label = label
        self.children = tuple(children)
        self.others: list[Node] = []
        self.trie: dict[int, list] = {}  # term id -> [leaf ending here or None, {next id: node}]
        for c in self.children:
            if isinstance(c, Words):
                level = self.trie
                for j, tid in enumerate(c.ids):
                    node = level.setdefault(tid, [None, {}])
                    if j == len(c.ids) - 1:
                        node[0] = c
                    level = node[1]
            else:
                self.others.append(c)
        self.firsts = frozenset(self.trie)

    def evaluate(self, ev: Evaluation, rng: Range) -> Spans | None:
        hits: list[tuple[Words, Span]] = []
        ix = ev.ix
        pos = ix.pos
        at = ix.at
        lo, hi = rng
        trie = self.trie
        for tid in pos.keys() & self.firsts:
            end, kids = trie[tid]
            for p in pos[tid]:
                if p < lo or p >= hi:
                    continue
                if end is not None:
                    hits.append((end, (p, p)))
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
                                hits.append((node[0], (p, q)))
                            if node[1]:
                                stack.append((q + 1, node[1]))
        if hits:
            ev.hits[(id(self), rng)] = hits
        out: Spans = [s for _, s in hits]
        for c in self.others:
            r = ev.spans(c, rng)
            if r is not None:
                out += r
        return out or None  # unsorted, may repeat a span: NEAR sorts what it searches

    def need(self) -> frozenset[int] | None:
        acc: set[int] = set()
        for c in self.children:
            n = c.need()
            if n is None:
                return None
            acc |= n
        return frozenset(acc)


class Syn(Or):
    """A named synonym set (shared by every topic that names it, so evaluated once)."""

    def __init__(self, label: str, children: Sequence[Node], uses: frozenset[str]) -> None:
        super().__init__(label, children)
        self.uses = uses  # the names of this set and of every set it includes


class And(Node):
    def __init__(self, label: str, children: Sequence[Node]) -> None:
        self.label = label
        # NOT last: it marks no words and is cheapest to skip when another clause is false
        self.children = tuple(sorted(children, key=lambda c: isinstance(c, Not)))

    def evaluate(self, ev: Evaluation, rng: Range) -> Spans | None:
        out: Spans = []
        for c in self.children:
            r = ev.spans(c, rng)
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


class Not(Node):
    def __init__(self, label: str, child: Node) -> None:
        self.label = label
        self.children = (child,)

    def evaluate(self, ev: Evaluation, rng: Range) -> Spans | None:
        return [] if ev.spans(self.children[0], rng) is None else None


class Field(Node):
    """`title:x` or `lead:x`: the child evaluated within that field."""

    def __init__(self, label: str, field: str, child: Node) -> None:
        self.label = label
        self.field = field
        self.children = (child,)

    def range(self, ix: ArticleIndex, rng: Range) -> Range:
        return ix.field_range(self.field, rng)

    def evaluate(self, ev: Evaluation, rng: Range) -> Spans | None:
        return ev.spans(self.children[0], self.range(ev.ix, rng))

    def need(self) -> frozenset[int] | None:
        return self.children[0].need()


class Count(Node):
    """True when the clause matches in at least n places (overlapping matches are one place)."""

    def __init__(self, label: str, times: int, child: Node) -> None:
        self.label = label
        self.times = times
        self.children = (child,)

    def evaluate(self, ev: Evaluation, rng: Range) -> Spans | None:
        r = ev.spans(self.children[0], rng)
        if r is None or (self.times > 1 and len(merge(r)) < self.times):
            return None
        return r

    def need(self) -> frozenset[int] | None:
        return self.children[0].need()


def distance(a: Span, b: Span) -> int:
    """Words between two spans (0 for neighbours or overlap), as PubMed's proximity counts."""
    if b[0] > a[1]:
        return b[0] - a[1] - 1
    if a[0] > b[1]:
        return a[0] - b[1] - 1
    return 0


def close_pairs(a: Spans, b: Spans, n: int) -> list[tuple[Span, Span]]:
    """Every (x from a, y from b) with at most n words between them; b is searched sorted."""
    out = []
    b = sorted(set(b))
    starts = [s for s, _ in b]
    longest = max(e - s for s, e in b)
    for sa in a:
        i = bisect.bisect_left(starts, sa[0] - n - 1 - longest)
        stop = sa[1] + n + 1
        while i < len(b) and b[i][0] <= stop:
            if distance(sa, b[i]) <= n:
                out.append((sa, b[i]))
            i += 1
    return out


class Near(Node):
    """Both sides, with at most `dist` words between some occurrence of each."""

    def __init__(self, label: str, dist: int, left: Node, right: Node) -> None:
        self.label = label
        self.dist = dist
        self.children = (left, right)

    def evaluate(self, ev: Evaluation, rng: Range) -> Spans | None:
        a = ev.spans(self.children[0], rng)
        if not a:
            return None
        b = ev.spans(self.children[1], rng)
        if not b:
            return None
        spans = {(min(x[0], y[0]), max(x[1], y[1])) for x, y in close_pairs(a, b, self.dist)}
        return sorted(spans) if spans else None

    def need(self) -> frozenset[int] | None:
        ns = [c.need() for c in self.children]
        ns = [n for n in ns if n is not None]
        return min(ns, key=len) if ns else None


class NotNear(Node):
    """The occurrences of the left side with no occurrence of the right side within `dist`
    words (dtSearch's `NOT W/n`): true when at least one such occurrence is left."""

    def __init__(self, label: str, dist: int, left: Node, right: Node) -> None:
        self.label = label
        self.dist = dist
        self.children = (left, right)

    def evaluate(self, ev: Evaluation, rng: Range) -> Spans | None:
        a = ev.spans(self.children[0], rng)
        if not a:
            return None
        b = ev.spans(self.children[1], rng)
        if not b:
            return a
        near = {x for x, _ in close_pairs(a, b, self.dist)}
        kept = [x for x in a if x not in near]
        return kept or None

    def need(self) -> frozenset[int] | None:
        return self.children[0].need()


def merge(spans: Spans) -> Spans:
    """Overlapping spans joined, for counting and showing places rather than pairs."""
    out: Spans = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


def needs(node: Node) -> list[frozenset[int]]:
    """Necessary conditions of a clause: sets of term ids, each of which must meet the article."""
    if isinstance(node, (Words, Or)):
        n = node.need()
        return [n] if n is not None else []
    if isinstance(node, (And, Near, Field, Count)):
        return [n for c in node.children for n in needs(c)]
    if isinstance(node, NotNear):
        return needs(node.children[0])
    return []
