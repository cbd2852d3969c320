"""Stories: recognise one study told by several outlets, and keep different studies apart.

Pure logic, no I/O (the archive side is :mod:`monitor.grouping`). One module per concern:

* :mod:`~monitor.stories.text`: normalisation, the article body, stemmed content terms;
* :mod:`~monitor.stories.entities`: people, institutions, journals, numbers with units,
  identifiers;
* :mod:`~monitor.stories.fingerprint`: an article's features and flags, and their compact stored
  form;
* :mod:`~monitor.stories.weights`: TF-IDF weights from the archive's document frequencies;
* :mod:`~monitor.stories.evidence`: the score of two articles and its reason;
* :mod:`~monitor.stories.cluster`: where a new article goes (average linkage with the stories
  near it), and the grouping of a whole archive;
* :mod:`~monitor.stories.canonical`: which copy is shown first;
* :mod:`~monitor.stories.explain`: ``monitor stories explain``;
* :mod:`~monitor.stories.evaluation`: labelled-set readers and scores for benchmarks and tests.
"""

from monitor.stories.canonical import SOURCE_KINDS, canonical_order
from monitor.stories.cluster import (
    NEW,
    Item,
    Outcome,
    PairMemo,
    average_link,
    decide,
    group_all,
)
from monitor.stories.evidence import THRESHOLD, Evidence, compare, pair_score, time_factor
from monitor.stories.explain import explain
from monitor.stories.fingerprint import (
    MIN_WORDS,
    Fingerprint,
    Stored,
    decode,
    encode,
    feature_kind,
    fingerprint,
    stored,
)
from monitor.stories.weights import TermStats, Vector, cosine, unit_vector, unit_vector_of

__all__ = [
    "MIN_WORDS",
    "NEW",
    "SOURCE_KINDS",
    "THRESHOLD",
    "Evidence",
    "Fingerprint",
    "Item",
    "Outcome",
    "PairMemo",
    "Stored",
    "TermStats",
    "Vector",
    "average_link",
    "canonical_order",
    "compare",
    "cosine",
    "decide",
    "decode",
    "encode",
    "explain",
    "feature_kind",
    "fingerprint",
    "group_all",
    "pair_score",
    "stored",
    "time_factor",
    "unit_vector",
    "unit_vector_of",
]
