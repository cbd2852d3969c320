"""The evidence that two articles report the same study, as one score with a readable reason.

    score = cosine(TF-IDF vectors) x time factor (+ identifier evidence)

* the cosine runs over content words, people/institutions/journals, numbers with units and title
  words, each weighted by the archive's document frequencies (:mod:`monitor.stories.weights`);
  rewrites of one study share its rare words (the investigator, the cohort, the finding) even
  when they share no sentence;
* time factor: 1 for the same day, falling linearly to 0.5 at :data:`TIME_SCALE_DAYS` apart
  (coverage of one paper comes in a burst; a follow-up paper comes weeks later); 0.8 when either
  date is unknown;
* a shared DOI or PMID adds 0.5 (one paper); different DOIs on both sides (each naming at most
  three) multiply by 0.3, different trial registrations by 0.5;
* short texts are never compared (score 0).

Two articles are one story at or above :data:`THRESHOLD`; stories are compared by the average
score over all pairs of their copies (:mod:`monitor.stories.cluster`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from monitor.stories.fingerprint import Stored
from monitor.stories.weights import contributions, cosine

__all__ = ["THRESHOLD", "TIME_SCALE_DAYS", "Evidence", "pair_score", "time_factor"]

#: average score at or above which copies are one story (chosen on the InSciOut tuning half)
THRESHOLD = 0.15
#: days apart at which the time factor has fallen to 0.5
TIME_SCALE_DAYS = 60.0
UNDATED_FACTOR = 0.8
SAME_ID_BONUS = 0.5
#: facts each side needs before their disagreement counts, and the factor's shape
MIN_FACTS = 3
OWN_FACTS_FREE = 0.5
OWN_FACTS_FLOOR = 0.4
OTHER_ID_FACTOR = 0.3
OTHER_TRIAL_FACTOR = 0.5


def days_apart(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return abs((a - b).total_seconds()) / 86400.0


def time_factor(days: float | None) -> float:
    """1.0 the same day, 0.5 at TIME_SCALE_DAYS or more apart, 0.8 when a date is unknown."""
    if days is None:
        return UNDATED_FACTOR
    return 1.0 - 0.5 * min(days, TIME_SCALE_DAYS) / TIME_SCALE_DAYS


def id_evidence(a: Stored, b: Stored) -> tuple[float, float, str]:
    """(bonus, factor, reason) from DOIs, PMIDs and trial registrations."""
    if a.ids & b.ids:
        return SAME_ID_BONUS, 1.0, "same DOI/PMID"
    factor, why = 1.0, []
    if a.ids and b.ids and len(a.ids) <= 3 and len(b.ids) <= 3:
        factor *= OTHER_ID_FACTOR
        why.append("different DOIs")
    if a.trials and b.trials and not a.trials & b.trials:
        factor *= OTHER_TRIAL_FACTOR
        why.append("different trial registrations")
    return 0.0, factor, ", ".join(why)


def own_facts(fa: frozenset[int], fb: frozenset[int]) -> float:
    """The share of facts (people named, numbers with units) each side has of its own, the
    smaller of the two; 0 when either side states fewer than :data:`MIN_FACTS`. A rewrite keeps
    most facts of the shorter copy; a follow-up, a review or another trial brings its own."""
    if len(fa) < MIN_FACTS or len(fb) < MIN_FACTS:
        return 0.0
    return min(len(fa - fb) / len(fa), len(fb - fa) / len(fb))


def facts_factor(own: float) -> float:
    """1.0 up to OWN_FACTS_FREE, then down to OWN_FACTS_FLOOR when nothing is shared."""
    if own <= OWN_FACTS_FREE:
        return 1.0
    return 1.0 - (1.0 - OWN_FACTS_FLOOR) * (own - OWN_FACTS_FREE) / (1.0 - OWN_FACTS_FREE)


def pair_score(
    a: Stored,
    b: Stored,
    ua: Mapping[int, float],
    ub: Mapping[int, float],
    days: float | None,
    fa: frozenset[int] = frozenset(),
    fb: frozenset[int] = frozenset(),
) -> float:
    """The score of two stored fingerprints with their unit vectors and facts (the fast path)."""
    if a.short or b.short:
        return 0.0
    s = cosine(ua, ub) * time_factor(days) * facts_factor(own_facts(fa, fb))
    if a.ids or b.ids or a.trials or b.trials:
        bonus, factor, _ = id_evidence(a, b)
        s = s * factor + bonus
    return s


@dataclass
class Evidence:
    """The verdict on two articles, the score behind it, and its parts."""

    same: bool
    score: float
    reason: str
    cosine: float = 0.0
    time_factor: float = 1.0
    days: float | None = None
    parts: dict[str, float] = field(default_factory=dict)  # cosine share per feature kind
    shared: dict[str, list[str]] = field(default_factory=dict)  # top shared features per kind
    facts_factor: float = 1.0
    own_facts: float = 0.0


#: feature kinds that are facts: people named and numbers with units
FACT_KINDS = (1, 2)
KIND_NAMES = ("terms", "people", "numbers", "title words", "institutions/journals")


def compare(
    a: Stored,
    b: Stored,
    ua: Mapping[int, float],
    ub: Mapping[int, float],
    days: float | None,
    name: Callable[[int], str] = str,
    kind: Callable[[int], int] = lambda t: 0,
    threshold: float = THRESHOLD,
) -> Evidence:
    """:func:`pair_score` with its breakdown; ``name`` and ``kind`` describe vocabulary ids."""
    if a.short or b.short:
        which = "first" if a.short else "second"
        return Evidence(False, 0.0, f"not compared: the {which} text is too short (own story)")
    fa = frozenset(t for t in a.terms if kind(t) in FACT_KINDS)
    fb = frozenset(t for t in b.terms if kind(t) in FACT_KINDS)
    score = pair_score(a, b, ua, ub, days, fa, fb)
    own = own_facts(fa, fb)
    ff = facts_factor(own)
    parts: dict[str, float] = {}
    shared: dict[str, list[str]] = {}
    for t, share in contributions(ua, ub):
        k = KIND_NAMES[kind(t)]
        parts[k] = parts.get(k, 0.0) + share
        if len(shared.setdefault(k, [])) < 8:
            shared[k].append(name(t))
    cos = sum(parts.values())
    tf = time_factor(days)
    bonus, factor, id_why = (
        id_evidence(a, b) if (a.ids or b.ids or a.trials or b.trials) else (0, 1, "")
    )
    same = score >= threshold
    bits = [f"text similarity {cos:.2f}"]
    for k in KIND_NAMES:
        if shared.get(k):
            bits.append(f"{k}: {', '.join(shared[k][:5])}")
    when = "dates unknown" if days is None else f"{days:.0f} days apart"
    bits.append(f"x{tf:.2f} time ({when})")
    if ff < 1.0:
        bits.append(f"x{ff:.2f} each states facts of its own ({own:.0%} of the closer one)")
    if id_why or bonus:
        bits.append((id_why or "") + (f" +{bonus:.2f}" if bonus else f" x{factor:.2f}"))
    verdict = "same story" if same else "different stories"
    reason = f"{verdict}, score {score:.2f} (threshold {threshold}): " + "; ".join(bits)
    return Evidence(same, round(score, 4), reason, cos, tf, days, parts, shared, ff, own)
