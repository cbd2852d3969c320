"""TF-IDF unit vectors (monitor.stories.weights): the list-at-a-time computation gives the
same floats as the formula term by term, from a dict or from the step's cached arrays."""

from __future__ import annotations

import math
import random
from array import array

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
