"""Evidence, score and snippet of a true topic, read from its evaluation.

The evidence is every term, phrase or synonym entry that helped make the query true (not
those under NOT; under NEAR only occurrences in a close pair; under NOT NEAR only the
occurrences kept), each word counted once, the longer phrase first. Each piece weighs 3 in
the title, 2 in the lead, 1 in the body (its best place), plus REPEAT_BONUS per further
occurrence, at most REPEAT_BONUS_MAX more.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from monitor.topics.index import ArticleIndex, Range, Span, Spans
from monitor.topics.nodes import (
    And,
    Count,
    Evaluation,
    Field,
    Near,
    Node,
    Not,
    NotNear,
    Or,
    Words,
)

REPEAT_BONUS = 0.25  # per further occurrence of the same evidence ...
REPEAT_BONUS_MAX = 4  # ... counted up to this many times

Evidence = dict[str, Spans]


def evidence(node: Node, ev: Evaluation, rng: Range) -> Evidence:
    """Leaves of the true, positive part of a true clause -> the spans where they count."""
    out: Evidence = {}
    _collect(node, ev, rng, out)
    return distinct(out)


def _add(out: Evidence, label: str, spans: Iterable[Span]) -> None:
    key = label.casefold()
    if key in out:
        out[key].extend(spans)
    else:
        out[key] = list(spans)


def _collect(node: Node, ev: Evaluation, rng: Range, out: Evidence) -> None:
    """Called only on clauses known to be true; reads results, never evaluates anew."""
    if isinstance(node, Words):
        spans = ev.spans(node, rng)
        if spans:
            _add(out, node.label, spans)
    elif isinstance(node, Field):
        _collect(node.children[0], ev, node.range(ev.ix, rng), out)
    elif isinstance(node, Count):
        _collect(node.children[0], ev, rng, out)
    elif isinstance(node, (Near, NotNear)):
        res = ev.spans(node, rng) or []
        inner: Evidence = {}
        sides = node.children if isinstance(node, Near) else node.children[:1]
        for c in sides:
            _collect(c, ev, rng, inner)
        covered: set[int] = set()
        for r in res:
            covered.update(range(r[0], r[1] + 1))
        for label, spans in inner.items():
            kept = [s for s in spans if s[0] in covered and s[1] in covered]
            if kept:
                _add(out, label, kept)
    elif isinstance(node, And):
        for c in node.children:
            if not isinstance(c, Not):
                _collect(c, ev, rng, out)
    elif isinstance(node, Or):
        for leaf, span in ev.leaf_hits(node, rng):
            _add(out, leaf.label, (span,))
        for c in node.others:
            if not isinstance(c, Not) and ev.spans(c, rng) is not None:
                _collect(c, ev, rng, out)


def weigh(spans: Spans, ix: ArticleIndex) -> float:
    ps = sorted({s for s, _ in spans})
    if not ps:
        return 0.0
    best = max(ix.weight(p) for p in ps)
    return best + REPEAT_BONUS * min(len(ps) - 1, REPEAT_BONUS_MAX)


def distinct(found: Evidence) -> Evidence:
    """Each matched word counted once: longer phrases first, then what they leave uncovered."""
    covered: set[int] = set()
    out: Evidence = {}
    items = sorted(found.items(), key=lambda kv: (-max(e - s for s, e in kv[1]), kv[0]))
    for label, spans in items:
        fresh = sorted({sp for sp in spans if not covered.issuperset(range(sp[0], sp[1] + 1))})
        if fresh:
            out[label] = fresh
            for s, e in fresh:
                covered.update(range(s, e + 1))
    return out


def score(found: Evidence, ix: ArticleIndex) -> float:
    """Sum of the weights of distinct evidence."""
    return round(sum(weigh(sp, ix) for sp in found.values()), 2)


def where(spans: Iterable[Span] | Iterable[int], ix: ArticleIndex) -> str:
    """ "title, lead x2": the fields of some places, with counts."""
    counts: dict[str, int] = {}
    positions = {sp if isinstance(sp, int) else sp[0] for sp in spans}
    for p in sorted(positions):
        f = ix.field_of(p)
        counts[f] = counts.get(f, 0) + 1
    return ", ".join(f"{f} x{n}" if n > 1 else f for f, n in counts.items())


def summary(found: Evidence, ix: ArticleIndex, limit: int = 8) -> str:
    """One line for Match.explanation: the strongest evidence first, with where it was."""
    parts = [
        f"{label} ({where(sp, ix)})"
        for label, sp in sorted(found.items(), key=lambda kv: -weigh(kv[1], ix))
    ]
    more = f"; +{len(parts) - limit} more" if len(parts) > limit else ""
    return "matched: " + "; ".join(parts[:limit]) + more


def best_span(spans: Spans, found: Evidence, ix: ArticleIndex) -> Span | None:
    """The span to quote: most evidence inside, in the body rather than the title."""
    starts = sorted(s for sps in found.values() for s, _ in sps)
    if not spans:
        return (starts[0], starts[0]) if starts else None

    def rank(s: Span) -> tuple[bool, int, bool, int]:
        inside = bisect.bisect_right(starts, s[1]) - bisect.bisect_left(starts, s[0])
        return (s[0] >= ix.title_end, inside, s[0] < ix.lead_end, -s[0])

    return max(spans, key=rank)
