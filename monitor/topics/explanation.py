"""`Matcher.explain`: the verdict, then the query tree with what each clause found.

Everything printed here is read from the topic's one evaluation (`Outcome.part.ev`): the
clauses the match evaluated are not evaluated again, and the clauses it skipped (after the
first false clause of an AND) are evaluated by the same code, once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.topics.index import ALL, PARAGRAPH_GAP, Range, Spans
from monitor.topics.nodes import (
    And,
    Count,
    Field,
    Near,
    Node,
    Not,
    NotNear,
    Or,
    Syn,
    Words,
    close_pairs,
    distance,
    merge,
)
from monitor.topics.scoring import best_span, weigh, where

if TYPE_CHECKING:
    from monitor.topics.matching import Outcome, Part

_UNSET: Spans = []


def explain(outcomes: list[Outcome], best: Outcome) -> str:
    t = best.topic
    lines = [f"topic {t.name}: {_verdict(best)}"]
    if len(outcomes) > 1:
        lines.append(
            f"the page is a roundup of {len(outcomes)} items, each matched on its own "
            "(its heading and first sentence are its title):"
        )
        for o in outcomes:
            p = o.part.piece
            mark = "[+]" if o.matched else "[-]"
            extra = f"  score {o.score:g}" if o.spans is not None else ""
            lines.append(f"  {mark} item {p.number}: {p.label}{extra}" if p else f"  {mark}")
        lines.append(f"details for item {best.part.piece.number}:" if best.part.piece else "")
    part = best.part
    ev, ix, offsets = part.ev, part.ix, part.offsets
    offsets.scan_all()
    if best.spans is None and isinstance(t.root, And):
        failed = [c for c in t.root.children if ev.spans(c, ALL) is None]
        labels = ["  " + " ".join(c.label.split()) for c in failed]
        lines.append("because these clauses are false:")
        lines.extend(lab if len(lab) < 100 else lab[:96] + "..." for lab in labels)
    lines.append(f"query: {' '.join(t.query.split())}")
    body_words = ix.end - ix.body_start - PARAGRAPH_GAP * offsets.breaks
    lead_words = sum(1 for _ in offsets.in_range(ix.body_start, ix.lead_end))
    lines.append(
        f"article: title {_n(ix.title_end, 'word')}, body {_n(body_words, 'word')} "
        f"(lead = first {_n(lead_words, 'word')})"
    )
    lines.append("")
    _Tree(part, lines).node(t.root, ALL, 0)
    if best.spans is not None:
        lines.append("")
        lines.append("evidence (title 3, lead 2, body 1, +0.25 per repeat up to 4):")
        for label, sp in sorted(best.evidence.items(), key=lambda kv: -weigh(kv[1], ix)):
            quoted = offsets.words(sp[0])
            lines.append(f"  {weigh(sp, ix):5.2f}  {label} {quoted!r}: {where(sp, ix)}")
        lines.append(f"  score {best.score:g}")
        lines.append(f"snippet: {offsets.snippet(best_span(best.spans, best.evidence, ix))}")
    return "\n".join(lines)


def _verdict(o: Outcome) -> str:
    t = o.topic
    if o.spans is None:
        return "NO MATCH (the query is false)"
    if o.score < t.min_score:
        return f"NO MATCH (score {o.score:g} is below min_score {t.min_score:g})"
    return f"MATCH, score {o.score:g} (min_score {t.min_score:g})"


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}" if k == 1 else f"{k} {noun}s"


def _short(label: str, limit: int = 80) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 3] + "..."


class _Tree:
    """The query tree with [+]/[-] per clause, read from the part's evaluation."""

    def __init__(self, part: Part, lines: list[str]) -> None:
        self.ev = part.ev
        self.ix = part.ix
        self.offsets = part.offsets
        self.lines = lines
        self.seen: set[tuple[int, Range]] = set()

    def surfaces(self, spans: Spans, limit: int = 6) -> str:
        """Distinct article wordings of some spans with where they occur: "PD-1" (lead x2)."""
        by: dict[str, Spans] = {}
        for sp in spans:
            by.setdefault(self.offsets.words(sp).casefold(), []).append(sp)
        parts = [f'"{self.offsets.words(v[0])}" ({where(v, self.ix)})' for v in by.values()]
        more = f"; +{len(parts) - limit} more" if len(parts) > limit else ""
        return "; ".join(parts[:limit]) + more

    def node(self, node: Node, rng: Range, depth: int, given: Spans | None = _UNSET) -> None:
        ev, lines = self.ev, self.lines
        pad = "  " * depth
        res = ev.spans(node, rng) if given is _UNSET else given
        ok = res is not None
        mark = "[+]" if ok else "[-]"
        label = _short(node.label)
        if (id(node), rng) in self.seen and (node.children or isinstance(node, Syn)):
            lines.append(f"{pad}{mark} {label}  -- as above")
            return
        self.seen.add((id(node), rng))
        if isinstance(node, Not):
            inner = ev.spans(node.children[0], rng)
            if inner is None:
                lines.append(f"{pad}{mark} {label}  -- absent, as required")
            else:
                shown = f": {self.surfaces(inner)}" if inner else ""
                lines.append(f"{pad}{mark} {label}  -- FOUND, so this clause fails{shown}")
                self.node(node.children[0], rng, depth + 1)
        elif isinstance(node, Field):
            self.field(node, rng, depth, mark, label)
        elif isinstance(node, (Words, Syn)):
            if ok:
                lines.append(f"{pad}{mark} {label}: {self.surfaces(sorted(res))}")
                lines.append(f"{pad}      {self.offsets.snippet(min(res), context=40)}")
            elif isinstance(node, Syn):
                n = len(node.children)
                lines.append(f"{pad}{mark} {label}  -- none of its {n} entries found")
            else:
                lines.append(f"{pad}{mark} {label}  -- not found")
        elif isinstance(node, Count):
            inner = ev.spans(node.children[0], rng)
            n = len(merge(inner)) if inner else 0
            lines.append(f"{pad}{mark} {label}  -- {_n(n, 'place')}, {node.times} needed")
            self.node(node.children[0], rng, depth + 1)
        elif isinstance(node, Near):
            self.near(node, rng, depth, res, mark, label)
        elif isinstance(node, NotNear):
            self.not_near(node, rng, depth, res, mark, label)
        else:
            self.group(node, rng, depth, mark, label)

    def field(self, node: Field, rng: Range, depth: int, mark: str, label: str) -> None:
        pad = "  " * depth
        child = node.children[0]
        crng = node.range(self.ix, rng)
        if isinstance(child, (Words, Syn)):
            r = self.ev.spans(child, crng)
            shown = f": {self.surfaces(r)}" if r else f" -- not in the {node.field}"
            self.lines.append(f"{pad}{mark} {label}{shown}")
            return
        self.lines.append(f"{pad}{mark} {label}  -- within the {node.field}")
        self.node(child, crng, depth + 1)

    def near(
        self, node: Near, rng: Range, depth: int, res: Spans | None, mark: str, label: str
    ) -> None:
        pad = "  " * depth
        a = self.ev.spans(node.children[0], rng)
        b = self.ev.spans(node.children[1], rng)
        if res is not None:
            places = merge(res)
            eg = ", e.g." if len(places) > 3 else ":"
            self.lines.append(f"{pad}{mark} {label}  -- {_n(len(places), 'place')}{eg}")
            shown = sorted(places, key=lambda s: (s[0] < self.ix.title_end, s[0]))[:3]
            for s in shown:
                snippet = self.offsets.snippet(s, context=30)
                self.lines.append(f"{pad}      {self.ix.field_of(s[0])}: {snippet}")
        elif a and b:
            closest = min(distance(x, y) for x in a for y in b)
            self.lines.append(
                f"{pad}{mark} {label}  -- both sides found, but never within "
                f"{node.dist} words (closest: {closest})"
            )
        else:
            side = "first" if not a else "second"
            self.lines.append(f"{pad}{mark} {label}  -- {side} side not found")
        for c in node.children:
            self.node(c, rng, depth + 1)

    def not_near(
        self, node: NotNear, rng: Range, depth: int, res: Spans | None, mark: str, label: str
    ) -> None:
        pad = "  " * depth
        a = self.ev.spans(node.children[0], rng)
        b = self.ev.spans(node.children[1], rng)
        if not a:
            self.lines.append(f"{pad}{mark} {label}  -- first side not found")
        elif not b:
            self.lines.append(f"{pad}{mark} {label}  -- second side absent: every place counts")
        else:
            dropped = sorted({x for x, _ in close_pairs(a, b, node.dist)})
            kept = len(merge(res)) if res else 0
            self.lines.append(
                f"{pad}{mark} {label}  -- {_n(kept, 'place')} kept; within {node.dist} words "
                f"of the second side, so not counted: {self.surfaces(dropped)}"
            )
        for c in node.children:
            self.node(c, rng, depth + 1)

    def group(self, node: Node, rng: Range, depth: int, mark: str, label: str) -> None:
        kind = "all" if isinstance(node, And) else "any"
        n = len(node.children)
        head = f"{kind} of {n} clauses" if depth == 0 else f"{label}  -- {kind} of {n}"
        self.lines.append(f"{'  ' * depth}{mark} {head}")
        hits: dict[int, Spans] = {}
        if isinstance(node, Or):  # term and phrase children: read from the OR's own walk
            for leaf, span in self.ev.leaf_hits(node, rng):
                hits.setdefault(id(leaf), []).append(span)
        for c in node.children:
            if isinstance(node, Or) and isinstance(c, Words):
                self.node(c, rng, depth + 1, hits.get(id(c)))
            else:
                self.node(c, rng, depth + 1)
