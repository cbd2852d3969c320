"""Feature weights from document frequencies: TF-IDF unit vectors and their cosine.

The document frequencies are the archive's own (kept up to date in SQLite by the story index and
handed to the stage as a :class:`TermStats`), so a word that every article of this archive uses
weighs little and the name of one study's investigator weighs much.

    weight(t) = (1 + ln count) * ln((N + N0) / (df(t) + 1)) * kind multiplier

``N0`` smooths the ratio (3; 1 would be the usual smoothed IDF). A larger prior was tried and rejected: it
flattens the weights of a young archive, so that the words of the one topic a monitor follows
(all its articles say "liver" and "immunotherapy") weigh nearly as much as a study's own words,
and a young archive put every article of its topic into one story. Title words are
features of their own with half a word's weight (they are mostly in the text as well).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import mul, sub, truediv

__all__ = ["KIND_WEIGHT", "N0", "TermStats", "cosine", "unit_vector", "unit_vector_of"]

#: prior number of documents in which a term is absent (see module docstring)
N0 = 3
#: multiplier per feature kind: body word, title word
KIND_WEIGHT = (1.0, 0.5)


@dataclass
class TermStats:
    """Document frequencies by vocabulary id, the number of documents, and each id's kind."""

    documents: int = 0
    df: dict[int, int] = field(default_factory=dict)
    kind: dict[int, int] = field(default_factory=dict)
    # term -> ln(df + 1) under the current counts (see :func:`unit_vector`); a term's entry
    # goes when its count changes (the total is read afresh by every vector)
    _log_df: dict[int, float] = field(default_factory=dict, repr=False, compare=False)

    def idf(self, term: int) -> float:
        return math.log((self.documents + N0) / (self.df.get(term, 0) + 1))

    def add(self, terms: Iterable[int], kinds: Mapping[int, int] | None = None) -> None:
        """Count one more document holding ``terms``."""
        self.documents += 1
        df, known = self.df, self._log_df
        for t in terms:
            df[t] = df.get(t, 0) + 1
            known.pop(t, None)
        if kinds:
            self.kind.update(kinds)

    def remove(self, terms: Iterable[int]) -> None:
        """Count one document less (an article whose text changed is counted again)."""
        self.documents = max(0, self.documents - 1)
        df, known = self.df, self._log_df
        for t in terms:
            known.pop(t, None)
            n = df.get(t, 0) - 1
            if n > 0:
                df[t] = n
            else:
                df.pop(t, None)


def unit_vector(terms: Mapping[int, int], stats: TermStats) -> dict[int, float]:
    """The TF-IDF vector of a bag of feature counts, scaled to length 1."""
    return unit_vector_of(list(terms), list(terms.values()), stats)


#: 1 + ln(count) by count (a stored count is at most 255)
_TF = [0.0, 1.0] + [1.0 + math.log(c) for c in range(2, 256)]
#: the kind multiplier by what ``TermStats.kind`` holds for a term (body words are not in it)
_KIND = {None: KIND_WEIGHT[0], 0: KIND_WEIGHT[0], 1: KIND_WEIGHT[1]}


def unit_vector_of(ids: Sequence[int], counts: Sequence[int], stats: TermStats) -> dict[int, float]:
    """:func:`unit_vector` of the terms ``ids`` with their ``counts`` (as the step caches them).

    Each term's ln(df + 1) is computed once for its current count (``stats`` keeps it until
    the count changes): most terms' counts change seldom, every vector reads them. The weights
    are computed a list at a time in C (``map``), each as ((ln(N + N0) - ln(df + 1)) x kind)
    x (1 + ln count): the same operations on the same floats as one term at a time."""
    known = stats._log_df
    ln_df = list(map(known.get, ids))
    if None in ln_df:
        log, df = math.log, stats.df
        for k, t in enumerate(ids):
            if ln_df[k] is None:
                ln_df[k] = known[t] = log(df.get(t, 0) + 1)
    base = math.log(stats.documents + N0)
    kinds = map(_KIND.__getitem__, map(stats.kind.get, ids))
    if max(counts, default=0) < len(_TF):
        tf: Iterable[float] = map(_TF.__getitem__, counts)
    else:  # an unstored bag (the new article's own counts)
        tf = [_TF[c] if c < len(_TF) else 1.0 + math.log(c) for c in counts]
    w = list(map(mul, map(mul, map(sub, repeat(base), ln_df), kinds), tf))
    if w and min(w) <= 0:  # a term in (nearly) every document weighs nothing
        kept = [(t, x) for t, x in zip(ids, w, strict=True) if x > 0]
        ids, w = [t for t, _ in kept], [x for _, x in kept]
    norm = math.sqrt(sum(map(mul, w, w)))
    if not norm:
        return {}
    return dict(zip(ids, map(truediv, w, repeat(norm)), strict=True))


def cosine(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    """Dot product of two unit vectors (over the features they share)."""
    if len(a) > len(b):
        a, b = b, a
    shared = a.keys() & b.keys()
    return sum(map(mul, map(a.__getitem__, shared), map(b.__getitem__, shared)), 0.0)


def contributions(a: Mapping[int, float], b: Mapping[int, float]) -> list[tuple[int, float]]:
    """The shared features of two unit vectors with their share of the cosine, largest first."""
    shared = [(t, w * b[t]) for t, w in a.items() if t in b]
    return sorted(shared, key=lambda p: (-p[1], p[0]))
