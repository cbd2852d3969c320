"""TF-IDF unit vectors (monitor.stories.weights): the list-at-a-time computation gives the
same floats as the formula term by term, from a dict or from the step's cached arrays."""

from __future__ import annotations

import math
import random
from array import array

import pytest

from monitor.stories.weights import KIND_WEIGHT, N0, TermStats, unit_vector, unit_vector_of


def reference(terms: dict[int, int], stats: TermStats) -> dict[int, float]:
    """weight = (1 + ln count) x ln((N + N0) / (df + 1)) x kind, scaled to length 1; terms
    weighing nothing are left out. One term at a time, the formula as documented."""
    v = {}
    for t, c in terms.items():
        idf = math.log(stats.documents + N0) - math.log(stats.df.get(t, 0) + 1)
        if t in stats.kind:
            idf *= KIND_WEIGHT[stats.kind[t]]
        w = idf if c == 1 else (1.0 + math.log(c)) * idf
        if w > 0:
            v[t] = w
    norm = math.sqrt(sum(w * w for w in v.values()))
    return {t: w / norm for t, w in v.items()} if norm else {}


def test_vectors_are_the_formula_to_the_last_bit() -> None:
    rng = random.Random(11)
    for _ in range(500):
        n = rng.randrange(0, 2000)
        stats = TermStats(
            n,
            {t: rng.randrange(1, n + 6) for t in range(400)},  # some in every document
            {t: rng.choice((0, 1)) for t in range(0, 500, 3)},
        )
        terms = {
            rng.randrange(600): rng.choice((1, 1, 1, 2, 5, 255, 400))
            for _ in range(rng.randrange(60))
        }
        want = reference(terms, stats)
        got = unit_vector(terms, stats)
        assert got == want and list(got) == list(want)
        stored = {t: min(c, 255) for t, c in terms.items()}
        cached = unit_vector_of(array("q", stored), array("B", stored.values()), stats)
        assert cached == reference(stored, stats)
        assert unit_vector(terms, stats) == got  # the kept ln(df + 1) serve the next vector


def test_a_changed_count_is_read_again() -> None:
    stats = TermStats(10, {1: 2, 2: 5})
    before = unit_vector({1: 1, 2: 1}, stats)
    stats.add([1, 1, 1, 1])  # a document counted term 1 four more times (df 2 -> 6)
    after = unit_vector({1: 1, 2: 1}, stats)
    assert after == reference({1: 1, 2: 1}, stats)
    assert after[1] < before[1]


def _random_vector(rng: random.Random, stats: TermStats, vocabulary: int) -> dict[int, int]:
    return {
        rng.randrange(vocabulary): rng.choice((1, 1, 2, 3)) for _ in range(rng.randrange(1, 300))
    }


def test_a_cosine_is_one_number_whichever_way_it_is_computed() -> None:
    """Array or dict, either side first, alone or in a batch, whatever was scattered before,
    in whatever order the terms come: the same float (the grouping's result must not depend
    on the order in which pairs were scored)."""
    import numpy as np

    from monitor.stories.weights import Vector, cosine, cosines

    rng = random.Random(5)
    stats = TermStats(500, {t: rng.randrange(1, 400) for t in range(3000)})
    bags = [_random_vector(rng, stats, 3000 if k % 2 else 400) for k in range(60)]
    vectors = [unit_vector(b, stats) for b in bags]
    dicts = [dict(v.items()) for v in vectors]
    for _ in range(300):
        i, j = rng.randrange(60), rng.randrange(60)
        a, b = vectors[i], vectors[j]
        want = cosine(a, b)
        assert cosine(b, a) == want
        assert cosine(dicts[i], dicts[j]) == want == cosine(dicts[j], dicts[i])
        assert cosine(a, dicts[j]) == want
        others = rng.sample(vectors, 5) + [b]
        assert cosines(a, others)[-1] == want
        assert cosines(b, [a])[0] == want
        order = np.array(rng.sample(range(len(a.ids)), len(a.ids)))
        shuffled = Vector(a.ids[order], a.w[order])
        assert cosine(shuffled, b) == want == cosine(b, shuffled)
        plain = sum(w * dicts[j][t] for t, w in dicts[i].items() if t in dicts[j])
        assert abs(plain - want) < 1e-12
    # ids beyond the dense buffer grow it, with the scattered vector placed again
    far = [unit_vector({t + k * 50_000: c for t, c in bags[1].items()}, stats) for k in (0, 2, 9)]
    assert cosine(far[0], vectors[1]) > 0.99 and cosine(vectors[3], far[1]) == 0.0
    cosines(vectors[1], vectors[2:4])  # vectors[1] is the one scattered, then the buffer grows
    assert cosines(vectors[1], far) == [
        cosine(dict(vectors[1].items()), dict(f.items())) for f in far
    ]


def test_counts_as_arrays() -> None:
    stats = TermStats(4, {3: 2, 70_000: 1}, {3: 1})
    assert stats.df == {3: 2, 70_000: 1} and stats.count(5) == 0 and stats.count(-1) == 0
    stats.add([3, 3, 200_000], {200_000: 1})  # a term given twice is counted twice
    assert stats.documents == 5 and stats.df == {3: 4, 70_000: 1, 200_000: 1}
    assert stats.kind == {3: 1, 200_000: 1}
    stats.remove([70_000, 70_000, 9, 10**9])  # never below 0; unknown ids are no error
    assert stats.documents == 4 and stats.df == {3: 4, 200_000: 1}
    assert stats.idf(3) == math.log((4 + N0) / 5)
    v = unit_vector({3: 1, 5: 1, 300_000: 2}, stats)  # ids beyond any counted
    assert v == reference({3: 1, 5: 1, 300_000: 2}, stats)
    with pytest.raises(ValueError, match="not a row id"):
        stats.add([2**40])  # a hash, not a vocabulary id: no 8 TB array
