"""``monitor stories explain A B``: the evidence between two articles, for people."""

from __future__ import annotations

from monitor.stories.evidence import KIND_NAMES, THRESHOLD, Evidence
from monitor.stories.fingerprint import Fingerprint

__all__ = ["explain"]


def _line(fp: Fingerprint) -> str:
    when = fp.published.date().isoformat() if fp.published else "undated"
    flags = (
        ", short"
        if fp.short
        else ", lists several studies (own story)"
        if fp.listing
        else ", weak (never bridges stories)"
        if fp.weak
        else ""
    )
    if fp.factless and not fp.short:
        flags += ", states no study facts"
    return f"{fp.title or '(no title)'} [{fp.source or '?'}, {when}, {fp.length} words{flags}]"


def explain(a: Fingerprint, b: Fingerprint, ev: Evidence, threshold: float = THRESHOLD) -> str:
    """A multi-line account of one comparison: the score, then each part of the evidence."""
    lines = [
        f"{'SAME STORY' if ev.same else 'DIFFERENT STORIES'}: score {ev.score:.2f}"
        f" (threshold {threshold})",
        f"  A: {_line(a)}",
        f"  B: {_line(b)}",
    ]
    if a.short or b.short or a.listing or b.listing:
        return "\n".join(lines + ["  " + ev.reason])
    lines.append(f"  text similarity (TF-IDF cosine, archive frequencies): {ev.cosine:.3f}")
    for k in KIND_NAMES:
        if k in ev.parts:
            lines.append(f"    {ev.parts[k]:.3f} from {k}: {', '.join(ev.shared[k])}")
    if not ev.parts:
        lines.append("    nothing shared but common words")
    facts = [k for k in ("people", "institutions/journals", "numbers") if ev.shared.get(k)]
    lines.append(f"  shared facts: +{ev.facts:.3f}" + ("" if facts else " (none)"))
    for k in facts:
        lines.append(f"    {k}: {', '.join(ev.shared[k])}")
    when = "a date is unknown" if ev.days is None else f"published {ev.days:.1f} days apart"
    lines.append(f"  time factor x{ev.time_factor:.2f} ({when})")
    for bit in ev.reason.split("; ")[1:]:
        if any(k in bit for k in ("groups studied", "DOI", "trial", "effect", "study facts")):
            lines.append(f"  {bit}")
    lines.append(f"  = {ev.score:.3f}")
    return "\n".join(lines)
