"""Group syndicated copies of one study into a story (minimal version; see the Stories issue)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from monitor.model import ArticleRecord, StoryDecision

_WORD = re.compile(r"\w+")


@dataclass
class Fingerprint:
    shingles: list[int] = field(default_factory=list)
    doi: list[str] = field(default_factory=list)
    nct: list[str] = field(default_factory=list)
    published: str | None = None
    length: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, s: str) -> Fingerprint:
        return cls(**json.loads(s))


@dataclass
class Evidence:
    same: bool
    score: float
    reason: str


@dataclass
class Candidate:
    article_id: int
    story_id: int
    fingerprint: Fingerprint


def _h(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") >> 1


def fingerprint(record: ArticleRecord) -> Fingerprint:
    words = [w.lower() for w in _WORD.findall(record.text or "")]
    sh = sorted({_h(" ".join(words[i : i + 4])) for i in range(max(0, len(words) - 3))})
    pub = record.published.isoformat() if isinstance(record.published, datetime) else None
    return Fingerprint(sh, list(record.doi), list(record.nct), pub, len(words))


def candidate_keys(fp: Fingerprint) -> list[str]:
    keys = [f"doi:{d}" for d in fp.doi] + [f"nct:{n}" for n in fp.nct]
    keys += [f"min:{h}" for h in fp.shingles[:8]]
    return keys


def compare(a: Fingerprint, b: Fingerprint) -> Evidence:
    if set(a.doi) & set(b.doi):
        return Evidence(True, 1.0, "same DOI")
    if set(a.nct) & set(b.nct):
        return Evidence(True, 0.9, "same NCT trial number")
    if a.length < 30 or b.length < 30:
        return Evidence(False, 0.0, "text too short to compare")
    sa, sb = set(a.shingles), set(b.shingles)
    j = len(sa & sb) / max(1, len(sa | sb))
    return Evidence(j >= 0.5, j, f"word-shingle Jaccard {j:.2f}")


def decide(fp: Fingerprint, candidates: Sequence[Candidate]) -> StoryDecision:
    best: tuple[Evidence, Candidate] | None = None
    for c in candidates:
        ev = compare(fp, c.fingerprint)
        if ev.same and (best is None or ev.score > best[0].score):
            best = (ev, c)
    if best is None:
        return StoryDecision(None, 0.0, "no earlier copy found")
    ev, c = best
    return StoryDecision(c.story_id, ev.score, ev.reason, c.article_id)


def canonical_order(fp: Fingerprint) -> tuple:
    return (fp.published or "9999", -fp.length)
