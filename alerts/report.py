"""`monitor deliveries` in words: each digest, then each recipient and message part."""

from __future__ import annotations

from datetime import datetime

from storage.ledger import DigestLog, Part


def _when(dt: datetime | str | None) -> str:
    if dt is None:
        return "-"
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def _attempts(n: int) -> str:
    return f"{n} attempt{'' if n == 1 else 's'}"


def part_line(p: Part) -> list[str]:
    """target, state, attempts, what happened: the columns of one part's line."""
    who = "all recipients (before per-recipient records)" if p.target == "*" else p.label()
    if p.state == "sent":
        what = f"accepted {_when(p.sent_at)}"
    elif p.state == "pending":
        nxt = f"next try {_when(p.next_attempt_at)}" if p.next_attempt_at else "due now"
        what = f"{nxt}; last error: {p.last_error}" if p.last_error else "not sent yet"
    else:
        what = p.last_error or "no reason recorded"
    return [who, p.state, _attempts(p.attempts), what]


def lines(digests: list[DigestLog]) -> list[str]:
    if not digests:
        return ["(no digests yet)"]
    out = []
    for d in digests:
        out.append(
            f"{d.channel}  {d.id}  {d.state}  {d.stories} "
            f"{'story' if d.stories == 1 else 'stories'}  created {_when(d.created_at)}"
        )
        rows = [part_line(p) for p in d.parts]
        if not rows:
            rows = [["(parts not planned yet)", d.state, _attempts(d.attempts), ""]]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            out.append(
                "    "
                + "  ".join(v.ljust(w) for v, w in zip(r[:3], widths, strict=True))
                + "  "
                + r[3]
            )
    return out
