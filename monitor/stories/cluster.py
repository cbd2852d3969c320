"""Where an article goes: average-link grouping of a new article with the stories near it.

A new article is compared with each candidate story as a whole: the average score over the
story's copies (:func:`story_scores`). Then:

* no story within half the threshold: a new story;
* one story clearly above the threshold (1.5x) and no other near: the article joins it;
* otherwise the article and every near story are grouped again from scratch by average linkage
  (:func:`average_link`): clusters merge, best pair first, while the average score over all
  pairs of their copies stays at or above the threshold. This can join the article to a story,
  merge stories the article proves are one, or split a story whose copies no longer hold together.

Two groups whose copies contradict each other (different papers, trials or results:
:func:`~monitor.stories.evidence.contradicts`) never merge, however close their words.
Average linkage does not chain: a roundup or a broadcast that mentions two studies adds one pair
to each, and two stories merge only when their copies, on average, agree, and three quarters of
the pairs across them are close (so that bridging articles cannot carry the average). Weak articles (failed
extraction, roundups, transcripts of several segments) are held out of the grouping and then
attached to their best group: they never bring two groups together. Short texts are never
compared. The result depends only on the set of articles and the weights, not on the order in
which they arrived (ties are broken by article id).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.stories import evidence
from monitor.stories.evidence import contradicts, days_apart, pair_score
from monitor.stories.fingerprint import Stored
from monitor.stories.weights import TermStats, cosines, unit_vector

__all__ = ["Item", "Outcome", "PairMemo", "average_link", "decide", "group_all", "scores"]

#: candidate stories scoring at least this fraction of the threshold are grouped again
NEAR = 0.5
#: a single near story scoring this multiple of the threshold is joined without regrouping
#: (1.0: regrouping a single story with the article never changed a decision on the tuning half)
CLEAR = 1.0
#: two groups merge only if at least this share of the pairs across them score at least
#: SUPPORT_LEVEL x the threshold: an average carried by one bridging article is not enough
SUPPORT = 0.75
SUPPORT_LEVEL = 0.5
#: new articles use this id until the archive gives them one
NEW = 0
#: near stories grouped again with a new article, nearest first (bounds the cost when many
#: stories are near: texts that all look alike)
NEAR_STORIES = 6
#: copies in that region beyond the new article (the nearest story is always taken whole)
NEAR_REGION = 60
#: a connected part of a settled region larger than this is grouped by average linkage over the
#: candidate links only (pairs not compared count as 0: a conservative average), not every pair
DENSE_PART = 200


@dataclass
class Item:
    """An article as the grouping sees it."""

    article_id: int
    story_id: int | None
    stored: Stored
    published: datetime | None
    unit: dict[int, float] | None = None
    placed: datetime | None = None  # published or fetched: where it sits in the window
    # which computation of ``unit`` this is, for an indexed article whose cached vector the
    # caller keeps unchanged under that number (None: not kept; its pairs are never memoised)
    version: int | None = None

    def vector(self, stats: TermStats) -> dict[int, float]:
        if self.unit is None:
            self.unit = unit_vector(self.stored.terms, stats)
        return self.unit


def score(
    a: Item,
    b: Item,
    stats: TermStats,
    window: timedelta | None = None,
    cos: float | None = None,
) -> float:
    """The pair's score; 0 when their places in time are further apart than ``window``
    (``cos``: their cosine, when the caller has it)."""
    if _apart(a, b, window):
        return 0.0
    return pair_score(
        a.stored,
        b.stored,
        a.vector(stats),
        b.vector(stats),
        days_apart(a.published, b.published),
        cos,
    )


def _apart(a: Item, b: Item, window: timedelta | None) -> bool:
    """The two are placed further apart in time than ``window``."""
    if window is None or not a.placed or not b.placed:
        return False
    return abs(a.placed - b.placed) > window


def _scorable(a: Item, b: Item, window: timedelta | None) -> bool:
    """Whether the pair can score above 0 (else :func:`score` returns 0 without a cosine)."""
    return not (b.stored.short or b.stored.listing or _apart(a, b, window))


def scores(
    a: Item, others: Sequence[Item], stats: TermStats, window: timedelta | None = None
) -> list[float]:
    """:func:`score` of ``a`` with each of ``others``, their cosines computed in one go."""
    out = [0.0] * len(others)
    if not others or a.stored.short or a.stored.listing:
        return out
    live = [k for k, b in enumerate(others) if _scorable(a, b, window)]
    cos = cosines(a.vector(stats), [others[k].vector(stats) for k in live])
    for k, c in zip(live, cos, strict=True):
        out[k] = score(a, others[k], stats, window, c)
    return out


class PairMemo:
    """Scores of pairs of indexed articles, each under the vector version it was computed with,
    so that grouping a region again scores only the pairs it has not met (the copies of the
    near stories were mostly compared when they were placed). A score is reused only while
    both articles' ``version`` is the one it was computed under, so a memoised score is the
    score itself. Bounded: two generations of at most ``size`` pairs; a pair read from the old
    one moves to the new. One memo serves one time window (the caller's).

    The scores of the article being placed (:meth:`begin`) are kept until the next placement
    (its candidates are scored to choose the stories to read, then again with their stories),
    and with the others once it is indexed (:meth:`adopt`)."""

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._new: dict[tuple[int, int], tuple[int, int, float]] = {}
        self._old: dict[tuple[int, int], tuple[int, int, float]] = {}
        self._placing: Item | None = None
        self._with_placing: dict[tuple[int, int], float] = {}

    def begin(self, placing: Item) -> None:
        """Start placing ``placing`` (the new article): its pair scores are kept until the next."""
        self._placing = placing
        self._with_placing = {}

    def _slot(
        self, a: Item, b: Item
    ) -> tuple[bool, tuple[int, int], tuple[int, int] | None] | None:
        """Where the pair's score is kept: (True, (other's id, its version), None) for a pair
        with the article being placed; (False, (lower id, higher id), their versions) for two
        indexed articles with kept vectors; None when it is not kept."""
        if a is self._placing or b is self._placing:
            other = b if a is self._placing else a
            if other.version is None:
                return None
            return True, (other.article_id, other.version), None
        va, vb = a.version, b.version
        if va is None or vb is None or a.article_id == NEW or b.article_id == NEW:
            return None
        if a.article_id > b.article_id:
            return False, (b.article_id, a.article_id), (vb, va)
        return False, (a.article_id, b.article_id), (va, vb)

    def _known(self, a: Item, b: Item) -> float | None:
        """The pair's kept score under both articles' current vectors, if any."""
        slot = self._slot(a, b)
        if slot is None:
            return None
        placing, key, versions = slot
        if placing:
            return self._with_placing.get(key)
        hit = self._new.get(key)
        if hit is None:
            hit = self._old.get(key)
            if hit is not None:
                self._keep(key, hit)
        if hit is not None and hit[:2] == versions:
            return hit[2]
        return None

    def _put(self, a: Item, b: Item, s: float) -> None:
        """Keep the pair's score, if both articles' vectors are kept under a version."""
        slot = self._slot(a, b)
        if slot is None:
            return
        placing, key, versions = slot
        if placing:
            self._with_placing[key] = s
        else:
            self._keep(key, (*versions, s))  # type: ignore[misc]

    def score(self, a: Item, b: Item, stats: TermStats, window: timedelta | None) -> float:
        return self.scores(a, [b], stats, window)[0]

    def scores(
        self, a: Item, others: Sequence[Item], stats: TermStats, window: timedelta | None
    ) -> list[float]:
        """:meth:`score` of ``a`` with each of ``others``; the pairs not kept are scored in
        one go (:func:`scores`)."""
        out: list[float | None] = [self._known(a, b) for b in others]
        need = [k for k, s in enumerate(out) if s is None]
        if need:
            fresh = scores(a, [others[k] for k in need], stats, window)
            for k, s in zip(need, fresh, strict=True):
                self._put(a, others[k], s)
                out[k] = s
        return out  # type: ignore[return-value]

    def adopt(self, article_id: int, version: int) -> None:
        """The article being placed is now indexed as ``article_id``, its vector kept unchanged
        under ``version``: its pair scores of this placement are kept like any other pair's
        (its story's copies are mostly the region a later article groups again)."""
        for (other, other_version), s in self._with_placing.items():
            if other == article_id:
                continue
            if article_id < other:
                self._keep((article_id, other), (version, other_version, s))
            else:
                self._keep((other, article_id), (other_version, version, s))
        self._placing = None
        self._with_placing = {}

    def _keep(self, key: tuple[int, int], value: tuple[int, int, float]) -> None:
        if len(self._new) >= self.size:
            self._old, self._new = self._new, {}
        self._new[key] = value

    def __len__(self) -> int:
        return len(self._new) + len(self._old)


def average_link(
    items: Sequence[Item],
    stats: TermStats,
    threshold: float | None = None,
    window: timedelta | None = None,
    pairs: dict[int, set[int]] | None = None,
    memo: PairMemo | None = None,
) -> list[list[Item]]:
    """Group items by average linkage at ``threshold``; weak items attach afterwards.

    Every pair is compared, or with ``pairs`` (article id -> ids) only those (the others count
    as 0 in the averages and never support a merge: fewer merges, never more).
    Deterministic: items are taken in article-id order and ties go to the lower ids. A
    ``memo`` serves the scores of pairs it has met under the same vectors.
    """
    threshold = evidence.THRESHOLD if threshold is None else threshold
    many = scores if memo is None else memo.scores
    items = sorted(items, key=lambda i: i.article_id)
    strong = [i for i in items if not i.stored.weak and not i.stored.short]
    n = len(strong)
    members: dict[int, list[int]] = {k: [k] for k in range(n)}
    total: dict[int, dict[int, float]] = {k: {} for k in range(n)}
    good: dict[int, dict[int, int]] = {k: {} for k in range(n)}  # pairs that support a merge
    bad: dict[int, set[int]] = {k: set() for k in range(n)}  # pairs that forbid one
    floor = threshold * SUPPORT_LEVEL
    # the pairs to compare, by the lower index: each row's scores are computed in one go
    rows: dict[int, list[int]] = {}
    if pairs is None:
        rows = {x: list(range(x + 1, n)) for x in range(n - 1)}
    else:
        at = {it.article_id: k for k, it in enumerate(strong)}
        todo = {
            (min(x, y), max(x, y))
            for x in range(n)
            for b in pairs.get(strong[x].article_id, ())
            if (y := at.get(b, x)) != x
        }
        for lo, hi in sorted(todo):
            rows.setdefault(lo, []).append(hi)
    heap: list[tuple[float, int, int]] = []  # (-average, x, y), x < y: best pair first
    for x, ys in rows.items():
        for y, s in zip(ys, many(strong[x], [strong[y] for y in ys], stats, window), strict=True):
            if s > 0:
                total[x][y] = s
                total[y][x] = s
                heap.append((-s, x, y))
            if s >= floor:
                good[x][y] = good[y][x] = 1
    # only pages naming papers, trials or results can contradict each other: every such pair
    facts = [k for k in range(n) if _may_contradict(strong[k].stored)]
    for i, x in enumerate(facts):
        for y in facts[i + 1 :]:
            if contradicts(strong[x].stored, strong[y].stored):
                bad[x].add(y)
                bad[y].add(x)
    heapq.heapify(heap)
    while heap:
        neg, x, y = heapq.heappop(heap)
        if x not in members or y not in members:
            continue
        avg = total[x].get(y, 0.0) / (len(members[x]) * len(members[y]))
        if abs(avg + neg) > 1e-12:
            continue  # stale entry
        if avg < threshold:
            break
        pairs = len(members[x]) * len(members[y])
        if good[x].get(y, 0) < SUPPORT * pairs:
            continue  # one article close to both sides (a roundup, a bridge) is not enough
        if y in bad[x]:
            continue  # copies of the two name different papers, trials or results
        members[x] += members.pop(y)  # x < y: the lower index survives
        for z in bad.pop(y):
            bad[z].discard(y)
            if z != x:
                bad[z].add(x)
                bad[x].add(z)
        bad[x].discard(y)
        for z, s in total.pop(y).items():
            if z == x:
                continue
            del total[z][y]
            total[x][z] = total[z][x] = total[x].get(z, 0.0) + s
        total[x].pop(y, None)
        for z, c in good.pop(y).items():
            if z == x:
                continue
            del good[z][y]
            good[x][z] = good[z][x] = good[x].get(z, 0) + c
        good[x].pop(y, None)
        for z, s in total[x].items():
            heapq.heappush(heap, (-s / (len(members[x]) * len(members[z])), min(x, z), max(x, z)))
    groups = [[strong[k] for k in sorted(m)] for _, m in sorted(members.items())]
    for w in items:
        if not (w.stored.weak or w.stored.short):
            continue
        best, best_avg = None, threshold
        if not w.stored.short:
            for g in groups:
                avg = sum(many(w, g, stats, window)) / len(g)
                if avg >= best_avg:
                    best, best_avg = g, avg
        if best is None:
            groups.append([w])
        else:
            best.append(w)
    return groups


def _may_contradict(s: Stored) -> bool:
    return bool(s.ids or s.trials or s.trial_names or s.effects)


@dataclass
class Outcome:
    """The decision for one new article: the groups to write, and why."""

    groups: list[list[int]]  # article ids (NEW for the new article); each group is one story
    story_id: int | None  # the existing story the new article joins (None: a new story)
    score: float  # the new article's average score with its story (best candidate if alone)
    reason: str
    regrouped: bool = False


def story_scores(
    new: Item,
    neighbours: Sequence[Item],
    stats: TermStats,
    window: timedelta | None = None,
    memo: PairMemo | None = None,
) -> list[tuple[float, int]]:
    """(average score of the new article with the story's copies, story id), best first."""
    many = scores if memo is None else memo.scores
    copies = [m for m in neighbours if m.story_id is not None]
    sums: dict[int, list[float]] = {}
    for m, s in zip(copies, many(new, copies, stats, window), strict=True):
        sums.setdefault(m.story_id, []).append(s)  # type: ignore[arg-type]
    ranked = [(sum(v) / len(v), sid) for sid, v in sums.items()]
    return sorted(ranked, key=lambda p: (-p[0], p[1]))


def decide(
    new: Item,
    neighbours: Sequence[Item],
    stats: TermStats,
    threshold: float | None = None,
    window: timedelta | None = None,
    memo: PairMemo | None = None,
) -> Outcome:
    """Place a new article among ``neighbours`` (every copy of each candidate story); a
    ``memo`` serves the scores of pairs of neighbours met before (see :class:`PairMemo`)."""
    threshold = evidence.THRESHOLD if threshold is None else threshold
    if new.stored.short:
        return Outcome([[new.article_id]], None, 0.0, "new story: text too short to compare")
    ranked = story_scores(new, neighbours, stats, window, memo)
    near = [sid for avg, sid in ranked if avg >= threshold * NEAR]
    if not near:
        if ranked:
            avg, sid = ranked[0]
            why = f"new story: nearest is story {sid} (average score {avg:.2f} < {threshold})"
        else:
            why = "new story: no earlier article shares its distinctive terms"
        return Outcome([[new.article_id]], None, ranked[0][0] if ranked else 0.0, why)
    best_avg, best = ranked[0]
    if len(near) == 1 and (best_avg >= threshold * CLEAR or new.stored.weak):
        copies = [m.article_id for m in neighbours if m.story_id == best]
        if best_avg >= threshold:
            return Outcome(
                [copies + [new.article_id]],
                best,
                best_avg,
                f"joins story {best}: average score {best_avg:.2f} over its {len(copies)}"
                f" copies (threshold {threshold})",
            )
        return Outcome(
            [[new.article_id]],
            None,
            best_avg,
            f"new story: nearest is story {best} (average score {best_avg:.2f} < {threshold})",
        )
    # bounded: the nearest stories, whole, up to NEAR_STORIES and NEAR_REGION copies
    copies: dict[int, list[Item]] = {}
    for m in neighbours:
        copies.setdefault(m.story_id, []).append(m)  # type: ignore[arg-type]
    kept: list[int] = []
    size = 0
    for sid in near[:NEAR_STORIES]:
        if kept and size + len(copies[sid]) > NEAR_REGION:
            break
        kept.append(sid)
        size += len(copies[sid])
    near = kept
    region = [new] + [m for m in neighbours if m.story_id in near]
    groups = average_link(region, stats, threshold, window, memo=memo)
    ids = [[i.article_id for i in g] for g in groups]
    mine = next(g for g in groups if any(i is new for i in g))
    joined = sorted({i.story_id for i in mine if i is not new and i.story_id is not None})
    if joined:
        why = (
            f"grouped again with stories {', '.join(map(str, near))}: joins"
            f" {', '.join(map(str, joined))} (average score {best_avg:.2f} with story {best})"
        )
    else:
        why = f"new story: grouped again with stories {', '.join(map(str, near))}, joins none"
    return Outcome(ids, joined[0] if joined else None, best_avg, why, regrouped=True)


#: rounding allowance of the bound in :func:`may_reach`
_MARGIN = 1e-9


def may_reach(
    items: Sequence[Item], stats: TermStats, threshold: float
) -> dict[int, set[int]] | None:
    """For each article id, the ids of the items whose pair score with it may reach
    ``threshold``; every other pair provably scores below it. None when no bound applies or
    it would keep most pairs.

    The bound: without a DOI or PMID on both sides a pair scores at most its cosine plus
    ``FACTS_MAX`` (the time, cohort and identifier factors are at most 1). The cosine is split
    by term: terms that at least a tenth of the items hold ("common") contribute at most the
    product of the two items' norms over their common terms (Cauchy-Schwarz); the rest is
    summed exactly through an inverted index. So comparing only these pairs finds the same
    pairs at or above the threshold as comparing every pair, at a fraction of the cost when
    the items are about different things.
    """
    cutoff = threshold - evidence.FACTS_MAX - _MARGIN
    if cutoff <= 0:
        return None
    vecs = {it.article_id: it.vector(stats) for it in items if not it.stored.short}
    df: Counter[int] = Counter()
    for v in vecs.values():
        df.update(v.keys())
    common_at = max(3, len(vecs) // 10)
    postings: dict[int, list[tuple[int, float]]] = {}
    cnorm: dict[int, float] = {}
    for a, v in vecs.items():
        c2 = 0.0
        for t, w in v.items():
            if df[t] >= common_at:
                c2 += w * w
            elif df[t] > 1:
                postings.setdefault(t, []).append((a, w))
        cnorm[a] = math.sqrt(c2)
    norms = sorted(cnorm.values())
    if not norms or norms[len(norms) // 2] ** 2 >= cutoff:
        return None  # most pairs would be kept (texts that share much of their vocabulary)
    dot: dict[tuple[int, int], float] = {}
    for plist in postings.values():
        for i, (a, wa) in enumerate(plist):
            for b, wb in plist[i + 1 :]:
                key = (a, b) if a < b else (b, a)
                dot[key] = dot.get(key, 0.0) + wa * wb
    out: dict[int, set[int]] = {a: set() for a in vecs}
    for (a, b), d in dot.items():
        if d + cnorm[a] * cnorm[b] >= cutoff:
            out[a].add(b)
            out[b].add(a)
    # pairs that share no rare term: their common terms alone
    order = sorted(vecs, key=lambda a: -cnorm[a])
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            if cnorm[a] * cnorm[b] < cutoff:
                break
            out[a].add(b)
            out[b].add(a)
    # a shared DOI or PMID adds a bonus: such pairs are always compared
    with_ids = [it.article_id for it in items if it.article_id in vecs and it.stored.ids]
    for a in with_ids:
        out[a].update(b for b in with_ids if b != a)
    return out


def group_all(
    items: Sequence[Item],
    stats: TermStats,
    threshold: float | None = None,
    links: dict[int, set[int]] | None = None,
    window: timedelta | None = None,
) -> list[list[Item]]:
    """Group a set from scratch (a settled poll): average linkage inside each connected part
    of the graph whose edges are pairs scoring at least the threshold (``links``: article id ->
    ids of its candidates; every pair is compared when None). Pairs placed further apart than
    ``window`` are no edge (inside a part, the time factor weighs every pair)."""
    threshold = evidence.THRESHOLD if threshold is None else threshold
    by_id = {i.article_id: i for i in items}
    parent = {i: i for i in by_id}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ids = sorted(by_id)
    reach = may_reach(items, stats, threshold) if links is None else None
    if links is not None:
        # the copies of one story are compared with each other too: a story the candidate
        # links do not hold together is not split by omission (and grouping again the result
        # gives the result: ``monitor stories regroup`` run twice changes nothing)
        copies: dict[int, list[int]] = {}
        for a in ids:
            if by_id[a].story_id is not None:
                copies.setdefault(by_id[a].story_id, []).append(a)
        links = {a: set(links.get(a, ())) for a in ids}
        for group in copies.values():
            for a in group:
                links[a].update(group)
    for a in ids:
        if links is not None:
            others: Iterable[int] = links.get(a, ())
        elif reach is not None:
            others = reach.get(a, ())
        else:
            others = ids
        # the row's pairs not yet in one part, scored in one go (a pair joined meanwhile by
        # another edge is scored for nothing: the parts are the same)
        row = sorted(b for b in others if b > a and b in by_id and find(a) != find(b))
        found = scores(by_id[a], [by_id[b] for b in row], stats, window)
        for b, s in zip(row, found, strict=True):
            if s >= threshold and find(a) != find(b):
                ra, rb = find(a), find(b)
                parent[max(ra, rb)] = min(ra, rb)
    parts: dict[int, list[Item]] = {}
    for a in ids:
        parts.setdefault(find(a), []).append(by_id[a])
    out: list[list[Item]] = []
    for _, part in sorted(parts.items()):
        if len(part) == 1:
            out.append(part)
        elif len(part) > DENSE_PART and (links is not None or reach is not None):
            out += average_link(part, stats, threshold, pairs=links if links is not None else reach)
        else:
            out += average_link(part, stats, threshold)
    return out
