"""The evidence that two articles report the same study, as one score with a readable reason.

    score = (cosine(TF-IDF vectors) + shared facts) x time factor (x cohort, + identifiers)

* the cosine runs over content words and title words, weighted by the archive's document
  frequencies (:mod:`monitor.stories.weights`);
* shared facts: 0.01 for each person and each number with its unit both name, 0.005 for each
  institution or journal, at most 0.05;
  rewrites of one study share its rare words (the investigator, the cohort, the finding) even
  when they share no sentence;
* time factor: 1 for the same day, falling linearly to 0.5 at :data:`TIME_SCALE_DAYS` apart
  (coverage of one paper comes in a burst; a follow-up paper comes weeks later); 0.8 when either
  date is unknown;
* both name the size of the group studied ("212 patients") and no figure of one is within 10 %
  of one of the other: x0.5 (two studies; a rewrite rounds, it does not change the cohort);
* a shared DOI or PMID adds 0.5 (one paper); different DOIs on both sides (each naming at most
  three) multiply by 0.3; different trials (NCT registrations that differ, or a named trial one
  page leads with that the other never names: "VELOCITY-305" against "VELOCITY-301") by 0.3;
* both state effect estimates (hazard, odds or risk ratios) and none of one is within 0.01 of
  one of the other: x0.4 (another result: a follow-up analysis of the same trial, another
  endpoint; a rewrite copies the estimate it reports);
* one page reports a study (it states figures, institutions or identifiers) and the other states
  none of them (an explainer, an opinion piece on the topic): x0.7;
* short texts and listings of several studies are never compared (score 0).

Two articles are one story at or above :data:`THRESHOLD`; stories are compared by the average
score over all pairs of their copies (:mod:`monitor.stories.cluster`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.stories.fingerprint import Stored
from monitor.stories.weights import contributions, cosine

__all__ = [
    "THRESHOLD",
    "TIME_SCALE_DAYS",
    "Evidence",
    "contradicts",
    "pair_score",
    "time_factor",
]

#: average score at or above which copies are one story (chosen on the InSciOut tuning half)
THRESHOLD = 0.15
#: days apart at which the time factor has fallen to 0.5
TIME_SCALE_DAYS = 60.0
#: factor when either date is unknown (0.7 was tried on the InSciOut tuning half: recall -0.011,
#: precision -0.002 over all pairs; kept at 0.8)
UNDATED_FACTOR = 0.8
#: days apart that count as the same burst of coverage (time factor 1)
SAME_DAYS = 0.0
SAME_ID_BONUS = 0.5
#: score per person or number with unit both name (institutions: half), and its ceiling
FACT_BONUS = 0.01
FACTS_MAX = 0.05
#: factor when both state the size of the group studied and the sizes disagree
COHORT_FACTOR = 0.5
OTHER_ID_FACTOR = 0.3
OTHER_TRIAL_FACTOR = 0.3
#: factor when both state effect estimates and none agrees
OTHER_EFFECT_FACTOR = 0.4
#: factor when one page reports a study's facts and the other states none
FACTLESS_FACTOR = 0.85


def days_apart(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return abs((a - b).total_seconds()) / 86400.0


def time_factor(days: float | None) -> float:
    """1.0 the same day, 0.5 at TIME_SCALE_DAYS or more apart, UNDATED_FACTOR when a date is unknown."""
    if days is None:
        return UNDATED_FACTOR
    if days <= SAME_DAYS:
        return 1.0
    return 1.0 - 0.5 * min(days - SAME_DAYS, TIME_SCALE_DAYS) / TIME_SCALE_DAYS


def other_trial(a: Stored, b: Stored) -> bool:
    """Different trials: NCT registrations on both sides that share none, or a named trial one
    page leads with (its title's, else its first) that the other, naming trials too, never names."""
    if a.trials and b.trials and not a.trials & b.trials:
        return True
    if a.trial_names and b.trial_names:
        return a.trial_names[0] not in b.trial_names or b.trial_names[0] not in a.trial_names
    return False


def id_evidence(a: Stored, b: Stored) -> tuple[float, float, str]:
    """(bonus, factor, reason) from DOIs, PMIDs, trial registrations and trial names."""
    if a.ids & b.ids:
        return SAME_ID_BONUS, 1.0, "same DOI/PMID"
    factor, why = 1.0, []
    if a.ids and b.ids and len(a.ids) <= 3 and len(b.ids) <= 3:
        factor *= OTHER_ID_FACTOR
        why.append("different DOIs")
    if other_trial(a, b):
        factor *= OTHER_TRIAL_FACTOR
        why.append("different trials")
    return 0.0, factor, ", ".join(why)


def effects_disagree(a: Stored, b: Stored) -> bool:
    """Both state effect estimates and none of one is within 0.01 of one of the other."""
    if not a.effects or not b.effects:
        return False
    return not any(abs(x - y) <= 1 for x in a.effects for y in b.effects)


def contradicts(a: Stored, b: Stored) -> bool:
    """The two pages name different papers, different trials or different results: they can
    never be in one story, however much of their text agrees (a follow-up by the same group)."""
    if a.ids & b.ids:
        return False
    if a.ids and b.ids and len(a.ids) <= 3 and len(b.ids) <= 3:
        return True
    return other_trial(a, b) or effects_disagree(a, b)


def facts_bonus(a: Stored, b: Stored) -> float:
    """People, institutions and numbers with units both name: FACT_BONUS each (institutions
    half), at most FACTS_MAX."""
    n = len(a.people & b.people) + len(a.numbers & b.numbers)
    n2 = len(a.institutions & b.institutions)
    if not n and not n2:
        return 0.0
    return min(FACTS_MAX, FACT_BONUS * (n + 0.5 * n2))


def cohorts_disagree(a: Stored, b: Stored) -> bool:
    """Both state how many people were studied and no figure of one is within 10 % of one of
    the other: two studies (a rewrite may round "212 patients" to "more than 200")."""
    if not a.cohorts or not b.cohorts:
        return False
    return not any(abs(x - y) <= 0.1 * max(x, y) for x in a.cohorts for y in b.cohorts)


def pair_score(
    a: Stored,
    b: Stored,
    ua: Mapping[int, float],
    ub: Mapping[int, float],
    days: float | None,
    cos: float | None = None,
) -> float:
    """The score of two stored fingerprints with their unit vectors (the fast path); ``cos``
    is their cosine when the caller has it (:func:`~monitor.stories.weights.cosines`)."""
    if a.short or b.short or a.listing or b.listing:
        return 0.0
    if cos is None:
        cos = cosine(ua, ub)
    s = (cos + facts_bonus(a, b)) * time_factor(days)
    if cohorts_disagree(a, b):
        s *= COHORT_FACTOR
    if effects_disagree(a, b):
        s *= OTHER_EFFECT_FACTOR
    if a.factless != b.factless:
        s *= FACTLESS_FACTOR
    if a.ids or b.ids or a.trials or b.trials or a.trial_names or b.trial_names:
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
    facts: float = 0.0  # the shared-facts part of the score


def _nums(xs) -> str:
    return ", ".join(f"{x:,}" for x in xs[:3]) + (" ..." if len(xs) > 3 else "")


KIND_NAMES = ("terms", "title words")


def compare(
    a: Stored,
    b: Stored,
    ua: Mapping[int, float],
    ub: Mapping[int, float],
    days: float | None,
    name: Callable[[int], str] = str,
    kind: Callable[[int], int] = lambda t: 0,
    threshold: float = THRESHOLD,
    named: tuple[Any, Any] | None = None,
) -> Evidence:
    """:func:`pair_score` with its breakdown; ``name`` and ``kind`` describe vocabulary ids,
    ``named`` the two :class:`~monitor.stories.fingerprint.Fingerprint` (for the names and
    numbers they share)."""
    if a.short or b.short:
        which = "first" if a.short else "second"
        return Evidence(False, 0.0, f"not compared: the {which} text is too short (own story)")
    if a.listing or b.listing:
        which = "first" if a.listing else "second"
        return Evidence(
            False, 0.0, f"not compared: the {which} page lists several studies (own story)"
        )
    score = pair_score(a, b, ua, ub, days)
    parts: dict[str, float] = {}
    shared: dict[str, list[str]] = {}
    for t, share in contributions(ua, ub):
        k = KIND_NAMES[kind(t)]
        parts[k] = parts.get(k, 0.0) + share
        if len(shared.setdefault(k, [])) < 8:
            shared[k].append(name(t))
    cos = sum(parts.values())
    fb = facts_bonus(a, b)
    if named is not None:
        x, y = named
        for label, attr in (
            ("people", "people"),
            ("institutions/journals", "institutions"),
            ("numbers", "numbers"),
        ):
            both = sorted(set(getattr(x, attr)) & set(getattr(y, attr)))
            if both:
                shared[label] = both[:8]
    tf = time_factor(days)
    bonus, factor, id_why = (
        id_evidence(a, b)
        if (a.ids or b.ids or a.trials or b.trials or a.trial_names or b.trial_names)
        else (0, 1, "")
    )
    same = score >= threshold
    bits = [f"text similarity {cos:.2f}"]
    for k in KIND_NAMES:
        if shared.get(k):
            bits.append(f"{k}: {', '.join(shared[k][:5])}")
    if fb:
        facts = [k for k in ("people", "institutions/journals", "numbers") if shared.get(k)]
        named_facts = "; ".join(f"{k}: {', '.join(shared[k][:4])}" for k in facts)
        bits.append(f"+{fb:.2f} shared facts" + (f" ({named_facts})" if named_facts else ""))
    when = "dates unknown" if days is None else f"{days:.0f} days apart"
    bits.append(f"x{tf:.2f} time ({when})")
    if cohorts_disagree(a, b):
        bits.append(
            f"x{COHORT_FACTOR:.2f} groups studied differ ({_nums(a.cohorts)} vs {_nums(b.cohorts)})"
        )
    if effects_disagree(a, b):
        bits.append(f"x{OTHER_EFFECT_FACTOR:.2f} effect estimates differ")
    if a.factless != b.factless:
        which = "first" if a.factless else "second"
        bits.append(f"x{FACTLESS_FACTOR:.2f} the {which} page states no study facts")
    if id_why or bonus:
        bits.append((id_why or "") + (f" +{bonus:.2f}" if bonus else f" x{factor:.2f}"))
    verdict = "same story" if same else "different stories"
    reason = f"{verdict}, score {score:.2f} (threshold {threshold}): " + "; ".join(bits)
    return Evidence(same, round(score, 4), reason, cos, tf, days, parts, shared, fb)
