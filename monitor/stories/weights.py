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

The counts and vectors are numpy arrays: a vector of 230 terms is computed in a few tens of
microseconds and the cosines of one article with fifty others in one array computation, where
dicts took 90-400 us a vector and 15-50 a cosine (the decision computes a few vectors and up to
a hundred cosines per article). A cosine is an exact integer sum of the products of the shared
terms' weights (see ``_UNITS``), so it does not depend on which side is which, on the order of
the terms, or on whether the vectors are arrays or dicts.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate

import numpy as np

__all__ = [
    "KIND_WEIGHT",
    "N0",
    "TermStats",
    "Vector",
    "cosine",
    "cosines",
    "unit_vector",
    "unit_vector_of",
]

#: prior number of documents in which a term is absent (see module docstring)
N0 = 3
#: multiplier per feature kind: body word, title word
KIND_WEIGHT = (1.0, 0.5)


#: vocabulary ids are the vocabulary table's row ids; the arrays are indexed by them
_MAX_ID = 2**31


class _LnTable:
    """ln(df + 1) by df, grown as counts grow: each entry is ``math.log`` of its own float, so a
    weight is the formula's to the last bit (numpy's own log may differ from it by an ulp)."""

    def __init__(self) -> None:
        self.table = np.zeros(1, dtype=np.float64)

    def of(self, df: np.ndarray) -> np.ndarray:
        top = int(df.max()) if df.size else 0
        if top >= len(self.table):
            size = max(top + 1, 2 * len(self.table))
            self.table = np.array([math.log(k + 1) for k in range(size)], dtype=np.float64)
        return self.table[df]


_LN = _LnTable()


class TermStats:
    """Document frequencies by vocabulary id, the number of documents, and each id's kind.

    The frequencies are an array indexed by vocabulary id (ids are the vocabulary's row ids:
    dense), so counting a document and weighing a vector are a few array operations. ``df`` gives
    them as a dict (id -> count of the ids counted at least once) for reading and tests."""

    def __init__(
        self,
        documents: int = 0,
        df: Mapping[int, int] | None = None,
        kind: Mapping[int, int] | None = None,
    ) -> None:
        self.documents = documents
        self.kind: dict[int, int] = dict(kind or {})
        self._df = np.zeros(1024, dtype=np.int32)
        self._mult = np.ones(1024, dtype=np.float32)  # KIND_WEIGHT of each id's kind (exact)
        if df:
            ids = np.fromiter(df.keys(), dtype=np.int64, count=len(df))
            self._fit(int(ids.max()))
            self._df[ids] = np.fromiter(df.values(), dtype=np.int32, count=len(df))
        if self.kind:
            self._set_kinds(self.kind)

    @property
    def df(self) -> dict[int, int]:
        at = np.flatnonzero(self._df)
        return dict(zip(at.tolist(), self._df[at].tolist(), strict=True))

    def _fit(self, top: int) -> None:
        """Make room for vocabulary ids up to ``top`` (row ids of the vocabulary: dense, from 1)."""
        if top < len(self._df):
            return
        if top >= _MAX_ID:
            raise ValueError(f"vocabulary id {top} is not a row id (at most {_MAX_ID - 1})")
        size = max(top + 1, len(self._df) + len(self._df) // 4)  # a quarter's room: 8 B an id
        df, mult = np.zeros(size, dtype=np.int32), np.ones(size, dtype=np.float32)
        df[: len(self._df)] = self._df
        mult[: len(self._mult)] = self._mult
        self._df, self._mult = df, mult

    def _set_kinds(self, kinds: Mapping[int, int]) -> None:
        ids = np.fromiter(kinds.keys(), dtype=np.int64, count=len(kinds))
        self._fit(int(ids.max()))
        self._mult[ids] = [KIND_WEIGHT[k] for k in kinds.values()]

    def count(self, term: int) -> int:
        """The number of documents holding ``term``."""
        return int(self._df[term]) if 0 <= term < len(self._df) else 0

    def idf(self, term: int) -> float:
        return math.log((self.documents + N0) / (self.count(term) + 1))

    @staticmethod
    def _array(terms: Iterable[int]) -> np.ndarray:
        return np.fromiter(terms, dtype=np.int64)

    def add(self, terms: Iterable[int], kinds: Mapping[int, int] | None = None) -> None:
        """Count one more document holding ``terms`` (a term given twice is counted twice)."""
        ids = self._array(terms)
        if ids.size:
            self._fit(int(ids.max()))
            np.add.at(self._df, ids, 1)
        self.documents += 1
        if kinds:
            self.kind.update(kinds)
            self._set_kinds(kinds)

    def remove(self, terms: Iterable[int]) -> None:
        """Count one document less (an article whose text changed is counted again)."""
        self.documents = max(0, self.documents - 1)
        ids = self._array(terms)
        ids = ids[(ids >= 0) & (ids < len(self._df))]
        if ids.size:
            np.subtract.at(self._df, ids, 1)
            self._df[ids] = np.maximum(self._df[ids], 0)


class Vector(Mapping[int, float]):
    """A unit vector: term ids and their weights as arrays (ids in no particular order).

    Read as a mapping (id -> weight) where a dict is wanted (``explain``, the settle's bound);
    the dict is built once, on first such read."""

    __slots__ = ("_map", "ids", "n", "top", "w")

    def __init__(self, ids: np.ndarray, w: np.ndarray, top: int | None = None) -> None:
        self.ids = ids
        self.w = w
        self.n = int(ids.size)
        # the largest id (-1 when empty), given by a caller that knows it
        self.top = top if top is not None else int(ids.max()) if self.n else -1
        self._map: dict[int, float] | None = None

    def _dict(self) -> dict[int, float]:
        if self._map is None:
            self._map = dict(zip(self.ids.tolist(), self.w.tolist(), strict=True))
        return self._map

    def __getitem__(self, term: int) -> float:
        return self._dict()[term]

    def __contains__(self, term: object) -> bool:
        return term in self._dict()

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def __len__(self) -> int:
        return self.n

    def items(self):  # type: ignore[override]
        return self._dict().items()

    def keys(self):  # type: ignore[override]
        return self._dict().keys()

    def values(self):  # type: ignore[override]
        return self._dict().values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._dict() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Vector({self._dict()!r})"

    def ranked(self) -> list[int]:
        """Term ids by weight, heaviest first, ties by id."""
        return self.ids[np.lexsort((self.ids, -self.w))].tolist()


_EMPTY = Vector(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


def unit_vector(terms: Mapping[int, int], stats: TermStats) -> Vector:
    """The TF-IDF vector of a bag of feature counts, scaled to length 1."""
    return unit_vector_of(list(terms), list(terms.values()), stats)


#: 1 + ln(count) by count (a stored count is at most 255)
_TF = np.array([0.0, 1.0] + [1.0 + math.log(c) for c in range(2, 256)], dtype=np.float64)


def unit_vector_of(ids: Sequence[int], counts: Sequence[int], stats: TermStats) -> Vector:
    """:func:`unit_vector` of the terms ``ids`` with their ``counts`` (as the step caches them).

    Each weight is ((ln(N + N0) - ln(df + 1)) x kind) x (1 + ln count), computed an array at a
    time: the same operations on the same floats as one term at a time; the norm is summed in
    the terms' order, as a sum over them one at a time."""
    ix = np.asarray(ids)
    if not ix.size:
        return _EMPTY
    ix = ix.astype(np.intp, copy=False)
    top = int(ix.max())
    stats._fit(top)
    c = np.asarray(counts)
    if int(c.max()) < len(_TF):
        tf = _TF[c]
    else:  # an unstored bag (the new article's own counts)
        tf = np.array([1.0 + math.log(x) if x > 1 else float(x) for x in c.tolist()])
    base = math.log(stats.documents + N0)
    w = (base - _LN.of(stats._df[ix])) * stats._mult[ix] * tf
    if w.min() <= 0:  # a term in (nearly) every document weighs nothing
        keep = w > 0
        ix, w = ix[keep], w[keep]
        top = int(ix.max()) if ix.size else -1
    norm = math.sqrt(sum((w * w).tolist()))
    if not norm:
        return _EMPTY
    return Vector(ix, w / norm, top)


_local = threading.local()

#: products of weights are summed as integers in units of 2**-60 (each product rounded to the
#: nearest unit, at most 2**-61 off): an integer sum is exact in any order, so a cosine is the
#: same whichever vector is which, in whatever order the terms come, array or dict, one pair or
#: a batch. Weights are at most 1, so a product is at most 2**60 units and 230 of them fit
#: in 64 bits.
_UNITS = 2.0**60
_UNIT = 2.0**-60


def _scattered(a: Vector, top: int) -> np.ndarray:
    """This thread's dense buffer holding ``a``'s weights at its ids and 0 elsewhere, with
    room for ids up to ``top``. The last vector scattered stays there: the grouping scores one
    article against many in a row."""
    buf: np.ndarray | None = getattr(_local, "buf", None)
    cur: Vector | None = getattr(_local, "cur", None)
    if buf is None or len(buf) <= max(top, a.top):
        need = max(top, a.top) + 1
        buf = _local.buf = np.zeros(max(need + need // 4, 4096), dtype=np.float64)
        cur = None
    if cur is not a:
        if cur is not None:
            buf[cur.ids] = 0.0
        buf[a.ids] = a.w
        _local.cur = a
    return buf


def cosines(a: Mapping[int, float], others: Sequence[Mapping[int, float]]) -> list[float]:
    """The cosine of ``a`` with each of ``others`` (one array computation for all when they are
    :class:`Vector`; each the same float as :func:`cosine` of the pair)."""
    if type(a) is not Vector or not all(type(b) is Vector for b in others):
        return [cosine(a, b) for b in others]
    vs: Sequence[Vector] = others  # type: ignore[assignment]
    sizes = [b.n for b in vs]
    if not vs or not a.n or not any(sizes):
        return [0.0] * len(vs)
    if 0 in sizes:  # reduceat takes no empty segment
        out = [0.0] * len(vs)
        full = [k for k, size in enumerate(sizes) if size]
        for k, x in zip(full, cosines(a, [vs[k] for k in full]), strict=True):
            out[k] = x
        return out
    buf = _scattered(a, max(b.top for b in vs))
    p = buf[np.concatenate([b.ids for b in vs])]
    p *= np.concatenate([b.w for b in vs])
    p *= _UNITS
    units = np.rint(p, out=p).astype(np.int64)
    starts = list(accumulate(sizes[:-1], initial=0))
    return (np.add.reduceat(units, starts) * _UNIT).tolist()


def cosine(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    """Dot product of two unit vectors over the features they share (see ``_UNITS``)."""
    if type(a) is Vector and type(b) is Vector:
        return cosines(a, [b])[0]
    if len(a) > len(b):
        a, b = b, a
    shared = a.keys() & b.keys()
    units = sum(round(a[t] * b[t] * _UNITS) for t in shared)
    return float(units) * _UNIT


def contributions(a: Mapping[int, float], b: Mapping[int, float]) -> list[tuple[int, float]]:
    """The shared features of two unit vectors with their share of the cosine, largest first."""
    shared = [(t, w * b[t]) for t, w in a.items() if t in b]
    return sorted(shared, key=lambda p: (-p[1], p[0]))
