"""Evaluation tools for story grouping: labelled-set readers, the InSciOut split, and scores.

Used by ``benchmarks/stories.py`` and ``tests/test_stories.py`` (tests do not import benchmarks).
Nothing here is on the pipeline's path.

The InSciOut split (``../shared/stories/insciout/``) is fixed before any result on that data was
looked at: studies are sorted by (number of items, study id) and taken two at a time; for each
consecutive pair a coin from ``random.Random(INSCIOUT_SEED)`` sends one study to the tuning half
and the other to the held-out half (an odd last study goes to tuning). Stratifying by size keeps
the few very large studies, which dominate all-pairs figures, balanced between the halves.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "INSCIOUT_SEED",
    "InSciOutItem",
    "load_insciout",
    "split_insciout",
]

#: the seed of the tuning / held-out split of the InSciOut studies (issue 13)
INSCIOUT_SEED = 13


@dataclass(frozen=True)
class InSciOutItem:
    """One record of ``articles.jsonl.gz`` (format in that directory's README)."""

    id: str
    study: str
    kind: str  # press_release | news | broadcast
    outlet: str | None
    title: str | None
    published: str | None  # YYYY-MM-DD
    text: str


def load_insciout(path: Path) -> list[InSciOutItem]:
    """Read ``articles.jsonl.gz`` (or a directory holding it)."""
    if path.is_dir():
        path = path / "articles.jsonl.gz"
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out.append(
                InSciOutItem(
                    r["id"],
                    r["study"],
                    r["kind"],
                    r["outlet"],
                    r["title"],
                    r["published"],
                    r["text"],
                )
            )
    return out


def split_insciout(
    items: Iterable[InSciOutItem], seed: int = INSCIOUT_SEED
) -> tuple[set[str], set[str]]:
    """The study ids of the (tuning, held-out) halves; see the module docstring for the method."""
    sizes = Counter(i.study for i in items)
    order = sorted(sizes, key=lambda s: (sizes[s], s))
    rng = random.Random(seed)
    tuning: set[str] = set()
    held: set[str] = set()
    for k in range(0, len(order), 2):
        pair: Sequence[str] = order[k : k + 2]
        if len(pair) == 1:
            tuning.add(pair[0])
            break
        first = rng.random() < 0.5
        tuning.add(pair[0] if first else pair[1])
        held.add(pair[1] if first else pair[0])
    return tuning, held
