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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import mul

__all__ = ["KIND_WEIGHT", "N0", "TermStats", "cosine", "unit_vector"]

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
    """The TF-IDF vector of a bag of feature counts, scaled to length 1.

    Each term's ln(df + 1) is computed once for its current count (``stats`` keeps it until
    the count changes): most terms' counts change seldom, every vector reads them."""
    log = math.log
    known = stats._log_df
    base = log(stats.documents + N0)
    df, kind = stats.df, stats.kind
    v = {}
    for t, c in terms.items():
        ln_df = known.get(t)
        if ln_df is None:
            ln_df = known[t] = log(df.get(t, 0) + 1)
        idf = base - ln_df
        if t in kind:
            idf *= KIND_WEIGHT[kind[t]]
        w = idf if c == 1 else (1.0 + log(c)) * idf
        if w > 0:
            v[t] = w
    norm = math.sqrt(sum(map(mul, v.values(), v.values())))
    if not norm:
        return {}
    return {t: w / norm for t, w in v.items()}


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
